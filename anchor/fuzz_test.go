package anchor_test

import (
	"testing"

	"github.com/jurichain/jurichain/anchor"
)

// FuzzParseLogChange: a note text that parses is canonical (its Text is
// the input) and never names this network as the outside log.
func FuzzParseLogChange(f *testing.F) {
	f.Add("jurichain outside log\nnetwork court\nversion 0\nretire platform\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := anchor.ParseLogChange(text)
		if err != nil {
			return
		}
		if c.Log == c.Origin || c.Log == "" {
			t.Fatalf("accepted log %q for network %q", c.Log, c.Origin)
		}
		out, err := c.Text()
		if err != nil || out != text {
			t.Fatalf("not canonical: %q -> %q (%v)", text, out, err)
		}
		if !anchor.IsLogChange(text) {
			t.Fatal("IsLogChange false for a change that parses")
		}
	})
}
