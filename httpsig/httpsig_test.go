package httpsig_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/httpsig"
)

type edKey ed25519.PrivateKey

func (k edKey) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(ed25519.PrivateKey(k), msg), nil }

var epoch = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// fixture is one account key known to a verifier whose clock is epoch.
type fixture struct {
	key      edKey
	verifier *httpsig.Verifier
}

// newFixture makes a fixture for priv, or for a new key if priv is nil.
func newFixture(priv ed25519.PrivateKey) *fixture {
	if priv == nil {
		_, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	f := &fixture{key: edKey(priv)}
	keys := map[string]ed25519.PublicKey{"alice": priv.Public().(ed25519.PublicKey)}
	f.verifier = httpsig.NewVerifier(func(_ context.Context, id string) (httpsig.Key, error) {
		pub, ok := keys[id]
		if !ok {
			return httpsig.Key{}, errors.New("no such account key")
		}
		return httpsig.Key{Alg: "ed25519", Verify: func(m, s []byte) bool { return ed25519.Verify(pub, m, s) }}, nil
	}, 5*time.Minute, func() time.Time { return epoch })
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
		{"sent to another node", func() (*http.Request, []byte) {
			r := f.signed(t, "POST", url, body, httpsig.Params{})
			r.Host = "node2.example:8080"
			return r, body
		}, "does not verify"},
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
