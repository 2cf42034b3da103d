package pki

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// FuzzParseManifest reads keyring manifests, which another process or a
// hand may have written: no input panics, and an accepted manifest names
// only files of this directory and one current credential per role.
func FuzzParseManifest(f *testing.F) {
	for _, cs := range suite.All() {
		b, err := os.ReadFile(filepath.Join("testdata", "keyring-"+cs.Name(), "pki", manifestFile))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, d := range damagedManifests(f) {
		f.Add(d.b)
	}
	f.Add([]byte(`{"format":1,"suite":"gm","ca":"x","credentials":[],"crl":"AA=="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, cs := range suite.All() {
			m, err := parseManifest(cs, b)
			if err != nil {
				continue
			}
			current := map[Role]int{}
			for _, e := range m.Credentials {
				for _, name := range []string{e.Cert, e.Key} {
					if filepath.Base(name) != name || !isKeyringFile(name) {
						t.Fatalf("accepted a manifest naming %q", name)
					}
				}
				if e.Retired == nil {
					current[e.Role]++
				}
			}
			if len(current) != 2 || current[RoleSeal] != 1 || current[RoleTSA] != 1 {
				t.Fatalf("accepted a manifest with current credentials %v", current)
			}
		}
	})
}
