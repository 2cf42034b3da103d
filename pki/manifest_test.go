package pki

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// damagedManifests are edits of the golden GM manifest a reader must
// refuse, each with what its error says.
func damagedManifests(t testing.TB) []struct {
	name, want string
	b          []byte
} {
	b, err := os.ReadFile(filepath.Join("testdata", "keyring-gm", "pki", manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string, n int) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("the golden manifest has no %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), n)
	}
	firstSerial := func() string {
		i := bytes.Index(b, []byte(`"serial": "`)) + len(`"serial": "`)
		return string(b[i : i+bytes.IndexByte(b[i:], '"')])
	}()
	return []struct {
		name, want string
		b          []byte
	}{
		{"another format", "format 2", edit(`"format": 1`, `"format": 2`, 1)},
		{"another suite", "belongs to the \"intl\" suite", edit(`"suite": "gm"`, `"suite": "intl"`, 1)},
		{"no CA", "names no certificate authority", func() []byte {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m["ca"] = ""
			out, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}()},
		{"lowercase serial", "uppercase hex", edit(firstSerial+`"`, strings.ToLower(firstSerial)+`"`, 1)},
		{"unknown role", "unknown credential role", edit(`"role": "seal"`, `"role": "notary"`, 1)},
		{"retired before issued", "retired before it was issued", edit(`"retired": "2026-02-01T00:00:00Z"`, `"retired": "2025-02-01T00:00:00Z"`, 1)},
		{"revoked but current", "revoked but still current", edit(`"retired": "2026-03-01T00:00:00Z",`, ``, 1)},
		{"two current seals", "2 current", edit(`"retired": "2026-02-01T00:00:00Z"`, `"issued": "2026-01-01T00:00:00Z"`, 1)},
		{"no current tsa", "0 current", edit(`"issued": "2026-03-01T00:00:00Z"`, `"issued": "2026-03-01T00:00:00Z", "retired": "2026-03-01T00:00:00Z"`, 1)},
		{"certificateHold", "certificateHold", edit(`"reason": 1`, `"reason": 6`, 1)},
		{"reason without revocation", "has a revocation reason", edit(`"retired": "2026-02-01T00:00:00Z"`, `"retired": "2026-02-01T00:00:00Z", "reason": 1`, 1)},
		{"a path outside", "are not the ones of", edit(`"cert": "seal-`, `"cert": "../seal-`, 1)},
		{"trailing data", "data follows", append(bytes.Clone(b), []byte("{}")...)},
		{"unknown field", "unknown field", edit(`"format": 1`, `"format": 1, "extra": true`, 1)},
		{"duplicate serial", "twice", edit(`"credentials": [`, `"credentials": [{"role": "seal", "serial": "`+firstSerial+`", "cert": "seal-`+firstSerial+`.pem", "key": "seal-`+firstSerial+`.key", "issued": "2026-01-01T00:00:00Z", "retired": "2026-01-01T00:00:00Z"},`, 1)},
	}
}

// TestParseManifestRefuses checks that a damaged or hand-edited manifest
// is refused with what is wrong, and that the golden one is read.
func TestParseManifestRefuses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "keyring-gm", "pki", manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseManifest(suite.GM(), b); err != nil {
		t.Fatalf("the golden manifest: %v", err)
	}
	for _, tc := range damagedManifests(t) {
		_, err := parseManifest(suite.GM(), tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.want)
		}
	}
}
