package pki_test

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

// TestCAOpenSSL issues an institution's certificate authority in each
// suite and has OpenSSL 3 check it: the self-signature verifies, the
// algorithm is the suite's, and it is a CA. `openssl verify` does not
// check a trust anchor's own signature unless told to (-check_ss_sig),
// and then in the GM suite uses an empty SM2 identity, which no option
// changes for the anchor; so the GM self-signature is checked with
// `openssl pkeyutl` over the signed bytes under the default identity.
func TestCAOpenSSL(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, tc := range []struct {
		cs   *suite.Suite
		algo string
	}{{suite.International(), "ecdsa-with-SHA256"}, {suite.GM(), "SM2-with-SM3"}} {
		t.Run(tc.cs.Name(), func(t *testing.T) {
			key, _ := tc.cs.Certificates().GenerateKey(rand.Reader)
			der, err := pki.NewCA(tc.cs, key, pki.Institution{Name: "haidian-court", Kind: "court"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(f, pki.EncodePEM(der), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(openssl, "verify", "-CAfile", f, f).CombinedOutput()
			if err != nil || !strings.Contains(string(out), ": OK") {
				t.Fatalf("openssl verify: %v\n%s", err, out)
			}
			if tc.cs.Name() == suite.NameInternational {
				out, err = exec.Command(openssl, "verify", "-check_ss_sig", "-CAfile", f, f).CombinedOutput()
				if err != nil || !strings.Contains(string(out), ": OK") {
					t.Fatalf("openssl verify -check_ss_sig: %v\n%s", err, out)
				}
			} else {
				ca, err := pki.Check(tc.cs, der)
				if err != nil {
					t.Fatal(err)
				}
				pub, err := exec.Command(openssl, "x509", "-in", f, "-noout", "-pubkey").Output()
				if err != nil {
					t.Fatal(err)
				}
				pubFile := pkitest.WriteFile(t, filepath.Dir(f), "pub.pem", pub)
				if out, err := pkitest.OpenSSLVerify(t, openssl, tc.cs, pubFile, ca.RawTBSCertificate, ca.Signature); err != nil {
					t.Fatalf("openssl pkeyutl -verify of the CA's SM2 self-signature: %v\n%s", err, out)
				}
			}
			out, err = exec.Command(openssl, "x509", "-in", f, "-noout", "-text").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Signature Algorithm: "+tc.algo) || !strings.Contains(string(out), "CA:TRUE") || !strings.Contains(string(out), "haidian-court") {
				t.Fatalf("openssl x509: %v\n%s", err, out)
			}
			// The other suite refuses it.
			for _, o := range suite.All() {
				if o.Name() != tc.cs.Name() {
					if _, err := pki.Check(o, der); err == nil || !strings.Contains(err.Error(), "suite") {
						t.Errorf("the %s suite accepts a %s certificate: %v", o.Name(), tc.cs.Name(), err)
					}
				}
			}
		})
	}
}
