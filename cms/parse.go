package cms

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/der"
)

// SignedData is a parsed signature: the SignedData of a ContentInfo and
// its one SignerInfo.
type SignedData struct {
	// Version is the SignedData version: 1, or 3 for a content type other
	// than id-data or a signer named by key identifier.
	Version int
	// ContentType is the eContentType.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content, nil when the signature is
	// detached.
	Content []byte
	// Certificates are those the signature carries, in its order.
	Certificates []*smx509.Certificate
	// DigestAlgorithm is the SignerInfo's digest algorithm.
	DigestAlgorithm asn1.ObjectIdentifier
	// SignatureAlgorithm is the SignerInfo's signature algorithm.
	SignatureAlgorithm asn1.ObjectIdentifier
	// SignedAttributesDER is the SET OF signed attributes as signed, with
	// the universal SET tag, for tools that check the signature outside.
	SignedAttributesDER []byte
	// Signature is the SignerInfo's signature value.
	Signature []byte

	digestParams    []byte
	signatureParams []byte
	issuer          []byte   // the sid's issuer Name, DER, when named by issuer and serial
	serial          *big.Int // the sid's serial number
	subjectKeyID    []byte   // the sid when named by subject key identifier
	signed          []Attribute
	unsigned        []Attribute
}

// Parse reads a DER ContentInfo holding a SignedData with exactly one
// SignerInfo, which must have signed attributes. It reads DER only (no
// indefinite lengths, sorted SETs, nothing after a structure) and at most
// MaxSize bytes, and does not verify anything: see Verify.
func Parse(signature []byte) (*SignedData, error) {
	if len(signature) > MaxSize {
		return nil, fmt.Errorf("cms: %d bytes is over the %d-byte limit for a signature", len(signature), MaxSize)
	}
	// Everything returned refers into this private copy, so the caller
	// may reuse signature.
	sd, err := parseContentInfo(bytes.Clone(signature))
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return sd, nil
}

func parseContentInfo(b []byte) (*SignedData, error) {
	ci, err := der.ReadWhole(b, der.TagSequence, "ContentInfo")
	if err != nil {
		return nil, err
	}
	t, rest, err := der.ReadElement(ci.Bytes, der.TagOID, "ContentInfo.contentType")
	if err != nil {
		return nil, err
	}
	contentType, err := der.ParseOID(t, "ContentInfo.contentType")
	if err != nil {
		return nil, err
	}
	if !contentType.Equal(OIDSignedData()) {
		return nil, fmt.Errorf("ContentInfo holds %v, not signed-data", contentType)
	}
	explicit, err := der.ReadWhole(rest, der.TagContext0, "ContentInfo.content")
	if err != nil {
		return nil, err
	}
	body, err := der.ReadWhole(explicit.Bytes, der.TagSequence, "SignedData")
	if err != nil {
		return nil, err
	}
	return parseSignedData(body.Bytes)
}

func parseSignedData(b []byte) (*SignedData, error) {
	sd := new(SignedData)
	v, b, err := der.ReadElement(b, der.TagInteger, "SignedData.version")
	if err != nil {
		return nil, err
	}
	if sd.Version, err = der.ParseInt(v, "SignedData.version"); err != nil {
		return nil, err
	}
	digestSet, b, err := der.ReadElement(b, der.TagSet, "SignedData.digestAlgorithms")
	if err != nil {
		return nil, err
	}
	digestAlgs, err := der.SetOf(digestSet.Bytes, "SignedData.digestAlgorithms")
	if err != nil {
		return nil, err
	}
	encap, b, err := der.ReadElement(b, der.TagSequence, "SignedData.encapContentInfo")
	if err != nil {
		return nil, err
	}
	if err := sd.parseEncapsulated(encap.Bytes); err != nil {
		return nil, err
	}
	certs, b, present, err := der.ReadOptional(b, der.TagContext0, "SignedData.certificates")
	if err != nil {
		return nil, err
	}
	if present {
		if err := sd.parseCertificates(certs.Bytes); err != nil {
			return nil, err
		}
	}
	if len(b) > 0 && b[0] == der.TagContext1 {
		return nil, errors.New("SignedData.crls is present: this reader takes revocation data from the PDF's DSS or from package pki, not from the signature")
	}
	signers, b, err := der.ReadElement(b, der.TagSet, "SignedData.signerInfos")
	if err != nil {
		return nil, err
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("SignedData has %d stray bytes after signerInfos", len(b))
	}
	infos, err := der.SetOf(signers.Bytes, "SignedData.signerInfos")
	if err != nil {
		return nil, err
	}
	if len(infos) != 1 {
		return nil, fmt.Errorf("SignedData has %d SignerInfos; a seal or a time-stamp token has exactly one", len(infos))
	}
	if infos[0].FullBytes[0] != der.TagSequence {
		return nil, errors.New("SignerInfo is not a SEQUENCE")
	}
	signerVersion, err := sd.parseSignerInfo(infos[0].Bytes)
	if err != nil {
		return nil, err
	}

	want := 1
	if signerVersion == 3 || !sd.ContentType.Equal(OIDData()) {
		want = 3
	}
	if sd.Version != want {
		return nil, fmt.Errorf("SignedData.version is %d; RFC 5652 section 5.1 makes it %d for this content and signer", sd.Version, want)
	}
	listed := false
	for i, a := range digestAlgs {
		if a.FullBytes[0] != der.TagSequence {
			return nil, fmt.Errorf("SignedData.digestAlgorithms element %d is not an AlgorithmIdentifier", i+1)
		}
		oid, _, err := der.ParseAlgorithm(a, "SignedData.digestAlgorithms")
		if err != nil {
			return nil, err
		}
		listed = listed || oid.Equal(sd.DigestAlgorithm)
	}
	if !listed {
		return nil, fmt.Errorf("SignedData.digestAlgorithms does not list the signer's digest %s", algorithmName(sd.DigestAlgorithm))
	}
	return sd, nil
}

