package pki_test

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

// TestOpenSSLVerifiesCredentials has OpenSSL 3, which nobody here wrote,
// check the chain of each credential and its purpose: the time-stamping
// certificate is fit for timestampsign (which needs the critical
// timeStamping-only extended key usage) and not for smimesign; the seal
// certificate the reverse. In the GM suite `openssl verify` checks the
// CA's SM2-with-SM3 signature on the credential when given the default
// SM2 identity with -vfyopt; without it OpenSSL 3.0 uses an empty
// identity and reports a signature failure.
func TestOpenSSLVerifiesCredentials(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := t.TempDir()
			caFile := pkitest.WriteFile(t, dir, "ca.pem", pki.EncodePEM(k.CA().Raw))
			files := map[pki.Role]string{}
			for _, r := range []pki.Role{pki.RoleSeal, pki.RoleTSA} {
				c, err := k.Current(r)
				if err != nil {
					t.Fatal(err)
				}
				files[r] = pkitest.WriteFile(t, dir, string(r)+".pem", pki.EncodePEM(c.Cert.Raw))
			}
			for _, tc := range []struct {
				role    pki.Role
				purpose string
				ok      bool
			}{
				{pki.RoleTSA, "timestampsign", true},
				{pki.RoleSeal, "smimesign", true},
				{pki.RoleSeal, "timestampsign", false},
				{pki.RoleTSA, "smimesign", false},
			} {
				at := strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)
				args := []string{"verify", "-attime", at, "-CAfile", caFile, "-purpose", tc.purpose}
				if cs.Name() == suite.NameGM {
					args = append(args, "-vfyopt", pkitest.SM2DistID)
				}
				out, err := pkitest.Run(t, openssl, append(args, files[tc.role])...)
				ok := err == nil && strings.Contains(out, ": OK")
				if ok != tc.ok {
					t.Errorf("openssl verify -purpose %s of the %s certificate: OK %v, want %v\n%s", tc.purpose, tc.role, ok, tc.ok, out)
				}
				if !tc.ok && !strings.Contains(out, "unsuitable certificate purpose") {
					t.Errorf("openssl refused the %s certificate for %s for another reason than its purpose:\n%s", tc.role, tc.purpose, out)
				}
			}
			algo := map[string]string{suite.NameGM: "SM2-with-SM3", suite.NameInternational: "ecdsa-with-SHA256"}[cs.Name()]
			for _, tc := range []struct {
				role     pki.Role
				want     []string
				unwanted string
			}{
				{pki.RoleTSA, []string{"Signature Algorithm: " + algo, "CN = haidian-court time-stamping", "X509v3 Extended Key Usage: critical\n                Time Stamping\n", "Digital Signature, Non Repudiation", "CA:FALSE", "X509v3 Authority Key Identifier"}, "E-mail Protection"},
				{pki.RoleSeal, []string{"Signature Algorithm: " + algo, "CN = haidian-court seal", "Digital Signature, Non Repudiation", "CA:FALSE", "X509v3 Subject Key Identifier"}, "Extended Key Usage"},
			} {
				out, err := pkitest.Run(t, openssl, "x509", "-in", files[tc.role], "-noout", "-text")
				if err != nil {
					t.Fatalf("openssl x509: %v\n%s", err, out)
				}
				for _, w := range tc.want {
					if !strings.Contains(out, w) {
						t.Errorf("openssl x509 -text of the %s certificate lacks %q:\n%s", tc.role, w, out)
					}
				}
				if strings.Contains(out, tc.unwanted) {
					t.Errorf("openssl x509 -text of the %s certificate shows %q:\n%s", tc.role, tc.unwanted, out)
				}
			}
		})
	}
}

