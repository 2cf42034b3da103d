package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

// Languages the portal speaks; the first is the default.
func languages() []string { return []string{"zh", "en"} }

// langCookie remembers the language a user picked (the scripts also keep
// it in localStorage and set this cookie, so pages render in it at once).
const langCookie = "jurichain_lang"

// Strings are the portal's texts: key, then language, then text. One
// file per area of the portal (i18n/AREA.json), shared with the scripts,
// which import the same files.
type Strings map[string]map[string]string

// loadStrings reads every i18n/*.json and checks that each key has a text
// in every language.
func loadStrings(fsys fs.FS) (Strings, error) {
	names, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, err
	}
	out := Strings{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var byLang map[string]map[string]string
		if err := json.Unmarshal(b, &byLang); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, lang := range languages() {
			for key, text := range byLang[lang] {
				if out[key] == nil {
					out[key] = map[string]string{}
				} else if _, dup := out[key][lang]; dup {
					return nil, fmt.Errorf("%s: key %q is also defined in another file", name, key)
				}
				out[key][lang] = text
			}
		}
		for lang := range byLang {
			if !isLanguage(lang) {
				return nil, fmt.Errorf("%s: unknown language %q (want one of %v)", name, lang, languages())
			}
		}
	}
	for key, texts := range out {
		for _, lang := range languages() {
			if texts[lang] == "" {
				return nil, fmt.Errorf("i18n: key %q has no %s text", key, lang)
			}
		}
	}
	return out, nil
}

func isLanguage(s string) bool { return slices.Contains(languages(), s) }

// language picks the language of a request: the remembered choice, else
// the first of Accept-Language the portal speaks, else Chinese.
func language(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && isLanguage(c.Value) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if isLanguage(base) {
			return base
		}
	}
	return languages()[0]
}

// text returns the text of key in lang; a missing key shows as itself, so
// that the page test (which checks every key) names it.
func (s Strings) text(lang, key string) string {
	if t := s[key][lang]; t != "" {
		return t
	}
	return key
}
