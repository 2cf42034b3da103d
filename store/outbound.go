package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// prefixOutbound keys what this node learned anchoring its network's
// checkpoints into upstream networks (node-local, not in the app hash):
//
//	U a <size> <court origin>  -> the anchor (api.Anchor JSON)
//	U l <court origin>         -> count of anchors in that court, then the latest anchor
//
// Anchors are keyed by the anchored size first, so the anchor covering a
// receipt is one seek and the listing, newest first, one reverse walk.
const prefixOutbound = 'U'

const (
	outboundAnchor = 'a'
	outboundLatest = 'l'
)

// PutOutboundAnchor records, synced, an anchor of this network's
// checkpoint of the given size in the court network court, and makes it
// that court's latest when it is larger. Storing the same anchor again
// changes nothing. Callers serialize their writes per court.
func (s *Store) PutOutboundAnchor(court string, size uint64, record []byte) error {
	if court == "" || len(court) > 1<<10 {
		return fmt.Errorf("storing an anchor: court origin of %d bytes", len(court))
	}
	k := key(prefixOutbound, []byte{outboundAnchor}, u64(size), []byte(court))
	if _, err := s.get(k); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	count, latestSize, latestRecord, err := s.LatestOutboundAnchor(court)
	first := errors.Is(err, ErrNotFound)
	if err != nil && !first {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(k, record, nil); err != nil {
		return fmt.Errorf("storing an anchor: %w", err)
	}
	latest := binary.BigEndian.AppendUint64(nil, count+1)
	if first || size > latestSize {
		latestSize, latestRecord = size, record
	}
	latest = binary.BigEndian.AppendUint64(latest, latestSize)
	latest = append(latest, latestRecord...)
	if err := b.Set(key(prefixOutbound, []byte{outboundLatest}, []byte(court)), latest, nil); err != nil {
		return fmt.Errorf("storing an anchor: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("storing an anchor: %w", err)
	}
	return nil
}

// LatestOutboundAnchor returns how many anchors this node stored of the
// court network court, and the one of the largest size; ErrNotFound when
// there is none.
func (s *Store) LatestOutboundAnchor(court string) (count, size uint64, record []byte, err error) {
	v, err := s.get(key(prefixOutbound, []byte{outboundLatest}, []byte(court)))
	if err != nil {
		return 0, 0, nil, err
	}
	if len(v) < 16 {
		return 0, 0, nil, errors.New("reading anchors: a corrupt record")
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), v[16:], nil
}

// OutboundAnchors calls fn with the stored anchors of checkpoints smaller
// than before, largest first, at most limit of them; fn returning false
// stops early.
func (s *Store) OutboundAnchors(before uint64, limit int, fn func(size uint64, court string, record []byte) bool) error {
	if limit <= 0 || before == 0 {
		return nil
	}
	lo := key(prefixOutbound, []byte{outboundAnchor})
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: key(prefixOutbound, []byte{outboundAnchor}, u64(before))})
	if err != nil {
		return fmt.Errorf("reading anchors: %w", err)
	}
	defer it.Close()
	for ok := it.Last(); ok && limit > 0; ok = it.Prev() {
		size, court, err := outboundKey(it.Key())
		if err != nil {
			return err
		}
		if !fn(size, court, bytes.Clone(it.Value())) {
			return nil
		}
		limit--
	}
	return it.Error()
}

// OutboundAnchorCovering returns the stored anchor of the smallest
// checkpoint of at least size (the first court's, by origin, among
// anchors of the same size); ErrNotFound when none covers it.
func (s *Store) OutboundAnchorCovering(size uint64) (anchored uint64, court string, record []byte, err error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: key(prefixOutbound, []byte{outboundAnchor}, u64(size)), UpperBound: key(prefixOutbound, []byte{outboundAnchor + 1})})
	if err != nil {
		return 0, "", nil, fmt.Errorf("reading anchors: %w", err)
	}
	defer it.Close()
	if !it.First() {
		if err := it.Error(); err != nil {
			return 0, "", nil, fmt.Errorf("reading anchors: %w", err)
		}
		return 0, "", nil, ErrNotFound
	}
	anchored, court, err = outboundKey(it.Key())
	if err != nil {
		return 0, "", nil, err
	}
	return anchored, court, bytes.Clone(it.Value()), nil
}

func outboundKey(k []byte) (size uint64, court string, err error) {
	if len(k) < 2+8+1 {
		return 0, "", errors.New("reading anchors: a corrupt key")
	}
	return binary.BigEndian.Uint64(k[2:]), string(k[10:]), nil
}
