package deposit_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// digestOf returns the digest named alg of content.
func digestOf(t *testing.T, alg string, content []byte) deposit.Digest {
	t.Helper()
	a, err := deposit.ParseAlgorithm(alg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := suite.NewContentHash(alg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(content)
	return deposit.Digest{Algorithm: a, Value: h.Sum(nil)}
}

// TestStatementSuites checks, for each suite, that a statement carrying
// the suite's content digest (alone or with the other suite's) is signed,
// encoded, parsed and verified, that ContentDigest finds the suite's
// digest, and that a statement carrying only the other suite's digest is
// refused on the network.
func TestStatementSuites(t *testing.T) {
	content := []byte("scene photo")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			key, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			mine, other := digestOf(t, cs.ContentDigest(), content), digestOf(t, cs.SecondDigest(), content)
			both := []deposit.Digest{mine, other}
			if both[0].Algorithm > both[1].Algorithm {
				both[0], both[1] = both[1], both[0]
			}
			for _, tc := range []struct {
				name    string
				digests []deposit.Digest
				want    string // error of CheckSuite, "" for none
			}{
				{"own digest", []deposit.Digest{mine}, ""},
				{"both digests", both, ""},
				{"other suite's only", []deposit.Digest{other}, "digests." + cs.ContentDigest() + ": required: this network's suite is " + cs.String()},
			} {
				t.Run(tc.name, func(t *testing.T) {
					s := deposit.Signed{Statement: deposit.Statement{Digests: tc.digests, Size: uint64(len(content)), Depositor: key.Public(), IdempotencyKey: "k1"}}
					if err := s.Validate(); err != nil {
						t.Fatalf("Validate (suite-free): %v", err)
					}
					err := s.CheckSuite(cs)
					if tc.want != "" {
						if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
							t.Fatalf("CheckSuite: %v, want %q", err, tc.want)
						}
						if s.ContentDigest(cs) != nil {
							t.Fatal("ContentDigest found a digest the statement does not carry")
						}
						return
					}
					if err != nil {
						t.Fatalf("CheckSuite: %v", err)
					}
					if s.Signature, err = key.Sign(s.SigningMessage("origin")); err != nil {
						t.Fatal(err)
					}
					l := deposit.Leaf{Signed: s, Index: 1, Height: 2}
					enc, _ := l.MarshalBinary()
					back, err := deposit.ParseLeaf(enc)
					if err != nil {
						t.Fatal(err)
					}
					if !back.Verify(cs, "origin") {
						t.Fatal("signature does not verify after a round trip")
					}
					if !bytes.Equal(back.ContentDigest(cs), mine.Value) {
						t.Fatalf("ContentDigest %x, want the %s %x", back.ContentDigest(cs), cs.ContentDigest(), mine.Value)
					}
					if len(tc.digests) == 2 && !bytes.Equal(back.Digest(other.Algorithm), other.Value) {
						t.Fatal("the second digest is not committed in the leaf")
					}
				})
			}
		})
	}
}

// TestSuiteDigestsAreAlgorithms checks that every suite's digests have an
// encoding in a statement, which ContentDigest relies on.
func TestSuiteDigestsAreAlgorithms(t *testing.T) {
	for _, cs := range suite.All() {
		for _, name := range []string{cs.ContentDigest(), cs.SecondDigest()} {
			a, err := deposit.ParseAlgorithm(name)
			if err != nil || a.Size() != suite.HashSize {
				t.Errorf("%s: digest %s: %v, size %d", cs.Name(), name, err, a.Size())
			}
		}
	}
}
