package tsa_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// stampTime is the fixed clock of the test authorities, with a fraction
// of a second that the token must drop.
func stampTime() time.Time { return time.Date(2026, 5, 1, 9, 30, 15, 987654321, time.UTC) }

// testPKI is an institution's certificate authority and its
// time-stamping certificate.
type testPKI struct {
	issuer *pkitest.CA
	cs     *suite.Suite
	cert   *smx509.Certificate
	key    crypto.Signer
}

func newTestPKI(t testing.TB, cs *suite.Suite) *testPKI {
	t.Helper()
	ca := pkitest.NewCA(t, cs)
	p := &testPKI{issuer: ca, cs: cs}
	p.cert, p.key = p.issue(t, 2, "Test Court TSA "+cs.Name(), func(c *smx509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{tsa.TimeStampingExtension()}
	})
	return p
}

// issue makes a certificate under the authority with a fresh key; edit
// sets its usages.
func (p *testPKI) issue(t testing.TB, serial int64, name string, edit func(*smx509.Certificate)) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	return p.issuer.Issue(t, serial, name, edit)
}

// authority returns the PKI's authority with the fixed clock.
func (p *testPKI) authority(t testing.TB) *tsa.Authority {
	t.Helper()
	a, err := tsa.NewAuthority(tsa.Authority{
		Scheme: p.issuer.Scheme, Cert: p.cert, Chain: []*smx509.Certificate{p.issuer.Cert}, Key: p.key,
		Now: stampTime, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// digest hashes data with the suite's imprint hash.
func (p *testPKI) digest(t testing.TB, data []byte) []byte {
	t.Helper()
	h := p.issuer.Scheme.NewHash()
	h.Write(data)
	return h.Sum(nil)
}
