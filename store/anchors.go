package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The registry of outside logs a court network accepts anchors of, and
// the anchors themselves: replicated state, written by the ledger's
// blocks (the ledger's JSON encodings).
const (
	// keyOutsideLogs holds the registry: its version, its running digest
	// and every registered log.
	keyOutsideLogs = "L"
	// prefixAnchor keys each anchored checkpoint by outside origin and
	// tree size: length of the origin (2 bytes), origin, size.
	prefixAnchor = 'G'
)

// OutsideLogs returns the registry of outside logs, or ErrNotFound before
// the first outside-log change.
func (s *Store) OutsideLogs() ([]byte, error) { return s.get([]byte(keyOutsideLogs)) }

// PutOutsideLogs records the registry of outside logs.
func (b *Batch) PutOutsideLogs(record []byte) { b.set([]byte(keyOutsideLogs), record) }

func anchorKey(origin string, size uint64) []byte {
	return key(prefixAnchor, binary.BigEndian.AppendUint16(nil, uint16(len(origin))), []byte(origin), u64(size))
}

// PutAnchor records the anchored checkpoint of an outside log of a size.
func (b *Batch) PutAnchor(origin string, size uint64, record []byte) {
	b.set(anchorKey(origin, size), record)
}

// Anchor returns the anchored checkpoint of an outside log of a size.
func (s *Store) Anchor(origin string, size uint64) ([]byte, error) {
	return s.get(anchorKey(origin, size))
}

// AnchorAtLeast returns the anchored checkpoint of an outside log with the
// smallest size not below size, or ErrNotFound.
func (s *Store) AnchorAtLeast(origin string, size uint64) ([]byte, error) {
	lo := anchorKey(origin, size)
	hi := append(anchorKey(origin, 0)[:len(lo)-8], bytes.Repeat([]byte{0xff}, 9)...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	if !it.First() {
		if err := it.Error(); err != nil {
			return nil, fmt.Errorf("reading state database: %w", err)
		}
		return nil, ErrNotFound
	}
	return bytes.Clone(it.Value()), nil
}
