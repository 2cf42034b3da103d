package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// prefixBlock keys the node's record of each committed block (the
// ledger's encoding), which the ledger explorer lists. It is this node's
// own bookkeeping, not part of the replicated state.
const prefixBlock = 'B'

// PutBlock records a committed block under its height.
func (b *Batch) PutBlock(height uint64, record []byte) {
	b.set(key(prefixBlock, u64(height)), record)
}

// DeleteBlocksBefore drops the records of the blocks below height: the
// explorer keeps a bounded history.
func (b *Batch) DeleteBlocksBefore(height uint64) {
	if err := b.b.DeleteRange(key(prefixBlock), key(prefixBlock, u64(height)), nil); err != nil {
		panic(fmt.Sprintf("store: writing to a closed batch: %v", err))
	}
}

// Blocks calls fn with the records of the blocks below height before,
// newest first, at most limit of them; fn returning false stops early.
func (s *Store) Blocks(before uint64, limit int, fn func(height uint64, record []byte) bool) error {
	return s.reverse(prefixBlock, before, limit, fn)
}

// Finals calls fn with the quorum-cosigned checkpoints of tree sizes
// below before, largest first, at most limit of them; fn returning false
// stops early.
func (s *Store) Finals(before uint64, limit int, fn func(size uint64, note []byte) bool) error {
	return s.reverse(prefixFinal, before, limit, fn)
}

// reverse walks the records of a prefix keyed by a big-endian number,
// from the largest number below before down.
func (s *Store) reverse(prefix byte, before uint64, limit int, fn func(n uint64, v []byte) bool) error {
	if limit <= 0 || before == 0 {
		return nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix}, UpperBound: key(prefix, u64(before))})
	if err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	n := 0
	for ok := it.Last(); ok && n < limit; ok = it.Prev() {
		k := it.Key()
		if len(k) != 9 {
			return fmt.Errorf("reading state database: a malformed key under prefix %q", prefix)
		}
		n++
		if !fn(binary.BigEndian.Uint64(k[1:]), bytes.Clone(it.Value())) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	return nil
}
