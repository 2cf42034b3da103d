package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// prefixWitness keys the node-local records of outside witnessing (package
// witness), none of them in the app hash: what this node cosigned as a
// witness of other logs, and the cosignatures outside witnesses gave it on
// this network's final checkpoints. Each node keeps its own: a witness
// cosigns the requests of each node that asks, and another node's
// cosignatures of a checkpoint are equally valid but not this node's to
// serve until it has asked.
const prefixWitness = 'w'

// Second bytes under prefixWitness.
const (
	witnessLog    = 'l' // origin -> latest checkpoint of that log this node cosigned
	witnessCosig  = 'c' // size, witness name -> cosignature lines on the final checkpoint of that size
	witnessLatest = 'n' // witness name -> size of the latest checkpoint it cosigned for this node
	witnessAll    = 'a' // size -> (empty): every witness configured then cosigned it
)

func witnessKey(kind byte, parts ...[]byte) []byte {
	return key(prefixWitness, append([][]byte{{kind}}, parts...)...)
}

// WitnessedLog returns the latest checkpoint of an outside log that this
// node cosigned as its witness, as the log signed it; ErrNotFound if none.
func (s *Store) WitnessedLog(origin string) ([]byte, error) {
	return s.get(witnessKey(witnessLog, []byte(origin)))
}

// PutWitnessedLog records, durably, the checkpoint this node cosigns as
// the witness of origin. The caller serializes the check of the previous
// one and this write (C2SP tlog-witness requires both to be atomic).
func (s *Store) PutWitnessedLog(origin string, checkpoint []byte) error {
	if err := s.db.Set(witnessKey(witnessLog, []byte(origin)), checkpoint, pebble.Sync); err != nil {
		return fmt.Errorf("saving the witnessed checkpoint of %s: %w", origin, err)
	}
	return nil
}

// PutWitnessCosignature records, durably, an outside witness's
// cosignature lines on this network's final checkpoint of size, and that
// it is the witness's latest. When all is set, every configured witness
// has now cosigned that checkpoint.
func (s *Store) PutWitnessCosignature(size uint64, witness string, lines []byte, all bool) error {
	b := s.db.NewBatch()
	defer b.Close()
	err := errors.Join(
		b.Set(witnessKey(witnessCosig, u64(size), []byte(witness)), lines, nil),
		b.Set(witnessKey(witnessLatest, []byte(witness)), u64(size), nil))
	if all {
		err = errors.Join(err, b.Set(witnessKey(witnessAll, u64(size)), nil, nil))
	}
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	if err != nil {
		return fmt.Errorf("saving the cosignature of witness %s: %w", witness, err)
	}
	return nil
}

// WitnessCosignatures returns the outside witnesses' cosignature lines on
// the final checkpoint of size, by witness name; nil when there are none.
func (s *Store) WitnessCosignatures(size uint64) (map[string][]byte, error) {
	lo := witnessKey(witnessCosig, u64(size))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: witnessKey(witnessCosig, u64(size+1))})
	if err != nil {
		return nil, fmt.Errorf("reading witness cosignatures: %w", err)
	}
	defer it.Close()
	var out map[string][]byte
	for ok := it.First(); ok; ok = it.Next() {
		if out == nil {
			out = map[string][]byte{}
		}
		out[string(it.Key()[len(lo):])] = bytes.Clone(it.Value())
	}
	return out, it.Error()
}

// LatestWitnessCosignature returns the size of the latest final
// checkpoint witness cosigned for this node; ErrNotFound if none.
func (s *Store) LatestWitnessCosignature(witness string) (uint64, error) {
	v, err := s.get(witnessKey(witnessLatest, []byte(witness)))
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, errors.New("corrupt witness record")
	}
	return binary.BigEndian.Uint64(v), nil
}

// LatestAllWitnessed returns the size of the latest final checkpoint that
// every witness configured at the time cosigned; ErrNotFound if none.
func (s *Store) LatestAllWitnessed() (uint64, error) {
	lo := witnessKey(witnessAll)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: witnessKey(witnessAll + 1)})
	if err != nil {
		return 0, fmt.Errorf("reading witness records: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return 0, fmt.Errorf("reading witness records: %w", err)
		}
		return 0, ErrNotFound
	}
	k := it.Key()[len(lo):]
	if len(k) != 8 {
		return 0, errors.New("corrupt witness record")
	}
	return binary.BigEndian.Uint64(k), nil
}
