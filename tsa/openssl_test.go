package tsa_test

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// TestOpenSSLInterop answers queries `openssl ts -query` makes, has
// `openssl ts -reply -text` print the responses of both suites, and has
// `openssl ts -verify` check the international suite's. OpenSSL 3.0
// cannot verify SM2 CMS made to GM/T 0009 (see cms.SignedData.Verify), so
// the GM token's signature is checked with `openssl pkeyutl` instead.
func TestOpenSSLInterop(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			a := p.authority(t)
			dir := t.TempDir()
			data := pkitest.WriteFile(t, dir, "evidence.pdf", []byte("%PDF-1.7 a certificate of deposit\n"))
			other := pkitest.WriteFile(t, dir, "other.pdf", []byte("%PDF-1.7 a certificate of deposit!\n"))
			ca := pkitest.WriteFile(t, dir, "ca.pem", pkitest.CertPEM(p.issuer.Cert))
			tsaPEM := pkitest.WriteFile(t, dir, "tsa.pem", pkitest.CertPEM(p.cert))
			query := filepath.Join(dir, "q.tsq")
			hashFlag := "-" + cs.ContentDigest()
			if out, err := pkitest.Run(t, openssl, "ts", "-query", "-data", data, hashFlag, "-cert", "-out", query); err != nil {
				t.Fatalf("openssl ts -query: %v\n%s", err, out)
			}
			body, err := os.ReadFile(query)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.Respond(body)
			if err != nil {
				t.Fatal(err)
			}
			reply := pkitest.WriteFile(t, dir, "resp.tsr", resp)

			out, err := pkitest.Run(t, openssl, "ts", "-reply", "-in", reply, "-text")
			if err != nil {
				t.Fatalf("openssl ts -reply -text: %v\n%s", err, out)
			}
			for _, want := range []string{
				"Status: Granted.",
				"Version: 1",
				"Policy OID: " + tsa.DefaultPolicy().String(),
				"Hash Algorithm: " + cs.ContentDigest(),
				"Time stamp: May  1 09:30:15 2026 GMT",
				"Accuracy: 0x01 seconds, unspecified millis, unspecified micros",
				"Ordering: no",
				"TSA: DirName:/O=Jurichain test/CN=Test Court TSA " + cs.Name(),
			} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl ts -reply -text does not show %q:\n%s", want, out)
				}
			}
			req, err := tsa.ParseRequest(body)
			if err != nil {
				t.Fatal(err)
			}
			// OpenSSL prints the nonce's bytes, so with a leading zero
			// when its hex has an odd length.
			echoed := regexp.MustCompile(`Nonce: 0x([0-9A-F]+)`).FindStringSubmatch(out)
			if len(echoed) != 2 {
				t.Fatalf("openssl ts -reply -text shows no nonce:\n%s", out)
			}
			if n, ok := new(big.Int).SetString(echoed[1], 16); !ok || n.Cmp(req.Nonce) != 0 {
				t.Errorf("the nonce %X is not echoed:\n%s", req.Nonce, out)
			}

			if cs.Name() == suite.NameInternational {
				verify := func(args ...string) (string, error) {
					return pkitest.Run(t, openssl, append(append([]string{"ts", "-verify"}, args...), "-in", reply, "-CAfile", ca, "-untrusted", tsaPEM)...)
				}
				if out, err := verify("-data", data); err != nil || !strings.Contains(out, "Verification: OK") {
					t.Fatalf("openssl ts -verify -data: %v\n%s", err, out)
				}
				if out, err := verify("-queryfile", query); err != nil || !strings.Contains(out, "Verification: OK") {
					t.Fatalf("openssl ts -verify -queryfile: %v\n%s", err, out)
				}
				if out, err := verify("-data", other); err == nil || strings.Contains(out, "Verification: OK") {
					t.Fatalf("openssl verified the token for another file:\n%s", out)
				}
				return
			}
			token, err := tsa.ParseResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(token)
			if err != nil {
				t.Fatal(err)
			}
			pkitest.CheckSignatureWithOpenSSL(t, openssl, cs, p.cert.PublicKey, sd.SignedAttributesDER, sd.Signature)
		})
	}
}

// TestOpenSSLReadsRejection has OpenSSL read the rejection of a SHA-1
// query.
func TestOpenSSLReadsRejection(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	p := newTestPKI(t, suite.International())
	a := p.authority(t)
	dir := t.TempDir()
	data := pkitest.WriteFile(t, dir, "data", []byte("x"))
	query := filepath.Join(dir, "q.tsq")
	if out, err := pkitest.Run(t, openssl, "ts", "-query", "-data", data, "-sha1", "-out", query); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, out)
	}
	body, err := os.ReadFile(query)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Respond(body)
	var refusal *tsa.Error
	if !errors.As(err, &refusal) || refusal.FailInfo != tsa.FailBadAlg {
		t.Fatalf("Respond: %v", err)
	}
	out, err := pkitest.Run(t, openssl, "ts", "-reply", "-in", pkitest.WriteFile(t, dir, "resp.tsr", resp), "-text")
	if err != nil {
		t.Fatalf("openssl ts -reply -text: %v\n%s", err, out)
	}
	for _, want := range []string{"Status: Rejected.", refusal.Message, "unrecognized or unsupported algorithm identifier", "TST info:\nNot included."} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl ts -reply -text does not show %q:\n%s", want, out)
		}
	}
}
