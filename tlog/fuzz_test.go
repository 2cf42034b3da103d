package tlog_test

import (
	"bytes"
	"math/bits"
	"testing"

	"github.com/jurichain/jurichain/tlog"
)

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/1/x001/x234/067", "tile/entries/005.p/17", "tile/0/x072/x057/x594/x037/x927/936"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tile, entries, err := tlog.ParseTilePath(p)
		if err != nil {
			return
		}
		if got := tile.Path(entries); got != p {
			t.Fatalf("accepted %q, which formats as %q", p, got)
		}
		// The first leaf the tile covers, Index << 8*(Level+1), fits in
		// 64 bits.
		if bits.Len64(tile.Index)+tlog.TileHeight*(int(tile.Level)+1) > 64 {
			t.Fatalf("accepted %q, a tile past a 64-bit tree", p)
		}
	})
}

func FuzzParseEntryBundle(f *testing.F) {
	f.Add(tlog.AppendEntryBundle(tlog.AppendEntryBundle(nil, []byte("a")), []byte("bc")))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := tlog.ParseEntryBundle(b)
		if err != nil {
			return
		}
		var again []byte
		for _, e := range entries {
			again = tlog.AppendEntryBundle(again, e)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("bundle does not re-encode to its input")
		}
	})
}
