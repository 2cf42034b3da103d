package ledger

import (
	"bytes"
	"testing"
	"time"
)

// TestBlockRecordRoundTrip checks that a block record reads back as it
// was written, and that a truncated or extended one is refused.
func TestBlockRecordRoundTrip(t *testing.T) {
	tests := []Block{
		{Height: 1, Time: time.Date(2026, 5, 1, 9, 30, 0, 123, time.UTC)},
		{Height: 7, Time: time.Unix(0, 1).UTC(), Txs: 3, Deposits: 10_000, Ordered: 200, TreeSize: 1 << 40, FinalSize: 1<<40 - 5,
			Finalized: true, AppHash: bytes.Repeat([]byte{0xab}, 32), Signers: []string{"hangzhou-internet-court", "xuhui-notary"}},
	}
	for _, blk := range tests {
		rec := blk.encode()
		got, err := decodeBlock(blk.Height, rec)
		if err != nil {
			t.Fatalf("block %d: %v", blk.Height, err)
		}
		if !bytes.Equal(got.encode(), rec) || !got.Time.Equal(blk.Time) || got.TreeSize != blk.TreeSize || len(got.Signers) != len(blk.Signers) {
			t.Fatalf("block %d read back as %+v", blk.Height, got)
		}
		for _, bad := range [][]byte{rec[:len(rec)-1], append(bytes.Clone(rec), 0), nil, {2}} {
			if _, err := decodeBlock(blk.Height, bad); err == nil {
				t.Errorf("block %d: a damaged record %x was read", blk.Height, bad)
			}
		}
	}
}

// FuzzDecodeBlock checks that any bytes either read as a block record
// that encodes back to them, or are refused; never a panic.
func FuzzDecodeBlock(f *testing.F) {
	f.Add((&Block{Time: time.Unix(1, 0)}).encode())
	f.Add((&Block{Txs: 2, Deposits: 3, AppHash: []byte{1, 2}, Signers: []string{"a", "bc"}}).encode())
	f.Fuzz(func(t *testing.T, rec []byte) {
		blk, err := decodeBlock(9, rec)
		if err != nil {
			return
		}
		if !bytes.Equal(blk.encode(), rec) {
			t.Fatalf("%x read as %+v, which encodes as %x", rec, blk, blk.encode())
		}
	})
}

// FuzzReadFinal feeds signed checkpoints to the reader of final
// checkpoints: it never panics, and what it reads is in the note.
func FuzzReadFinal(f *testing.F) {
	f.Add([]byte("log.example\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— log.example AAAAAQ==\n— court AAAAAQAAAABpZmZ0eHg=\n"))
	f.Add([]byte("log.example\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— court AAAAAgAAAAAAAAAAAAAA\n"))
	known := func(name string, hash uint32) (string, bool) { return "institution of " + name, hash == 1 }
	f.Fuzz(func(t *testing.T, signed []byte) {
		fc, err := readFinal("log.example", signed, known)
		if err != nil {
			return
		}
		if !bytes.Equal(fc.Note, signed) {
			t.Fatal("the note read is not the one given")
		}
		for _, c := range fc.Cosignatures {
			if !bytes.Contains(signed, []byte("— "+c.Institution[len("institution of "):]+" ")) {
				t.Fatalf("cosignature of %q read from %q", c.Institution, signed)
			}
		}
	})
}
