// Package pki issues and checks the X.509 certificates an institution
// holds: its certificate authority, and under it a seal credential (signs
// certificate PDFs) and a time-stamping credential (signs RFC 3161
// tokens). A Keyring keeps these credentials and their history on disk so
// they can be rotated and revoked while a node runs, and VerifyAt judges a
// credential at the time a time-stamp vouches for, so that what was sealed
// before a rotation or a revocation keeps verifying and what was sealed
// after a revocation does not.
//
// Certificates follow the suite's certificate scheme: ECDSA P-256 with
// SHA-256 in the international suite (the PDF and CMS tools a court uses
// read no Ed25519 in certificates), SM2 with SM3 (OID 1.2.156.10197.1.501,
// GM/T 0015) in the GM suite. gmsm's smx509 reads and writes both, so one
// code path serves the two suites.
package pki

import (
	"crypto"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"crypto/x509/pkix"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// CAValidity is how long an institution's certificate authority is valid:
// long enough to outlive the evidence it vouches for.
const CAValidity = 30 * 365 * 24 * time.Hour

// Institution names the holder of a certificate authority.
type Institution struct {
	// Name is the institution's identifier on the network (e.g.
	// "haidian-court").
	Name string
	// Kind is court, notary, arbitration, appraisal or enterprise.
	Kind string
}

// NewCA makes the self-signed certificate of an institution's certificate
// authority, signed by key under the suite, valid from now for CAValidity,
// and returns it as DER.
func NewCA(cs *suite.Suite, key crypto.Signer, inst Institution, now time.Time) ([]byte, error) {
	if inst.Name == "" {
		return nil, errors.New("certificate authority: the institution has no name")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	tmpl := &smx509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         inst.Name + " certificate authority",
			Organization:       []string{inst.Name},
			OrganizationalUnit: []string{inst.Kind},
		},
		NotBefore:             now.Add(-time.Minute).UTC(),
		NotAfter:              now.Add(CAValidity).UTC(),
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign | smx509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("issuing the %s certificate authority of %s: %w", cs, inst.Name, err)
	}
	if _, err := Check(cs, der); err != nil {
		return nil, err
	}
	return der, nil
}

// Check parses a DER certificate and refuses one not signed with the
// suite's algorithm or whose key is not a key of the suite.
func Check(cs *suite.Suite, der []byte) (*smx509.Certificate, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	if err := checkAlgorithm(cs, c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkAlgorithm refuses a certificate of another suite: signed with
// another algorithm, or holding a key of another algorithm.
func checkAlgorithm(cs *suite.Suite, c *smx509.Certificate) error {
	want := cs.Certificates().SignatureAlgorithm()
	if c.SignatureAlgorithm != want {
		return fmt.Errorf("certificate %q is signed with %v; the %s suite signs certificates with %v", c.Subject.CommonName, c.SignatureAlgorithm, cs, want)
	}
	if err := cs.Certificates().CheckPublicKey(c.PublicKey); err != nil {
		return fmt.Errorf("certificate %q: %w", c.Subject.CommonName, err)
	}
	return nil
}

// EncodePEM wraps a DER certificate in a PEM "CERTIFICATE" block.
func EncodePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// DecodePEM reads the first PEM "CERTIFICATE" block of b.
func DecodePEM(b []byte) ([]byte, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return blk.Bytes, nil
}
