package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/web"
)

func newPortal(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := web.New(web.Config{Origin: "jurichain-test-log", Suite: "intl", Institution: "court-a"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestPages renders every page in both languages, with the headers that
// keep it from loading anything but the node's own files.
func TestPages(t *testing.T) {
	srv := newPortal(t)
	for _, p := range web.Pages() {
		for _, tc := range []struct {
			header http.Header
			want   string
		}{
			{http.Header{"Accept-Language": {"en-GB,en;q=0.9"}}, `<html lang="en">`},
			{http.Header{"Accept-Language": {"zh-CN,zh;q=0.9"}}, `<html lang="zh-CN">`},
			{http.Header{"Accept-Language": {"fr"}}, `<html lang="zh-CN">`},
			{http.Header{"Accept-Language": {"zh"}, "Cookie": {"jurichain_lang=en"}}, `<html lang="en">`},
		} {
			resp, body := get(t, srv.URL+p.Path, tc.header)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", p.Path, resp.StatusCode)
			}
			if !strings.Contains(body, tc.want) {
				t.Errorf("%s with %v: no %s", p.Path, tc.header, tc.want)
			}
			if !strings.Contains(body, `src="/assets/`+p.Name+`.js"`) {
				t.Errorf("%s does not load its script", p.Path)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", p.Path, csp)
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("%s refers to another site", p.Path)
			}
		}
	}
	resp, body := get(t, srv.URL+"/no-such-page", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, "/no-such-page") {
		t.Errorf("unknown page: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, srv.URL+"/assets/../web.go", nil)
	if resp.StatusCode != 404 {
		t.Errorf("path outside the assets: %d", resp.StatusCode)
	}
	resp, _ = get(t, srv.URL+"/assets/portal.css", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" {
		t.Fatalf("stylesheet: %d, ETag %q", resp.StatusCode, etag)
	}
	resp, _ = get(t, srv.URL+"/assets/portal.css", http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
}

// TestTexts checks that every text key the templates and scripts use has
// a Chinese and an English text.
func TestTexts(t *testing.T) {
	keys := map[string]bool{}
	for _, area := range mustGlob(t, "i18n/*.json") {
		for _, k := range regexp.MustCompile(`"([a-zA-Z][\w.-]*)":`).FindAllStringSubmatch(read(t, area), -1) {
			keys[k[1]] = true
		}
	}
	used := regexp.MustCompile(`(?:data-i18n(?:-[a-z-]+)?="|\.T "|\bt\(\s*"|i18n:\s*")([a-zA-Z][\w.-]*)"`)
	files := append(mustGlob(t, "templates/*.html"), mustGlob(t, "src/*/*.js")...)
	for _, f := range files {
		for _, m := range used.FindAllStringSubmatch(read(t, f), -1) {
			if strings.HasSuffix(m[1], ".") {
				// A prefix completed at run time ("role." + role).
				if !hasPrefix(keys, m[1]) {
					t.Errorf("%s uses text keys %q…, and no i18n/*.json defines one", f, m[1])
				}
				continue
			}
			if !keys[m[1]] {
				t.Errorf("%s uses the text key %q, which no i18n/*.json defines", f, m[1])
			}
		}
	}
	// web.New refuses keys without both languages.
	if _, err := web.New(web.Config{}); err != nil {
		t.Fatal(err)
	}
}

// TestBundlesBuilt fails when a page has no built script (the bundles are
// committed; build.mjs makes them).
func TestBundlesBuilt(t *testing.T) {
	for _, p := range web.Pages() {
		if _, err := os.Stat(filepath.Join("static/assets", p.Name+".js")); err != nil {
			t.Errorf("page %s has no built script: run npm ci && npm run build in web/: %v", p.Name, err)
		}
	}
}

// TestVerifyPageWeight keeps the public verification page, everything it
// loads included, within 300 KB: it must open quickly on a phone.
func TestVerifyPageWeight(t *testing.T) {
	srv := newPortal(t)
	_, page := get(t, srv.URL+"/verify", nil)
	total := len(page)
	for _, m := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		resp, body := get(t, srv.URL+m[1], nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", m[1], resp.StatusCode)
		}
		total += len(body)
	}
	const budget = 300 << 10
	t.Logf("the verification page weighs %d bytes in all", total)
	if total > budget {
		t.Errorf("the verification page weighs %d bytes, more than %d", total, budget)
	}
}

// TestLanguageInBrowser switches the language in Chromium: the page
// changes in place, and the choice survives a reload.
func TestLanguageInBrowser(t *testing.T) {
	const en, zh = "Electronic evidence that a judge can check", "法官可以核验的电子证据"
	srv := newPortal(t)
	tab := browsertest.Start(t).Tab(t)
	tab.Run("open the start page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#lang-switch")))
	// Chromium asks for English (Accept-Language en-US).
	if got := tab.Text("read the title", "h1"); got != en {
		t.Fatalf("the start page's title in the browser's language is %q", got)
	}
	tab.Run("switch to Chinese", chromedp.Click(chromedp.CSS("#lang-switch")))
	if got := tab.Text("read the title", "h1"); got != zh {
		t.Fatalf("after switching, the title is %q", got)
	}
	if got := tab.Text("read the switch", "#lang-switch"); got != "English" {
		t.Errorf("the switch offers %q after switching to Chinese", got)
	}
	tab.Run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#lang-switch")))
	if got := tab.Text("read the title", "h1"); got != zh {
		t.Fatalf("after a reload, the title is %q", got)
	}
	if lang := browsertest.Eval[string](tab, "read the language", "document.documentElement.lang"); lang != "zh-CN" {
		t.Errorf("document language %q", lang)
	}
	tab.Screenshot("start-page-zh")
	// The phone-sized layout keeps the navigation usable.
	tab.Run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("nav a")))
	tab.Screenshot("start-page-phone")
}

func hasPrefix(keys map[string]bool, prefix string) bool {
	for k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := fs.Glob(os.DirFS("."), pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("%s: %v (%d files)", pattern, err, len(m))
	}
	return m
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
