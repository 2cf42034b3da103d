package tlog_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/jurichain/jurichain/tlog"
)

// memLog keeps tile-level hashes the way the ledger does, in memory.
type memLog struct {
	rng    *compact.Range
	hashes map[[2]uint64][]byte
}

func newMemLog() *memLog {
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	return &memLog{rng: rf.NewEmptyRange(0), hashes: map[[2]uint64][]byte{}}
}

func (m *memLog) append(t testing.TB, leaf []byte) {
	err := m.rng.Append(rfc6962.DefaultHasher.HashLeaf(leaf), func(id compact.NodeID, h []byte) {
		if tl, ok := tlog.StoredLevel(id.Level); ok {
			m.hashes[[2]uint64{uint64(tl), id.Index}] = h
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (m *memLog) ReadHashes(tl uint8, start, end uint64) ([][]byte, error) {
	out := make([][]byte, 0, end-start)
	for i := start; i < end; i++ {
		h, ok := m.hashes[[2]uint64{uint64(tl), i}]
		if !ok {
			return nil, fmt.Errorf("hash %d/%d not stored", tl, i)
		}
		out = append(out, h)
	}
	return out, nil
}

func TestRFC6962Vectors(t *testing.T) {
	m := newMemLog()
	for i, leaf := range testonly.LeafInputs() {
		m.append(t, leaf)
		root, err := m.rng.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := testonly.RootHashes()[i+1]; !bytes.Equal(root, want) {
			t.Fatalf("root of size %d = %x, want %x", i+1, root, want)
		}
	}
}

// TestProofsMatchReference compares proofs computed from tile-level hashes
// with the reference tree, across tile boundaries (256 and 65536 leaves).
func TestProofsMatchReference(t *testing.T) {
	h := rfc6962.DefaultHasher
	ref := testonly.New(h)
	m := newMemLog()
	sizes := map[uint64]bool{}
	for _, s := range []uint64{1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 1000, 65535, 65536, 65537, 70000} {
		sizes[s] = true
	}
	for n := uint64(1); n <= 70000; n++ {
		leaf := binary.BigEndian.AppendUint64(nil, n)
		ref.AppendData(leaf)
		m.append(t, leaf)
		if !sizes[n] {
			continue
		}
		for _, idx := range []uint64{0, n / 3, n / 2, n - 1} {
			got, err := tlog.InclusionProof(h, m, idx, n)
			if err != nil {
				t.Fatalf("inclusion %d in %d: %v", idx, n, err)
			}
			want, err := ref.InclusionProof(idx, n)
			if err != nil {
				t.Fatal(err)
			}
			if !equalHashes(got, want) {
				t.Fatalf("inclusion proof of %d in %d differs from the reference", idx, n)
			}
			if err := proof.VerifyInclusion(h, idx, n, h.HashLeaf(binary.BigEndian.AppendUint64(nil, idx+1)), got, ref.HashAt(n)); err != nil {
				t.Fatalf("inclusion proof of %d in %d does not verify: %v", idx, n, err)
			}
		}
		for _, from := range []uint64{1, n / 2, n - 1, n} {
			if from == 0 {
				continue
			}
			got, err := tlog.ConsistencyProof(h, m, from, n)
			if err != nil {
				t.Fatalf("consistency %d..%d: %v", from, n, err)
			}
			want, err := ref.ConsistencyProof(from, n)
			if err != nil {
				t.Fatal(err)
			}
			if !equalHashes(got, want) {
				t.Fatalf("consistency proof %d..%d differs from the reference", from, n)
			}
		}
	}
}

func equalHashes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestTilePaths(t *testing.T) {
	tests := []struct {
		tile    tlog.Tile
		entries bool
		path    string
	}{
		{tlog.Tile{Level: 0, Index: 0, Width: 256}, false, "tile/0/000"},
		{tlog.Tile{Level: 1, Index: 1234067, Width: 256}, false, "tile/1/x001/x234/067"},
		{tlog.Tile{Level: 0, Index: 5, Width: 17}, true, "tile/entries/005.p/17"},
		{tlog.Tile{Level: 2, Index: 1000, Width: 255}, false, "tile/2/x001/000.p/255"},
		// The last tiles of a 2**64-leaf tree.
		{tlog.Tile{Level: 0, Index: 1<<56 - 1, Width: 256}, false, "tile/0/x072/x057/x594/x037/x927/935"},
		{tlog.Tile{Level: 7, Index: 0, Width: 256}, false, "tile/7/000"},
	}
	for _, tc := range tests {
		if got := tc.tile.Path(tc.entries); got != tc.path {
			t.Errorf("%+v: path %q, want %q", tc.tile, got, tc.path)
		}
		back, entries, err := tlog.ParseTilePath(tc.path)
		if err != nil || back != tc.tile || entries != tc.entries {
			t.Errorf("parse %q = %+v %v %v", tc.path, back, entries, err)
		}
	}
	for _, bad := range []string{"tile/0/1", "tile/0/x000/001", "tile/0/001.p/0", "tile/0/001.p/256", "tile/0/001.p/017", "tile/9/000", "tile/entries/00a", "tile/0/001/", "tile//000", "checkpoint", "tile/0/x1000/000",
		// Index*256 overflows 64 bits, or the tile lies past a 2**64-leaf
		// tree: 2**56 at level 0, 2**48 at level 1, 1 at level 7.
		"tile/0/x072/x057/x594/x037/x927/936", "tile/entries/x072/x057/x594/x037/x927/936",
		"tile/0/x018/x446/x744/x073/x709/x551/615", "tile/1/x281/x474/x976/x710/656", "tile/7/001",
		"tile/0/x018/x446/x744/x073/x709/x551/999"} {
		if _, _, err := tlog.ParseTilePath(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestEntryBundle(t *testing.T) {
	var b []byte
	entries := [][]byte{{}, []byte("a"), bytes.Repeat([]byte{1}, 300)}
	for _, e := range entries {
		b = tlog.AppendEntryBundle(b, e)
	}
	got, err := tlog.ParseEntryBundle(b)
	if err != nil || !equalHashes(got, entries) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := tlog.ParseEntryBundle(b[:len(b)-1]); err == nil {
		t.Fatal("accepted a truncated bundle")
	}
}

// TestConsistencyFromTheEmptyTree: every tree extends the empty one, with
// an empty proof, although the merkle package refuses to make or check
// that proof; a wrong empty root or a non-empty proof is refused.
func TestConsistencyFromTheEmptyTree(t *testing.T) {
	h := rfc6962.DefaultHasher
	m := newMemLog()
	for i := range 5 {
		m.append(t, []byte{byte(i)})
	}
	p, err := tlog.ConsistencyProof(h, m, 0, 5)
	if err != nil || len(p) != 0 {
		t.Fatalf("proof from 0: %x, %v; want an empty proof", p, err)
	}
	root5, err := m.rng.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		size1, size2 uint64
		proof        [][]byte
		root1, root2 []byte
		ok           bool
	}{
		{"empty to five", 0, 5, nil, h.EmptyRoot(), root5, true},
		{"empty to empty", 0, 0, nil, h.EmptyRoot(), h.EmptyRoot(), true},
		{"another empty root", 0, 5, nil, root5, root5, false},
		{"a proof from empty", 0, 5, [][]byte{root5}, h.EmptyRoot(), root5, false},
		{"empty roots differ", 0, 0, nil, h.EmptyRoot(), root5, false},
	} {
		err := tlog.VerifyConsistency(h, tc.size1, tc.size2, tc.proof, tc.root1, tc.root2)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
