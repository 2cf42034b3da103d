package cms_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
)

// TestOpenSSLVerifiesECDSA has OpenSSL's CMS code verify a detached seal
// of the international suite, and refuse it over changed content.
func TestOpenSSLVerifiesECDSA(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	p := newTestPKI(t, suite.International())
	content := []byte("%PDF-1.7\n... the byte ranges of a certificate PDF ...\n")
	der := p.seal(t, content)
	dir := t.TempDir()
	sig := pkitest.WriteFile(t, dir, "sig.der", der)
	ca := pkitest.WriteFile(t, dir, "ca.pem", pkitest.CertPEM(p.issuer.Cert))
	data := pkitest.WriteFile(t, dir, "data", content)
	verify := func(data string) (string, error) {
		return pkitest.Run(t, openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", data, "-CAfile", ca, "-purpose", "any", "-out", os.DevNull)
	}
	if out, err := verify(data); err != nil || !strings.Contains(out, "Verification successful") {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	changed := bytes.Clone(content)
	changed[len(changed)/2] ^= 0x01
	if out, err := verify(pkitest.WriteFile(t, dir, "changed", changed)); err == nil {
		t.Fatalf("openssl verified the seal over changed content:\n%s", out)
	}
}

// TestOpenSSLReadsStructure has OpenSSL print both suites' signatures: no
// signingTime, a signingCertificateV2, the scheme's algorithms.
func TestOpenSSLReadsStructure(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			der := p.seal(t, []byte("pdf"))
			sig := pkitest.WriteFile(t, t.TempDir(), "sig.der", der)
			out, err := pkitest.Run(t, openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig)
			if err != nil {
				t.Fatalf("openssl cms -cmsout -print: %v\n%s", err, out)
			}
			if strings.Contains(out, "signingTime") {
				t.Errorf("OpenSSL shows a signingTime:\n%s", out)
			}
			wantAlg := map[string]string{suite.NameInternational: "ecdsa-with-SHA256", suite.NameGM: "SM2-with-SM3"}[cs.Name()]
			for _, want := range []string{"signingCertificateV2", "messageDigest", "contentType", wantAlg} {
				if !strings.Contains(out, want) {
					t.Errorf("OpenSSL does not show %s:\n%s", want, out)
				}
			}
		})
	}
}

// TestOpenSSLChecksSignatureValue checks the signature over the extracted
// signed attributes with `openssl pkeyutl`: for SM2 the only way, since
// OpenSSL 3.0's CMS code uses an empty SM2 identity where GM/T 0009 and
// gmsm use 1234567812345678 (see SignedData.Verify).
func TestOpenSSLChecksSignatureValue(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			der := p.seal(t, []byte("pdf"))
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			pkitest.CheckSignatureWithOpenSSL(t, openssl, cs, p.cert.PublicKey, sd.SignedAttributesDER, sd.Signature)
		})
	}
}

// TestVerifiesOpenSSLSignature reads a CAdES signature OpenSSL made (with
// signingTime and signingCertificateV2, in its own DER) and verifies it.
func TestVerifiesOpenSSLSignature(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	p := newTestPKI(t, suite.International())
	dir := t.TempDir()
	keyPEM, err := p.issuer.Scheme.MarshalPrivateKey(p.key)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("signed by OpenSSL")
	data := pkitest.WriteFile(t, dir, "data", content)
	sigFile := pkitest.WriteFile(t, dir, "sig.der", nil)
	out, err := pkitest.Run(t, openssl, "cms", "-sign", "-binary", "-cades", "-md", "sha256", "-outform", "DER", "-nosmimecap",
		"-signer", pkitest.WriteFile(t, dir, "cert.pem", pkitest.CertPEM(p.cert)), "-inkey", pkitest.WriteFile(t, dir, "key.pem", keyPEM),
		"-certfile", pkitest.WriteFile(t, dir, "ca.pem", pkitest.CertPEM(p.issuer.Cert)), "-in", data, "-out", sigFile)
	if err != nil {
		t.Fatalf("openssl cms -sign: %v\n%s", err, out)
	}
	der, err := os.ReadFile(sigFile)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(der)
	if err != nil {
		t.Fatalf("Parse of OpenSSL's signature: %v", err)
	}
	signer, err := sd.Verify(p.issuer.Scheme, content)
	if err != nil {
		t.Fatalf("Verify of OpenSSL's signature: %v", err)
	}
	if !signer.Equal(p.cert) {
		t.Fatal("wrong signer")
	}
	if _, err := sd.Verify(p.issuer.Scheme, []byte("signed by OpenSSl")); err == nil {
		t.Fatal("OpenSSL's signature verified over other content")
	}
}
