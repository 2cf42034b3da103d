package httpsig_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

type edKey ed25519.PrivateKey

func (k edKey) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(ed25519.PrivateKey(k), msg), nil }

var epoch = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// fixture is one account key known to a verifier whose clock is epoch,
// at a node that answers as node1.example (port 8080 and the default)
// and node2.example:8080.
type fixture struct {
	key      edKey
	verifier *httpsig.Verifier
}

// authorities are the fixture node's names.
var authorities = []string{"node1.example:8080", "NODE1.example:443", "node2.example:8080"}

// newFixture makes a fixture for priv, or for a new key if priv is nil.
func newFixture(priv ed25519.PrivateKey) *fixture {
	return newFixtureWith(priv, httpsig.Config{})
}

// newFixtureWith makes a fixture whose verifier has cfg, with the
// fixture's keys, names, skew and clock where cfg leaves them out.
func newFixtureWith(priv ed25519.PrivateKey, cfg httpsig.Config) *fixture {
	if priv == nil {
		_, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	f := &fixture{key: edKey(priv)}
	keys := map[string]ed25519.PublicKey{"alice": priv.Public().(ed25519.PublicKey), "bob": priv.Public().(ed25519.PublicKey)}
	cfg.Resolve = func(_ context.Context, id string) (httpsig.Key, error) {
		pub, ok := keys[id]
		if !ok {
			return httpsig.Key{}, errors.New("no such account key")
		}
		return httpsig.Key{Alg: "ed25519", Verify: func(m, s []byte) bool { return ed25519.Verify(pub, m, s) }}, nil
	}
	if cfg.Authorities == nil {
		cfg.Authorities = authorities
	}
	if cfg.Suite == nil {
		cfg.Suite = suite.International()
	}
	if cfg.Skew == 0 {
		cfg.Skew = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return epoch }
	}
	f.verifier = httpsig.NewVerifier(cfg)
	return f
}

func (f *fixture) signed(t *testing.T, method, url string, body []byte, p httpsig.Params) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID == "" {
		p.KeyID = "alice"
	}
	if p.Created.IsZero() {
		p.Created = epoch
	}
	if p.Nonce == "" {
		p.Nonce = fmt.Sprint("nonce-", rand.Text())
	}
	if err := httpsig.Sign(req, body, p, f.key); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignedRequestsVerify(t *testing.T) {
	f := newFixture(nil)
	body := []byte(`{"deposits":[]}`)
	for _, tc := range []struct {
		method, url string
		body        []byte
	}{
		{"POST", "http://node1.example:8080/v1/deposits?wait=5s", body},
		{"GET", "http://node1.example:8080/v1/deposits/abc", nil},
		{"PUT", "http://node1.example/v1/originals/00ff", nil},
		{"GET", "https://Node1.Example:443/v1/account", nil},
		{"GET", "http://node2.example:8080/v1/account", nil},
	} {
		req := f.signed(t, tc.method, tc.url, tc.body, httpsig.Params{Alg: "ed25519"})
		id, err := f.verifier.Verify(req, tc.body)
		if err != nil || id != "alice" {
			t.Errorf("%s %s: %q, %v", tc.method, tc.url, id, err)
		}
	}
}

