package receipt

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

func sampleReceipts() [][]byte {
	h := bytes.Repeat([]byte{0xfb}, 32)
	cp := []byte("log\n20000\nq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ8=\n\n— log AAAAAAAA\n")
	return [][]byte{
		(&Receipt{Index: 12345, Proof: [][]byte{h, make([]byte, 32), h}, Checkpoint: cp, Leaf: bytes.Repeat([]byte{1, 2, 3}, 70)}).Format(),
		(&Receipt{Index: 0, Checkpoint: cp, Leaf: []byte{0}}).Format(),
		(&Receipt{Index: 1 << 63, Proof: [][]byte{h}, Checkpoint: cp, Leaf: bytes.Repeat([]byte{9}, 2000)}).Format(),
	}
}

// TestParseCanonicalTakesReceipts checks that what Format writes takes
// the one-pass path, with the result of the general one.
func TestParseCanonicalTakesReceipts(t *testing.T) {
	for i, b := range sampleReceipts() {
		fast, ok := parseCanonical(b)
		if !ok {
			t.Fatalf("receipt %d: not read in one pass:\n%s", i, b)
		}
		slow, err := parseGeneral(b)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("receipt %d: one pass %+v, general %+v (%v)", i, fast, slow, err)
		}
	}
	good := sampleReceipts()[0]
	for name, b := range map[string][]byte{
		"crlf":             bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		"cr in checkpoint": bytes.Replace(good, []byte("\n\n—"), []byte("\r\n\n—"), 1),
		"no final newline": good[:len(good)-1],
		"leading zero":     bytes.Replace(good, []byte("index 1"), []byte("index 01"), 1),
		"unpadded hash":    bytes.Replace(good, []byte("+/s="), []byte("+/sA"), 1),
		"trailing bits":    bytes.Replace(good, []byte("+/s="), []byte("+/t="), 1),
	} {
		if _, ok := parseCanonical(b); ok {
			t.Errorf("%s: read in one pass", name)
		}
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The general reader takes an empty checkpoint (and the checkpoint
	// check refuses it); the one-pass reader leaves it to it.
	if _, ok := parseCanonical(good[:bytes.Index(good, []byte("\n\n"))+2]); ok {
		t.Error("no checkpoint: read in one pass")
	}
}

// FuzzParseCanonical checks that the one-pass reader accepts nothing the
// general reader refuses, and reads what it accepts the same way.
func FuzzParseCanonical(f *testing.F) {
	for _, b := range sampleReceipts() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := parseCanonical(b)
		if !ok {
			return
		}
		slow, err := parseGeneral(b)
		if err != nil {
			t.Fatalf("read in one pass, refused by the general reader: %v", err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("one pass %+v, general %+v", fast, slow)
		}
	})
}

// TestTreeHasher checks the reused-state tree hasher against each suite's
// own.
func TestTreeHasher(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			want := cs.LogHasher()
			got := newTreeHasher(cs, 1)
			l, r := []byte("left"), bytes.Repeat([]byte{7}, 32)
			leaf := got.HashLeaf(l)
			node := got.HashChildren(leaf, r)
			if !bytes.Equal(leaf, want.HashLeaf(l)) || !bytes.Equal(node, want.HashChildren(want.HashLeaf(l), r)) ||
				!bytes.Equal(got.EmptyRoot(), want.EmptyRoot()) || got.Size() != want.Size() {
				t.Fatal("the reused hasher differs from the suite's")
			}
			// Earlier results are not overwritten by later ones.
			if !bytes.Equal(leaf, want.HashLeaf(l)) {
				t.Fatal("a later hash overwrote an earlier result")
			}
		})
	}
}
