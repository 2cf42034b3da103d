// Package office keeps an institution's own records on its node, never on
// the ledger: invitation codes, the real-name data of the accounts it
// registered, API tokens, share codes, grants of evidence to court cases,
// and the index of the access trail it deposited. Codes and tokens are
// stored only as hashes by the network suite's hash (SHA-256 on an
// international network, SM3 on a GM one), so a copy of the database does
// not hand them out.
package office

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// Errors a caller tells apart.
var (
	ErrNotFound = errors.New("not found")
	// ErrUsed is an invitation code already used.
	ErrUsed = errors.New("already used")
	// ErrExpired is a code or token past its expiry.
	ErrExpired = errors.New("expired")
	// ErrTooMany is a new token or share code beyond the number that may
	// be live at once.
	ErrTooMany = errors.New("too many live")
)

// Key prefixes. The parts of a key are each preceded by their length
// (see key), so no choice of parts can make one record's key, or the
// prefix a scan uses, another's.
const (
	prefixInvitation   = 'i' // code hash -> Invitation
	prefixRegistration = 'r' // account id -> Registration
	prefixToken        = 't' // token hash -> Token
	prefixTokenID      = 'u' // token id -> token hash
	prefixAccountToken = 'v' // account id, token id -> (empty)
	prefixShare        = 's' // code hash -> Share
	prefixShareID      = 'S' // share id -> code hash
	prefixDepositShare = 'w' // deposit id, share id -> (empty)
	prefixGrant        = 'g' // deposit id, court, case -> Grant
	prefixCase         = 'c' // court, case, deposit id -> (empty)
	prefixTrail        = 'a' // evidence deposit id, sequence (8 bytes) -> TrailEntry
	prefixUpload       = 'o' // deposit id -> Upload
	keyTrailSeq        = "A"
)

// Office is the institution's record store.
type Office struct {
	cs *suite.Suite
	db *pebble.DB
	mu sync.Mutex // makes check-then-write sequences atomic
}

// Open opens or creates the records in dir of a node of the suite cs,
// rewriting those of an earlier key layout (see upgrade). Codes and tokens
// are hashed with the suite's hash: records of a network are only ever
// opened with its suite.
func Open(cs *suite.Suite, dir string) (*Office, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("opening the institution's records in %s: %w", dir, err)
	}
	o := &Office{cs: cs, db: db}
	if err := o.upgrade(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the institution's records in %s: %w", dir, err)
	}
	return o, nil
}

// Close closes the records.
func (o *Office) Close() error { return o.db.Close() }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Errorf(string, ...any)          {}
func (quietLogger) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// key encodes a record's key: the prefix, then each part as its length
// (uvarint) and its bytes. The encoding is injective and prefix-free part
// by part: the key of a record starts with key(prefix, p1, ..., pk) only
// if its first k parts are p1, ..., pk, whatever bytes (NUL included) the
// parts hold.
func key(prefix byte, parts ...string) []byte {
	k := []byte{prefix}
	for _, p := range parts {
		k = binary.AppendUvarint(k, uint64(len(p)))
		k = append(k, p...)
	}
	return k
}

// part reads one length-prefixed part from b and returns it and the rest.
func part(b []byte) (string, []byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, errors.New("institution's records: a malformed key")
	}
	return string(b[w : w+int(n)]), b[w+int(n):], nil
}

// hashed is the form in which a code or token is stored.
func (o *Office) hashed(secret string) string {
	h := o.cs.Hash([]byte(secret))
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

// raw returns the value of a record as stored.
func (o *Office) raw(ctx context.Context, k []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, closer, err := o.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading the institution's records: %w", err)
	}
	defer closer.Close()
	return bytes.Clone(b), nil
}

func (o *Office) get(ctx context.Context, k []byte, v any) error {
	b, err := o.raw(ctx, k)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("institution's record %q is corrupt: %w", k[:1], err)
	}
	return nil
}

// successor is the least key greater than every key starting with prefix,
// or nil (no bound) if prefix is all 0xff.
func successor(prefix []byte) []byte {
	up := bytes.Clone(prefix)
	for i := len(up) - 1; i >= 0; i-- {
		if up[i] != 0xff {
			up[i]++
			return up[:i+1]
		}
	}
	return nil
}

// scan calls fn with the key suffix and value of every record under prefix.
func (o *Office) scan(ctx context.Context, prefix []byte, fn func(suffix, value []byte) error) error {
	upper := successor(prefix)
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
	return code, o.put(ctx, key(prefixInvitation, o.hashed(code)), inv)
}

