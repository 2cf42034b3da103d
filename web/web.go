// Package web serves the portal: the pages people use in a browser to
// verify evidence (no login), deposit and capture it, review applicants,
// read the evidence granted to a court case, and watch the network.
//
// Pages are rendered on the server from embedded templates; everything
// they do they do with the node's public API, from small scripts bundled
// from web/src (build.mjs) into static/assets, which is committed so that
// the Go build needs no npm. Nothing is fetched from anywhere but the node
// itself, so the portal works on a machine with no internet.
//
// The pages carry no secret and no session: a signed-in user's account key
// stays in the browser, which signs each API request as the CLI does.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

//go:embed templates static i18n
var files embed.FS

// Config is what the pages show about the network they belong to.
type Config struct {
	// Origin is the log's origin, shown on every page.
	Origin string
	// Suite is the crypto suite's short name ("intl" or "gm"); scripts
	// pick their algorithms from it.
	Suite string
	// Institution is the member institution running this node.
	Institution string
	Logger      *slog.Logger
}

// Page is one page of the portal.
type Page struct {
	// Path is where it is served.
	Path string
	// Name names its template (templates/NAME.html) and its script
	// (static/assets/NAME.js).
	Name string
	// Title is the i18n key of its title.
	Title string
}

// Pages are the portal's pages, in the order of the navigation bar.
func Pages() []Page {
	return []Page{
		{Path: "/", Name: "home", Title: "nav.home"},
		{Path: "/verify", Name: "verify", Title: "nav.verify"},
		{Path: "/account", Name: "account", Title: "nav.account"},
		{Path: "/deposits", Name: "deposits", Title: "nav.deposits"},
		{Path: "/capture", Name: "capture", Title: "nav.capture"},
		{Path: "/review", Name: "review", Title: "nav.review"},
		{Path: "/court", Name: "court", Title: "nav.court"},
		{Path: "/dashboard", Name: "dashboard", Title: "nav.dashboard"},
	}
}

// Handler serves the portal's pages and assets.
type Handler struct {
	cfg    Config
	mux    *http.ServeMux
	assets fs.FS
	// etags are the assets' content hashes, computed once: the assets
	// are embedded, so they change only with the binary.
	etags   map[string]string
	strings Strings
}

// New parses the templates and returns the portal's handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	assets, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("portal assets: %w", err)
	}
	texts, err := loadStrings(files)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), assets: assets, etags: map[string]string{}, strings: texts}
	err = fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.etags["/"+p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("portal assets: %w", err)
	}
	pages := Pages()
	for _, p := range pages {
		t, err := template.New("layout.html").ParseFS(files, "templates/layout.html", "templates/"+p.Name+".html")
		if err != nil {
			return nil, fmt.Errorf("portal page %s: %w", p.Name, err)
		}
		pattern := "GET " + p.Path
		if p.Path == "/" {
			pattern = "GET /{$}"
		}
		h.mux.HandleFunc(pattern, h.page(t, p, pages))
	}
	h.mux.HandleFunc("GET /assets/", h.asset)
	h.mux.HandleFunc("GET /favicon.ico", h.asset)
	h.mux.HandleFunc("/", h.notFound)
	return h, nil
}

// view is what the layout template renders.
type view struct {
	Page        Page
	Pages       []Page
	Origin      string
	Suite       string
	Institution string
	Script      string
	Lang        string
	strings     Strings
}

// T is the text of an i18n key in the page's language.
func (v view) T(key string) string { return v.strings.text(v.Lang, key) }

func (h *Handler) page(t *template.Template, p Page, pages []Page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		v := view{Page: p, Pages: pages, Origin: h.cfg.Origin, Suite: h.cfg.Suite, Institution: h.cfg.Institution,
			Script: "/assets/" + p.Name + ".js", Lang: language(r), strings: h.strings}
		if err := t.Execute(&b, v); err != nil {
			h.cfg.Logger.Error("rendering a portal page", "page", p.Name, "err", err)
			http.Error(w, "the page could not be rendered; the node's log says why", http.StatusInternalServerError)
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b.Bytes())
	}
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path
	if name == "/favicon.ico" {
		name = "/assets/favicon.svg"
	}
	etag, ok := h.etags[name]
	if !ok {
		h.notFound(w, r)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("ETag", etag)
	// Scripts and styles change only with the binary; revalidating costs
	// one round trip without a body.
	w.Header().Set("Cache-Control", "no-cache")
	if strings.HasSuffix(name, ".js") {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	http.ServeFileFS(w, r, h.assets, path.Clean(strings.TrimPrefix(name, "/")))
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title>`+
		`<link rel="stylesheet" href="/assets/portal.css"><main class="narrow"><h1>Not found · 未找到</h1>`+
		`<p>There is no page at %s. <a href="/">Go to the start page</a>.</p><p>此地址没有页面。<a href="/">返回首页</a>。</p></main>`,
		template.HTMLEscapeString(r.URL.Path))
}

// securityHeaders keep the pages from loading anything but the node's own
// files, from being framed, and from leaking where they were opened.
func securityHeaders(h http.Header) {
	// 'wasm-unsafe-eval': the hash functions run as WebAssembly, compiled
	// from the bundled scripts. blob: and mediastream: carry the camera's
	// picture and the recorded video before they are deposited.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "+
		"style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(self)")
}

// Serves reports whether the portal has a page or file at path (the API
// server mounts it for those paths alone).
func (h *Handler) Serves(path string) bool {
	if path == "/favicon.ico" || strings.HasPrefix(path, "/assets/") {
		return true
	}
	for _, p := range Pages() {
		if p.Path == path {
			return true
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }
