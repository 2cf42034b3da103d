package httpsig_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/suite"
)

// TestSuitesSignAndVerify signs requests with a key of each suite's
// scheme, declaring its name as alg, and checks that they verify, that a
// replay, a changed body and another declared alg are refused, and that
// a signature by the other suite's key under the same keyid does not
// verify.
func TestSuitesSignAndVerify(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			sig := cs.Signature()
			key, err := sig.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			pub := key.Public()
			v := httpsig.NewVerifier(httpsig.Config{
				Suite: cs,
				Resolve: func(_ context.Context, id string) (httpsig.Key, error) {
					if id != "alice" {
						return httpsig.Key{}, errors.New("no such account key")
					}
					return httpsig.Key{Alg: sig.Name(), Verify: func(m, s []byte) bool { return sig.Verify(pub, m, s) }}, nil
				},
				Authorities: authorities,
				Skew:        5 * time.Minute,
				Now:         func() time.Time { return epoch },
			})
			body := []byte(`{"deposits":[]}`)
			url := "http://node1.example:8080/v1/deposits"
			signed := func(alg, nonce string, k httpsig.Signer) *http.Request {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				if err := httpsig.Sign(req, body, httpsig.Params{KeyID: "alice", Alg: alg, Created: epoch, Nonce: nonce}, k); err != nil {
					t.Fatal(err)
				}
				return req
			}
			req := signed(sig.Name(), "nonce-first-1", key)
			if id, err := v.Verify(req.Clone(context.Background()), body); err != nil || id != "alice" {
				t.Fatalf("a %s signature: %q, %v", sig.Name(), id, err)
			}
			refuse := func(what string, req *http.Request, body []byte, want string) {
				t.Helper()
				if _, err := v.Verify(req, body); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v, want %q", what, err, want)
				}
			}
			refuse("replay", req, body, "replayed")
			refuse("changed body", signed(sig.Name(), "nonce-body-1", key), []byte(`{"deposits":[1]}`), "does not match its Content-Digest")
			for _, other := range suite.All() {
				if other.Name() == cs.Name() {
					continue
				}
				otherKey, err := other.Signature().GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				refuse("other alg declared", signed(other.Signature().Name(), "nonce-alg-1", key), body, "alg \""+other.Signature().Name()+"\"")
				refuse("other suite's key", signed("", "nonce-key-1", otherKey), body, "")
			}
		})
	}
}
