package cms_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/suite"
)

// testPKI is a certificate authority and one seal certificate under it.
type testPKI struct {
	scheme *suite.CertificateScheme
	ca     *smx509.Certificate
	caKey  crypto.Signer
	cert   *smx509.Certificate
	key    crypto.Signer
}

func testEpoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func newTestPKI(t testing.TB, cs *suite.Suite) *testPKI {
	t.Helper()
	p := &testPKI{scheme: cs.Certificates()}
	var err error
	if p.caKey, err = p.scheme.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	caTmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Court CA " + cs.Name(), Organization: []string{"Jurichain test"}},
		NotBefore:             testEpoch(),
		NotAfter:              testEpoch().AddDate(30, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
	}
	p.ca = createCert(t, caTmpl, caTmpl, p.caKey.Public(), p.caKey)
	p.cert, p.key = p.issue(t, 2, "Test Court seal "+cs.Name())
	return p
}

// issue makes another certificate under the authority, with a fresh key.
func (p *testPKI) issue(t testing.TB, serial int64, name string) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := p.scheme.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Jurichain test"}},
		NotBefore:    testEpoch(),
		NotAfter:     testEpoch().AddDate(10, 0, 0),
		KeyUsage:     smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
	}
	return createCert(t, tmpl, p.ca, key.Public(), p.caKey), key
}

func createCert(t testing.TB, tmpl, parent *smx509.Certificate, pub crypto.PublicKey, key crypto.Signer) *smx509.Certificate {
	t.Helper()
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *testPKI) signer() cms.Signer {
	return cms.Signer{Scheme: p.scheme, Cert: p.cert, Chain: []*smx509.Certificate{p.ca}, Key: p.key, Rand: rand.Reader}
}

func certPEM(c *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// tool finds an outside program. Without it the test fails on CI, where
// it is installed, and is skipped elsewhere.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is needed on CI: %v", name, err)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
