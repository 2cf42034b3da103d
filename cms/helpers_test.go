package cms_test

import (
	"crypto"
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
)

// testPKI is a certificate authority and one seal certificate under it.
type testPKI struct {
	issuer *pkitest.CA
	cert   *smx509.Certificate
	key    crypto.Signer
}

func newTestPKI(t testing.TB, cs *suite.Suite) *testPKI {
	t.Helper()
	ca := pkitest.NewCA(t, cs)
	p := &testPKI{issuer: ca}
	p.cert, p.key = p.issue(t, 2, "Test Court seal "+cs.Name())
	return p
}

// issue makes another seal certificate under the authority, with a fresh
// key.
func (p *testPKI) issue(t testing.TB, serial int64, name string) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	return p.issuer.Issue(t, serial, name, func(c *smx509.Certificate) {
		c.KeyUsage |= smx509.KeyUsageContentCommitment
	})
}

func (p *testPKI) signer() cms.Signer {
	return cms.Signer{Scheme: p.issuer.Scheme, Cert: p.cert, Chain: []*smx509.Certificate{p.issuer.Cert}, Key: p.key, Rand: rand.Reader}
}

// seal signs content as a PDF seal does: id-data, detached.
func (p *testPKI) seal(t testing.TB, content []byte) []byte {
	t.Helper()
	der, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), Content: content, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
