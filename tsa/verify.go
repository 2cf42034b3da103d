package tsa

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/der"
	"github.com/jurichain/jurichain/suite"
)

// Token is a verified time-stamp token and what its TSTInfo says.
type Token struct {
	// GenTime is when the authority stamped, in UTC.
	GenTime time.Time
	// Serial is the token's serial number, unique for the authority.
	Serial *big.Int
	// Policy is the TSA policy under which the token was made.
	Policy x509.OID
	// HashAlgorithm is the hash of the imprint stamped.
	HashAlgorithm asn1.ObjectIdentifier
	// HashedMessage is the digest stamped.
	HashedMessage []byte
	// Nonce is the request's nonce, nil if it had none; the client
	// compares it with the one it sent.
	Nonce *big.Int
	// Accuracy bounds the error of GenTime; zero when the token does not
	// say.
	Accuracy time.Duration
	// Signer is the authority's certificate.
	Signer *smx509.Certificate
	// Certificates are the certificates the token carries, for the chain
	// check package pki makes at GenTime; none if the request did not ask.
	Certificates []*smx509.Certificate
	// Raw is the token, a DER ContentInfo.
	Raw []byte
}

// Verify checks a time-stamp token over digest, computed with hashAlg:
// that it is a CMS SignedData over a TSTInfo valid under the scheme
// (cms.SignedData.Verify), that its signer's certificate has the critical
// timeStamping extended key usage and no other, and that its imprint is
// (hashAlg, digest). If signer is not nil the token must be signed by that
// certificate, which is how a token without certificates is checked.
// The chain, validity and revocation of the signer are not checked here:
// package pki does that, at GenTime.
func Verify(scheme *suite.CertificateScheme, token []byte, hashAlg asn1.ObjectIdentifier, digest []byte, signer *smx509.Certificate) (*Token, error) {
	sd, err := cms.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("tsa: the token: %w", err)
	}
	if !sd.ContentType.Equal(cms.OIDTSTInfo()) {
		return nil, fmt.Errorf("tsa: the token signs %v, not a TSTInfo", sd.ContentType)
	}
	if sd.Content == nil {
		return nil, errors.New("tsa: the token does not carry its TSTInfo")
	}
	carried := sd.Certificates
	if signer != nil {
		sd.Certificates = append(append([]*smx509.Certificate(nil), carried...), signer)
	} else if len(carried) == 0 {
		return nil, errors.New("tsa: the token carries no certificates (its request did not ask for them): pass the authority's certificate")
	}
	cert, err := sd.Verify(scheme, nil)
	if err != nil {
		return nil, fmt.Errorf("tsa: the token's signature: %w", err)
	}
	if signer != nil && !bytes.Equal(cert.Raw, signer.Raw) {
		return nil, fmt.Errorf("tsa: the token is signed by %q, not by the authority's certificate %q", cert.Subject.String(), signer.Subject.String())
	}
	if err := checkTimeStampingCertificate(cert); err != nil {
		return nil, err
	}
	t, err := parseTSTInfo(sd.Content, cert)
	if err != nil {
		return nil, fmt.Errorf("tsa: TSTInfo: %w", err)
	}
	if !t.HashAlgorithm.Equal(hashAlg) {
		return nil, fmt.Errorf("tsa: the token stamps a %v digest, not a %v one", t.HashAlgorithm, hashAlg)
	}
	if !bytes.Equal(t.HashedMessage, digest) {
		return nil, errors.New("tsa: the token stamps another digest: it is not a time-stamp of this data")
	}
	t.Signer = cert
	t.Certificates = carried
	t.Raw = bytes.Clone(token)
	return t, nil
}

