// Package httpsig signs and verifies API requests with HTTP Message
// Signatures (RFC 9421), in the profile Jurichain uses: a request is signed
// with an account key over its method, authority, path and query, and over
// its body through Content-Digest (RFC 9530, SHA-256), with a creation time
// and a nonce so that it cannot be replayed. A request to another node (a
// different authority) or a minute out of time does not verify.
//
// No RFC 9421 library is available from this project's module registry, so
// the signature base (RFC 9421 section 2.5) is built here, for the
// components above; the structured fields are parsed and serialized with
// github.com/dunglas/httpsfv. The RFC's Ed25519 example is a test vector.
package httpsig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dunglas/httpsfv"
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
	// Alg is the algorithm name a signature may declare (e.g. "ed25519").
	Alg    string
	Verify func(msg, sig []byte) bool
}

// KeyResolver finds the key named by a signature's keyid. Its error is
// shown to the client.
type KeyResolver func(ctx context.Context, keyID string) (Key, error)

// Verifier checks signed requests and remembers nonces to refuse replays.
type Verifier struct {
	resolve KeyResolver
	skew    time.Duration
	now     func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // keyid + nonce -> when it may be forgotten
	sweep  time.Time
}

// MaxNonces bounds the nonces remembered; past it, requests are refused
// until old nonces expire rather than forgetting live ones.
const MaxNonces = 1 << 20

// NewVerifier returns a verifier that accepts a request created at most
// skew before or after now.
func NewVerifier(resolve KeyResolver, skew time.Duration, now func() time.Time) *Verifier {
	return &Verifier{resolve: resolve, skew: skew, now: now, nonces: map[string]time.Time{}}
}

// Verify checks req's signature and returns the keyid that signed it.
// body is the request's body, already read; it must match the covered
// Content-Digest. Pass nil for a route whose body is bound otherwise (a
// streamed upload named by its digest); then Content-Digest is not
// required.
func (v *Verifier) Verify(req *http.Request, body []byte) (string, error) {
	inputs := req.Header.Values("Signature-Input")
	if len(inputs) == 0 {
		return "", ErrUnsigned
	}
	input, err := httpsfv.UnmarshalDictionary(inputs)
	if err != nil {
		return "", fail("Signature-Input is not a structured dictionary: %v", err)
	}
	sigs, err := httpsfv.UnmarshalDictionary(req.Header.Values("Signature"))
	if err != nil {
		return "", fail("Signature is not a structured dictionary: %v", err)
	}
	if names := input.Names(); len(names) != 1 {
		return "", fail("want exactly one signature, the request has %d", len(names))
	}
	label := input.Names()[0]
	m, _ := input.Get(label)
	il, ok := m.(httpsfv.InnerList)
	if !ok {
		return "", fail("Signature-Input %q is not an inner list", label)
	}
	sm, ok := sigs.Get(label)
	if !ok {
		return "", fail("no Signature for label %q", label)
	}
	sigItem, ok := sm.(httpsfv.Item)
	sig, isBytes := sigItem.Value.([]byte)
	if !ok || !isBytes {
		return "", fail("Signature %q is not a byte sequence", label)
	}

	keyID, okK := param[string](il.Params, "keyid")
	nonce, okN := param[string](il.Params, "nonce")
	created, okC := param[int64](il.Params, "created")
	switch {
	case !okK || keyID == "":
		return "", fail("the signature has no keyid")
	case !okN || len(nonce) < 8 || len(nonce) > 128:
		return "", fail("the signature needs a nonce of 8 to 128 characters")
	case !okC:
		return "", fail("the signature has no created time")
	}
	now := v.now()
	at := time.Unix(created, 0)
	if at.Before(now.Add(-v.skew)) || at.After(now.Add(v.skew)) {
		return "", fail("created %s is more than %s away from this node's clock (%s)", at.UTC().Format(time.RFC3339), v.skew, now.UTC().Format(time.RFC3339))
	}
	if expires, ok := param[int64](il.Params, "expires"); ok && !now.Before(time.Unix(expires, 0)) {
		return "", fail("the signature expired at %s", time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	have := map[string]bool{}
	for _, item := range il.Items {
		if s, ok := item.Value.(string); ok {
			have[s] = true
		}
	}
	want := covered
	if len(body) > 0 {
		want = append(append([]string(nil), covered...), "content-digest")
	}
	for _, c := range want {
		if !have[c] {
			return "", fail("the signature must cover %s", strings.Join(want, ", "))
		}
	}
	if body != nil && (len(body) > 0 || have["content-digest"]) {
		if err := checkDigest(req, body); err != nil {
			return "", err
		}
	}

	key, err := v.resolve(req.Context(), keyID)
	if err != nil {
		return "", fail("keyid %q: %v", keyID, err)
	}
	if alg, ok := param[string](il.Params, "alg"); ok && alg != key.Alg {
		return "", fail("alg %q, but key %q is %s", alg, keyID, key.Alg)
	}
	base, err := signatureBase(req, il)
	if err != nil {
		return "", err
	}
	if !key.Verify(base, sig) {
		return "", fail("the signature does not verify with key %q (request altered, or signed with another key)", keyID)
	}
	if err := v.remember(keyID, nonce, at.Add(v.skew), now); err != nil {
		return "", err
	}
	return keyID, nil
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
	sum := sha256.Sum256(body)
	if !bytes.Equal(got, sum[:]) {
		return fail("the body does not match its Content-Digest")
	}
	return nil
}

// remember records a nonce; a nonce seen before is a replay. A nonce is
// kept until its request's creation time is out of the accepted window.
func (v *Verifier) remember(keyID, nonce string, until, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if now.After(v.sweep) {
		for k, t := range v.nonces {
			if now.After(t) {
				delete(v.nonces, k)
			}
		}
		v.sweep = now.Add(v.skew / 4)
	}
	k := keyID + "\x00" + nonce
	if _, seen := v.nonces[k]; seen {
		return fail("nonce %q was used before: a replayed request", nonce)
	}
	if len(v.nonces) >= MaxNonces {
		return fail("too many signed requests in the last %s; retry shortly", v.skew)
	}
	v.nonces[k] = until
	return nil
}