func TestBadRequestsAreRefused(t *testing.T) {
	f := newFixture(nil)
	body := []byte(`{"deposits":[1]}`)
	url := "http://node1.example:8080/v1/deposits?wait=5s"
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name string
		req  func() (*http.Request, []byte)
		want string
	}{
		{"unsigned", func() (*http.Request, []byte) {
			r, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			return r, body
		}, "not signed"},
		{"replayed", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{Nonce: "used-once-only"})
			if _, err := f.verifier.Verify(r.Clone(context.Background()), body); err != nil {
				t.Fatalf("first use: %v", err)
			}
			return r, body
		}, "replayed"},
		{"created too long ago", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{Created: epoch.Add(-6 * time.Minute)}), body
		}, "away from this node's clock"},
		{"created in the future", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{Created: epoch.Add(6 * time.Minute)}), body
		}, "away from this node's clock"},
		{"another key under alice's keyid", func() (*http.Request, []byte) {
			r, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			httpsig.Sign(r, body, httpsig.Params{KeyID: "alice", Created: epoch, Nonce: "nonce-other-key"}, edKey(otherKey))
			return r, body
		}, "does not verify"},
		{"unknown keyid", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{KeyID: "mallory"}), body
		}, "no such account key"},
		{"body changed", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			return r, []byte(`{"deposits":[2]}`)
		}, "Content-Digest"},
		{"body changed with its digest", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			other := []byte(`{"deposits":[2]}`)
			r2 := f.signed(t, "POST", url, other, httpsig.Params{})
			r.Header.Set("Content-Digest", r2.Header.Get("Content-Digest"))
			return r, other
		}, "does not verify"},
		{"path changed", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.URL.Path = "/v1/membership"
			return r, body
		}, "does not verify"},
		{"query changed", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.URL.RawQuery = "wait=0s"
			return r, body
		}, "does not verify"},
		{"method changed", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Method = "PUT"
			return r, body
		}, "does not verify"},
		{"sent to another name of the node", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Host = "node2.example:8080"
			return r, body
		}, "does not verify"},
		{"signed for another node", func() (*http.Request, []byte) {
			return f.signed(t, "POST", "http://node3.example:8080/v1/deposits?wait=5s", body, httpsig.Params{}), body
		}, `@authority: the request is signed for "node3.example:8080"`},
		{"signed for another port of the node", func() (*http.Request, []byte) {
			return f.signed(t, "POST", "http://node1.example:8081/v1/deposits?wait=5s", body, httpsig.Params{}), body
		}, "@authority"},
		{"long keyid", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{KeyID: strings.Repeat("k", 257)}), body
		}, "keyid: longer than 256"},
		{"signature altered", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			b64 := strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Signature"), httpsig.Label+"=:"), ":")
			sig, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			sig[10] ^= 1
			r.Header.Set("Signature", httpsig.Label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
			return r, body
		}, "does not verify"},
		{"alg of another key type", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{Alg: "ecdsa-p256-sha256"}), body
		}, "alg"},
		{"covers too little", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"@query" `, "", 1))
			return r, body
		}, "must cover"},
		{"no nonce", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{Nonce: "short-lived"})
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `;nonce="short-lived"`, "", 1))
			return r, body
		}, "nonce"},
		{"two signatures", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Header.Add("Signature-Input", `other=("@method");created=1;keyid="x"`)
			return r, body
		}, "exactly one"},
		{"malformed input", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Header.Set("Signature-Input", "jurichain=(((")
			return r, body
		}, "structured"},
	} {
		req, b := tc.req()
		_, err := f.verifier.Verify(req, b)
		var sigErr *httpsig.Error
		if err == nil || !errors.As(err, &sigErr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestNoAuthoritiesRefusesEverything checks that a verifier that knows no
// name of its node takes no signed request rather than any.
func TestNoAuthoritiesRefusesEverything(t *testing.T) {
	f := newFixtureWith(nil, httpsig.Config{Authorities: []string{}})
	req := f.signed(t, "GET", "http://node1.example:8080/v1/account", nil, httpsig.Params{})
	if _, err := f.verifier.Verify(req, nil); err == nil || !strings.Contains(err.Error(), "no public names") {
		t.Fatalf("a verifier with no names: %v", err)
	}
}

// TestRefusedRequestsLeaveTheirNonce checks that a request refused for
// another reason than its nonce does not use the nonce up: the valid
// request carrying it is still accepted, once.
func TestRefusedRequestsLeaveTheirNonce(t *testing.T) {
	f := newFixture(nil)
	url := "http://node1.example:8080/v1/tokens"
	body := []byte(`{"label":"laptop"}`)
	const nonce = "the-one-nonce"
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	refused := []struct {
		name string
		req  func() (*http.Request, []byte)
	}{
		{"signed with another key", func() (*http.Request, []byte) {
			r, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			httpsig.Sign(r, body, httpsig.Params{KeyID: "alice", Created: epoch, Nonce: nonce}, edKey(otherKey))
			return r, body
		}},
		{"unknown keyid", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{KeyID: "mallory", Nonce: nonce}), body
		}},
		{"out of time", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{Nonce: nonce, Created: epoch.Add(-time.Hour)}), body
		}},
		{"body altered", func() (*http.Request, []byte) {
			return f.signed(t, "POST", url, body, httpsig.Params{Nonce: nonce}), []byte(`{"label":"attacker"}`)
		}},
		{"signed for another node", func() (*http.Request, []byte) {
			return f.signed(t, "POST", "http://node3.example/v1/tokens", body, httpsig.Params{Nonce: nonce}), body
		}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			req, b := tc.req()
			if _, err := f.verifier.Verify(req, b); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	req := f.signed(t, "POST", url, body, httpsig.Params{Nonce: nonce})
	if _, err := f.verifier.Verify(req.Clone(context.Background()), body); err != nil {
		t.Fatalf("the valid request after refused ones with its nonce: %v", err)
	}
	if _, err := f.verifier.Verify(req, body); err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("the valid request replayed: %v", err)
	}
}

// TestNonceBoundIsPerKey checks that a key past its bound of live nonces
// is refused while another key is not, and is served again once its
// nonces expire.
func TestNonceBoundIsPerKey(t *testing.T) {
	now := epoch
	f := newFixtureWith(nil, httpsig.Config{MaxNoncesPerKey: 3, Now: func() time.Time { return now }})
	url := "http://node1.example:8080/v1/account"
	verify := func(keyID string) error {
		_, err := f.verifier.Verify(f.signed(t, "GET", url, nil, httpsig.Params{KeyID: keyID, Created: now}), nil)
		return err
	}
	for i := range 3 {
		if err := verify("alice"); err != nil {
			t.Fatalf("alice's request %d: %v", i, err)
		}
	}
	if err := verify("alice"); err == nil || !strings.Contains(err.Error(), `key "alice" made more than 3 signed requests`) {
		t.Fatalf("alice's fourth request: %v", err)
	}
	for i := range 3 {
		if err := verify("bob"); err != nil {
			t.Fatalf("bob's request %d while alice is at her bound: %v", i, err)
		}
	}
	now = now.Add(5*time.Minute + time.Second)
	if err := verify("alice"); err != nil {
		t.Fatalf("alice's request once her nonces expired: %v", err)
	}
}

// TestReplayAfterRestartIsRefused checks that nonces outlive the
// verifier: a request accepted before a restart (the store closed and
// reopened, a new verifier) is refused after it, while the nonces of
// TestRequestsSignedBeforeTheStartAreRefused checks the guard for nonces
// a crash lost: after a restart, with no record of the captured request's
// nonce, the request is refused because it was created before the start.
func TestRequestsSignedBeforeTheStartAreRefused(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := epoch
	clock := func() time.Time { return now }
	f := newFixtureWith(priv, httpsig.Config{Now: clock})
	url := "http://node1.example:8080/v1/tokens"
	body := []byte(`{"label":"laptop"}`)
	captured := f.signed(t, "POST", url, body, httpsig.Params{})
	if _, err := f.verifier.Verify(captured.Clone(context.Background()), body); err != nil {
		t.Fatal(err)
	}
	// The node crashed and lost the nonce; it restarts a minute later.
	now = epoch.Add(time.Minute)
	f = newFixtureWith(priv, httpsig.Config{Now: clock, NotBefore: now})
	if _, err := f.verifier.Verify(captured.Clone(context.Background()), body); err == nil || !strings.Contains(err.Error(), "before this node started") {
		t.Fatalf("a request created before the restart, its nonce lost: %v", err)
	}
	if _, err := f.verifier.Verify(f.signed(t, "POST", url, body, httpsig.Params{Created: now}), body); err != nil {
		t.Fatalf("a request created after the restart: %v", err)
	}
}

// requests out of time are pruned.
func TestReplayAfterRestartIsRefused(t *testing.T) {
	dir := t.TempDir()
	open := func() *store.Store {
		st, err := store.Open(dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := epoch
	clock := func() time.Time { return now }
	st := open()
	f := newFixtureWith(priv, httpsig.Config{Nonces: st, Now: clock})
	url := "http://node1.example:8080/v1/tokens"
	body := []byte(`{"label":"laptop"}`)
	captured := f.signed(t, "POST", url, body, httpsig.Params{})
	if _, err := f.verifier.Verify(captured.Clone(context.Background()), body); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	now = epoch.Add(time.Minute)
	st = open()
	defer st.Close()
	f = newFixtureWith(priv, httpsig.Config{Nonces: st, Now: clock})
	if _, err := f.verifier.Verify(captured.Clone(context.Background()), body); err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("the captured request replayed after a restart: %v", err)
	}
	fresh := f.signed(t, "POST", url, body, httpsig.Params{Created: now})
	if _, err := f.verifier.Verify(fresh, body); err != nil {
		t.Fatalf("a fresh request after the restart: %v", err)
	}
	// Later, the first request is out of time; its nonce is pruned when
	// the verifier next sweeps.
	now = epoch.Add(5*time.Minute + 30*time.Second)
	if _, err := f.verifier.Verify(f.signed(t, "POST", url, body, httpsig.Params{Created: now}), body); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := st.LoadNonces(time.Unix(0, 0), func(string, []byte, time.Time) { left++ }); err != nil {
		t.Fatal(err)
	}
	if left != 2 {
		t.Fatalf("%d nonces kept, want the 2 of requests still in time", left)
	}
}
