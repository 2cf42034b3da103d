package suite_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/suite"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSM3Vectors runs the examples of GB/T 32905-2016 Appendix A through
// the suite's hash.
func TestSM3Vectors(t *testing.T) {
	gm := suite.GM()
	for _, tc := range []struct{ in, want string }{
		{"abc", "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732"},
	} {
		if got := gm.Hash([]byte(tc.in)); !bytes.Equal(got[:], unhex(t, tc.want)) {
			t.Errorf("SM3(%q) = %x", tc.in, got)
		}
		h, _ := suite.NewContentHash("sm3")
		h.Write([]byte(tc.in))
		if !bytes.Equal(h.Sum(nil), unhex(t, tc.want)) {
			t.Errorf("content hash sm3 of %q differs", tc.in)
		}
	}
}

// TestSM2Vector verifies the signature example of GB/T 32918.2-2016 /
// GM/T 0003.5 on the recommended curve (message "message digest", default
// user ID) through the suite's scheme, and refuses it altered.
func TestSM2Vector(t *testing.T) {
	pub := append([]byte{4}, unhex(t, "09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"+
		"CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13")...)
	r := new(big.Int).SetBytes(unhex(t, "F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3"))
	s := new(big.Int).SetBytes(unhex(t, "B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA"))
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1BigInt(r); b.AddASN1BigInt(s) })
	sig := b.BytesOrPanic()
	scheme := suite.GM().Signature()
	if err := scheme.CheckPublicKey(pub); err != nil {
		t.Fatal(err)
	}
	if !scheme.Verify(pub, []byte("message digest"), sig) {
		t.Fatal("the standard's example signature does not verify")
	}
	if scheme.Verify(pub, []byte("message digesT"), sig) {
		t.Fatal("the example signature verifies another message")
	}
	priv, err := scheme.NewPrivateKey(unhex(t, "3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8"))
	if err != nil || !bytes.Equal(priv.Public(), pub) {
		t.Fatalf("the example private key gives %x, %v", priv.Public(), err)
	}
}

// TestSignatureSchemes signs and verifies with each suite, batch and one
// at a time, and refuses what must be refused.
func TestSignatureSchemes(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			sch := cs.Signature()
			k, err := sch.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("jurichain")
			sig, err := k.Sign(msg)
			if err != nil || len(sig) > sch.MaxSignatureSize() || len(k.Public()) != sch.PublicKeySize() {
				t.Fatalf("sign: %d bytes, %v", len(sig), err)
			}
			if !sch.Verify(k.Public(), msg, sig) || sch.Verify(k.Public(), []byte("other"), sig) {
				t.Fatal("verify")
			}
			bv := sch.NewBatch(2)
			bv.Add(k.Public(), msg, sig)
			bv.Add(k.Public(), msg, sig)
			if !bv.Verify() {
				t.Fatal("batch of good signatures refused")
			}
			bad := bytes.Clone(sig)
			bad[len(bad)-1] ^= 1
			bv = sch.NewBatch(2)
			bv.Add(k.Public(), msg, sig)
			bv.Add(k.Public(), msg, bad)
			if bv.Verify() {
				t.Fatal("batch with a bad signature accepted")
			}
			// Keys round-trip through PEM and raw bytes.
			pemKey, _ := k.MarshalPEM()
			k2, err := sch.ParsePrivateKey(pemKey)
			if err != nil || !bytes.Equal(k2.Public(), k.Public()) {
				t.Fatalf("PEM round trip: %v", err)
			}
			k3, err := sch.NewPrivateKey(k.Bytes())
			if err != nil || !bytes.Equal(k3.Public(), k.Public()) {
				t.Fatalf("raw round trip: %v", err)
			}
			pubPEM, _ := k.MarshalPublicPEM()
			if pub, err := sch.ParsePublicKey(pubPEM); err != nil || !bytes.Equal(pub, k.Public()) {
				t.Fatalf("public PEM round trip: %v", err)
			}
			// The other suite's keys are refused.
			for _, o := range suite.All() {
				if o.Name() == cs.Name() {
					continue
				}
				ok, _ := o.Signature().GenerateKey(rand.Reader)
				if err := sch.CheckPublicKey(ok.Public()); err == nil {
					t.Errorf("a %s key passes as %s", o.Signature().Name(), sch.Name())
				}
				pemOther, _ := ok.MarshalPEM()
				if _, err := sch.ParsePrivateKey(pemOther); err == nil {
					t.Errorf("a %s private key parsed as %s", o.Signature().Name(), sch.Name())
				}
			}
		})
	}
}

