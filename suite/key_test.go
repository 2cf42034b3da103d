package suite_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"

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
