package ledger

import (
	"encoding/binary"
	"sync"

	"github.com/jurichain/jurichain/suite"
)

// idFilter is an in-memory Bloom filter of every deposit id in the log.
// Nearly every deposit is new, so the id lookups made on submission and in
// FinalizeBlock almost always miss; the filter answers those misses without
// touching the store, and only a "maybe" goes on to read it.
//
// Deposit ids are hashes, so the probes are simply 32-bit windows of the
// id. The filter grows in segments of segmentIDs ids, 16 bits per id
// (about 0.05% false positives), and is rebuilt from the store on start.
type idFilter struct {
	mu       sync.RWMutex
	segments [][]uint64
	inLast   int // ids added to the last segment
}

const (
	segmentIDs   = 1 << 20
	segmentWords = segmentIDs * 16 / 64
	probes       = 8
)

func (f *idFilter) add(id [suite.HashSize]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.segments) == 0 || f.inLast == segmentIDs {
		f.segments = append(f.segments, make([]uint64, segmentWords))
		f.inLast = 0
	}
	seg := f.segments[len(f.segments)-1]
	for i := range probes {
		bit := binary.LittleEndian.Uint32(id[4*i:]) % (segmentWords * 64)
		seg[bit/64] |= 1 << (bit % 64)
	}
	f.inLast++
}

// mayContain reports false only for an id that was never added.
func (f *idFilter) mayContain(id [suite.HashSize]byte) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
next:
	for _, seg := range f.segments {
		for i := range probes {
			bit := binary.LittleEndian.Uint32(id[4*i:]) % (segmentWords * 64)
			if seg[bit/64]&(1<<(bit%64)) == 0 {
				continue next
			}
		}
		return true
	}
	return false
}
