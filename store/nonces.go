package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// prefixNonce keys the nonces of the signed API requests this node
// accepted (node-local): creation time, keyid length and keyid, nonce.
// The time comes first so that old nonces are one range to delete.
const prefixNonce = 'N'

func nonceKey(keyID string, nonce []byte, created time.Time) []byte {
	k := key(prefixNonce, u64(uint64(created.Unix())))
	k = binary.BigEndian.AppendUint16(k, uint16(len(keyID)))
	return append(append(k, keyID...), nonce...)
}

// SaveNonce records that keyID used nonce in a signed request created at
// created, so that the request is refused as a replay after a restart too.
// The write is not synced: a synced write per request tripled the API's
// latency under load (BENCHMARKS.md). A crash may lose the last
// milliseconds of nonces; the verifier refuses requests created before
// the node started (httpsig.Config.NotBefore), which covers them. keyID
// is at most 65535 bytes.
func (s *Store) SaveNonce(keyID string, nonce []byte, created time.Time) error {
	if len(keyID) > 1<<16-1 || created.Unix() < 0 {
		return fmt.Errorf("saving a request nonce: keyid of %d bytes, created %s", len(keyID), created)
	}
	if err := s.db.Set(nonceKey(keyID, nonce, created), nil, pebble.NoSync); err != nil {
		return fmt.Errorf("saving a request nonce: %w", err)
	}
	return nil
}

// LoadNonces calls fn with every nonce saved of a request created at or
// after since.
func (s *Store) LoadNonces(since time.Time, fn func(keyID string, nonce []byte, created time.Time)) error {
	lo := key(prefixNonce, u64(uint64(max(since.Unix(), 0))))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: []byte{prefixNonce + 1}})
	if err != nil {
		return fmt.Errorf("reading request nonces: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[1:]
		if len(k) < 10 || len(k) < 10+int(binary.BigEndian.Uint16(k[8:])) {
			return errors.New("reading request nonces: a corrupt record")
		}
		n := int(binary.BigEndian.Uint16(k[8:]))
		created := time.Unix(int64(binary.BigEndian.Uint64(k)), 0)
		fn(string(k[10:10+n]), append([]byte(nil), k[10+n:]...), created)
	}
	return it.Error()
}

// PruneNonces deletes the nonces of requests created before before.
func (s *Store) PruneNonces(before time.Time) error {
	if before.Unix() <= 0 {
		return nil
	}
	if err := s.db.DeleteRange([]byte{prefixNonce}, key(prefixNonce, u64(uint64(before.Unix()))), pebble.NoSync); err != nil {
		return fmt.Errorf("deleting old request nonces: %w", err)
	}
	return nil
}
