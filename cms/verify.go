package cms

import (
	"bytes"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/der"
	"github.com/jurichain/jurichain/suite"
)

// Verify checks the signature with the scheme and returns the signer's
// certificate. content is the detached content; nil means the
// encapsulated one (an empty detached content is an empty, non-nil
// slice).
//
// It checks that the digest and signature algorithms are the scheme's,
// that the content-type attribute is the eContentType, that the
// message-digest attribute is the content's digest, that
// signingCertificateV2 names the signer's certificate, which it finds
// among Certificates, and that the signature is valid. A signature bound
// to its certificate only by the SHA-1 signingCertificate of RFC 2634, as
// older CAdES signers and OpenSSL's default TSA write, is refused. It does
// not check the certificate's chain, validity or revocation (package pki
// does), nor the time-stamp token (package tsa does).
//
// For SM2 this is also the only CMS check there is: OpenSSL 3.0's CMS code
// computes SM2's Z value with an empty distinguishing ID where GM/T 0009
// and gmsm use the default 1234567812345678, so `openssl cms -verify`
// refuses every SM2 signature made to the standard. Outside tools check
// SignedAttributesDER and Signature with `openssl pkeyutl -verify -rawin
// -digest sm3 -pkeyopt distid:1234567812345678` instead.
func (sd *SignedData) Verify(scheme *suite.CertificateScheme, content []byte) (*smx509.Certificate, error) {
	if scheme == nil {
		return nil, errors.New("cms: no certificate scheme given: pass the suite's Certificates()")
	}
	if !sd.DigestAlgorithm.Equal(scheme.DigestOID()) || !sd.SignatureAlgorithm.Equal(scheme.SignatureOID()) {
		return nil, fmt.Errorf("cms: signed with %s and %s, but the network's %s scheme signs with %s and %s",
			algorithmName(sd.DigestAlgorithm), algorithmName(sd.SignatureAlgorithm), scheme.Name(),
			algorithmName(scheme.DigestOID()), algorithmName(scheme.SignatureOID()))
	}
	if !der.ParamsAbsentOrNULL(sd.digestParams) || !der.ParamsAbsentOrNULL(sd.signatureParams) {
		return nil, errors.New("cms: the digest or signature algorithm has parameters; they must be absent or NULL")
	}
	switch {
	case content == nil && sd.Content == nil:
		return nil, errors.New("cms: the signature is detached: pass the signed content")
	case content == nil:
		content = sd.Content
	case sd.Content != nil && !bytes.Equal(content, sd.Content):
		return nil, errors.New("cms: the content given is not the content the signature encapsulates")
	}

	signer, err := sd.findSigner()
	if err != nil {
		return nil, err
	}
	if err := sd.checkContentType(); err != nil {
		return nil, err
	}
	h := scheme.NewHash()
	h.Write(content)
	if err := sd.checkMessageDigest(h.Sum(nil)); err != nil {
		return nil, err
	}
	if err := sd.checkSigningCertificate(scheme, signer); err != nil {
		return nil, err
	}
	if err := scheme.Verify(signer.PublicKey, sd.SignedAttributesDER, sd.Signature); err != nil {
		return nil, fmt.Errorf("cms: the signature over the signed attributes does not verify with the certificate %q: %w", signer.Subject.String(), err)
	}
	return signer, nil
}

// findSigner finds the certificate the SignerInfo names.
func (sd *SignedData) findSigner() (*smx509.Certificate, error) {
	for _, c := range sd.Certificates {
		if sd.subjectKeyID != nil {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sd.subjectKeyID) {
				return c, nil
			}
			continue
		}
		if bytes.Equal(c.RawIssuer, sd.issuer) && c.SerialNumber.Cmp(sd.serial) == 0 {
			return c, nil
		}
	}
	if sd.subjectKeyID != nil {
		return nil, fmt.Errorf("cms: the signer's certificate (key identifier %x) is not among the %d certificates of the signature", sd.subjectKeyID, len(sd.Certificates))
	}
	return nil, fmt.Errorf("cms: the signer's certificate (serial %x) is not among the %d certificates of the signature", sd.serial, len(sd.Certificates))
}

// singleValue returns the one value of a signed attribute that RFC 5652
// allows only once.
func (sd *SignedData) singleValue(oid asn1.ObjectIdentifier, name string) (asn1.RawValue, error) {
	values, ok := sd.SignedAttribute(oid)
	if !ok {
		return asn1.RawValue{}, fmt.Errorf("cms: the signed attributes have no %s", name)
	}
	if len(values) != 1 {
		return asn1.RawValue{}, fmt.Errorf("cms: the %s attribute has %d values, want 1", name, len(values))
	}
	return values[0], nil
}