// TestSM2BadKeys refuses encodings of SM2 points other than the one
// uncompressed spelling of a point of the curve.
func TestSM2BadKeys(t *testing.T) {
	sch := suite.GM().Signature()
	k, _ := sch.GenerateKey(rand.Reader)
	pub := k.Public()
	offCurve := bytes.Clone(pub)
	offCurve[64] ^= 1
	compressed := append([]byte{2 + pub[64]&1}, pub[1:33]...)
	g := sm2.P256().Params()
	negG := append([]byte{4}, g.Gx.FillBytes(make([]byte, 32))...)
	negG = append(negG, new(big.Int).Sub(g.P, g.Gy).FillBytes(make([]byte, 32))...)
	for name, key := range map[string][]byte{
		"negated base point": negG,
		"off the curve":      offCurve,
		"compressed":         compressed,
		"hybrid prefix":      append([]byte{6}, pub[1:]...),
		"infinity":           make([]byte, 65),
		"short":              pub[:64],
		"long":               append(bytes.Clone(pub), 0),
		"empty":              nil,
		"x only with prefix": append([]byte{4}, pub[1:33]...),
	} {
		if err := sch.CheckPublicKey(key); err == nil {
			t.Errorf("%s: accepted", name)
		}
		sig, _ := k.Sign([]byte("m"))
		if sch.Verify(key, []byte("m"), sig) {
			t.Errorf("%s: a signature verifies under it", name)
		}
	}
}

// TestNoteInterop holds the international suite's signed-note keys,
// signatures and cosignatures to golang.org/x/mod/sumdb/note and
// github.com/transparency-dev/formats, in both directions.
func TestNoteInterop(t *testing.T) {
	cs := suite.International()
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	theirSigner, err := note.NewSigner(skey)
	if err != nil {
		t.Fatalf("x/mod reads our key: %v", err)
	}
	theirVerifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("x/mod reads our verifier key: %v", err)
	}
	ourSigner, _ := cs.NewSigner(skey)
	ourVerifier, err := cs.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	text := "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	ours, _ := note.Sign(&note.Note{Text: text}, ourSigner)
	theirs, _ := note.Sign(&note.Note{Text: text}, theirSigner)
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("signatures differ:\n%s\n%s", ours, theirs)
	}
	if _, err := note.Open(ours, note.VerifierList(theirVerifier)); err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(theirs, note.VerifierList(ourVerifier)); err != nil {
		t.Fatal(err)
	}

	now := func() time.Time { return time.Unix(1700000000, 0) }
	ourCosigner, err := cs.NewCosigner(skey, now)
	if err != nil {
		t.Fatal(err)
	}
	theirCosigner, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	theirCosVerifier, _ := fnote.NewVerifierForCosignatureV1(vkey)
	ourCosVerifier, err := cs.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if ourCosigner.KeyHash() != theirCosigner.KeyHash() || ourCosVerifier.KeyHash() != theirCosVerifier.KeyHash() {
		t.Fatal("cosignature key IDs differ from transparency-dev/formats")
	}
	cosigned, _ := note.Sign(&note.Note{Text: text}, ourCosigner)
	if _, err := note.Open(cosigned, note.VerifierList(theirCosVerifier)); err != nil {
		t.Fatalf("formats refuses our cosignature: %v", err)
	}
	cosigned, _ = note.Sign(&note.Note{Text: text}, theirCosigner)
	if _, err := note.Open(cosigned, note.VerifierList(ourCosVerifier)); err != nil {
		t.Fatalf("we refuse a formats cosignature: %v", err)
	}
}

