package suite_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

// forge makes a signature of any message that ZIP-215 accepts under any
// public key of small order: R = [s]B, because [8][k]A vanishes.
func forge() []byte {
	var b [64]byte
	rand.Read(b[:])
	s, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
	r := new(edwards25519.Point).ScalarBaseMult(s)
	return append(r.Bytes(), s.Bytes()...)
}

// TestCheckPublicKeyRefusesTheVectors checks every key of the golden
// vectors: it is what its class says, CheckPublicKey refuses it, and
// neither Verify nor a batch accepts a signature under it, not even one
// forged for a small-order key that plain ZIP-215 verification accepts.
func TestCheckPublicKeyRefusesTheVectors(t *testing.T) {
	sig := suite.International().Signature()
	msg := []byte("deposit statement")
	keys := suitetest.BadEd25519Keys()
	if len(keys) != 29 {
		t.Fatalf("%d vectors; the file lost some", len(keys))
	}
	for _, k := range keys {
		t.Run(k.Name, func(t *testing.T) {
			p, decodeErr := new(edwards25519.Point).SetBytes(k.Key)
			switch k.Class {
			case "small-order":
				if decodeErr != nil || new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
					t.Fatal("the vector is not a point of small order")
				}
			case "non-canonical":
				if decodeErr != nil || bytes.Equal(p.Bytes(), k.Key) {
					t.Fatal("the vector is not a second encoding of a point")
				}
			case "off-curve":
				if decodeErr == nil {
					t.Fatal("the vector is a point")
				}
			case "length":
				if len(k.Key) == 32 {
					t.Fatal("the vector has the right length")
				}
			default:
				t.Fatalf("unknown class %q", k.Class)
			}
			if err := sig.CheckPublicKey(k.Key); !errors.Is(err, suite.ErrBadPublicKey) {
				t.Fatalf("CheckPublicKey: %v, want ErrBadPublicKey", err)
			}
			if k.Class == "length" {
				return
			}
			forged := forge()
			if k.Class == "small-order" && !ed25519consensus.Verify(k.Key, msg, forged) {
				t.Fatal("the forgery does not work against plain ZIP-215; the test proves nothing")
			}
			if sig.Verify(k.Key, msg, forged) {
				t.Error("Verify accepted a signature under a refused key")
			}
			good, _ := sig.GenerateKey(rand.Reader)
			gs, _ := good.Sign(msg)
			b := sig.NewBatch(2)
			b.Add(good.Public(), msg, gs)
			b.Add(k.Key, msg, forged)
			if b.Verify() {
				t.Error("a batch accepted a signature under a refused key")
			}
		})
	}
	good, _ := sig.GenerateKey(rand.Reader)
	if err := sig.CheckPublicKey(good.Public()); err != nil {
		t.Fatalf("a generated key: %v", err)
	}
}

// FuzzCheckPublicKey checks that CheckPublicKey never panics and accepts
// exactly canonical encodings of points outside the small-order subgroup.
func FuzzCheckPublicKey(f *testing.F) {
	for _, k := range suitetest.BadEd25519Keys() {
		f.Add(k.Key)
	}
	good, _ := suite.International().Signature().GenerateKey(rand.Reader)
	f.Add(good.Public())
	sig := suite.International().Signature()
	f.Fuzz(func(t *testing.T, key []byte) {
		err := sig.CheckPublicKey(key)
		p, decodeErr := new(edwards25519.Point).SetBytes(key)
		want := decodeErr == nil && bytes.Equal(p.Bytes(), key) &&
			new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1
		if want != (err == nil) {
			t.Fatalf("CheckPublicKey(%x) = %v, want accepted = %v", key, err, want)
		}
	})
}

// TestCosignatureVerifierKey checks that the cosignature key of a note key
// is the one transparency-dev/formats derives for the international suite,
// that it verifies the cosigner's signatures in both suites, and that a
// key of the other suite is refused.
func TestCosignatureVerifierKey(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			skey, vkey, err := cs.GenerateNoteKey(rand.Reader, "w1")
			if err != nil {
				t.Fatal(err)
			}
			cvkey, err := cs.CosignatureVerifierKey(vkey)
			if err != nil {
				t.Fatal(err)
			}
			if cs.IsCosignatureKey(vkey) || !cs.IsCosignatureKey(cvkey) {
				t.Fatalf("IsCosignatureKey: note key %v, cosignature key %v", cs.IsCosignatureKey(vkey), cs.IsCosignatureKey(cvkey))
			}
			if again, err := cs.CosignatureVerifierKey(cvkey); err != nil || again != cvkey {
				t.Fatalf("cosignature key of a cosignature key: %q, %v", again, err)
			}
			if cs.Name() == suite.NameInternational {
				want, err := fnote.VKeyToCosignatureV1(vkey)
				if err != nil || want != cvkey {
					t.Fatalf("got %q, transparency-dev/formats %q (%v)", cvkey, want, err)
				}
			}
			signer, err := cs.NewCosigner(skey, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			v, err := cs.NewCosignatureVerifier(cvkey)
			if err != nil {
				t.Fatal(err)
			}
			text := "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
			signed, err := note.Sign(&note.Note{Text: text}, signer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
				t.Fatalf("cosignature does not verify under the derived key: %v", err)
			}
			for _, other := range suite.All() {
				if other.Name() != cs.Name() {
					if _, err := other.CosignatureVerifierKey(vkey); err == nil {
						t.Errorf("the %s suite derived a cosignature key from a %s key", other.Name(), cs.Name())
					}
				}
			}
		})
	}
}
