package anchor_test

import (
	"bytes"
	"testing"

	"github.com/jurichain/jurichain/anchor"
)

// FuzzParseComposed feeds ParseComposed arbitrary bytes (seeds in
// testdata/fuzz/FuzzParseComposed: composed receipts of each suite): it
// never panics, and what it accepts is canonical, told from a plain
// receipt by IsComposed, and parses again to the same parts.
func FuzzParseComposed(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := anchor.ParseComposed(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Format(), b) {
			t.Fatal("accepted a non-canonical composed receipt")
		}
		if !anchor.IsComposed(b) {
			t.Fatal("IsComposed does not recognize an accepted composed receipt")
		}
		again, err := anchor.ParseComposed(c.Format())
		if err != nil || !bytes.Equal(again.Platform, c.Platform) || !bytes.Equal(again.Anchored, c.Anchored) || !bytes.Equal(again.Court, c.Court) || len(again.Proof) != len(c.Proof) {
			t.Fatalf("re-parsing: %v", err)
		}
	})
}
