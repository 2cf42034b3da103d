package pki

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// CRL reason codes (RFC 5280 §5.3.1) a keyring writes or accepts.
const (
	ReasonUnspecified          = 0
	ReasonKeyCompromise        = 1
	ReasonCACompromise         = 2
	ReasonAffiliationChanged   = 3
	ReasonSuperseded           = 4
	ReasonCessationOfOperation = 5
	ReasonPrivilegeWithdrawn   = 9
)

// reasonName spells an RFC 5280 CRLReason as the RFC and OpenSSL do.
func reasonName(code int) string {
	switch code {
	case 0:
		return "unspecified"
	case 1:
		return "keyCompromise"
	case 2:
		return "cACompromise"
	case 3:
		return "affiliationChanged"
	case 4:
		return "superseded"
	case 5:
		return "cessationOfOperation"
	case 6:
		return "certificateHold"
	case 8:
		return "removeFromCRL"
	case 9:
		return "privilegeWithdrawn"
	case 10:
		return "aACompromise"
	}
	return fmt.Sprintf("reason %d", code)
}

// RevokedError says a credential's certificate was revoked, or superseded
// by a rotation, at or before the time a time-stamp vouches for: what it
// signed then is not to be trusted.
type RevokedError struct {
	// Serial is the certificate's serial number.
	Serial *big.Int
	// RevokedAt is when the CRL says the certificate stopped being good.
	RevokedAt time.Time
	// Reason is the RFC 5280 CRLReason code.
	Reason int
	// Role is the role the certificate was checked for.
	Role Role
	// At is the time-stamp's time the certificate was judged at.
	At time.Time
}

