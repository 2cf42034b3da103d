package httpsig_test

import (
	"crypto/ed25519"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/httpsig"
)

// FuzzVerify feeds arbitrary signature headers and bodies: verification
// never panics, and every refusal is an *httpsig.Error (a 401 for the
// client), never another failure.
func FuzzVerify(f *testing.F) {
	fx := newFixture(ed25519.NewKeyFromSeed(make([]byte, 32)))
	body := []byte(`{"deposits":[]}`)
	req, _ := http.NewRequest("POST", "http://node.example/v1/deposits", strings.NewReader(string(body)))
	httpsig.Sign(req, body, httpsig.Params{KeyID: "alice", Created: epoch, Nonce: "seed-nonce-1"}, fx.key)
	f.Add(req.Header.Get("Signature-Input"), req.Header.Get("Signature"), req.Header.Get("Content-Digest"), body)
	f.Add(`jurichain=("@method" "@path");created=1;keyid="alice";nonce="12345678";expires=2`, "jurichain=:AAAA:", "sha-256=:AAAA:", []byte{})
	f.Fuzz(func(t *testing.T, input, signature, digest string, body []byte) {
		r, err := http.NewRequest("POST", "http://node.example/v1/deposits", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", signature)
		r.Header.Set("Content-Digest", digest)
		_, err = fx.verifier.Verify(r, body)
		var sigErr *httpsig.Error
		if err != nil && !errors.As(err, &sigErr) {
			t.Fatalf("refusal of another kind: %v", err)
		}
	})
}
