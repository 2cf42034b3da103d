package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func leaf(i int) []byte {
	return []byte(fmt.Sprintf("leaf number %d %s", i, bytes.Repeat([]byte{'x'}, i%7)))
}

func hash(level, i int) []byte { return bytes.Repeat([]byte{byte(level*31 + i)}, 32) }

// putBlock stages leaves [from, to) with level-0 hashes and the state.
func putBlock(s *Store, from, to int) *Batch {
	b := s.NewBatch()
	for i := from; i < to; i++ {
		b.PutLeaf(uint64(i), leaf(i))
		b.PutHash(0, uint64(i), hash(0, i))
	}
	b.PutState(State{Height: uint64(to), Size: uint64(to)})
	return b
}

func TestLogSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	for _, r := range [][2]int{{0, 3}, {3, 300}} {
		if err := putBlock(s, r[0], r[1]).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	got, err := s.Leaves(0, 300)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range got {
		if !bytes.Equal(l, leaf(i)) {
			t.Fatalf("leaf %d = %q", i, l)
		}
	}
	one, err := s.Leaf(257)
	if err != nil || !bytes.Equal(one, leaf(257)) {
		t.Fatalf("leaf 257 = %q %v", one, err)
	}
	hs, err := s.ReadHashes(0, 255, 258)
	if err != nil || !bytes.Equal(hs[2], hash(0, 257)) {
		t.Fatalf("hashes: %v", err)
	}
	if _, err := s.Leaf(300); !errors.Is(err, ErrNotFound) {
		t.Fatalf("leaf beyond the log: %v", err)
	}
}

// TestCrashBeforeStateCommitLeavesNoTrace writes a block's log files but
// not its Pebble batch, as a crash between the two would, and checks the
// reopened store is exactly the committed one and takes the block again.
func TestCrashBeforeStateCommitLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := putBlock(s, 0, 10).Commit(); err != nil {
		t.Fatal(err)
	}
	b := putBlock(s, 10, 20)
	if err := s.log.appendBlock(b.first, b.leaves, &b.hashes); err != nil {
		t.Fatal(err)
	}
	b.b.Close() // the process dies here
	s.Close()

	s = open(t, dir)
	st, err := s.LoadState()
	if err != nil || st.Size != 10 {
		t.Fatalf("state after crash: %+v %v", st, err)
	}
	if _, err := s.Leaf(10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a leaf of the uncommitted block is readable: %v", err)
	}
	if _, err := s.ReadHashes(0, 10, 11); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a hash of the uncommitted block is readable: %v", err)
	}
	// The replayed block, with different bytes this time, lands cleanly.
	b = s.NewBatch()
	b.PutLeaf(10, []byte("replayed"))
	b.PutState(State{Height: 11, Size: 11})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	got, err := s.Leaves(9, 11)
	if err != nil || !bytes.Equal(got[0], leaf(9)) || string(got[1]) != "replayed" {
		t.Fatalf("after replay: %q %v", got, err)
	}
}

func TestLeavesOutOfOrderPanics(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a leaf put out of order")
		}
	}()
	b := s.NewBatch()
	b.PutLeaf(0, []byte("a"))
	b.PutLeaf(2, []byte("c"))
}

func TestOpeningsSurviveCommitAndReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ids := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	ops := [][]byte{[]byte("first opening"), []byte("second, longer opening")}
	if err := s.PutOpenings(ids, ops); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOpenings(ids[:1], [][]byte{[]byte("replaced")}); err != nil {
		t.Fatal(err)
	}
	if err := putBlock(s, 0, 1).Commit(); err != nil { // syncs the openings
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	for i, want := range [][]byte{[]byte("replaced"), ops[1]} {
		got, err := s.Opening(ids[i])
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("opening %d = %q %v, want %q", i, got, err, want)
		}
	}
	if _, err := s.Opening(bytes.Repeat([]byte{3}, 32)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown opening: %v", err)
	}
}

func TestByContentPages(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	sum, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	b := putBlock(s, 0, 6)
	for i := range 6 {
		digest := sum
		if i%2 == 1 {
			digest = other
		}
		b.PutDeposit([]byte{byte(i)}, digest, []byte("depositor"), uint64(i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from  uint64
		limit int
		want  []uint64
	}{
		{0, 10, []uint64{0, 2, 4}},
		{0, 2, []uint64{0, 2}},
		{1, 2, []uint64{2, 4}},
		{3, 10, []uint64{4}},
		{5, 10, nil},
		{1<<64 - 1, 10, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("from %d limit %d", tc.from, tc.limit), func(t *testing.T) {
			got, err := s.ByContent(sum, tc.from, tc.limit)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}
