package httpsig

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/dunglas/httpsfv"
)

// RFC 9421 appendix B.2.6: the signature base of the test request for the
// components the example covers, and the example's Ed25519 signature over
// it with the test key of appendix B.1.4.
func TestRFC9421Ed25519Example(t *testing.T) {
	req, err := http.NewRequest("POST", "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(`{"hello": "world"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Length", "18")
	input, err := httpsfv.UnmarshalDictionary([]string{`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := input.Get("sig-b26")
	base, err := signatureBase(req, m.(httpsfv.InnerList))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/rfc9421-b26.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(base) != string(want) {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, want)
	}
	block, _ := pem.Decode([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString("wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==")
	if got := ed25519.Sign(key.(ed25519.PrivateKey), base); string(got) != string(sig) {
		t.Fatalf("signature %x, the RFC's %x", got, sig)
	}
}
