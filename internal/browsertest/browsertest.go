// Package browsertest drives a real Chromium, headless, for the portal's
// tests: Debian's chromium package, started through the DevTools protocol
// with chromedp. It collects what the page's scripts throw, so that a
// test fails on a script error even when the page looks right, and it
// saves screenshots where people look at test results.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the browser binary when it is not chromium on PATH.
const ChromiumEnv = "JURICHAIN_CHROMIUM"

// ArtifactsEnv names the directory where tests leave screenshots.
const ArtifactsEnv = "JURICHAIN_ARTIFACTS"

// Browser is one Chromium process.
type Browser struct {
	ctx context.Context
}

// Chromium returns the browser's path. In CI (env CI set) a missing
// browser fails the test; elsewhere it skips it.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("Chromium is needed for the portal's tests (apt install chromium), or set %s", ChromiumEnv)
	}
	t.Skipf("Chromium is not installed (apt install chromium)")
	return ""
}

// Start launches a headless Chromium with a fresh profile for the test;
// it ends with the test. The camera and microphone are Chromium's fake
// devices (a moving test pattern and a tone), granted without a prompt.
func Start(t testing.TB) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine's network is closed: without these Chromium keeps
		// trying to reach its update and sync services.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	// Start the browser now, so a failure to launch is reported here.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &Browser{ctx: ctx}
}

// Tab is one browser tab of a test.
type Tab struct {
	// Ctx runs chromedp actions in the tab.
	Ctx  context.Context
	t    testing.TB
	mu   sync.Mutex
	errs []string
}

// Tab opens a new tab. Uncaught exceptions and console errors of its
// pages fail the test when it ends, unless the test took them with
// TakeErrors.
func (b *Browser) Tab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &Tab{Ctx: ctx, t: t}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
				tab.note(m.String())
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		for _, e := range tab.TakeErrors() {
			t.Errorf("the page's script: %s", e)
		}
	})
	return tab
}

func (tab *Tab) note(msg string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.errs = append(tab.errs, msg)
}

// TakeErrors returns the script errors seen so far and forgets them.
func (tab *Tab) TakeErrors() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	errs := tab.errs
	tab.errs = nil
	return errs
}

// stepTimeout bounds one step of a test in the browser.
const stepTimeout = time.Minute

// Run runs actions in the tab, all within a minute; on failure it saves a
// screenshot named after the step and fails the test.
func (tab *Tab) Run(step string, actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.fail(step, err)
	}
}

func (tab *Tab) fail(step string, err error) {
	tab.t.Helper()
	path := tab.screenshot("failed-" + step)
	tab.t.Fatalf("%s: %v (screenshot %s; script errors: %v)", step, err, path, tab.TakeErrors())
}

// Eval evaluates a JavaScript expression in the tab, awaiting it when it
// is a promise, and returns its value decoded from JSON.
func Eval[T any](tab *Tab, step, expr string) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tab.fail(step, err)
	}
	return v
}

// Text waits for the element sel and returns its text as shown.
func (tab *Tab) Text(step, sel string) string {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tab.fail(step, err)
	}
	return s
}

// Screenshot saves the whole page as PNG in the artifact directory and
// returns the file's path.
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	path := tab.screenshot(name)
	if path == "" {
		tab.t.Fatalf("screenshot %s could not be taken", name)
	}
	return path
}

func (tab *Tab) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(tab.Ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		tab.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(ArtifactDir(tab.t), fileName(tab.t.Name()+"-"+name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	return path
}

// unsafeName matches what a file name should not carry.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileName(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// ArtifactDir is where tests leave screenshots: $JURICHAIN_ARTIFACTS/browser
// when set, else the test's temporary directory.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv(ArtifactsEnv)
	if d == "" {
		return t.TempDir()
	}
	d = filepath.Join(d, "browser")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	return d
}

// SaveDownloads lets the tab's pages save files, into dir.
func (tab *Tab) SaveDownloads(dir string) {
	tab.t.Helper()
	tab.Run("let the page save files", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	}))
}

// Until is an action that waits until the JavaScript expression is true
// in the page.
func Until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return err
	})
}

// WaitFile waits up to 20 seconds until the browser has saved path, with
// size bytes (any size but zero when size is negative), and returns it.
func WaitFile(t testing.TB, path string, size int) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && (size < 0 && len(b) > 0 || len(b) == size) {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("the browser did not save %s: %v, %d bytes (the directory holds %v)", filepath.Base(path), err, len(b), names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unlabelledScript lists the page's visible controls that have no
// accessible name: no label, aria-label or aria-labelledby, and for a
// button or link no text or title either.
const unlabelledScript = `(() => {
	const named = (el) => {
		if (el.getAttribute("aria-label")?.trim() || el.getAttribute("title")?.trim()) return true;
		const by = el.getAttribute("aria-labelledby");
		if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim())) return true;
		if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
		if (el.matches("button, a, summary, [role=button]") && el.textContent.trim()) return true;
		if (el.matches("input[type=button], input[type=submit]") && el.value.trim()) return true;
		return false;
	};
	const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
	return [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href], summary, [role=button]")]
		.filter((el) => visible(el) && !named(el))
		.map((el) => el.outerHTML.slice(0, 160));
})()`

// CheckLabels fails the test for every visible control of the page that
// has no accessible name, which a screen reader could not announce.
func (tab *Tab) CheckLabels(page string) {
	tab.t.Helper()
	for _, html := range Eval[[]string](tab, "look for controls without a name on "+page, unlabelledScript) {
		tab.t.Errorf("%s: a control has no accessible name: %s", page, html)
	}
}
