package pki_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

var (
	oidEKU          = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// issue issues a certificate of role for a new key under ca at t0.
func issue(t *testing.T, cs *suite.Suite, role pki.Role, ca *smx509.Certificate, caKey crypto.Signer) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.Issue(cs, role, ca, caKey, testInst, key.Public(), t0, pki.CredentialValidity)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.Check(cs, der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestIssueFields checks what a seal and a time-stamping certificate say:
// the subject, the validity, a random 127-bit serial, the key
// identifiers, the key usages, and the extended key usage RFC 3161 asks
// of a TSA (timeStamping only, critical), read from the raw extension
// rather than from the parser's summary, which drops criticality.
func TestIssueFields(t *testing.T) {
	for _, cs := range suite.All() {
		ca, caKey := newCA(t, cs)
		for _, tc := range []struct {
			role pki.Role
			cn   string
			eku  bool
		}{
			{pki.RoleSeal, "haidian-court seal", false},
			{pki.RoleTSA, "haidian-court time-stamping", true},
		} {
			t.Run(cs.Name()+"/"+string(tc.role), func(t *testing.T) {
				c, _ := issue(t, cs, tc.role, ca, caKey)
				if c.Subject.CommonName != tc.cn || !equalStrings(c.Subject.Organization, "haidian-court") || !equalStrings(c.Subject.OrganizationalUnit, "court") {
					t.Errorf("subject %v", c.Subject)
				}
				if !c.NotBefore.Equal(t0.Add(-time.Minute)) || !c.NotAfter.Equal(t0.Add(pki.CredentialValidity)) {
					t.Errorf("validity %v to %v, want %v to %v", c.NotBefore, c.NotAfter, t0.Add(-time.Minute), t0.Add(pki.CredentialValidity))
				}
				if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 127 {
					t.Errorf("serial %v is not a positive 127-bit number", c.SerialNumber)
				}
				if len(c.SubjectKeyId) != 20 || !bytes.Equal(c.AuthorityKeyId, ca.SubjectKeyId) {
					t.Errorf("subject key id %x, authority key id %x (CA's %x)", c.SubjectKeyId, c.AuthorityKeyId, ca.SubjectKeyId)
				}
				if c.IsCA || !c.BasicConstraintsValid {
					t.Error("a credential certificate must say it is not a CA")
				}
				if c.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment {
					t.Errorf("key usage %b", c.KeyUsage)
				}
				var ekus []asn1.ObjectIdentifier
				var critical bool
				n := 0
				for _, ext := range c.Extensions {
					if ext.Id.Equal(oidEKU) {
						n++
						critical = ext.Critical
						if rest, err := asn1.Unmarshal(ext.Value, &ekus); err != nil || len(rest) > 0 {
							t.Fatalf("extended key usage %x: %v", ext.Value, err)
						}
					}
				}
				if !tc.eku {
					if n != 0 {
						t.Errorf("a seal certificate has an extended key usage %v; NSS then wants email protection in it", ekus)
					}
					return
				}
				if n != 1 || !critical || len(ekus) != 1 || !ekus[0].Equal(oidTimeStamping) {
					t.Errorf("time-stamping certificate: %d extended key usage extensions, critical %v, %v; RFC 3161 wants one, critical, timeStamping only", n, critical, ekus)
				}
			})
		}
	}
}

func equalStrings(got []string, want ...string) bool {
	return strings.Join(got, "\x00") == strings.Join(want, "\x00")
}

// TestIssueRefuses gives Issue what it must not certify.
func TestIssueRefuses(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			ca, caKey := newCA(t, cs)
			otherCA, otherKey := newCA(t, cs)
			var other *suite.Suite
			for _, o := range suite.All() {
				if o.Name() != cs.Name() {
					other = o
				}
			}
			foreignCA, foreignKey := newCA(t, other)
			key, _ := cs.Certificates().GenerateKey(rand.Reader)
			foreign, _ := other.Certificates().GenerateKey(rand.Reader)
			for _, tc := range []struct {
				name     string
				role     pki.Role
				ca       *smx509.Certificate
				caKey    crypto.Signer
				inst     pki.Institution
				pub      crypto.PublicKey
				now      time.Time
				validity time.Duration
				want     string
			}{
				{"unknown role", "notary", ca, caKey, testInst, key.Public(), t0, time.Hour, "unknown credential role"},
				{"no institution", pki.RoleSeal, ca, caKey, pki.Institution{}, key.Public(), t0, time.Hour, "no name"},
				{"no validity", pki.RoleSeal, ca, caKey, testInst, key.Public(), t0, 0, "not positive"},
				{"key of the other suite", pki.RoleSeal, ca, caKey, testInst, foreign.Public(), t0, time.Hour, "key is"},
				{"CA key of another CA", pki.RoleSeal, ca, otherKey, testInst, key.Public(), t0, time.Hour, "not the key of certificate authority"},
				{"CA of the other suite", pki.RoleTSA, foreignCA, foreignKey, testInst, key.Public(), t0, time.Hour, "suite"},
				{"before the CA", pki.RoleTSA, otherCA, otherKey, testInst, key.Public(), t0.Add(-48 * time.Hour), time.Hour, "valid only from"},
				{"a credential as CA", pki.RoleSeal, mustIssue(t, cs, ca, caKey), caKey, testInst, key.Public(), t0, time.Hour, "not a certificate authority"},
			} {
				der, err := pki.Issue(cs, tc.role, tc.ca, tc.caKey, tc.inst, tc.pub, tc.now, tc.validity)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %x, %v; want an error saying %q", tc.name, der, err, tc.want)
				}
			}
		})
	}
}

