// Package office keeps an institution's own records on its node, never on
// the ledger: invitation codes, the real-name data of the accounts it
// registered, API tokens, share codes, grants of evidence to court cases,
// and the index of the access trail it deposited. Codes and tokens are
// stored only as SHA-256 hashes, so a copy of the database does not hand
// them out.
package office

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jurichain/jurichain/identity"
)

// Errors a caller tells apart.
var (
	ErrNotFound = errors.New("not found")
	// ErrUsed is an invitation code already used.
	ErrUsed = errors.New("already used")
	// ErrExpired is a code or token past its expiry.
	ErrExpired = errors.New("expired")
)

// Key prefixes.
const (
	prefixInvitation   = 'i' // code hash -> Invitation
	prefixRegistration = 'r' // account id -> Registration
	prefixToken        = 't' // token hash -> Token
	prefixShare        = 's' // code hash -> Share
	prefixGrant        = 'g' // deposit id, 0, court, 0, case -> Grant
	prefixCase         = 'c' // court, 0, case, 0, deposit id -> (empty)
	prefixTrail        = 'a' // evidence deposit id, 0, sequence -> TrailEntry
	keyTrailSeq        = "A"
)

// Office is the institution's record store.
type Office struct {
	db *pebble.DB
	mu sync.Mutex // makes check-then-write sequences atomic
}

// Open opens or creates the records in dir.
func Open(dir string) (*Office, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("opening the institution's records in %s: %w", dir, err)
	}
	return &Office{db: db}, nil
}

// Close closes the records.
func (o *Office) Close() error { return o.db.Close() }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Errorf(string, ...any)          {}
func (quietLogger) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func key(prefix byte, parts ...string) []byte {
	return append([]byte{prefix}, strings.Join(parts, "\x00")...)
}

func hashed(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return string(h[:])
}

// newSecret is a random code of n bytes in unpadded base32, easy to read
// out and type.
func newSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a code: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

func (o *Office) put(ctx context.Context, k []byte, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := o.db.Set(k, b, pebble.Sync); err != nil {
		return fmt.Errorf("writing the institution's records: %w", err)
	}
	return nil
}

func (o *Office) get(ctx context.Context, k []byte, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, closer, err := o.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("reading the institution's records: %w", err)
	}
	defer closer.Close()
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("institution's record %q is corrupt: %w", k[:1], err)
	}
	return nil
}