// parseTSTInfo reads a DER TSTInfo (RFC 3161 section 2.4.2).
func parseTSTInfo(tstInfo []byte, signer *smx509.Certificate) (*Token, error) {
	seq, err := der.ReadWhole(tstInfo, der.TagSequence, "TSTInfo")
	if err != nil {
		return nil, err
	}
	b, err := readVersion1(seq.Bytes)
	if err != nil {
		return nil, err
	}
	t := new(Token)
	var v asn1.RawValue
	if v, b, err = der.ReadElement(b, der.TagOID, "policy"); err != nil {
		return nil, err
	}
	if err := t.Policy.UnmarshalBinary(v.Bytes); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if v, b, err = der.ReadElement(b, der.TagSequence, "messageImprint"); err != nil {
		return nil, err
	}
	var params []byte
	if t.HashAlgorithm, params, t.HashedMessage, err = readImprint(v); err != nil {
		return nil, err
	}
	if err := checkImprint(t.HashAlgorithm, params, t.HashedMessage); err != nil {
		return nil, errors.New(err.Message)
	}
	if v, b, err = der.ReadElement(b, der.TagInteger, "serialNumber"); err != nil {
		return nil, err
	}
	if t.Serial, err = der.ParseBig(v, "serialNumber"); err != nil {
		return nil, err
	}
	if v, b, err = der.ReadElement(b, der.TagGeneralizedTime, "genTime"); err != nil {
		return nil, err
	}
	if t.GenTime, err = parseGeneralizedTime(v.Bytes); err != nil {
		return nil, err
	}
	accuracy, b, present, err := der.ReadOptional(b, der.TagSequence, "accuracy")
	if err != nil {
		return nil, err
	}
	if present {
		if t.Accuracy, err = parseAccuracy(accuracy.Bytes); err != nil {
			return nil, err
		}
	}
	// Ordering is only checked to be DER: a verifier has no use for it.
	if _, b, err = readFlag(b, "ordering"); err != nil {
		return nil, err
	}
	if t.Nonce, b, err = readNonce(b); err != nil {
		return nil, err
	}
	name, b, present, err := der.ReadOptional(b, der.TagContext0, "tsa")
	if err != nil {
		return nil, err
	}
	if present {
		if len(name.Bytes) == 0 {
			return nil, errors.New("tsa is empty")
		}
		general, err := der.ReadWhole(name.Bytes, name.Bytes[0], "tsa")
		if err != nil {
			return nil, err
		}
		// Only a directoryName can be held against the certificate; the
		// other forms of GeneralName are hints.
		if general.FullBytes[0] == der.TagContext4 && !bytes.Equal(general.Bytes, signer.RawSubject) {
			return nil, fmt.Errorf("tsa names another authority than the signer %q", signer.Subject.String())
		}
	}
	exts, b, present, err := der.ReadOptional(b, der.TagContext1, "extensions")
	if err != nil {
		return nil, err
	}
	if present {
		if err := checkExtensions(exts.Bytes); err != nil {
			return nil, err
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d stray bytes after the last field", len(b))
	}
	return t, nil
}

// parseAccuracy reads an Accuracy: seconds, and [0] millis and [1] micros
// of 1 to 999 each, all optional.
func parseAccuracy(b []byte) (time.Duration, error) {
	var d time.Duration
	for _, f := range []struct {
		tag   byte
		name  string
		unit  time.Duration
		limit int
	}{
		{der.TagInteger, "accuracy.seconds", time.Second, 1 << 20},
		{der.TagContext0Pri, "accuracy.millis", time.Millisecond, 999},
		{der.TagContext1Pri, "accuracy.micros", time.Microsecond, 999},
	} {
		v, rest, present, err := der.ReadOptional(b, f.tag, f.name)
		if err != nil {
			return 0, err
		}
		b = rest
		if !present {
			continue
		}
		var n int
		if err := der.ParseImplicit(v.FullBytes, der.TagInteger, &n, f.name); err != nil {
			return 0, err
		}
		if n < 0 || n > f.limit || (n == 0 && f.tag != der.TagInteger) {
			return 0, fmt.Errorf("%s is %d, out of range", f.name, n)
		}
		d += time.Duration(n) * f.unit
	}
	if len(b) != 0 {
		return 0, errors.New("accuracy has stray bytes")
	}
	return d, nil
}

// checkExtensions refuses critical TSTInfo extensions, none of which this
// verifier knows.
func checkExtensions(b []byte) error {
	exts, err := der.SequenceOf(b, "extensions")
	if err != nil {
		return err
	}
	for i, e := range exts {
		if e.FullBytes[0] != der.TagSequence {
			return fmt.Errorf("extensions element %d is not an Extension", i+1)
		}
		id, rest, err := der.ReadElement(e.Bytes, der.TagOID, "extension id")
		if err != nil {
			return err
		}
		critical, _, present, err := der.ReadOptional(rest, der.TagBoolean, "extension critical")
		if err != nil {
			return err
		}
		if present && bytes.Equal(critical.Bytes, []byte{0xff}) {
			return fmt.Errorf("the critical extension %x is unknown", id.Bytes)
		}
	}
	return nil
}