// UseInvitation consumes an invitation code for an account, once: a
// second use, an unknown or an expired code is refused and changes
// nothing. The code is consumed before the registration reaches the
// ledger, so a registration the ledger refuses needs a new code.
func (o *Office) UseInvitation(ctx context.Context, code, account string, now time.Time) (*Invitation, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(prefixInvitation, o.hashed(code))
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
	// ID names the token without revealing it: hex of the start of the
	// token's hash.
	ID      string `json:"id"`
	Account string `json:"account"`
	// Key is the account key that signed the request minting the token:
	// the token dies with it.
	Key     []byte    `json:"key"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// TokenPrefix starts every API token, so a leaked one is easy to find.
const TokenPrefix = "jct_"

// idOf is the public id of a secret's record: hex of the first 12 bytes of
// its hash, which tells nothing of the secret.
func idOf(h string) string { return hex.EncodeToString([]byte(h[:12])) }

// NewToken issues an API token and returns it with its record. It
// reports ErrTooMany if the account already has most tokens not expired
// at t.Created (revoked tokens are gone), so that its list stays bounded.
func (o *Office) NewToken(ctx context.Context, t Token, most int) (string, Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	live, err := o.Tokens(ctx, t.Account)
	if err != nil {
		return "", t, err
	}
	if liveAt(t.Created, live, func(t Token) time.Time { return t.Expires }) >= most {
		return "", t, ErrTooMany
	}
	s, err := newSecret(32)
	if err != nil {
		return "", t, err
	}
	tok := TokenPrefix + strings.ToLower(s)
	h := o.hashed(tok)
	t.ID = idOf(h)
	v, err := json.Marshal(t)
	if err != nil {
		return "", t, err
	}
	b := o.db.NewBatch()
	defer b.Close()
	// The account's expired tokens authenticate nothing: they go, so that
	// its list stays bounded.
	for _, old := range live {
		if !t.Created.Before(old.Expires) {
			if err := o.deleteToken(ctx, b, &old); err != nil {
				return "", t, err
			}
		}
	}
	if err := errors.Join(b.Set(key(prefixToken, h), v, nil), b.Set(key(prefixTokenID, t.ID), []byte(h), nil),
		b.Set(key(prefixAccountToken, t.Account, t.ID), nil, nil)); err != nil {
		return "", t, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return "", t, fmt.Errorf("writing the institution's records: %w", err)
	}
	return tok, t, nil
}

// liveAt counts the records not expired at now.
func liveAt[T any](now time.Time, records []T, expires func(T) time.Time) int {
	n := 0
	for _, r := range records {
		if now.Before(expires(r)) {
			n++
		}
	}
	return n
}

// TokenAt returns the record of a valid API token.
func (o *Office) TokenAt(ctx context.Context, token string, now time.Time) (*Token, error) {
	var t Token
	if err := o.get(ctx, key(prefixToken, o.hashed(token)), &t); err != nil {
		return nil, err
	}
	if !now.Before(t.Expires) {
		return nil, ErrExpired
	}
	return &t, nil
}

// TokenByID returns the record of a token by its id, expired or not.
func (o *Office) TokenByID(ctx context.Context, id string) (*Token, error) {
	h, err := o.raw(ctx, key(prefixTokenID, id))
	if err != nil {
		return nil, err
	}
	var t Token
	if err := o.get(ctx, key(prefixToken, string(h)), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Tokens returns the tokens of an account, expired ones included, in id
// order.
func (o *Office) Tokens(ctx context.Context, account string) ([]Token, error) {
	var ids []string
	err := o.scan(ctx, key(prefixAccountToken, account), func(suffix, _ []byte) error {
		id, _, err := part(suffix)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []Token{}
	for _, id := range ids {
		t, err := o.TokenByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("token %s: %w", id, err)
		}
		out = append(out, *t)
	}
	return out, nil
}

// RevokeToken deletes a token: it no longer authenticates. It reports
// ErrNotFound if there is no token with this id.
func (o *Office) RevokeToken(ctx context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.TokenByID(ctx, id)
	if err != nil {
		return err
	}
	b := o.db.NewBatch()
	defer b.Close()
	if err := o.deleteToken(ctx, b, t); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// deleteToken adds the deletion of a token's records to b.
func (o *Office) deleteToken(ctx context.Context, b *pebble.Batch, t *Token) error {
	h, err := o.raw(ctx, key(prefixTokenID, t.ID))
	if err != nil {
		return err
	}
	return errors.Join(b.Delete(key(prefixToken, string(h)), nil), b.Delete(key(prefixTokenID, t.ID), nil),
		b.Delete(key(prefixAccountToken, t.Account, t.ID), nil))
}

// Share is a share (extraction) code's record.
type Share struct {
	// ID names the code without revealing it, so that it can be revoked.
	ID      string `json:"id"`
	Deposit string `json:"deposit"`
	Owner   string `json:"owner"`
	// Key is the account key that signed the request issuing the code,
	// or that minted the API token used; Token is that token's id. The
	// code dies with either, as a token dies with its key.
	Key     []byte    `json:"key,omitempty"`
	Token   string    `json:"token,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// ShareCodeBytes is the entropy of a share code: 80 bits, 16 base32
// characters. Wrong guesses are also slowed by the server.
const ShareCodeBytes = 10

// NewShare issues a share code for a deposit's original and returns it
// with its record. It reports ErrTooMany if the deposit already has most
// codes not expired at s.Created (revoked codes are gone).
func (o *Office) NewShare(ctx context.Context, s Share, most int) (string, Share, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	live, err := o.Shares(ctx, s.Deposit)
	if err != nil {
		return "", s, err
	}
	if liveAt(s.Created, live, func(s Share) time.Time { return s.Expires }) >= most {
		return "", s, ErrTooMany
	}
	code, err := newSecret(ShareCodeBytes)
	if err != nil {
		return "", s, err
	}
	h := o.hashed(code)
	s.ID = idOf(h)
	v, err := json.Marshal(s)
	if err != nil {
		return "", s, err
	}
	b := o.db.NewBatch()
	defer b.Close()
	// The deposit's expired codes open nothing: they go, so that its list
	// stays bounded (the trail keeps their issue).
	for _, old := range live {
		if !s.Created.Before(old.Expires) {
			if err := o.deleteShare(ctx, b, &old); err != nil {
				return "", s, err
			}
		}
	}
	if err := errors.Join(b.Set(key(prefixShare, h), v, nil), b.Set(key(prefixShareID, s.ID), []byte(h), nil),
		b.Set(key(prefixDepositShare, s.Deposit, s.ID), nil, nil)); err != nil {
		return "", s, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return "", s, fmt.Errorf("writing the institution's records: %w", err)
	}
	return code, s, nil
}

// ShareAt returns the record of a valid share code.
func (o *Office) ShareAt(ctx context.Context, code string, now time.Time) (*Share, error) {
	var s Share
	if err := o.get(ctx, key(prefixShare, o.hashed(code)), &s); err != nil {
		return nil, err
	}
	if !now.Before(s.Expires) {
		return nil, ErrExpired
	}
	return &s, nil
}

// ShareByID returns the record of a share code by its id, expired or not.
func (o *Office) ShareByID(ctx context.Context, id string) (*Share, error) {
	h, err := o.raw(ctx, key(prefixShareID, id))
	if err != nil {
		return nil, err
	}
	var s Share
	if err := o.get(ctx, key(prefixShare, string(h)), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// RevokeShare deletes a share code: it no longer opens the original. It
// reports ErrNotFound if there is no code with this id.
func (o *Office) RevokeShare(ctx context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, err := o.ShareByID(ctx, id)
	if err != nil {
		return err
	}
	b := o.db.NewBatch()
	defer b.Close()
	if err := o.deleteShare(ctx, b, s); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// deleteShare adds the deletion of a share code's records to b.
func (o *Office) deleteShare(ctx context.Context, b *pebble.Batch, s *Share) error {
	h, err := o.raw(ctx, key(prefixShareID, s.ID))
	if err != nil {
		return err
	}
	return errors.Join(b.Delete(key(prefixShare, string(h)), nil), b.Delete(key(prefixShareID, s.ID), nil),
		b.Delete(key(prefixDepositShare, s.Deposit, s.ID), nil))
}

// Shares returns the share codes of a deposit that were not revoked,
// expired ones included, in id order.
func (o *Office) Shares(ctx context.Context, deposit string) ([]Share, error) {
	var ids []string
	err := o.scan(ctx, key(prefixDepositShare, deposit), func(suffix, _ []byte) error {
		id, _, err := part(suffix)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []Share{}
	for _, id := range ids {
		s, err := o.ShareByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("share code %s: %w", id, err)
		}
		out = append(out, *s)
	}
	return out, nil
}

// Upload records that a deposit's original was uploaded through it.
type Upload struct {
	Account  string    `json:"account"`
	Uploaded time.Time `json:"uploaded"`
}

// PutUpload records that the original of a deposit was uploaded through
// it: only then is the original reachable through that deposit.
func (o *Office) PutUpload(ctx context.Context, deposit string, u Upload) error {
	return o.put(ctx, key(prefixUpload, deposit), u)
}

// Uploaded reports whether an original was uploaded through a deposit.
func (o *Office) Uploaded(ctx context.Context, deposit string) (bool, error) {
	err := o.get(ctx, key(prefixUpload, deposit), &Upload{})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
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
	err := o.scan(ctx, key(prefixGrant, deposit), func(_, v []byte) error {
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
	err := o.scan(ctx, key(prefixCase, court, caseNo), func(suffix, _ []byte) error {
		id, rest, err := part(suffix)
		if err == nil && len(rest) != 0 {
			err = errors.New("institution's records: a malformed case key")
		}
		out = append(out, id)
		return err
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
	k := binary.BigEndian.AppendUint64(key(prefixTrail, evidence), seq)
	if err := errors.Join(b.Set(k, v, nil), b.Set([]byte(keyTrailSeq), next, nil)); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// Trail returns the access-trail entries about a deposit, oldest first.
func (o *Office) Trail(ctx context.Context, evidence string) ([]TrailEntry, error) {
	out := []TrailEntry{}
	err := o.scan(ctx, key(prefixTrail, evidence), func(_, v []byte) error {
		var e TrailEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("institution's trail record is corrupt: %w", err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