func (sd *SignedData) parseEncapsulated(b []byte) error {
	t, b, err := der.ReadElement(b, der.TagOID, "encapContentInfo.eContentType")
	if err != nil {
		return err
	}
	if sd.ContentType, err = der.ParseOID(t, "encapContentInfo.eContentType"); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	explicit, err := der.ReadWhole(b, der.TagContext0, "encapContentInfo.eContent")
	if err != nil {
		return err
	}
	octets, err := der.ReadWhole(explicit.Bytes, der.TagOctetString, "encapContentInfo.eContent")
	if err != nil {
		return err
	}
	sd.Content = append([]byte{}, octets.Bytes...)
	return nil
}

func (sd *SignedData) parseCertificates(b []byte) error {
	elems, err := der.SetOf(b, "SignedData.certificates")
	if err != nil {
		return err
	}
	for i, e := range elems {
		if e.FullBytes[0] != der.TagSequence {
			return fmt.Errorf("SignedData.certificates element %d is not an X.509 certificate (tag 0x%02x)", i+1, e.FullBytes[0])
		}
		c, err := smx509.ParseCertificate(e.FullBytes)
		if err != nil {
			return fmt.Errorf("SignedData.certificates element %d: %w", i+1, err)
		}
		sd.Certificates = append(sd.Certificates, c)
	}
	return nil
}

// parseSignerInfo reads the SignerInfo and returns its version.
func (sd *SignedData) parseSignerInfo(b []byte) (int, error) {
	v, b, err := der.ReadElement(b, der.TagInteger, "SignerInfo.version")
	if err != nil {
		return 0, err
	}
	version, err := der.ParseInt(v, "SignerInfo.version")
	if err != nil {
		return 0, err
	}
	switch version {
	case 1:
		var ias asn1.RawValue
		if ias, b, err = der.ReadElement(b, der.TagSequence, "SignerInfo.sid (issuerAndSerialNumber)"); err != nil {
			return 0, err
		}
		issuer, rest, err := der.ReadElement(ias.Bytes, der.TagSequence, "SignerInfo.sid issuer")
		if err != nil {
			return 0, err
		}
		serial, err := der.ReadWhole(rest, der.TagInteger, "SignerInfo.sid serialNumber")
		if err != nil {
			return 0, err
		}
		sd.issuer = issuer.FullBytes
		if sd.serial, err = der.ParseBig(serial, "SignerInfo.sid serialNumber"); err != nil {
			return 0, err
		}
	case 3:
		var ski asn1.RawValue
		if ski, b, err = der.ReadElement(b, der.TagContext0Pri, "SignerInfo.sid (subjectKeyIdentifier)"); err != nil {
			return 0, err
		}
		sd.subjectKeyID = ski.Bytes
	default:
		return 0, fmt.Errorf("SignerInfo.version is %d, want 1 (issuer and serial) or 3 (key identifier)", version)
	}
	alg, b, err := der.ReadElement(b, der.TagSequence, "SignerInfo.digestAlgorithm")
	if err != nil {
		return 0, err
	}
	if sd.DigestAlgorithm, sd.digestParams, err = der.ParseAlgorithm(alg, "SignerInfo.digestAlgorithm"); err != nil {
		return 0, err
	}
	attrs, b, present, err := der.ReadOptional(b, der.TagContext0, "SignerInfo.signedAttrs")
	if err != nil {
		return 0, err
	}
	if !present {
		return 0, errors.New("SignerInfo has no signed attributes; CAdES, PAdES and RFC 3161 require them")
	}
	if sd.signed, err = parseAttributes(attrs.Bytes, "SignerInfo.signedAttrs"); err != nil {
		return 0, err
	}
	// [0] IMPLICIT and SET share their length, so the signed form is the
	// same bytes under the SET tag.
	sd.SignedAttributesDER = append([]byte{der.TagSet}, attrs.FullBytes[1:]...)
	if alg, b, err = der.ReadElement(b, der.TagSequence, "SignerInfo.signatureAlgorithm"); err != nil {
		return 0, err
	}
	if sd.SignatureAlgorithm, sd.signatureParams, err = der.ParseAlgorithm(alg, "SignerInfo.signatureAlgorithm"); err != nil {
		return 0, err
	}
	sig, b, err := der.ReadElement(b, der.TagOctetString, "SignerInfo.signature")
	if err != nil {
		return 0, err
	}
	sd.Signature = sig.Bytes
	unsigned, b, present, err := der.ReadOptional(b, der.TagContext1, "SignerInfo.unsignedAttrs")
	if err != nil {
		return 0, err
	}
	if present {
		if sd.unsigned, err = parseAttributes(unsigned.Bytes, "SignerInfo.unsignedAttrs"); err != nil {
			return 0, err
		}
	}
	if len(b) != 0 {
		return 0, fmt.Errorf("SignerInfo has %d stray bytes at its end", len(b))
	}
	return version, nil
}

