// Package httpsig signs and verifies API requests with HTTP Message
// Signatures (RFC 9421), in the profile Jurichain uses: a request is signed
// with an account key over its method, authority, path and query, and over
// its body through Content-Digest (RFC 9530, sha-256 whatever the network's
// suite: see contentDigest), with a creation time
// and a nonce so that it cannot be replayed. A request to another node (a
// different authority) or a minute out of time does not verify.
//
// No RFC 9421 library is available from this project's module registry, so
// the signature base (RFC 9421 section 2.5) is built here, for the
// components above; the structured fields are parsed and serialized with
// github.com/dunglas/httpsfv. The RFC's Ed25519 example is a test vector.
// The signature algorithm is the network suite's (its scheme's name is
// the alg parameter); the verifier only calls the Key it resolves.
package httpsig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dunglas/httpsfv"

	"github.com/jurichain/jurichain/suite"
)

// Label is the name under which Jurichain clients sign.
const Label = "jurichain"

// covered are the components every signed request must cover.
var covered = []string{"@method", "@authority", "@path", "@query"}

// Error is a signature that does not verify; Reason says why, for the
// client.
type Error struct{ Reason string }

func (e *Error) Error() string { return "request signature: " + e.Reason }

func fail(format string, a ...any) error { return &Error{Reason: fmt.Sprintf(format, a...)} }

// ErrUnsigned is returned for a request that carries no signature.
var ErrUnsigned = &Error{Reason: "the request is not signed (no Signature-Input header)"}

// Signer makes a signature with an account's private key.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
}

// Params are the signature parameters of one request.
type Params struct {
	KeyID   string
	Alg     string
	Created time.Time
	Nonce   string
}

// Sign adds Content-Digest (when body is not empty), Signature-Input and
// Signature to req. body is the request's body; pass nil for a request
// whose body is bound otherwise (a streamed upload named by its digest).
func Sign(req *http.Request, body []byte, p Params, key Signer) error {
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	components := covered
	if len(body) > 0 {
		req.Header.Set("Content-Digest", contentDigest(body))
		components = append(append([]string(nil), covered...), "content-digest")
	}
	il := httpsfv.InnerList{Params: httpsfv.NewParams()}
	for _, c := range components {
		il.Items = append(il.Items, httpsfv.NewItem(c))
	}
	il.Params.Add("created", p.Created.Unix())
	il.Params.Add("keyid", p.KeyID)
	il.Params.Add("nonce", p.Nonce)
	if p.Alg != "" {
		il.Params.Add("alg", p.Alg)
	}
	base, err := signatureBase(req, il)
	if err != nil {
		return err
	}
	sig, err := key.Sign(base)
	if err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	input := httpsfv.NewDictionary()
	input.Add(Label, il)
	signature := httpsfv.NewDictionary()
	signature.Add(Label, httpsfv.NewItem(sig))
	in, err := httpsfv.Marshal(input)
	if err != nil {
		return err
	}
	s, err := httpsfv.Marshal(signature)
	if err != nil {
		return err
	}
	req.Header.Set("Signature-Input", in)
	req.Header.Set("Signature", s)
	return nil
}

// contentDigest is the RFC 9530 Content-Digest field of body. It is
// SHA-256 on every network, GM ones too: RFC 9530 registers sha-256 and
// sha-512 and no SM3, and the field only binds the body to the request
// signature (which is the suite's); it is never committed to the ledger
// or shown as proof.
func contentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	d := httpsfv.NewDictionary()
	d.Add("sha-256", httpsfv.NewItem(sum[:]))
	s, _ := httpsfv.Marshal(d) // a byte sequence always serializes
	return s
}

// signatureBase builds the RFC 9421 signature base of req for the
// components and parameters in il.
func signatureBase(req *http.Request, il httpsfv.InnerList) ([]byte, error) {
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, item := range il.Items {
		name, ok := item.Value.(string)
		if !ok {
			return nil, fail("a covered component is not a string")
		}
		if len(item.Params.Names()) > 0 {
			return nil, fail("component %q: parameters are not supported", name)
		}
		if seen[name] {
			return nil, fail("component %q is covered twice", name)
		}
		seen[name] = true
		value, err := componentValue(req, name)
		if err != nil {
			return nil, err
		}
		id, _ := httpsfv.Marshal(item)
		fmt.Fprintf(&b, "%s: %s\n", id, value)
	}
	params, err := httpsfv.Marshal(il)
	if err != nil {
		return nil, fail("signature parameters: %v", err)
	}
	fmt.Fprintf(&b, "\"@signature-params\": %s", params)
	return b.Bytes(), nil
}

