package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/der"
	"github.com/jurichain/jurichain/suite"
)

// Signer is who signs: a certificate of the scheme, its key, and the
// certificates that chain it to a trust anchor.
type Signer struct {
	// Scheme is the suite's certificate scheme; Key and Cert must be of it.
	Scheme *suite.CertificateScheme
	// Cert is the signer's certificate, named in the SignerInfo by issuer
	// and serial number and bound by signingCertificateV2.
	Cert *smx509.Certificate
	// Chain holds the intermediate and root certificates shipped with the
	// signature, so a verifier can build the path without fetching it.
	Chain []*smx509.Certificate
	// Key is the private key of Cert.
	Key crypto.Signer
	// Rand is the randomness of the signature.
	Rand io.Reader
}

// SignOptions says what is signed and how.
type SignOptions struct {
	// ContentType is the eContentType: OIDData for a PDF, OIDTSTInfo for a
	// time-stamp token.
	ContentType asn1.ObjectIdentifier
	// Content is what is signed.
	Content []byte
	// Detached leaves Content out of the signature, as a PDF seal does:
	// the PDF holds the signature, not the other way round.
	Detached bool
	// SignedAttributes are signed besides content-type, message-digest and
	// signingCertificateV2, which Sign always adds and which may therefore
	// not appear here. Each type may appear once.
	SignedAttributes []Attribute
	// OmitCertificates leaves the certificates field out, as RFC 3161
	// requires of a token whose request did not ask for certificates.
	OmitCertificates bool
	// TimeStamp, when set, is called with the SignerInfo's signature value
	// and returns an RFC 3161 token (a DER ContentInfo), added as the
	// unsigned attribute id-aa-signatureTimeStampToken.
	TimeStamp func(signature []byte) ([]byte, error)
}

// Sign signs o.Content and returns a DER ContentInfo holding a SignedData
// with one SignerInfo. The SignedData version is 3 when the eContentType
// is not id-data and 1 otherwise (RFC 5652 section 5.1); the signer is
// named by issuer and serial number (SignerInfo version 1). Digest and
// signature algorithms are the scheme's, with absent parameters as OpenSSL
// writes them.
func Sign(s Signer, o SignOptions) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(o.ContentType) == 0 {
		return nil, errors.New("cms: SignOptions.ContentType is empty: use OIDData for a document, OIDTSTInfo for a time-stamp token")
	}
	h := s.Scheme.NewHash()
	h.Write(o.Content)
	digest := h.Sum(nil)

	attrs, err := signedAttributes(s, o, digest)
	if err != nil {
		return nil, err
	}
	// The signature covers the attributes with their universal SET tag
	// (RFC 5652 section 5.4); in the SignerInfo they carry [0] IMPLICIT.
	signature, err := s.Scheme.Sign(s.Key, s.Rand, der.Encode(der.TagSet, attrs))
	if err != nil {
		return nil, fmt.Errorf("cms: signing the attributes: %w", err)
	}

	var unsigned []byte
	if o.TimeStamp != nil {
		token, err := o.TimeStamp(signature)
		if err != nil {
			return nil, fmt.Errorf("cms: time-stamping the signature: %w", err)
		}
		tsd, err := Parse(token)
		if err != nil {
			return nil, fmt.Errorf("cms: the time-stamp token is not a CMS SignedData: %w", err)
		}
		if !tsd.ContentType.Equal(OIDTSTInfo()) {
			return nil, fmt.Errorf("cms: the time-stamp token holds %v, not a TSTInfo", tsd.ContentType)
		}
		a, err := encodeAttribute(Attribute{Type: OIDSignatureTimeStampToken(), Values: []asn1.RawValue{{FullBytes: token}}})
		if err != nil {
			return nil, err
		}
		unsigned = der.Encode(der.TagContext1, a)
	}

	digestAlg, err := der.AlgorithmID(s.Scheme.DigestOID(), false)
	if err != nil {
		return nil, err
	}
	sigAlg, err := der.AlgorithmID(s.Scheme.SignatureOID(), false)
	if err != nil {
		return nil, err
	}
	serial, err := der.Integer(s.Cert.SerialNumber)
	if err != nil {
		return nil, err
	}
	signerInfo := der.Wrap(der.TagSequence,
		der.Raw([]byte{der.TagInteger, 1, 1}),
		der.Raw(der.Encode(der.TagSequence, s.Cert.RawIssuer, serial)),
		der.Raw(digestAlg),
		der.Raw(der.Encode(der.TagContext0, attrs)),
		der.Raw(sigAlg),
		der.Raw(der.Encode(der.TagOctetString, signature)),
		der.Raw(unsigned),
	)

	contentType, err := der.OID(o.ContentType)
	if err != nil {
		return nil, err
	}
	encapsulated := der.Wrap(der.TagSequence, der.Raw(contentType))
	if !o.Detached {
		encapsulated.Add(der.Wrap(der.TagContext0, der.Wrap(der.TagOctetString, der.Raw(o.Content))))
	}
	var certificates der.Node
	if !o.OmitCertificates {
		certificates = der.Wrap(der.TagContext0)
		for _, c := range certificateSet(s) {
			certificates.Add(der.Raw(c))
		}
	}
	version := byte(1)
	if !o.ContentType.Equal(OIDData()) {
		version = 3
	}
	signedDataOID, err := der.OID(OIDSignedData())
	if err != nil {
		return nil, err
	}
	out := der.Wrap(der.TagSequence,
		der.Raw(signedDataOID),
		der.Wrap(der.TagContext0, der.Wrap(der.TagSequence,
			der.Raw([]byte{der.TagInteger, 1, version}),
			der.Wrap(der.TagSet, der.Raw(digestAlg)),
			encapsulated,
			certificates,
			der.Wrap(der.TagSet, signerInfo),
		)),
	).Bytes()
	if len(out) > MaxSize {
		return nil, fmt.Errorf("cms: the signature is %d bytes, over the %d that Parse reads; detach the content", len(out), MaxSize)
	}
	return out, nil
}