// scan calls fn with the key suffix and value of every record under prefix.
func (o *Office) scan(ctx context.Context, prefix []byte, fn func(suffix, value []byte) error) error {
	upper := append(bytes.Clone(prefix), 0xff)
	it, err := o.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("reading the institution's records: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key()[len(prefix):], it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Invitation is an invitation code's record.
type Invitation struct {
	Institution string    `json:"institution"`
	IssuedBy    string    `json:"issued_by"`
	Issued      time.Time `json:"issued"`
	Expires     time.Time `json:"expires"`
	UsedBy      string    `json:"used_by,omitempty"`
	Used        time.Time `json:"used,omitzero"`
}

// Invite issues a single-use invitation code.
func (o *Office) Invite(ctx context.Context, inv Invitation) (string, error) {
	code, err := newSecret(10)
	if err != nil {
		return "", err
	}
	return code, o.put(ctx, key(prefixInvitation, hashed(code)), inv)
}

// UseInvitation consumes an invitation code for an account, once: a
// second use, an unknown or an expired code is refused and changes
// nothing. The code is consumed before the registration reaches the
// ledger, so a registration the ledger refuses needs a new code.
func (o *Office) UseInvitation(ctx context.Context, code, account string, now time.Time) (*Invitation, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(prefixInvitation, hashed(code))
	var inv Invitation
	if err := o.get(ctx, k, &inv); err != nil {
		return nil, err
	}
	switch {
	case inv.UsedBy != "":
		return nil, ErrUsed
	case !now.Before(inv.Expires):
		return nil, ErrExpired
	}
	inv.UsedBy, inv.Used = account, now
	return &inv, o.put(ctx, k, inv)
}

// Registration is the real-name data of an account this node registered.
type Registration struct {
	Account    string            `json:"account"`
	Kind       identity.Kind     `json:"kind"`
	RealName   identity.RealName `json:"real_name"`
	Salt       []byte            `json:"salt"`
	Registered time.Time         `json:"registered"`
}

// PutRegistration records the real-name data of an account.
func (o *Office) PutRegistration(ctx context.Context, r Registration) error {
	return o.put(ctx, key(prefixRegistration, r.Account), r)
}

// Registration returns the real-name data of an account.
func (o *Office) Registration(ctx context.Context, account string) (*Registration, error) {
	var r Registration
	if err := o.get(ctx, key(prefixRegistration, account), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Token is an API token's record.
type Token struct {
	Account string    `json:"account"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// TokenPrefix starts every API token, so a leaked one is easy to find.
const TokenPrefix = "jct_"

// NewToken issues an API token.
func (o *Office) NewToken(ctx context.Context, t Token) (string, error) {
	s, err := newSecret(32)
	if err != nil {
		return "", err
	}
	tok := TokenPrefix + strings.ToLower(s)
	return tok, o.put(ctx, key(prefixToken, hashed(tok)), t)
}

// TokenAt returns the record of a valid API token.
func (o *Office) TokenAt(ctx context.Context, token string, now time.Time) (*Token, error) {
	var t Token
	if err := o.get(ctx, key(prefixToken, hashed(token)), &t); err != nil {
		return nil, err
	}
	if !now.Before(t.Expires) {
		return nil, ErrExpired
	}
	return &t, nil
}

// Share is a share (extraction) code's record.
type Share struct {
	Deposit string    `json:"deposit"`
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// NewShare issues a share code for a deposit's original.
func (o *Office) NewShare(ctx context.Context, s Share) (string, error) {
	code, err := newSecret(5)
	if err != nil {
		return "", err
	}
	return code, o.put(ctx, key(prefixShare, hashed(code)), s)
}

// ShareAt returns the record of a valid share code.
func (o *Office) ShareAt(ctx context.Context, code string, now time.Time) (*Share, error) {
	var s Share
	if err := o.get(ctx, key(prefixShare, hashed(code)), &s); err != nil {
		return nil, err
	}
	if !now.Before(s.Expires) {
		return nil, ErrExpired
	}
	return &s, nil
}

// Grant gives a court case access to a deposit's original.
type Grant struct {
	Deposit string    `json:"deposit"`
	Owner   string    `json:"owner"`
	Court   string    `json:"court"`
	Case    string    `json:"case"`
	Granted time.Time `json:"granted"`
}

// PutGrant records a grant.
func (o *Office) PutGrant(ctx context.Context, g Grant) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.db.NewBatch()
	defer b.Close()
	v, err := json.Marshal(g)
	if err != nil {
		return err
	}
	if err := errors.Join(b.Set(key(prefixGrant, g.Deposit, g.Court, g.Case), v, nil),
		b.Set(key(prefixCase, g.Court, g.Case, g.Deposit), nil, nil)); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// RevokeGrant removes a grant; it reports ErrNotFound if there was none.
func (o *Office) RevokeGrant(ctx context.Context, deposit, court, caseNo string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var g Grant
	if err := o.get(ctx, key(prefixGrant, deposit, court, caseNo), &g); err != nil {
		return err
	}
	b := o.db.NewBatch()
	defer b.Close()
	if err := errors.Join(b.Delete(key(prefixGrant, deposit, court, caseNo), nil),
		b.Delete(key(prefixCase, court, caseNo, deposit), nil)); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// Granted reports whether a deposit is granted to a case at a court.
func (o *Office) Granted(ctx context.Context, deposit, court, caseNo string) (bool, error) {
	err := o.get(ctx, key(prefixGrant, deposit, court, caseNo), &Grant{})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// GrantsOf returns the grants of a deposit.
func (o *Office) GrantsOf(ctx context.Context, deposit string) ([]Grant, error) {
	out := []Grant{}
	err := o.scan(ctx, key(prefixGrant, deposit, ""), func(_, v []byte) error {
		var g Grant
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("institution's grant record is corrupt: %w", err)
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// CaseEvidence returns the ids of the deposits granted to a case.
func (o *Office) CaseEvidence(ctx context.Context, court, caseNo string) ([]string, error) {
	out := []string{}
	err := o.scan(ctx, key(prefixCase, court, caseNo, ""), func(suffix, _ []byte) error {
		out = append(out, string(suffix))
		return nil
	})
	return out, err
}

// TrailEntry is one access to a deposit's original, as deposited on the
// ledger by this node: Record is the exact bytes deposited, Entry the id
// of that deposit.
type TrailEntry struct {
	Record json.RawMessage `json:"record"`
	Entry  string          `json:"entry"`
}

// AppendTrail records an access-trail entry about a deposit.
func (o *Office) AppendTrail(ctx context.Context, evidence string, e TrailEntry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var seq uint64
	if err := o.get(ctx, []byte(keyTrailSeq), &seq); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	b := o.db.NewBatch()
	defer b.Close()
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	next, _ := json.Marshal(seq + 1)
	k := append(key(prefixTrail, evidence, ""), binary.BigEndian.AppendUint64(nil, seq)...)
	if err := errors.Join(b.Set(k, v, nil), b.Set([]byte(keyTrailSeq), next, nil)); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// Trail returns the access-trail entries about a deposit, oldest first.
func (o *Office) Trail(ctx context.Context, evidence string) ([]TrailEntry, error) {
	out := []TrailEntry{}
	err := o.scan(ctx, key(prefixTrail, evidence, ""), func(_, v []byte) error {
		var e TrailEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("institution's trail record is corrupt: %w", err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
