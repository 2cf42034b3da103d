package client_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

func hashOf(t *testing.T, alg string, b []byte) []byte {
	t.Helper()
	h, err := suite.NewContentHash(alg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	return h.Sum(nil)
}

// TestPrepareSuites prepares deposits on a network of each suite, with
// and without the second digest, and checks that the request parses, is
// accepted by the suite's checks, verifies, and carries the digests; and
// that a request without the suite's content digest is refused, naming it.
func TestPrepareSuites(t *testing.T) {
	content := []byte("scene photo")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			key, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			mine, second := hashOf(t, cs.ContentDigest(), content), hashOf(t, cs.SecondDigest(), content)
			meta := deposit.Metadata{Title: "photo", MediaType: "image/jpeg"}
			for _, both := range []bool{false, true} {
				c := client.Content{Digest: mine, Size: uint64(len(content)), Metadata: meta}
				if both {
					c.Second = second
				}
				d, _, err := client.Prepare(cs, "origin", key, c)
				if err != nil {
					t.Fatal(err)
				}
				if err := d.CheckSuite("", cs); err != nil {
					t.Fatalf("both=%v: CheckSuite: %v", both, err)
				}
				s, o, err := d.Parse("")
				if err != nil {
					t.Fatalf("both=%v: Parse: %v", both, err)
				}
				s.MetadataCommitment = o.Commitment(cs) // as the node does
				if !s.Verify(cs, "origin") {
					t.Fatalf("both=%v: the signature does not verify", both)
				}
				if !bytes.Equal(s.ContentDigest(cs), mine) || d.Digests[cs.ContentDigest()] != hex.EncodeToString(mine) {
					t.Fatalf("both=%v: content digest %x", both, s.ContentDigest(cs))
				}
				if got := d.Digests[cs.SecondDigest()]; both != (got == hex.EncodeToString(second)) || !both && got != "" {
					t.Fatalf("both=%v: second digest %q", both, got)
				}
				// The same content, with and without the second digest, is
				// two statements: they must not share an idempotency key.
				if both {
					plain, _, _ := client.Prepare(cs, "origin", key, client.Content{Digest: mine, Size: uint64(len(content)), Metadata: meta})
					if plain.IdempotencyKey == d.IdempotencyKey {
						t.Fatal("the second digest does not change the derived idempotency key")
					}
				}
			}
			// A request carrying only the other suite's digest.
			d, _, err := client.Prepare(cs, "origin", key, client.Content{Digest: mine, Size: uint64(len(content)), Metadata: meta})
			if err != nil {
				t.Fatal(err)
			}
			d.Digests = map[string]string{cs.SecondDigest(): hex.EncodeToString(second)}
			want := "digests." + cs.ContentDigest() + ": required: this network's suite is " + cs.String()
			if err := d.CheckSuite("", cs); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("CheckSuite without the suite's digest: %v, want %q", err, want)
			}
		})
	}
}

// TestPrepareInternationalDerivationUnchanged checks that the metadata
// salt and the idempotency key of an international deposit are the
// HMAC-SHA256 derivation clients have always made, so that a retry by a
// newer client finds the deposit an older one made.
func TestPrepareInternationalDerivationUnchanged(t *testing.T) {
	cs := suite.International()
	key, err := cs.Signature().NewPrivateKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	digest := bytes.Repeat([]byte{0xab}, 32)
	meta := deposit.Metadata{Title: "photo", MediaType: "image/jpeg"}
	d, op, err := client.Prepare(cs, "origin", key, client.Content{Digest: digest, Size: 7, Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	// The derivation as it was, spelled out.
	pemKey, _ := key.MarshalPEM()
	secret := sha256.Sum256(append([]byte("jurichain/client-secret/v1\n"), pemKey...))
	metaJSON := []byte(`{"title":"photo","media_type":"image/jpeg"}`)
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret[:])
		fmt.Fprintf(m, "%s\n%x\n%d\n", label, digest, 7)
		m.Write(metaJSON)
		return m.Sum(nil)
	}
	if !bytes.Equal(op.Salt, derive("salt")) {
		t.Errorf("salt %x, want %x", op.Salt, derive("salt"))
	}
	if want := "auto-" + hex.EncodeToString(derive("idempotency")[:16]); d.IdempotencyKey != want {
		t.Errorf("idempotency key %s, want %s", d.IdempotencyKey, want)
	}
}