func componentValue(req *http.Request, name string) (string, error) {
	switch name {
	case "@method":
		return req.Method, nil
	case "@authority":
		return strings.ToLower(req.Host), nil
	case "@path":
		if p := req.URL.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	case "@query":
		return "?" + req.URL.RawQuery, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", fail("derived component %q is not supported", name)
	}
	if name != strings.ToLower(name) {
		return "", fail("component %q: field names must be lowercase", name)
	}
	values := req.Header.Values(name)
	if len(values) == 0 {
		return "", fail("covered field %q is not in the request", name)
	}
	for i, v := range values {
		values[i] = strings.TrimSpace(v)
	}
	return strings.Join(values, ", "), nil
}

// Key is an account's public key as the verifier needs it.
type Key struct {
	// Alg is the algorithm name a signature may declare: the Name of the
	// network suite's signature scheme.
	Alg    string
	Verify func(msg, sig []byte) bool
}

// KeyResolver finds the key named by a signature's keyid. Its error is
// shown to the client.
type KeyResolver func(ctx context.Context, keyID string) (Key, error)

// Limits of the verifier.
const (
	// DefaultMaxNoncesPerKey bounds the nonces remembered for one keyid
	// unless Config.MaxNoncesPerKey says otherwise: about 16 signed
	// requests a second, sustained over the ten minutes a nonce is kept.
	DefaultMaxNoncesPerKey = 10_000
	// MaxNonces bounds the nonces remembered for all keys together (some
	// 50 MiB), whatever the number of keys.
	MaxNonces = 1 << 20
	// maxKeyID bounds a keyid, which the nonce table keeps.
	maxKeyID = 256
)

// Config configures a Verifier.
type Config struct {
	// Suite is the network's suite, whose hash keys the remembered
	// nonces. Required.
	Suite *suite.Suite
	// Resolve finds the key a keyid names.
	Resolve KeyResolver
	// Authorities are the names, host or host:port, under which clients
	// reach this node. A request signed for any other @authority is
	// refused: a request signed for one node cannot be replayed at
	// another, whose names differ. Ports 80 and 443 may be left out. With
	// none, every signed request is refused.
	Authorities []string
	// Skew is how far a request's creation time may be from the clock.
	Skew time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Nonces keeps the nonces of accepted requests across restarts; nil
	// keeps them in memory only, and a restart forgets them.
	Nonces NonceLog
	// NotBefore refuses requests created before it. A node sets its start
	// time: a request accepted before a crash, whose nonce the crash may
	// have lost, cannot then be replayed after the restart.
	NotBefore time.Time
	// MaxNoncesPerKey bounds the nonces remembered for one keyid: past
	// it, that key's requests are refused until its older nonces expire,
	// and other keys are not affected. DefaultMaxNoncesPerKey when zero.
	MaxNoncesPerKey int
}

// NonceLog keeps the nonces of accepted requests durably, so that a
// captured request cannot be replayed after a restart. Nonces are opaque
// bytes, one keyid's nonces distinct from another's.
type NonceLog interface {
	// SaveNonce records, durably, that keyID used nonce in a request
	// created at created.
	SaveNonce(keyID string, nonce []byte, created time.Time) error
	// LoadNonces calls fn with every nonce recorded of a request created
	// at or after since.
	LoadNonces(since time.Time, fn func(keyID string, nonce []byte, created time.Time)) error
	// PruneNonces forgets the nonces of requests created before before.
	PruneNonces(before time.Time) error
}

// Verifier checks signed requests and remembers nonces to refuse replays.
// It is safe for concurrent use.
type Verifier struct {
	cfg         Config
	authorities map[string]bool
	names       string // the authorities, for errors

	load    sync.Once
	loadErr error
	nonces  *nonceTable
}

// NewVerifier returns a verifier. The nonces of cfg.Nonces are loaded on
// first use. Without cfg.Suite it checks no request (an error that is not
// an *Error: the program's mistake, not the client's).
func NewVerifier(cfg Config) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxNoncesPerKey <= 0 {
		cfg.MaxNoncesPerKey = DefaultMaxNoncesPerKey
	}
	v := &Verifier{cfg: cfg, authorities: map[string]bool{}, nonces: newNonceTable(cfg.MaxNoncesPerKey, MaxNonces)}
	var names []string
	for _, a := range cfg.Authorities {
		if n := normalAuthority(a); !v.authorities[n] {
			v.authorities[n] = true
			names = append(names, n)
		}
	}
	v.names = strings.Join(names, ", ")
	return v
}

