package suite

import (
	"crypto/rand"
	"testing"
	"time"
)

// FuzzParsePrivateKey checks that reading a key file never panics.
func FuzzParsePrivateKey(f *testing.F) {
	for _, cs := range All() {
		k, _ := cs.Signature().GenerateKey(rand.Reader)
		pemKey, _ := k.MarshalPEM()
		f.Add(pemKey)
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, cs, err := ParseAnyPrivateKey(b)
		if err != nil {
			return
		}
		if cs.Signature().CheckPublicKey(k.Public()) != nil {
			t.Fatal("accepted a key with a malformed public key")
		}
	})
}

// FuzzNoteKeys reads verifier and signer keys of both suites: no input
// panics, and a verifier key read is the one spelling VerifierKey writes.
func FuzzNoteKeys(f *testing.F) {
	for _, cs := range All() {
		skey, vkey, _ := cs.GenerateNoteKey(rand.Reader, "example.com/log")
		f.Add(vkey)
		f.Add(skey)
		cv, _ := cs.CosignatureVerifierKey(vkey)
		f.Add(cv)
	}
	f.Add("a+00000000+AA==")
	f.Add("PRIVATE+KEY+a+00000000+/w==")
	f.Fuzz(func(t *testing.T, key string) {
		SuiteOfKey(key)
		for _, cs := range All() {
			if name, pub, err := cs.KeyOf(key); err == nil {
				if _, err := cs.NewCosignatureVerifier(key); err != nil {
					t.Fatalf("KeyOf reads %q, the cosignature verifier does not: %v", key, err)
				}
				if v, err := cs.NewVerifier(key); err == nil {
					again, err := cs.VerifierKey(name, pub)
					if err != nil || again != key || v.Name() != name {
						t.Fatalf("%q read as %s %x, written back as %q (%v)", key, name, pub, again, err)
					}
				}
			}
			if s, err := cs.NewSigner(key); err == nil {
				s.Sign([]byte("x\n"))
			}
			if s, err := cs.NewCosigner(key, time.Now); err == nil {
				s.Sign([]byte("o\n1\nAAAA\n"))
			}
		}
	})
}

// FuzzVerify gives signatures and keys of any bytes to both schemes: no
// panic, and nothing verifies under a key CheckPublicKey refuses.
func FuzzVerify(f *testing.F) {
	for _, cs := range All() {
		k, _ := cs.Signature().GenerateKey(rand.Reader)
		sig, _ := k.Sign([]byte("m"))
		f.Add(k.Public(), sig)
	}
	f.Fuzz(func(t *testing.T, pub, sig []byte) {
		for _, cs := range All() {
			sch := cs.Signature()
			if sch.Verify(pub, []byte("m"), sig) && sch.CheckPublicKey(pub) != nil {
				t.Fatal("a signature verified under a refused key")
			}
			bv := sch.NewBatch(1)
			bv.Add(pub, []byte("m"), sig)
			bv.Verify()
		}
	})
}
