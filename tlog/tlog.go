// Package tlog is the storage-independent part of the transparency log:
// C2SP tlog-tiles paths and entry bundles, and inclusion and consistency
// proofs computed from the hashes a log stores at tile levels.
//
// A log keeps only the hashes of tree levels 0, 8, 16, ... (the levels
// tiles are made of); every other node is recomputed from at most 128 of
// them. Tree math itself comes from github.com/transparency-dev/merkle.
// The package is pure: storage enters through HashReader.
package tlog

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/proof"
)

// TileHeight is the number of tree levels a tile spans; TileWidth the
// number of hashes (or entries) in a full tile.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// HashReader reads stored hashes. ReadHashes returns the hashes of the
// nodes at tree level tileLevel*TileHeight with indexes [start, end), or an
// error if any of them is not stored.
type HashReader interface {
	ReadHashes(tileLevel uint8, start, end uint64) ([][]byte, error)
}

// StoredLevel reports whether the hashes of tree level are kept, and at
// which tile level.
func StoredLevel(level uint) (tileLevel uint8, ok bool) {
	return uint8(level / TileHeight), level%TileHeight == 0
}

// NodeHash returns the hash of the perfect subtree at tree level and index,
// which must lie inside the stored tree.
func NodeHash(h merkle.LogHasher, r HashReader, level uint, index uint64) ([]byte, error) {
	tileLevel, rest := uint8(level/TileHeight), level%TileHeight
	hashes, err := r.ReadHashes(tileLevel, index<<rest, (index+1)<<rest)
	if err != nil {
		return nil, err
	}
	for len(hashes) > 1 {
		for i := 0; i < len(hashes)/2; i++ {
			hashes[i] = h.HashChildren(hashes[2*i], hashes[2*i+1])
		}
		hashes = hashes[:len(hashes)/2]
	}
	return hashes[0], nil
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the
// tree of the given size.
func InclusionProof(h merkle.LogHasher, r HashReader, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	return fetch(h, r, nodes)
}

// ConsistencyProof returns the RFC 6962 consistency proof between two tree
// sizes. From the empty tree it is empty: every tree extends it (the
// merkle package refuses to make that proof).
func ConsistencyProof(h merkle.LogHasher, r HashReader, size1, size2 uint64) ([][]byte, error) {
	if size1 == 0 && size2 > 0 {
		return [][]byte{}, nil
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", size1, size2, err)
	}
	return fetch(h, r, nodes)
}

// VerifyConsistency checks an RFC 6962 consistency proof from a tree of
// size1 with root1 to one of size2 with root2, as the merkle package does,
// and also from the empty tree, which it refuses: then root1 must be the
// empty tree's root and the proof empty.
func VerifyConsistency(h merkle.LogHasher, size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	if size1 == 0 {
		switch {
		case size2 == 0 && !bytes.Equal(root1, root2):
			return errors.New("two empty trees with different roots")
		case !bytes.Equal(root1, h.EmptyRoot()):
			return errors.New("a tree of size 0 whose root is not the empty tree's")
		case len(p) != 0:
			return errors.New("a consistency proof from the empty tree must be empty")
		}
		return nil
	}
	return proof.VerifyConsistency(h, size1, size2, p, root1, root2)
}

func fetch(h merkle.LogHasher, r HashReader, nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		v, err := NodeHash(h, r, id.Level, id.Index)
		if err != nil {
			return nil, err
		}
		hashes[i] = v
	}
	return nodes.Rehash(hashes, h.HashChildren)
}

// Tile names one tile: its level, its index among the tiles of that level,
// and its width (TileWidth for a full tile).
type Tile struct {
	Level uint8
	Index uint64
	Width int
}

// ErrBadPath is returned for a path that is not a tlog-tiles tile path.
var ErrBadPath = errors.New("not a tlog-tiles path")

// maxTileLevel keeps level*TileHeight within a 64-bit tree.
const maxTileLevel = 63 / TileHeight

// Path returns the tile's path below the log prefix: "tile/L/N[.p/W]", or
// "tile/entries/N[.p/W]" for entries when entries is true.
func (t Tile) Path(entries bool) string {
	kind := strconv.Itoa(int(t.Level))
	if entries {
		kind = "entries"
	}
	p := "tile/" + kind + "/" + formatIndex(t.Index)
	if t.Width < TileWidth {
		p += ".p/" + strconv.Itoa(t.Width)
	}
	return p
}

// ParseTilePath parses a path made by Tile.Path. It reports entries when the
// path names an entry bundle. Only the canonical spelling is accepted.
func ParseTilePath(path string) (t Tile, entries bool, err error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return Tile{}, false, ErrBadPath
	}
	kind, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return Tile{}, false, ErrBadPath
	}
	if kind == "entries" {
		entries = true
	} else {
		l, err := strconv.ParseUint(kind, 10, 8)
		if err != nil || l > maxTileLevel {
			return Tile{}, false, ErrBadPath
		}
		t.Level = uint8(l)
	}
	t.Width = TileWidth
	if i := strings.Index(rest, ".p/"); i >= 0 {
		w, err := strconv.Atoi(rest[i+3:])
		if err != nil || w < 1 || w >= TileWidth {
			return Tile{}, false, ErrBadPath
		}
		t.Width, rest = w, rest[:i]
	}
	if t.Index, err = parseIndex(rest); err != nil {
		return Tile{}, false, err
	}
	// A tile past the largest 64-bit tree does not exist, and its first
	// node index, Index*TileWidth, would not fit in 64 bits.
	if t.Index >= maxTiles(t.Level) {
		return Tile{}, false, ErrBadPath
	}
	if t.Path(entries) != path {
		return Tile{}, false, ErrBadPath
	}
	return t, entries, nil
}

// maxTiles is the number of tiles of a level in a tree of 2**64 leaves:
// each covers TileWidth nodes of tree level level*TileHeight, of which
// there are 2**(64-level*TileHeight).
func maxTiles(level uint8) uint64 {
	return 1 << (64 - TileHeight - uint(level)*TileHeight)
}

// formatIndex writes n as 3-digit path elements, all but the last prefixed
// with "x", as tlog-tiles requires.
func formatIndex(n uint64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

func parseIndex(s string) (uint64, error) {
	parts := strings.Split(s, "/")
	var n uint64
	for i, p := range parts {
		if i < len(parts)-1 {
			var ok bool
			if p, ok = strings.CutPrefix(p, "x"); !ok {
				return 0, ErrBadPath
			}
		}
		if len(p) != 3 {
			return 0, ErrBadPath
		}
		d, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n > (1<<64-1-d)/1000 {
			return 0, ErrBadPath
		}
		n = n*1000 + d
	}
	return n, nil
}

// AppendEntryBundle appends entry to a tlog-tiles entry bundle: a 2-byte
// big-endian length, then the entry.
func AppendEntryBundle(bundle, entry []byte) []byte {
	return append(append(bundle, byte(len(entry)>>8), byte(len(entry))), entry...)
}

// ParseEntryBundle splits an entry bundle into its entries.
func ParseEntryBundle(bundle []byte) ([][]byte, error) {
	var entries [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, errors.New("entry bundle: truncated length")
		}
		n := int(bundle[0])<<8 | int(bundle[1])
		if len(bundle) < 2+n {
			return nil, errors.New("entry bundle: truncated entry")
		}
		entries = append(entries, bundle[2:2+n:2+n])
		bundle = bundle[2+n:]
	}
	if len(entries) > TileWidth {
		return nil, fmt.Errorf("entry bundle: %d entries, at most %d", len(entries), TileWidth)
	}
	return entries, nil
}