// normalAuthority lowercases an authority and drops a default port, so
// that "Node.example:443" and "node.example" are one name.
func normalAuthority(a string) string {
	a = strings.ToLower(a)
	for _, port := range []string{":443", ":80"} {
		if h, ok := strings.CutSuffix(a, port); ok && h != "" && !strings.HasSuffix(h, ":") {
			return h
		}
	}
	return a
}

// Checked is a request whose signature verified over its method, target
// and headers, before its body was read. Accept finishes the check.
type Checked struct {
	v *Verifier
	// KeyID names the key that signed the request.
	KeyID   string
	req     *http.Request
	digest  bool // the signature covers Content-Digest
	nonce   []byte
	created time.Time
}

// Verify checks req's signature and returns the keyid that signed it.
// body is the request's body, already read; it must match the covered
// Content-Digest. Pass nil for a route whose body is bound otherwise (a
// streamed upload named by its digest); then Content-Digest is not
// required. It is Check followed by Accept.
func (v *Verifier) Verify(req *http.Request, body []byte) (string, error) {
	c, err := v.Check(req)
	if err != nil {
		return "", err
	}
	if err := c.Accept(body); err != nil {
		return "", err
	}
	return c.KeyID, nil
}

// Check verifies req's signature without its body: the signature covers
// the body through the Content-Digest header, which Accept compares with
// the body once read. So a request that is unsigned, malformed, signed
// for another node, out of time, by an unknown key, with a bad signature
// or replaying a nonce is refused before its body is read. A refused
// request does not use up its nonce.
func (v *Verifier) Check(req *http.Request) (*Checked, error) {
	if v.cfg.Suite == nil {
		return nil, errors.New("httpsig: the verifier has no Config.Suite")
	}
	inputs := req.Header.Values("Signature-Input")
	if len(inputs) == 0 {
		return nil, ErrUnsigned
	}
	input, err := httpsfv.UnmarshalDictionary(inputs)
	if err != nil {
		return nil, fail("Signature-Input is not a structured dictionary: %v", err)
	}
	sigs, err := httpsfv.UnmarshalDictionary(req.Header.Values("Signature"))
	if err != nil {
		return nil, fail("Signature is not a structured dictionary: %v", err)
	}
	if names := input.Names(); len(names) != 1 {
		return nil, fail("want exactly one signature, the request has %d", len(names))
	}
	label := input.Names()[0]
	m, _ := input.Get(label)
	il, ok := m.(httpsfv.InnerList)
	if !ok {
		return nil, fail("Signature-Input %q is not an inner list", label)
	}
	sm, ok := sigs.Get(label)
	if !ok {
		return nil, fail("no Signature for label %q", label)
	}
	sigItem, ok := sm.(httpsfv.Item)
	sig, isBytes := sigItem.Value.([]byte)
	if !ok || !isBytes {
		return nil, fail("Signature %q is not a byte sequence", label)
	}

	keyID, okK := param[string](il.Params, "keyid")
	nonce, okN := param[string](il.Params, "nonce")
	created, okC := param[int64](il.Params, "created")
	switch {
	case !okK || keyID == "":
		return nil, fail("the signature has no keyid")
	case len(keyID) > maxKeyID:
		return nil, fail("keyid: longer than %d characters", maxKeyID)
	case !okN || len(nonce) < 8 || len(nonce) > 128:
		return nil, fail("the signature needs a nonce of 8 to 128 characters")
	case !okC:
		return nil, fail("the signature has no created time")
	}
	now := v.cfg.Now()
	at := time.Unix(created, 0)
	if at.Before(now.Add(-v.cfg.Skew)) || at.After(now.Add(v.cfg.Skew)) {
		return nil, fail("created %s is more than %s away from this node's clock (%s)", at.UTC().Format(time.RFC3339), v.cfg.Skew, now.UTC().Format(time.RFC3339))
	}
	if expires, ok := param[int64](il.Params, "expires"); ok && !now.Before(time.Unix(expires, 0)) {
		return nil, fail("the signature expired at %s", time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	have := map[string]bool{}
	for _, item := range il.Items {
		if s, ok := item.Value.(string); ok {
			have[s] = true
		}
	}
	for _, c := range covered {
		if !have[c] {
			return nil, fail("the signature must cover %s (and content-digest with a body)", strings.Join(covered, ", "))
		}
	}
	if authority := normalAuthority(req.Host); !v.authorities[authority] {
		if len(v.authorities) == 0 {
			return nil, fail("@authority: this node has no public names configured, so it takes no signed requests")
		}
		return nil, fail("@authority: the request is signed for %q, but this node answers as %s; sign for the node you send it to", req.Host, v.names)
	}
	if err := v.loadNonces(); err != nil {
		return nil, err
	}
	nonceKey := nonceHash(v.cfg.Suite, nonce)
	if v.nonces.seen(keyID, nonceKey, now) {
		return nil, fail("nonce %q was used before: a replayed request", nonce)
	}
	if at.Before(v.cfg.NotBefore) {
		return nil, fail("created %s is before this node started (%s); sign the request again", at.UTC().Format(time.RFC3339), v.cfg.NotBefore.UTC().Format(time.RFC3339))
	}

	key, err := v.cfg.Resolve(req.Context(), keyID)
	if err != nil {
		return nil, fail("keyid %q: %v", keyID, err)
	}
	if alg, ok := param[string](il.Params, "alg"); ok && alg != key.Alg {
		return nil, fail("alg %q, but key %q is %s", alg, keyID, key.Alg)
	}
	base, err := signatureBase(req, il)
	if err != nil {
		return nil, err
	}
	if !key.Verify(base, sig) {
		return nil, fail("the signature does not verify with key %q (request altered, or signed with another key)", keyID)
	}
	return &Checked{v: v, KeyID: keyID, req: req, digest: have["content-digest"], nonce: nonceKey, created: at}, nil
}

// Accept checks the body against the signed Content-Digest and records
// the nonce; a nonce used by an accepted request before is a replay. body
// nil means a streamed body the signature does not cover. A body that does
// not match leaves the nonce unused.
func (c *Checked) Accept(body []byte) error {
	if len(body) > 0 && !c.digest {
		return fail("the signature must cover %s, content-digest with a body", strings.Join(covered, ", "))
	}
	if body != nil && (len(body) > 0 || c.digest) {
		if err := checkDigest(c.req, body); err != nil {
			return err
		}
	}
	return c.v.remember(c.KeyID, c.nonce, c.created)
}

func param[T any](p *httpsfv.Params, name string) (T, bool) {
	var zero T
	if p == nil {
		return zero, false
	}
	v, ok := p.Get(name)
	if !ok {
		return zero, false
	}
	t, ok := v.(T)
	return t, ok
}

func checkDigest(req *http.Request, body []byte) error {
	d, err := httpsfv.UnmarshalDictionary(req.Header.Values("Content-Digest"))
	if err != nil {
		return fail("Content-Digest is not a structured dictionary: %v", err)
	}
	m, ok := d.Get("sha-256")
	item, isItem := m.(httpsfv.Item)
	if !ok || !isItem {
		return fail("Content-Digest needs a sha-256 digest of the body")
	}
	got, _ := item.Value.([]byte)
	sum := sha256.Sum256(body) // RFC 9530, not the suite's: see contentDigest
	if !bytes.Equal(got, sum[:]) {
		return fail("the body does not match its Content-Digest")
	}
	return nil
}

// remember records a nonce; a nonce seen before is a replay. A nonce is
// kept until its request's creation time is out of the accepted window,
// in memory and in the NonceLog.
func (v *Verifier) remember(keyID string, nonce []byte, created time.Time) error {
	now := v.cfg.Now()
	prune, err := v.nonces.add(keyID, nonce, created.Add(v.cfg.Skew), now, v.cfg.Skew)
	if err != nil {
		return err
	}
	if v.cfg.Nonces == nil {
		return nil
	}
	if prune {
		// Older requests are refused as out of time: their nonces are
		// no longer needed.
		if err := v.cfg.Nonces.PruneNonces(now.Add(-v.cfg.Skew)); err != nil {
			return fmt.Errorf("forgetting old request nonces: %w", err)
		}
	}
	if err := v.cfg.Nonces.SaveNonce(keyID, nonce, created); err != nil {
		v.nonces.remove(keyID, nonce)
		return fmt.Errorf("recording the request's nonce: %w", err)
	}
	return nil
}

// loadNonces reads the nonces of the NonceLog still in the window, once.
func (v *Verifier) loadNonces() error {
	v.load.Do(func() {
		if v.cfg.Nonces == nil {
			return
		}
		now := v.cfg.Now()
		v.loadErr = v.cfg.Nonces.LoadNonces(now.Add(-v.cfg.Skew), func(keyID string, nonce []byte, created time.Time) {
			v.nonces.restore(keyID, nonce, created.Add(v.cfg.Skew))
		})
		if v.loadErr != nil {
			v.loadErr = fmt.Errorf("loading the nonces of recent signed requests: %w", v.loadErr)
		}
	})
	return v.loadErr
}