func (s Signer) check() error {
	switch {
	case s.Scheme == nil:
		return errors.New("cms: Signer.Scheme is nil: pass the suite's Certificates()")
	case s.Cert == nil:
		return errors.New("cms: Signer.Cert is nil")
	case s.Key == nil:
		return errors.New("cms: Signer.Key is nil")
	case s.Rand == nil:
		return errors.New("cms: Signer.Rand is nil: pass crypto/rand.Reader")
	}
	if err := s.Scheme.CheckPublicKey(s.Cert.PublicKey); err != nil {
		return fmt.Errorf("cms: the signer's certificate does not fit the %s scheme: %w", s.Scheme.Name(), err)
	}
	pub, ok := s.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(s.Cert.PublicKey) {
		return fmt.Errorf("cms: Signer.Key is not the key of the certificate %q", s.Cert.Subject.String())
	}
	return nil
}

// certificateSet returns the signer's certificate and its chain, each
// once, in DER order.
func certificateSet(s Signer) [][]byte {
	certs := [][]byte{s.Cert.Raw}
	for _, c := range s.Chain {
		dup := false
		for _, have := range certs {
			dup = dup || bytes.Equal(have, c.Raw)
		}
		if !dup {
			certs = append(certs, c.Raw)
		}
	}
	der.SortSet(certs)
	return certs
}

// signedAttributes returns the content of the SET OF signed attributes,
// sorted.
func signedAttributes(s Signer, o SignOptions, digest []byte) ([]byte, error) {
	contentType, err := der.OID(o.ContentType)
	if err != nil {
		return nil, err
	}
	ess, err := signingCertificateV2(s)
	if err != nil {
		return nil, err
	}
	attrs := []Attribute{
		{Type: OIDContentType(), Values: []asn1.RawValue{{FullBytes: contentType}}},
		{Type: OIDMessageDigest(), Values: []asn1.RawValue{{FullBytes: der.Encode(der.TagOctetString, digest)}}},
		{Type: OIDSigningCertificateV2(), Values: []asn1.RawValue{{FullBytes: ess}}},
	}
	seen := make(map[string]bool, len(attrs)+len(o.SignedAttributes))
	for _, a := range attrs {
		seen[a.Type.String()] = true
	}
	for _, extra := range o.SignedAttributes {
		if seen[extra.Type.String()] {
			return nil, fmt.Errorf("cms: signed attribute %v appears twice (content-type, message-digest and signingCertificateV2 are added by Sign)", extra.Type)
		}
		seen[extra.Type.String()] = true
		attrs = append(attrs, extra)
	}
	encoded := make([][]byte, len(attrs))
	for i, a := range attrs {
		if encoded[i], err = encodeAttribute(a); err != nil {
			return nil, err
		}
	}
	der.SortSet(encoded)
	return bytes.Join(encoded, nil), nil
}

// encodeAttribute encodes an Attribute with its values in DER order,
// refusing a value that is not exactly one DER element.
func encodeAttribute(a Attribute) ([]byte, error) {
	if len(a.Values) == 0 {
		return nil, fmt.Errorf("cms: attribute %v has no value", a.Type)
	}
	values := make([][]byte, len(a.Values))
	for i, v := range a.Values {
		value := v.FullBytes
		if value == nil {
			var err error
			if value, err = asn1.Marshal(v); err != nil {
				return nil, fmt.Errorf("cms: attribute %v value %d: %w", a.Type, i+1, err)
			}
		}
		var check asn1.RawValue
		if rest, err := asn1.Unmarshal(value, &check); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("cms: attribute %v value %d is not one DER element", a.Type, i+1)
		}
		values[i] = value
	}
	der.SortSet(values)
	for i := 1; i < len(values); i++ {
		if bytes.Equal(values[i-1], values[i]) {
			return nil, fmt.Errorf("cms: attribute %v has one value twice; Parse refuses a SET OF with a repeated element", a.Type)
		}
	}
	t, err := der.OID(a.Type)
	if err != nil {
		return nil, err
	}
	return der.Encode(der.TagSequence, t, der.Encode(der.TagSet, values...)), nil
}

// signingCertificateV2 encodes the ESS attribute value (RFC 5035): the
// certificate's hash under the scheme's digest, and its issuer and serial.
// The hashAlgorithm field is DEFAULT sha256, so DER leaves it out for
// SHA-256 and writes it for SM3.
func signingCertificateV2(s Signer) ([]byte, error) {
	h := s.Scheme.NewHash()
	h.Write(s.Cert.Raw)
	var hashAlg []byte
	if !s.Scheme.DigestOID().Equal(oidSHA256()) {
		var err error
		if hashAlg, err = der.AlgorithmID(s.Scheme.DigestOID(), false); err != nil {
			return nil, err
		}
	}
	serial, err := der.Integer(s.Cert.SerialNumber)
	if err != nil {
		return nil, err
	}
	issuerSerial := der.Encode(der.TagSequence,
		der.Encode(der.TagSequence, der.Encode(der.TagContext4, s.Cert.RawIssuer)), // GeneralNames: one directoryName
		serial,
	)
	certID := der.Encode(der.TagSequence, hashAlg, der.Encode(der.TagOctetString, h.Sum(nil)), issuerSerial)
	return der.Encode(der.TagSequence, der.Encode(der.TagSequence, certID)), nil
}
