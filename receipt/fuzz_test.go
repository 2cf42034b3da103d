package receipt_test

import (
	"bytes"
	"testing"

	"github.com/jurichain/jurichain/receipt"
)

// FuzzParse checks that receipt parsing never panics and accepts only
// canonical text.
func FuzzParse(f *testing.F) {
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra AAEC\nindex 0\n\nlog\n1\nAAAA\n\n— log AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := receipt.Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Format(), b) {
			t.Fatal("accepted a non-canonical receipt")
		}
	})
}
