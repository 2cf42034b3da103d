package deposit_test

import (
	"bytes"
	"testing"

	"github.com/jurichain/jurichain/deposit"
)

// FuzzParseLeaf checks that leaf parsing never panics and that whatever it
// accepts encodes back to exactly the input (one encoding per leaf).
func FuzzParseLeaf(f *testing.F) {
	l, _ := fixedLeaf(f)
	good, _ := l.MarshalBinary()
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := deposit.ParseLeaf(b)
		if err != nil {
			return
		}
		again, _ := l.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical leaf:\nin  %x\nout %x", b, again)
		}
	})
}

// FuzzParseOpening does the same for metadata openings.
func FuzzParseOpening(f *testing.F) {
	_, op := fixedLeaf(f)
	f.Add(op.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := deposit.ParseOpening(b)
		if err != nil {
			return
		}
		if again := o.AppendBinary(nil); !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical opening:\nin  %x\nout %x", b, again)
		}
	})
}
