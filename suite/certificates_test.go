package suite_test

import (
	"crypto/rand"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"crypto/x509/pkix"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

func TestCertificateSchemes(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			c := cs.Certificates()
			key, err := c.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("certified")
			sig, err := c.Sign(key, rand.Reader, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Verify(key.Public(), msg, sig); err != nil {
				t.Fatalf("own signature: %v", err)
			}
			if err := c.Verify(key.Public(), []byte("certifiee"), sig); err == nil {
				t.Fatal("a signature over another message verified")
			}
			pemKey, err := c.MarshalPrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			back, err := c.ParsePrivateKey(pemKey)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Verify(back.Public(), msg, sig); err != nil {
				t.Fatalf("parsed key: %v", err)
			}
			// The other suite's key is refused, by name.
			other := suite.International()
			if cs.Name() == other.Name() {
				other = suite.GM()
			}
			otherKey, _ := other.Certificates().GenerateKey(rand.Reader)
			otherPEM, _ := other.Certificates().MarshalPrivateKey(otherKey)
			if _, err := c.ParsePrivateKey(otherPEM); err == nil {
				t.Fatalf("%s parsed a %s key", c.Name(), other.Certificates().Name())
			}
			if _, err := c.Sign(otherKey, rand.Reader, msg); err == nil {
				t.Fatal("signed with another scheme's key")
			}
			// A certificate signed with the scheme says its algorithm, and
			// its signature checks with the scheme's Verify.
			tmpl := &smx509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
			der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := smx509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if cert.SignatureAlgorithm != c.SignatureAlgorithm() {
				t.Fatalf("certificate signed with %v, scheme says %v", cert.SignatureAlgorithm, c.SignatureAlgorithm())
			}
			if err := c.Verify(key.Public(), cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Fatalf("certificate signature: %v", err)
			}
		})
	}
}

// TestCertificateSchemeOpenSSL has OpenSSL verify signatures made by the
// scheme: ECDSA with SHA-256, and SM2 with SM3 under the default
// identity.
func TestCertificateSchemeOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed (apt install openssl)")
	}
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			c := cs.Certificates()
			key, _ := c.GenerateKey(rand.Reader)
			dir := t.TempDir()
			pemKey, _ := c.MarshalPrivateKey(key)
			write := func(name string, b []byte) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			keyFile := write("key.pem", pemKey)
			msg := write("msg", []byte("sealed by the institution"))
			sig, err := c.Sign(key, rand.Reader, []byte("sealed by the institution"))
			if err != nil {
				t.Fatal(err)
			}
			sigFile := write("sig", sig)
			args := []string{"pkeyutl", "-verify", "-inkey", keyFile, "-rawin", "-in", msg, "-sigfile", sigFile}
			if cs.Name() == suite.NameGM {
				args = append(args, "-digest", "sm3", "-pkeyopt", "distid:1234567812345678")
			} else {
				args = append(args, "-digest", "sha256")
			}
			out, err := exec.Command(openssl, args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
				t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