// parseAttributes reads the content of a SET OF Attribute: sorted, each
// type once, each with at least one value.
//
// The DER order of the SET does not put two attributes of one type side
// by side (their encodings differ in length before they differ in type),
// so the types already seen are kept in a set: a signature stuffed with
// attributes costs time in proportion to its size, not to its square.
func parseAttributes(b []byte, what string) ([]Attribute, error) {
	elems, err := der.SetOf(b, what)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, fmt.Errorf("%s is empty", what)
	}
	out := make([]Attribute, 0, len(elems))
	seen := make(map[string]struct{}, len(elems))
	// The names for errors are made once: a message per attribute would
	// cost more than the attribute.
	typeWhat, valuesWhat := what+" attrType", what+" attrValues"
	for i, e := range elems {
		if e.FullBytes[0] != der.TagSequence {
			return nil, fmt.Errorf("%s element %d is not an Attribute", what, i+1)
		}
		t, rest, err := der.ReadElement(e.Bytes, der.TagOID, typeWhat)
		if err != nil {
			return nil, err
		}
		oid, err := der.ParseOID(t, typeWhat)
		if err != nil {
			return nil, err
		}
		set, err := der.ReadWhole(rest, der.TagSet, valuesWhat)
		if err != nil {
			return nil, fmt.Errorf("attribute %v: %w", oid, err)
		}
		values, err := der.SetOf(set.Bytes, valuesWhat)
		if err != nil {
			return nil, fmt.Errorf("attribute %v: %w", oid, err)
		}
		if len(values) == 0 {
			return nil, fmt.Errorf("%s %v has no value", what, oid)
		}
		// der.ParseOID accepted t as DER, so equal types have equal bytes.
		if _, dup := seen[string(t.FullBytes)]; dup {
			return nil, fmt.Errorf("%s has attribute %v twice", what, oid)
		}
		seen[string(t.FullBytes)] = struct{}{}
		out = append(out, Attribute{Type: oid, Values: values})
	}
	return out, nil
}

// SignedAttribute returns the values of the signed attribute of type oid.
func (sd *SignedData) SignedAttribute(oid asn1.ObjectIdentifier) ([]asn1.RawValue, bool) {
	return findAttribute(sd.signed, oid)
}

// UnsignedAttribute returns the values of the unsigned attribute of type
// oid. Unsigned attributes are not covered by the signature: whoever
// reads one checks it on its own terms, as a time-stamp token is.
func (sd *SignedData) UnsignedAttribute(oid asn1.ObjectIdentifier) ([]asn1.RawValue, bool) {
	return findAttribute(sd.unsigned, oid)
}

// SignatureTimeStamp returns the time-stamp token of the signature value
// (id-aa-signatureTimeStampToken), the first when there are several. It is
// not checked here: package tsa verifies it against the scheme's digest
// of Signature.
func (sd *SignedData) SignatureTimeStamp() ([]byte, bool) {
	values, ok := sd.UnsignedAttribute(OIDSignatureTimeStampToken())
	if !ok {
		return nil, false
	}
	return bytes.Clone(values[0].FullBytes), true
}

func findAttribute(attrs []Attribute, oid asn1.ObjectIdentifier) ([]asn1.RawValue, bool) {
	for _, a := range attrs {
		if a.Type.Equal(oid) {
			return append([]asn1.RawValue(nil), a.Values...), true
		}
	}
	return nil, false
}