func mustIssue(t *testing.T, cs *suite.Suite, ca *smx509.Certificate, caKey crypto.Signer) *smx509.Certificate {
	c, _ := issue(t, cs, pki.RoleSeal, ca, caKey)
	return c
}

// TestIssueWithinCA checks that a credential issued near the end of its
// CA's life ends with it rather than outliving its issuer.
func TestIssueWithinCA(t *testing.T) {
	for _, cs := range suite.All() {
		ca, caKey := newCA(t, cs)
		key, _ := cs.Certificates().GenerateKey(rand.Reader)
		late := ca.NotAfter.Add(-time.Hour)
		der, err := pki.Issue(cs, pki.RoleSeal, ca, caKey, testInst, key.Public(), late, pki.CredentialValidity)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := pki.Check(cs, der)
		if !c.NotAfter.Equal(ca.NotAfter) {
			t.Errorf("%s: a credential issued an hour before its CA expires ends at %v, the CA at %v", cs.Name(), c.NotAfter, ca.NotAfter)
		}
	}
}

// TestVerifyAt judges certificates at a time-stamp's time: each role's
// certificate is good for its own role only, within its validity, under
// its own CA, in its own suite, and with a CRL only if its CA signed it.
func TestVerifyAt(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			ca := k.CA()
			seal, _ := k.Current(pki.RoleSeal)
			tsa, _ := k.Current(pki.RoleTSA)
			otherCA, otherKey := newCA(t, cs)
			stranger, _ := issue(t, cs, pki.RoleSeal, otherCA, otherKey)
			neighbourKey, _ := cs.Certificates().GenerateKey(rand.Reader)
			neighbourDER, err := pki.NewCA(cs, neighbourKey, pki.Institution{Name: "chaoyang-court", Kind: "court"}, t0.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			neighbourCA, _ := pki.Check(cs, neighbourDER)
			neighbour, _ := issue(t, cs, pki.RoleSeal, neighbourCA, neighbourKey)
			otherK, err := pki.OpenKeyring(cs, t.TempDir(), otherCA, otherKey, testInst, t0)
			if err != nil {
				t.Fatal(err)
			}
			var other *suite.Suite
			for _, o := range suite.All() {
				if o.Name() != cs.Name() {
					other = o
				}
			}
			foreign := openTestKeyring(t, other)
			foreignSeal, _ := foreign.Current(pki.RoleSeal)
			crl := k.CRL()
			tampered := bytes.Clone(crl)
			tampered[len(tampered)-5] ^= 1
			at := t0.Add(time.Hour)
			for _, tc := range []struct {
				name string
				cs   *suite.Suite
				role pki.Role
				cert *smx509.Certificate
				ca   *smx509.Certificate
				crl  []byte
				at   time.Time
				want string // "" for accepted
			}{
				{"seal as seal", cs, pki.RoleSeal, seal.Cert, ca, crl, at, ""},
				{"tsa as tsa", cs, pki.RoleTSA, tsa.Cert, ca, crl, at, ""},
				{"seal without CRL", cs, pki.RoleSeal, seal.Cert, ca, nil, at, ""},
				{"at the first minute", cs, pki.RoleTSA, tsa.Cert, ca, crl, t0.Add(-time.Minute), ""},
				{"at the last second", cs, pki.RoleSeal, seal.Cert, ca, crl, seal.Cert.NotAfter, ""},
				{"tsa as seal", cs, pki.RoleSeal, tsa.Cert, ca, crl, at, "is it the institution's time-stamping certificate"},
				{"seal as tsa", cs, pki.RoleTSA, seal.Cert, ca, crl, at, "is it the institution's seal certificate"},
				{"CA as seal", cs, pki.RoleSeal, ca, ca, nil, at, "is a certificate authority"},
				{"unknown role", cs, "notary", seal.Cert, ca, crl, at, "unknown credential role"},
				{"before issue", cs, pki.RoleSeal, seal.Cert, ca, crl, t0.Add(-2 * time.Minute), "not at the time-stamp"},
				{"after expiry", cs, pki.RoleSeal, seal.Cert, ca, crl, seal.Cert.NotAfter.Add(time.Second), "not at the time-stamp"},
				{"no time", cs, pki.RoleSeal, seal.Cert, ca, crl, time.Time{}, "no time-stamp time"},
				{"another CA's cert", cs, pki.RoleSeal, stranger, ca, crl, at, "issued by another key"},
				{"another institution's cert", cs, pki.RoleSeal, neighbour, ca, crl, at, "not by the certificate authority"},
				{"another CA's CRL", cs, pki.RoleSeal, seal.Cert, ca, otherK.CRL(), at, "CRL was issued by"},
				{"tampered CRL", cs, pki.RoleSeal, seal.Cert, ca, tampered, at, "CRL"},
				{"CRL with trailing bytes", cs, pki.RoleSeal, seal.Cert, ca, append(bytes.Clone(crl), 0), at, "bytes follow"},
				{"not a CRL", cs, pki.RoleSeal, seal.Cert, ca, []byte("crl"), at, "parsing the CRL"},
				{"the other suite", other, pki.RoleSeal, seal.Cert, ca, crl, at, "suite"},
				{"a cert of the other suite", cs, pki.RoleSeal, foreignSeal.Cert, ca, crl, at, "suite"},
			} {
				err := pki.VerifyAt(tc.cs, tc.role, tc.cert, tc.ca, tc.crl, tc.at)
				if tc.want == "" && err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
					t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.want)
				}
				var re *pki.RevokedError
				if errors.As(err, &re) {
					t.Errorf("%s: %v is not a revocation", tc.name, err)
				}
			}
		})
	}
}

