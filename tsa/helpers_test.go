package tsa_test

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

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

func testEpoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// stampTime is the fixed clock of the test authorities, with a fraction
// of a second that the token must drop.
func stampTime() time.Time { return time.Date(2026, 5, 1, 9, 30, 15, 987654321, time.UTC) }

// testPKI is an institution's certificate authority and its
// time-stamping certificate.
type testPKI struct {
	cs     *suite.Suite
	scheme *suite.CertificateScheme
	ca     *smx509.Certificate
	caKey  crypto.Signer
	cert   *smx509.Certificate
	key    crypto.Signer
}

func newTestPKI(t testing.TB, cs *suite.Suite) *testPKI {
	t.Helper()
	p := &testPKI{cs: cs, scheme: cs.Certificates()}
	p.caKey = p.generate(t)
	tmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Court CA " + cs.Name(), Organization: []string{"Jurichain test"}},
		NotBefore:             testEpoch(),
		NotAfter:              testEpoch().AddDate(30, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
	}
	p.ca = p.create(t, tmpl, tmpl, p.caKey.Public(), p.caKey)
	p.cert, p.key = p.issue(t, 2, "Test Court TSA "+cs.Name(), func(c *smx509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{tsa.TimeStampingExtension()}
	})
	return p
}

func (p *testPKI) generate(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := p.scheme.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue makes a certificate under the authority with a fresh key; edit
// sets its usages.
func (p *testPKI) issue(t testing.TB, serial int64, name string, edit func(*smx509.Certificate)) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key := p.generate(t)
	tmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Jurichain test"}},
		NotBefore:    testEpoch(),
		NotAfter:     testEpoch().AddDate(10, 0, 0),
		KeyUsage:     smx509.KeyUsageDigitalSignature,
	}
	edit(tmpl)
	return p.create(t, tmpl, p.ca, key.Public(), p.caKey), key
}

func (p *testPKI) create(t testing.TB, tmpl, parent *smx509.Certificate, pub crypto.PublicKey, key crypto.Signer) *smx509.Certificate {
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

// authority returns the PKI's authority with the fixed clock.
func (p *testPKI) authority(t testing.TB) *tsa.Authority {
	t.Helper()
	a, err := tsa.NewAuthority(tsa.Authority{
		Scheme: p.scheme, Cert: p.cert, Chain: []*smx509.Certificate{p.ca}, Key: p.key,
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
	h := p.scheme.NewHash()
	h.Write(data)
	return h.Sum(nil)
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

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