// TestOpenSSLReadsCRL has OpenSSL read a keyring's CRL after a rotation
// and a revocation: it shows both serials with their reasons. In the
// international suite `openssl crl -CAfile` verifies its signature and
// `openssl verify -crl_check` agrees about which certificate is revoked.
// In the GM suite `openssl crl` has no option to pass the SM2 identity
// and verifies with an empty one, so the CRL's signature is checked with
// `openssl pkeyutl` over the signed bytes instead.
func TestOpenSSLReadsCRL(t *testing.T) {
	openssl := pkitest.Tool(t, "openssl")
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			seal, _ := k.Current(pki.RoleSeal)
			tsa, _ := k.Current(pki.RoleTSA)
			k.clk.advance(time.Hour)
			if _, err := k.Rotate(pki.RoleSeal, k.clk.t); err != nil {
				t.Fatal(err)
			}
			k.clk.advance(time.Hour)
			if err := k.Revoke(tsa.Cert.SerialNumber, t0.Add(30*time.Minute), pki.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			newSeal, _ := k.Current(pki.RoleSeal)
			crl := k.CRL()
			dir := t.TempDir()
			caFile := pkitest.WriteFile(t, dir, "ca.pem", pki.EncodePEM(k.CA().Raw))
			crlFile := pkitest.WriteFile(t, dir, "crl.der", crl)

			out, err := pkitest.Run(t, openssl, "crl", "-in", crlFile, "-inform", "DER", "-noout", "-text")
			if err != nil {
				t.Fatalf("openssl crl: %v\n%s", err, out)
			}
			for _, w := range []string{
				"Serial Number: " + serialHex(seal.Cert.SerialNumber.Bytes()), "Superseded",
				"Serial Number: " + serialHex(tsa.Cert.SerialNumber.Bytes()), "Key Compromise",
				"X509v3 CRL Number: \n                3\n",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("openssl crl -text lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, serialHex(newSeal.Cert.SerialNumber.Bytes())) {
				t.Error("the CRL lists the current seal")
			}

			if cs.Name() == suite.NameInternational {
				out, err := pkitest.Run(t, openssl, "crl", "-in", crlFile, "-inform", "DER", "-CAfile", caFile, "-noout")
				if err != nil || !strings.Contains(out, "verify OK") {
					t.Errorf("openssl crl -CAfile: %v\n%s", err, out)
				}
				crlPEM, err := pkitest.Run(t, openssl, "crl", "-in", crlFile, "-inform", "DER")
				if err != nil {
					t.Fatal(err)
				}
				crlPEMFile := pkitest.WriteFile(t, dir, "crl.pem", []byte(crlPEM))
				for _, tc := range []struct {
					cert *pki.Credential
					ok   bool
				}{{newSeal, true}, {seal, false}, {tsa, false}} {
					f := pkitest.WriteFile(t, dir, "cert.pem", pki.EncodePEM(tc.cert.Cert.Raw))
					// -attime: the test's clock, not the machine's, is
					// within the CRL's validity.
					at := strconv.FormatInt(k.clk.t.Add(time.Minute).Unix(), 10)
					out, err := pkitest.Run(t, openssl, "verify", "-attime", at, "-crl_check", "-CAfile", caFile, "-CRLfile", crlPEMFile, f)
					ok := err == nil && strings.Contains(out, ": OK")
					if ok != tc.ok || (!ok && !strings.Contains(out, "certificate revoked")) {
						t.Errorf("openssl verify -crl_check of %s: OK %v, want %v\n%s", tc.cert.Cert.Subject.CommonName, ok, tc.ok, out)
					}
				}
				return
			}

			rl, err := pki.ParseCRL(cs, crl, k.CA())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := pkitest.Run(t, openssl, "x509", "-in", caFile, "-noout", "-pubkey")
			if err != nil {
				t.Fatalf("openssl x509 -pubkey: %v\n%s", err, pub)
			}
			pubFile := pkitest.WriteFile(t, dir, "ca-pub.pem", []byte(pub))
			if out, err := pkitest.OpenSSLVerify(t, openssl, cs, pubFile, rl.RawTBSRevocationList, rl.Signature); err != nil {
				t.Errorf("openssl pkeyutl -verify of the CRL's SM2 signature: %v\n%s", err, out)
			}
			// The same check fails on a CRL signed by another CA: the
			// check above is not vacuous.
			stranger := openTestKeyring(t, cs)
			other, _ := pki.ParseCRL(cs, stranger.CRL(), stranger.CA())
			if out, err := pkitest.OpenSSLVerify(t, openssl, cs, pubFile, rl.RawTBSRevocationList, other.Signature); err == nil {
				t.Errorf("openssl verifies another CA's signature on this CRL:\n%s", out)
			}
		})
	}
}

// serialHex spells serial bytes as OpenSSL prints them.
func serialHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
