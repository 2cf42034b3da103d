package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Key prefixes of the records of certificates and trusted time.
const (
	prefixCheckpointToken = 'k' // tree size (8 bytes, big-endian) -> RFC 3161 token (DER)
	prefixCertificate     = 'C' // certificate number -> Certificate
	prefixDepositCert     = 'd' // deposit id -> certificate number
)

// PutCheckpointToken keeps the RFC 3161 token the node's time-stamping
// authority gave the final checkpoint of the given tree size. The first
// token kept for a size stays: the time a certificate shows never changes.
// It returns the token now kept.
func (o *Office) PutCheckpointToken(ctx context.Context, size uint64, token []byte) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := checkpointTokenKey(size)
	old, err := o.raw(ctx, k)
	if err == nil {
		return old, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Not synced: one token per block must not cost a disk flush. A
	// token lost in a crash was used by nothing synced after it (Pebble's
	// log is written in order), and the checkpoint is stamped again.
	if err := o.db.Set(k, token, pebble.NoSync); err != nil {
		return nil, fmt.Errorf("writing the institution's records: %w", err)
	}
	return token, nil
}

// CheckpointToken returns the token of the final checkpoint of that size,
// or ErrNotFound.
func (o *Office) CheckpointToken(ctx context.Context, size uint64) ([]byte, error) {
	return o.raw(ctx, checkpointTokenKey(size))
}

// FirstCheckpointToken returns the smallest tree size of at least
// atLeast that has a token, with the token, or ErrNotFound when none has:
// the earliest trusted time that bounds a deposit at index atLeast-1.
func (o *Office) FirstCheckpointToken(ctx context.Context, atLeast uint64) (uint64, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	prefix := key(prefixCheckpointToken)
	it, err := o.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: checkpointTokenKey(atLeast), UpperBound: successor(prefix)})
	if err != nil {
		return 0, nil, fmt.Errorf("reading the institution's records: %w", err)
	}
	defer it.Close()
	if !it.First() {
		if err := it.Error(); err != nil {
			return 0, nil, fmt.Errorf("reading the institution's records: %w", err)
		}
		return 0, nil, ErrNotFound
	}
	s, _, err := part(it.Key()[len(prefix):])
	if err != nil || len(s) != 8 {
		return 0, nil, errors.New("institution's records: a malformed checkpoint token key")
	}
	return binary.BigEndian.Uint64([]byte(s)), bytes.Clone(it.Value()), nil
}

func checkpointTokenKey(size uint64) []byte {
	return key(prefixCheckpointToken, string(binary.BigEndian.AppendUint64(nil, size)))
}

// Certificate is an issued deposit certificate: the sealed PDF is kept so
// that every download of a number returns the same bytes.
type Certificate struct {
	Number  string    `json:"number"`
	Deposit string    `json:"deposit"`
	Issued  time.Time `json:"issued"`
	PDF     []byte    `json:"pdf"`
}

// PutCertificate keeps an issued certificate unless the deposit already has
// one, and returns the one kept.
func (o *Office) PutCertificate(ctx context.Context, c Certificate) (*Certificate, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if old, err := o.certificateOf(ctx, c.Deposit); err == nil {
		return old, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	v, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	b := o.db.NewBatch()
	defer b.Close()
	if err := errors.Join(b.Set(key(prefixCertificate, c.Number), v, nil), b.Set(key(prefixDepositCert, c.Deposit), []byte(c.Number), nil), b.Commit(pebble.Sync)); err != nil {
		return nil, fmt.Errorf("writing the institution's records: %w", err)
	}
	return &c, nil
}

// CertificateByNumber returns the certificate of that number, or
// ErrNotFound.
func (o *Office) CertificateByNumber(ctx context.Context, number string) (*Certificate, error) {
	var c Certificate
	if err := o.get(ctx, key(prefixCertificate, number), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// CertificateOf returns the certificate issued for a deposit, or
// ErrNotFound.
func (o *Office) CertificateOf(ctx context.Context, deposit string) (*Certificate, error) {
	return o.certificateOf(ctx, deposit)
}

func (o *Office) certificateOf(ctx context.Context, deposit string) (*Certificate, error) {
	n, err := o.raw(ctx, key(prefixDepositCert, deposit))
	if err != nil {
		return nil, err
	}
	return o.CertificateByNumber(ctx, string(n))
}

// ReplaceCheckpointToken replaces the token of a checkpoint, when the one
// kept no longer verifies (its time-stamping key was revoked from before
// it).
func (o *Office) ReplaceCheckpointToken(ctx context.Context, size uint64, token []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.db.Set(checkpointTokenKey(size), token, pebble.Sync); err != nil {
		return fmt.Errorf("writing the institution's records: %w", err)
	}
	return nil
}

// ReplaceCertificate replaces the certificate kept for c.Deposit, under
// the same number, when the one kept no longer verifies.
func (o *Office) ReplaceCertificate(ctx context.Context, c Certificate) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	old, err := o.certificateOf(ctx, c.Deposit)
	if err != nil {
		return err
	}
	if old.Number != c.Number {
		return fmt.Errorf("replacing certificate %s of deposit %s with one numbered %s", old.Number, c.Deposit, c.Number)
	}
	return o.put(ctx, key(prefixCertificate, c.Number), c)
}
