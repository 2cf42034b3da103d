package evidencepack_test

import (
	"testing"

	"github.com/jurichain/jurichain/evidencepack"
)

// TestDefaultLimits checks the defaults are a fresh value each time, so
// that no caller changes another's, with every field set (a zero field
// of Options.Limits means "the default").
func TestDefaultLimits(t *testing.T) {
	d := evidencepack.DefaultLimits()
	if d.Entries == 0 || d.Total == 0 || d.Original == 0 || d.Other == 0 || d.Ratio == 0 {
		t.Fatalf("a default is zero: %+v", d)
	}
	d.Entries, d.Total = 1, 1
	if again := evidencepack.DefaultLimits(); again.Entries == 1 || again.Total == 1 {
		t.Fatalf("changing the defaults a caller got changed the package's: %+v", again)
	}
}
