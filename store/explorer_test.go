package store

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestBlocksAndFinalsNewestFirst pages through block records and final
// checkpoints from the newest down, and drops the oldest block records.
func TestBlocksAndFinalsNewestFirst(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	b := s.NewBatch()
	for h := uint64(1); h <= 10; h++ {
		b.PutBlock(h, []byte(fmt.Sprint("block ", h)))
		b.PutFinal(h*100, []byte(fmt.Sprint("final ", h*100)))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	heights := func(before uint64, limit int, stopAt uint64) []uint64 {
		t.Helper()
		var out []uint64
		err := s.Blocks(before, limit, func(h uint64, rec []byte) bool {
			if string(rec) != fmt.Sprint("block ", h) {
				t.Fatalf("block %d holds %q", h, rec)
			}
			out = append(out, h)
			return h != stopAt
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		before uint64
		limit  int
		stopAt uint64
		want   []uint64
	}{
		{math.MaxUint64, 3, 0, []uint64{10, 9, 8}},
		{8, 100, 0, []uint64{7, 6, 5, 4, 3, 2, 1}},
		{8, 100, 5, []uint64{7, 6, 5}},
		{1, 100, 0, nil},
		{0, 100, 0, nil},
		{5, 0, 0, nil},
	}
	for _, tc := range tests {
		if got := heights(tc.before, tc.limit, tc.stopAt); !slices.Equal(got, tc.want) {
			t.Errorf("blocks before %d, %d at most, stopping at %d: %v, want %v", tc.before, tc.limit, tc.stopAt, got, tc.want)
		}
	}
	var sizes []uint64
	if err := s.Finals(1000, 2, func(size uint64, note []byte) bool {
		if string(note) != fmt.Sprint("final ", size) {
			t.Fatalf("final %d holds %q", size, note)
		}
		sizes = append(sizes, size)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []uint64{900, 800}) {
		t.Fatalf("finals below 1000: %v", sizes)
	}

	b = s.NewBatch()
	b.DeleteBlocksBefore(8)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := heights(math.MaxUint64, 100, 0); !slices.Equal(got, []uint64{10, 9, 8}) {
		t.Fatalf("after dropping the blocks before 8: %v", got)
	}
}