func (sd *SignedData) checkContentType() error {
	v, err := sd.singleValue(OIDContentType(), "content-type")
	if err != nil {
		return err
	}
	if v.FullBytes[0] != der.TagOID {
		return errors.New("cms: the content-type attribute is not an object identifier")
	}
	oid, err := der.ParseOID(v, "cms: content-type attribute")
	if err != nil {
		return err
	}
	if !oid.Equal(sd.ContentType) {
		return fmt.Errorf("cms: the signed content-type %v is not the eContentType %v", oid, sd.ContentType)
	}
	return nil
}

func (sd *SignedData) checkMessageDigest(digest []byte) error {
	v, err := sd.singleValue(OIDMessageDigest(), "message-digest")
	if err != nil {
		return err
	}
	if v.FullBytes[0] != der.TagOctetString {
		return errors.New("cms: the message-digest attribute is not an OCTET STRING")
	}
	if subtle.ConstantTimeCompare(v.Bytes, digest) != 1 {
		return errors.New("cms: the message-digest attribute is not the digest of the content: the content was changed or is not the one signed")
	}
	return nil
}

// checkSigningCertificate checks the first ESSCertIDv2 of
// signingCertificateV2, the one that names the signer (RFC 5035).
func (sd *SignedData) checkSigningCertificate(scheme *suite.CertificateScheme, signer *smx509.Certificate) error {
	v, err := sd.singleValue(OIDSigningCertificateV2(), "signingCertificateV2")
	if err != nil {
		return err
	}
	const what = "cms: signingCertificateV2"
	if v.FullBytes[0] != der.TagSequence {
		return fmt.Errorf("%s is not a SEQUENCE", what)
	}
	certs, _, err := der.ReadElement(v.Bytes, der.TagSequence, what+" certs")
	if err != nil {
		return err
	}
	ids, err := der.SequenceOf(certs.Bytes, what+" certs")
	if err != nil {
		return err
	}
	if len(ids) == 0 || ids[0].FullBytes[0] != der.TagSequence {
		return fmt.Errorf("%s names no certificate", what)
	}
	b := ids[0].Bytes
	hashAlg := oidSHA256() // DEFAULT when the field is absent
	alg, b, present, err := der.ReadOptional(b, der.TagSequence, what+" hashAlgorithm")
	if err != nil {
		return err
	}
	if present {
		var params []byte
		if hashAlg, params, err = der.ParseAlgorithm(alg, what+" hashAlgorithm"); err != nil {
			return err
		}
		if !der.ParamsAbsentOrNULL(params) {
			return fmt.Errorf("%s hashAlgorithm has parameters; they must be absent or NULL", what)
		}
	}
	if !hashAlg.Equal(scheme.DigestOID()) {
		return fmt.Errorf("%s hashes the certificate with %s; the %s scheme uses %s", what, algorithmName(hashAlg), scheme.Name(), algorithmName(scheme.DigestOID()))
	}
	certHash, b, err := der.ReadElement(b, der.TagOctetString, what+" certHash")
	if err != nil {
		return err
	}
	h := scheme.NewHash()
	h.Write(signer.Raw)
	if !bytes.Equal(certHash.Bytes, h.Sum(nil)) {
		return fmt.Errorf("%s names another certificate than the signer's %q: the certificate was swapped", what, signer.Subject.String())
	}
	if len(b) == 0 {
		return nil
	}
	issuerSerial, err := der.ReadWhole(b, der.TagSequence, what+" issuerSerial")
	if err != nil {
		return err
	}
	names, rest, err := der.ReadElement(issuerSerial.Bytes, der.TagSequence, what+" issuerSerial issuer")
	if err != nil {
		return err
	}
	serialValue, err := der.ReadWhole(rest, der.TagInteger, what+" issuerSerial serialNumber")
	if err != nil {
		return err
	}
	serial, err := der.ParseBig(serialValue, what+" issuerSerial serialNumber")
	if err != nil {
		return err
	}
	dirName, err := der.ReadWhole(names.Bytes, der.TagContext4, what+" issuerSerial issuer (one directoryName)")
	if err != nil {
		return err
	}
	if !bytes.Equal(dirName.Bytes, signer.RawIssuer) || serial.Cmp(signer.SerialNumber) != 0 {
		return fmt.Errorf("%s issuerSerial is not the signer certificate's issuer and serial number", what)
	}
	return nil
}
