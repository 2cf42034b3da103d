package tsa_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/tsa"
)

func TestHashAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		name string
		oid  string
		size int
	}{
		{"sha256", "2.16.840.1.101.3.4.2.1", 32},
		{"sha384", "2.16.840.1.101.3.4.2.2", 48},
		{"sha512", "2.16.840.1.101.3.4.2.3", 64},
		{"sm3", "1.2.156.10197.1.401", 32},
	} {
		oid, newHash, err := tsa.HashAlgorithm(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if oid.String() != tc.oid || newHash().Size() != tc.size {
			t.Errorf("%s: %v, %d bytes", tc.name, oid, newHash().Size())
		}
	}
	if _, _, err := tsa.HashAlgorithm("sha1"); err == nil || !strings.Contains(err.Error(), "sha256, sha384, sha512, sm3") {
		t.Errorf("sha1: %v", err)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	sha, _, _ := tsa.HashAlgorithm("sha256")
	sm, _, _ := tsa.HashAlgorithm("sm3")
	d := sha256.Sum256([]byte("x"))
	s := sm3.Sum([]byte("x"))
	for _, tc := range []struct {
		name string
		req  tsa.Request
	}{
		{"sha256 bare", tsa.Request{HashAlgorithm: sha, HashedMessage: d[:]}},
		{"sm3 everything", tsa.Request{HashAlgorithm: sm, HashedMessage: s[:], Policy: tsa.DefaultPolicy(), Nonce: big.NewInt(0x1234567890), CertReq: true}},
		{"negative nonce", tsa.Request{HashAlgorithm: sha, HashedMessage: d[:], Nonce: big.NewInt(-5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := tc.req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := tsa.ParseRequest(der)
			if err != nil {
				t.Fatal(err)
			}
			if !back.HashAlgorithm.Equal(tc.req.HashAlgorithm) || !bytes.Equal(back.HashedMessage, tc.req.HashedMessage) ||
				!back.Policy.Equal(tc.req.Policy) || back.CertReq != tc.req.CertReq ||
				(back.Nonce == nil) != (tc.req.Nonce == nil) || (back.Nonce != nil && back.Nonce.Cmp(tc.req.Nonce) != 0) {
				t.Fatalf("parsed %+v, want %+v", back, tc.req)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, der) {
				t.Fatalf("re-encoding differs: %x\n%x", again, der)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	sha, _, _ := tsa.HashAlgorithm("sha256")
	d := sha256.Sum256([]byte("x"))
	nonce := big.NewInt(7)
	r, err := tsa.NewRequest(sha, d[:], nonce, true)
	if err != nil {
		t.Fatal(err)
	}
	nonce.SetInt64(8)
	d[0] ^= 1
	if r.Nonce.Int64() != 7 || r.HashedMessage[0] == d[0] {
		t.Fatal("NewRequest kept the caller's nonce or digest instead of copies")
	}
	if _, err := tsa.NewRequest(sha, d[:31], nil, false); err == nil {
		t.Fatal("a 31-byte sha256 digest was accepted")
	}
	if _, err := tsa.NewRequest(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, make([]byte, 20), nil, false); err == nil {
		t.Fatal("a sha1 request was made")
	}
	if _, err := tsa.NewRequest(sha, d[:], new(big.Int).Lsh(big.NewInt(1), 300), false); err == nil {
		t.Fatal("a 300-bit nonce was accepted")
	}
}

// rawRequest assembles a TimeStampReq from encoded fields, to write the
// requests Marshal refuses to.
func rawRequest(fields ...[]byte) []byte {
	var body []byte
	for _, f := range fields {
		body = append(body, f...)
	}
	return append([]byte{0x30, byte(len(body))}, body...)
}

func imprint(alg []byte, digest []byte) []byte {
	inner := append(append([]byte{}, alg...), append([]byte{0x04, byte(len(digest))}, digest...)...)
	return append([]byte{0x30, byte(len(inner))}, inner...)
}

func algID(oid asn1.ObjectIdentifier, params ...byte) []byte {
	o, _ := asn1.Marshal(oid)
	inner := append(o, params...)
	return append([]byte{0x30, byte(len(inner))}, inner...)
}

func TestParseRequestRefuses(t *testing.T) {
	sha256OID, _, _ := tsa.HashAlgorithm("sha256")
	v1 := []byte{0x02, 0x01, 0x01}
	d := make([]byte, 32)
	good := imprint(algID(sha256OID), d)
	cases := []struct {
		name string
		der  []byte
		fail tsa.FailInfo
		want string
	}{
		{"sha1", rawRequest(v1, imprint(algID(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, 0x05, 0x00), make([]byte, 20))), tsa.FailBadAlg, "sha1, too weak"},
		{"md5", rawRequest(v1, imprint(algID(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}), make([]byte, 16))), tsa.FailBadAlg, "md5, too weak"},
		{"unknown hash", rawRequest(v1, imprint(algID(asn1.ObjectIdentifier{1, 2, 3}), d)), tsa.FailBadAlg, "1.2.3 is not one of"},
		{"hash parameters", rawRequest(v1, imprint(algID(sha256OID, 0x02, 0x01, 0x00), d)), tsa.FailBadAlg, "absent or NULL"},
		{"short digest", rawRequest(v1, imprint(algID(sha256OID), d[:20])), tsa.FailBadDataFormat, "hashedMessage is 20 bytes"},
		{"version 2", rawRequest([]byte{0x02, 0x01, 0x02}, good), tsa.FailBadDataFormat, "version is 2"},
		{"extensions", rawRequest(v1, good, []byte{0xa0, 0x00}), tsa.FailUnacceptedExtension, "extensions"},
		{"explicit certReq FALSE", rawRequest(v1, good, []byte{0x01, 0x01, 0x00}), tsa.FailBadDataFormat, "certReq is FALSE"},
		{"non-canonical TRUE", rawRequest(v1, good, []byte{0x01, 0x01, 0x01}), tsa.FailBadDataFormat, "certReq"},
		{"fields out of order", rawRequest(v1, good, []byte{0x02, 0x01, 0x05}, []byte{0x06, 0x01, 0x2a}), tsa.FailBadDataFormat, "stray bytes"},
		{"trailing bytes", append(rawRequest(v1, good), 0), tsa.FailBadDataFormat, "stray bytes"},
		{"not DER length", append([]byte{0x30, 0x81, byte(len(v1) + len(good))}, append(v1, good...)...), tsa.FailBadDataFormat, "TimeStampReq"},
		{"garbage", []byte("GET / HTTP/1.1"), tsa.FailBadDataFormat, "TimeStampReq"},
		{"empty", nil, tsa.FailBadDataFormat, "missing"},
		{"too large", make([]byte, tsa.MaxRequestSize+1), tsa.FailBadRequest, "at most 65536"},
		{"huge nonce", rawRequest(v1, good, append([]byte{0x02, 0x21, 0x01}, make([]byte, 32)...)), tsa.FailBadRequest, "nonce is 33 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tsa.ParseRequest(tc.der)
			var e *tsa.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *tsa.Error", err)
			}
			if e.FailInfo != tc.fail || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %v / %q, want %v / %q", e.FailInfo, e.Message, tc.fail, tc.want)
			}
		})
	}
	// The well-formed base of the cases parses.
	if _, err := tsa.ParseRequest(rawRequest(v1, good)); err != nil {
		t.Fatal(err)
	}
}

// TestParseRequestOpenSSL reads queries `openssl ts -query` makes: NULL
// hash parameters, a 64-bit nonce, certReq, a policy with a UUID arc.
func TestParseRequestOpenSSL(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	dir := t.TempDir()
	content := []byte("evidence to time-stamp\n")
	data := pkitest.WriteFile(t, dir, "data", content)
	shaDigest := sha256.Sum256(content)
	smDigest := sm3.Sum(content)
	for _, tc := range []struct {
		name   string
		args   []string
		digest []byte
		nonce  bool
		cert   bool
		policy bool
	}{
		{"sha256 with cert", []string{"-sha256", "-cert"}, shaDigest[:], true, true, false},
		{"sm3 without nonce", []string{"-sm3", "-no_nonce"}, smDigest[:], false, false, false},
		{"policy", []string{"-sha256", "-tspolicy", tsa.DefaultPolicy().String()}, shaDigest[:], true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "q.tsq")
			args := append([]string{"ts", "-query", "-data", data, "-out", out}, tc.args...)
			if msg, err := pkitest.Run(t, openssl, args...); err != nil {
				t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, msg)
			}
			der, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tsa.ParseRequest(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.HashedMessage, tc.digest) || (r.Nonce != nil) != tc.nonce || r.CertReq != tc.cert || r.Policy.Equal(x509.OID{}) == tc.policy {
				t.Fatalf("parsed %+v", r)
			}
			if tc.policy && !r.Policy.Equal(tsa.DefaultPolicy()) {
				t.Fatalf("policy %s", r.Policy)
			}
			again, err := r.Marshal()
			if err != nil || !bytes.Equal(again, der) {
				t.Fatalf("re-encoding OpenSSL's query differs (%v):\n%x\n%x", err, again, der)
			}
		})
	}
}