// TestVerifyAtForgedCertificate refuses a certificate whose signature
// is not its CA's, though every name and key identifier matches.
func TestVerifyAtForgedCertificate(t *testing.T) {
	for _, cs := range suite.All() {
		ca, caKey := newCA(t, cs)
		c, _ := issue(t, cs, pki.RoleSeal, ca, caKey)
		der := bytes.Clone(c.Raw)
		der[len(der)-3] ^= 0x40
		forged, err := smx509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := pki.VerifyAt(cs, pki.RoleSeal, forged, ca, nil, t0); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Errorf("%s: a forged certificate: %v", cs.Name(), err)
		}
	}
}

// TestRevokedErrorMessage checks the message a court clerk reads.
func TestRevokedErrorMessage(t *testing.T) {
	serial, _ := new(big.Int).SetString("1234ABCD", 16)
	for _, tc := range []struct {
		err  pki.RevokedError
		want string
	}{
		{pki.RevokedError{Serial: serial, RevokedAt: t0, Reason: pki.ReasonKeyCompromise, Role: pki.RoleSeal, At: t0.Add(time.Hour)},
			"seal certificate 1234ABCD was revoked at 2026-03-01T09:00:00Z (keyCompromise), before the time-stamp 2026-03-01T10:00:00Z"},
		{pki.RevokedError{Serial: serial, RevokedAt: t0, Reason: pki.ReasonSuperseded, Role: pki.RoleTSA, At: t0},
			"time-stamping certificate 1234ABCD was superseded by a newer one at 2026-03-01T09:00:00Z (rotated out), at the time of the time-stamp 2026-03-01T09:00:00Z"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
