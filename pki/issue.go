package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// Role is what a credential issued under an institution's certificate
// authority is for. A key serves one role only, so that a stolen seal key
// cannot forge time-stamps and the reverse.
type Role string

// The roles of an institution's credentials.
const (
	// RoleSeal signs certificate PDFs in the institution's name.
	RoleSeal Role = "seal"
	// RoleTSA signs RFC 3161 time-stamp tokens.
	RoleTSA Role = "tsa"
)

// roles lists every role, in the order a keyring creates them.
func roles() []Role { return []Role{RoleSeal, RoleTSA} }

func (r Role) check() error {
	switch r {
	case RoleSeal, RoleTSA:
		return nil
	}
	return fmt.Errorf("unknown credential role %q: use %q or %q", string(r), RoleSeal, RoleTSA)
}

// noun names the role's certificate in messages and subjects.
func (r Role) noun() string {
	switch r {
	case RoleTSA:
		return "time-stamping"
	case "":
		return "credential"
	}
	return string(r)
}

// CredentialValidity is how long a seal or time-stamping certificate is
// valid. It is long on purpose: rotation, not expiry, retires a key, and
// a document sealed years ago must still verify at its time-stamp.
const CredentialValidity = 10 * 365 * 24 * time.Hour

// Credential is a key of an institution with its certificate, as a seal
// or time-stamping authority signs with it.
type Credential struct {
	// Role is what the key may sign.
	Role Role
	// Cert is the key's certificate, issued by the institution's CA.
	Cert *smx509.Certificate
	// Key signs with the certificate's public key.
	Key crypto.Signer
	// Chain is the issuer chain of Cert up to and including the CA, as a
	// signature carries it for a verifier that has only a trust anchor.
	Chain []*smx509.Certificate
}

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// oidTimeStamping is id-kp-timeStamping (RFC 3161 §2.3).
var oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

// timeStampingEKU is the extended key usage extension RFC 3161 §2.3
// requires of a TSA certificate: timeStamping only, critical. smx509
// would write the extension non-critical, so it is written here.
func timeStampingEKU() (pkix.Extension, error) {
	v, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encoding the timeStamping extended key usage: %w", err)
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v}, nil
}

// Issue issues a certificate for pub under the CA, for role, valid from a
// minute before now (clocks of verifiers differ) for validity, but not
// beyond the CA's own validity. It returns the DER certificate.
//
// A seal certificate has the key usages digitalSignature and
// contentCommitment and no extended key usage: NSS, which pdfsig uses,
// checks a signing certificate for the email-signer usage, which an absent
// extended key usage satisfies. A time-stamping certificate has the same
// key usages and the extended key usage timeStamping only, marked
// critical, as RFC 3161 §2.3 requires.
func Issue(cs *suite.Suite, role Role, ca *smx509.Certificate, caKey crypto.Signer, inst Institution, pub crypto.PublicKey, now time.Time, validity time.Duration) ([]byte, error) {
	if err := role.check(); err != nil {
		return nil, err
	}
	if inst.Name == "" {
		return nil, errors.New("issuing a certificate: the institution has no name")
	}
	if validity <= 0 {
		return nil, fmt.Errorf("issuing a %s certificate: validity %v is not positive", role.noun(), validity)
	}
	if err := checkCA(cs, ca, caKey); err != nil {
		return nil, err
	}
	if now.Before(ca.NotBefore) || now.After(ca.NotAfter) {
		return nil, fmt.Errorf("issuing a %s certificate at %s: the certificate authority is valid only from %s to %s", role.noun(), now.UTC().Format(time.RFC3339), ca.NotBefore.Format(time.RFC3339), ca.NotAfter.Format(time.RFC3339))
	}
	if err := cs.Certificates().CheckPublicKey(pub); err != nil {
		return nil, fmt.Errorf("issuing a %s certificate: %w", role.noun(), err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(cs, pub)
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	cn := inst.Name + " seal"
	if role == RoleTSA {
		cn = inst.Name + " time-stamping"
	}
	subject := pkix.Name{CommonName: cn, Organization: []string{inst.Name}}
	if inst.Kind != "" {
		subject.OrganizationalUnit = []string{inst.Kind}
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-time.Minute).UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski,
		SignatureAlgorithm:    cs.Certificates().SignatureAlgorithm(),
	}
	if role == RoleTSA {
		eku, err := timeStampingEKU()
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{eku}
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return nil, fmt.Errorf("issuing the %s certificate of %s: %w", role.noun(), inst.Name, err)
	}
	if _, err := Check(cs, der); err != nil {
		return nil, err
	}
	return der, nil
}

// checkCA refuses a certificate authority that cannot issue the suite's
// certificates and CRLs, or a key that is not its key.
func checkCA(cs *suite.Suite, ca *smx509.Certificate, caKey crypto.Signer) error {
	if ca == nil {
		return errors.New("no certificate authority given")
	}
	if err := checkAlgorithm(cs, ca); err != nil {
		return fmt.Errorf("the certificate authority: %w", err)
	}
	if !ca.IsCA || ca.KeyUsage&smx509.KeyUsageCertSign == 0 || ca.KeyUsage&smx509.KeyUsageCRLSign == 0 {
		return fmt.Errorf("certificate %q is not a certificate authority that signs certificates and CRLs", ca.Subject.CommonName)
	}
	if len(ca.SubjectKeyId) == 0 {
		return fmt.Errorf("certificate authority %q has no subject key identifier, which the certificates and CRLs it issues refer to", ca.Subject.CommonName)
	}
	if caKey == nil {
		return errors.New("no certificate authority key given")
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if k, ok := caKey.Public().(equaler); !ok || !k.Equal(ca.PublicKey) {
		return fmt.Errorf("the key given is not the key of certificate authority %q: check that the CA certificate and key files belong together", ca.Subject.CommonName)
	}
	return nil
}

// newSerial draws a random positive 127-bit serial number, so that
// serials are unpredictable (CA/B forum practice) and never collide
// between rotations.
func newSerial() (*big.Int, error) {
	max := new(big.Int).Lsh(big.NewInt(1), 127)
	max.Sub(max, big.NewInt(1))
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// subjectKeyID derives a key identifier by RFC 7093 method 1, the
// leftmost 160 bits of a hash of the subjectPublicKey bits. The hash is
// the scheme's (SHA-256 or SM3) so that GM certificates use GM
// algorithms throughout. smx509 derives one only for CA certificates.
func subjectKeyID(cs *suite.Suite, pub crypto.PublicKey) ([]byte, error) {
	spki, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding the public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(spki, &info)
	if err != nil {
		return nil, fmt.Errorf("reading the encoded public key: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("reading the encoded public key: trailing bytes")
	}
	h := cs.Certificates().NewHash()
	h.Write(info.PublicKey.Bytes)
	return h.Sum(nil)[:20], nil
}

// fingerprint names a certificate as `openssl x509 -noout -fingerprint
// -sha256` shows it, so an operator can compare the two.
func fingerprint(c *smx509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return fmt.Sprintf("sha256:%X", sum[:])
}

// serialHex spells a serial number as OpenSSL prints it: uppercase hex,
// whole bytes.
func serialHex(n *big.Int) string { return fmt.Sprintf("%X", n.Bytes()) }
