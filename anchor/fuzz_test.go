package anchor_test

import (
	"bytes"
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

// FuzzParseAddCheckpoint: a body that parses is canonical, within the
// limits, and its hashes are of the size asked for.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\nexample.org/log\n1\nAAAA\n\n— example.org/log sig\n"))
	f.Add(anchor.FormatAddCheckpoint(3, [][]byte{bytes.Repeat([]byte{1}, 32)}, []byte("cp\n")))
	f.Fuzz(func(t *testing.T, body []byte) {
		old, proof, cp, err := anchor.ParseAddCheckpoint(body, 32)
		if err != nil {
			return
		}
		if len(proof) > 63 || len(cp) == 0 || len(body) > anchor.MaxAddCheckpoint {
			t.Fatalf("accepted %d proof lines, %d checkpoint bytes", len(proof), len(cp))
		}
		for _, h := range proof {
			if len(h) != 32 {
				t.Fatalf("hash of %d bytes", len(h))
			}
		}
		if out := anchor.FormatAddCheckpoint(old, proof, cp); !bytes.Equal(out, body) {
			t.Fatalf("not canonical: %q -> %q", body, out)
		}
	})
}
