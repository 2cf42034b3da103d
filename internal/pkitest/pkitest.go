// Package pkitest holds what the tests of packages cms, tsa and pki
// share: a throwaway certificate authority of either suite, reading
// stored certificates, writing files for outside tools, and finding and
// running those tools (OpenSSL above all) the same way everywhere — a
// test fails on CI when a tool is missing and skips elsewhere.
//
// Only tests import it, by convention: it calls t.Fatal and draws keys
// from crypto/rand, neither of which production code may do.
package pkitest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// Epoch is when the test certificates start to be valid: a fixed time,
// so that a certificate's validity never depends on the day a test runs.
func Epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// CA is a test certificate authority of one suite.
type CA struct {
	// Scheme is the suite's certificate scheme, which signs everything
	// the authority issues.
	Scheme *suite.CertificateScheme
	// Cert is the authority's self-signed certificate.
	Cert *smx509.Certificate
	// Key is the authority's private key.
	Key crypto.Signer
}

// NewCA makes a self-signed authority of the suite, serial number 1,
// valid for 30 years from Epoch.
func NewCA(t testing.TB, cs *suite.Suite) *CA {
	t.Helper()
	ca := &CA{Scheme: cs.Certificates()}
	ca.Key = GenerateKey(t, ca.Scheme)
	tmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Court CA " + cs.Name(), Organization: []string{"Jurichain test"}},
		NotBefore:             Epoch(),
		NotAfter:              Epoch().AddDate(30, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
	}
	ca.Cert = CreateCertificate(t, tmpl, tmpl, ca.Key.Public(), ca.Key)
	return ca
}

// Issue makes a certificate under the authority for a fresh key: a
// digital-signature certificate valid for 10 years from Epoch, which
// edit, when not nil, changes before it is signed (usages, extensions).
func (ca *CA) Issue(t testing.TB, serial int64, name string, edit func(*smx509.Certificate)) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key := GenerateKey(t, ca.Scheme)
	tmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Jurichain test"}},
		NotBefore:    Epoch(),
		NotAfter:     Epoch().AddDate(10, 0, 0),
		KeyUsage:     smx509.KeyUsageDigitalSignature,
	}
	if edit != nil {
		edit(tmpl)
	}
	return CreateCertificate(t, tmpl, ca.Cert, key.Public(), ca.Key), key
}

// GenerateKey makes a key of the scheme.
func GenerateKey(t testing.TB, scheme *suite.CertificateScheme) crypto.Signer {
	t.Helper()
	key, err := scheme.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// CreateCertificate signs tmpl for pub with parent's key and parses the
// result.
func CreateCertificate(t testing.TB, tmpl, parent *smx509.Certificate, pub crypto.PublicKey, key crypto.Signer) *smx509.Certificate {
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

// CertPEM encodes a certificate as PEM, as OpenSSL reads it.
func CertPEM(c *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// ReadCert reads a PEM certificate stored in testdata. A missing file
// says how to write it: the package's TestGolden with -update.
func ReadCert(t testing.TB, file string) *smx509.Certificate {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test -run TestGolden -update writes it)", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	c, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

// WriteFile writes b to dir/name for an outside tool and returns the
// path.
func WriteFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Tool finds an outside program. Without it the test fails on CI (the
// environment variable CI is set), where it is installed, and is skipped
// elsewhere.
func Tool(t testing.TB, name string) string {
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

// Run runs an outside program and returns what it printed, standard
// output and error together, for the test to search and to show when it
// fails.
func Run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// SM2DistID is the SM2 signer identity GM/T 0009 and gmsm use by
// default, in the form OpenSSL's -pkeyopt and -vfyopt take. OpenSSL 3.0
// computes SM2's Z value with an empty identity unless told this one,
// which is why `openssl cms -verify` refuses SM2 signatures made to the
// standard and tests check them with `openssl pkeyutl` instead.
const SM2DistID = "distid:1234567812345678"

// PublicKeyFile writes pub as a PEM PUBLIC KEY into dir for OpenSSL and
// returns the path.
func PublicKeyFile(t testing.TB, dir string, pub crypto.PublicKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return WriteFile(t, dir, "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// OpenSSLVerify has `openssl pkeyutl -verify -rawin` check sig over
// signed with the public key in the PEM file pubFile, hashing with the
// suite's digest: SHA-256 for ECDSA, SM3 with the default SM2 identity
// for the GM suite. err is OpenSSL's refusal.
func OpenSSLVerify(t testing.TB, openssl string, cs *suite.Suite, pubFile string, signed, sig []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin",
		"-in", WriteFile(t, dir, "signed", signed), "-sigfile", WriteFile(t, dir, "sig", sig)}
	if cs.Name() == suite.NameGM {
		args = append(args, "-digest", "sm3", "-pkeyopt", SM2DistID)
	} else {
		args = append(args, "-digest", "sha256")
	}
	out, err := Run(t, openssl, args...)
	if err == nil && !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl pkeyutl -verify succeeded without saying so:\n%s", out)
	}
	return out, err
}

// CheckSignatureWithOpenSSL has OpenSSL verify sig over signed with pub
// (see OpenSSLVerify), and refuse it over signed with its last bit
// flipped, which shows the check is not vacuous.
func CheckSignatureWithOpenSSL(t testing.TB, openssl string, cs *suite.Suite, pub crypto.PublicKey, signed, sig []byte) {
	t.Helper()
	pubFile := PublicKeyFile(t, t.TempDir(), pub)
	if out, err := OpenSSLVerify(t, openssl, cs, pubFile, signed, sig); err != nil {
		t.Fatalf("openssl pkeyutl -verify: %v\n%s", err, out)
	}
	changed := bytes.Clone(signed)
	changed[len(changed)-1] ^= 1
	if out, err := OpenSSLVerify(t, openssl, cs, pubFile, changed, sig); err == nil {
		t.Fatalf("openssl verified changed bytes:\n%s", out)
	}
}

// AddSeedFiles adds every file of testdata matching pattern (such as
// "*.p7s") to the fuzzer's seed corpus, so that the fuzzer starts from
// the stored golden inputs.
func AddSeedFiles(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