// TestGMNotes signs notes and cosignatures with SM2 keys, checks the key
// IDs are those c2sp.org/signed-note recommends for type 0xff, and refuses
// keys across suites with a message naming both.
func TestGMNotes(t *testing.T) {
	gm, intl := suite.GM(), suite.International()
	skey, vkey, err := gm.GenerateNoteKey(rand.Reader, "court.example/log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(skey, "PRIVATE+KEY+court.example/log+") {
		t.Fatalf("skey %s", skey)
	}
	s, err := gm.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := gm.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	_, pub, _ := gm.KeyOf(vkey)
	if v.KeyHash() != s.KeyHash() || v.KeyHash() != suiteKeyID("court.example/log", append([]byte("\xffjurichain/sm2-note/v1"), pub...)) {
		t.Fatal("key ID is not SHA-256(name || 0x0A || 0xff || identifier || key)[:4]")
	}
	text := "court.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(signed, []byte("\n1\n"), []byte("\n2\n"), 1)
	if _, err := note.Open(tampered, note.VerifierList(v)); err == nil {
		t.Fatal("a tampered note verifies")
	}
	cos, err := gm.NewCosigner(skey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := gm.NewCosignatureVerifier(vkey)
	if err != nil || cv.KeyHash() != cos.KeyHash() || cv.KeyHash() == v.KeyHash() {
		t.Fatalf("cosignature verifier: %v", err)
	}
	cosigned, _ := note.Sign(&note.Note{Text: text}, cos)
	if _, err := note.Open(cosigned, note.VerifierList(cv)); err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(cosigned, note.VerifierList(v)); err == nil {
		t.Fatal("a cosignature verifies as a plain signature")
	}

	_, intlKey, _ := intl.GenerateNoteKey(rand.Reader, "other.example/log")
	for _, c := range []struct {
		cs   *suite.Suite
		vkey string
	}{{gm, intlKey}, {intl, vkey}} {
		_, err := c.cs.NewVerifier(c.vkey)
		if err == nil || !strings.Contains(err.Error(), "suite") || !strings.Contains(err.Error(), "SM3") || !strings.Contains(err.Error(), "SHA-256") {
			t.Errorf("%s verifier of a foreign key: %v", c.cs.Name(), err)
		}
		if got, _ := suite.SuiteOfKey(c.vkey); got == nil || got.Name() == c.cs.Name() {
			t.Errorf("SuiteOfKey(%s)", c.vkey)
		}
	}
	if _, err := intl.NewSigner(skey); err == nil {
		t.Error("an SM2 private key was read as an international one")
	}
}

func suiteKeyID(name string, typeAndKey []byte) uint32 {
	h := sha256Sum(append([]byte(name+"\n"), typeAndKey...))
	return uint32(h[0])<<24 | uint32(h[1])<<16 | uint32(h[2])<<8 | uint32(h[3])
}

// TestOpenSSLSM2 checks SM2 and SM3 against OpenSSL 3: it verifies the
// suite's signatures and digest, and the suite verifies OpenSSL's
// signature, all with the default user ID.
func TestOpenSSLSM2(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed (apt install openssl)")
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	run := func(args ...string) string {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sch := suite.GM().Signature()
	k, _ := sch.GenerateKey(rand.Reader)
	msg := write("msg", []byte("jurichain deposit statement"))
	sig, _ := k.Sign([]byte("jurichain deposit statement"))
	pubPEM, _ := k.MarshalPublicPEM()
	pubFile := write("pub.pem", pubPEM)
	out := run("pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", msg, "-sigfile", write("sig", sig))
	if !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl: %s", out)
	}
	// OpenSSL reads our private key and signs; we verify.
	privPEM, _ := k.MarshalPEM()
	sigFile := filepath.Join(dir, "osig")
	run("pkeyutl", "-sign", "-inkey", write("key.pem", privPEM), "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", msg, "-out", sigFile)
	osig, _ := os.ReadFile(sigFile)
	if !sch.Verify(k.Public(), []byte("jurichain deposit statement"), osig) {
		t.Fatal("an OpenSSL SM2 signature does not verify")
	}
	// OpenSSL makes a key; we read its public key and verify its signature.
	oKey := filepath.Join(dir, "okey.pem")
	run("genpkey", "-algorithm", "SM2", "-out", oKey)
	oPub := filepath.Join(dir, "opub.pem")
	run("pkey", "-in", oKey, "-pubout", "-out", oPub)
	run("pkeyutl", "-sign", "-inkey", oKey, "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", msg, "-out", sigFile)
	pb, _ := os.ReadFile(oPub)
	pub, err := sch.ParsePublicKey(pb)
	if err != nil {
		t.Fatal(err)
	}
	osig, _ = os.ReadFile(sigFile)
	if !sch.Verify(pub, []byte("jurichain deposit statement"), osig) {
		t.Fatal("a signature by an OpenSSL key does not verify")
	}
	d := suite.GM().Hash([]byte("jurichain deposit statement"))
	if out := run("dgst", "-sm3", msg); !strings.Contains(out, hex.EncodeToString(d[:])) {
		t.Fatalf("openssl dgst -sm3: %s, we say %x", out, d)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