func (e *RevokedError) Error() string {
	when := "before"
	if e.RevokedAt.Equal(e.At) {
		when = "at the time of"
	}
	what := fmt.Sprintf("was revoked at %s (%s)", e.RevokedAt.UTC().Format(time.RFC3339), reasonName(e.Reason))
	if e.Reason == ReasonSuperseded {
		what = fmt.Sprintf("was superseded by a newer one at %s (rotated out)", e.RevokedAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s certificate %s %s, %s the time-stamp %s", e.Role.noun(), serialHex(e.Serial), what, when, e.At.UTC().Format(time.RFC3339))
}

// VerifyAt checks cert as a credential for role at time at, the time a
// time-stamp vouches for (its genTime), not the time of checking: a seal
// made while its certificate was good stays good after a rotation or a
// later revocation.
//
// It checks that ca, a certificate authority of the suite valid at at,
// issued cert with the suite's algorithm; that cert is valid at at; that
// its key usages fit the role (see Issue); and, when crl is not nil, that
// the CRL is signed by ca and does not list cert as revoked at or before
// at. A listed revocation is returned as a *RevokedError. VerifyAt does
// not judge how fresh the CRL is: the caller chooses which CRL it trusts.
func VerifyAt(cs *suite.Suite, role Role, cert, ca *smx509.Certificate, crl []byte, at time.Time) error {
	if err := role.check(); err != nil {
		return err
	}
	if cert == nil || ca == nil {
		return errors.New("verifying a credential: no certificate or no certificate authority given")
	}
	if at.IsZero() {
		return fmt.Errorf("verifying a %s certificate: no time-stamp time given", role.noun())
	}
	if err := checkAlgorithm(cs, ca); err != nil {
		return fmt.Errorf("the certificate authority: %w", err)
	}
	if err := checkAlgorithm(cs, cert); err != nil {
		return err
	}
	name := fmt.Sprintf("%s certificate %s (%q)", role.noun(), serialHex(cert.SerialNumber), cert.Subject.CommonName)
	if !bytes.Equal(cert.RawIssuer, ca.RawSubject) {
		return fmt.Errorf("%s was issued by %q, not by the certificate authority %q", name, cert.Issuer.String(), ca.Subject.String())
	}
	if len(cert.AuthorityKeyId) > 0 && len(ca.SubjectKeyId) > 0 && !bytes.Equal(cert.AuthorityKeyId, ca.SubjectKeyId) {
		return fmt.Errorf("%s was issued by another key of %q than this certificate authority's", name, ca.Subject.String())
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		return fmt.Errorf("%s: the certificate authority's signature does not verify: %w", name, err)
	}
	if at.Before(ca.NotBefore) || at.After(ca.NotAfter) {
		return fmt.Errorf("the certificate authority %q is valid from %s to %s, not at the time-stamp %s", ca.Subject.CommonName, ca.NotBefore.Format(time.RFC3339), ca.NotAfter.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
		return fmt.Errorf("%s is valid from %s to %s, not at the time-stamp %s", name, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if err := checkUsage(role, cert); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if crl == nil {
		return nil
	}
	rl, err := ParseCRL(cs, crl, ca)
	if err != nil {
		return err
	}
	for _, e := range rl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && !e.RevocationTime.After(at) {
			return &RevokedError{Serial: new(big.Int).Set(cert.SerialNumber), RevokedAt: e.RevocationTime, Reason: e.ReasonCode, Role: role, At: at}
		}
	}
	return nil
}

// checkUsage refuses a certificate whose usages do not fit role, so that
// a time-stamping key cannot seal nor a seal key time-stamp.
func checkUsage(role Role, cert *smx509.Certificate) error {
	if cert.IsCA {
		return errors.New("it is a certificate authority, not a credential")
	}
	if len(cert.UnhandledCriticalExtensions) > 0 {
		return fmt.Errorf("it has critical extensions %v this verifier does not know", cert.UnhandledCriticalExtensions)
	}
	const want = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
	if cert.KeyUsage&want != want {
		return errors.New("it lacks the key usages digitalSignature and contentCommitment a credential signs with")
	}
	var eku []byte
	var critical bool
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidExtKeyUsage) {
			eku, critical = ext.Value, ext.Critical
		}
	}
	switch role {
	case RoleSeal:
		if eku != nil {
			return errors.New("it has an extended key usage, which a seal certificate has not (a time-stamping certificate has): is it the institution's time-stamping certificate?")
		}
	case RoleTSA:
		if eku == nil {
			return errors.New("it has no extended key usage; RFC 3161 requires timeStamping of a time-stamping certificate: is it the institution's seal certificate?")
		}
		var oids []asn1.ObjectIdentifier
		rest, err := asn1.Unmarshal(eku, &oids)
		if err != nil || len(rest) > 0 || len(oids) != 1 || !oids[0].Equal(oidTimeStamping) {
			return errors.New("its extended key usage is not timeStamping alone, as RFC 3161 §2.3 requires")
		}
		if !critical {
			return errors.New("its timeStamping extended key usage is not critical, as RFC 3161 §2.3 requires")
		}
	}
	return nil
}

// ParseCRL reads a DER CRL of the suite and checks that ca issued and
// signed it. It refuses trailing bytes and critical extensions, which
// would change what the CRL means in ways this package does not know
// (a delta CRL, a partial scope, an indirect issuer).
func ParseCRL(cs *suite.Suite, der []byte, ca *smx509.Certificate) (*smx509.RevocationList, error) {
	if ca == nil {
		return nil, errors.New("parsing a CRL: no certificate authority given")
	}
	rl, err := smx509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the CRL: %w", err)
	}
	if len(rl.Raw) != len(der) {
		return nil, fmt.Errorf("parsing the CRL: %d bytes follow it", len(der)-len(rl.Raw))
	}
	want := cs.Certificates().SignatureAlgorithm()
	if rl.SignatureAlgorithm != want {
		return nil, fmt.Errorf("the CRL is signed with %v; the %s suite signs CRLs with %v", rl.SignatureAlgorithm, cs, want)
	}
	if !bytes.Equal(rl.RawIssuer, ca.RawSubject) {
		return nil, fmt.Errorf("the CRL was issued by %q, not by the certificate authority %q", rl.Issuer.String(), ca.Subject.String())
	}
	if len(rl.AuthorityKeyId) > 0 && len(ca.SubjectKeyId) > 0 && !bytes.Equal(rl.AuthorityKeyId, ca.SubjectKeyId) {
		return nil, fmt.Errorf("the CRL was issued by another key of %q than this certificate authority's", ca.Subject.String())
	}
	if err := rl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("the CRL's signature by %q does not verify: %w", ca.Subject.CommonName, err)
	}
	for _, ext := range rl.Extensions {
		if ext.Critical {
			return nil, fmt.Errorf("the CRL has a critical extension %v this verifier does not know", ext.Id)
		}
	}
	for _, e := range rl.RevokedCertificateEntries {
		for _, ext := range e.Extensions {
			if ext.Critical {
				return nil, fmt.Errorf("the CRL's entry for %s has a critical extension %v this verifier does not know", serialHex(e.SerialNumber), ext.Id)
			}
		}
	}
	return rl, nil
}
