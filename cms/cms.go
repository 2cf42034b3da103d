// Package cms signs and verifies CMS SignedData (RFC 5652) with a suite's
// certificate scheme: ECDSA P-256 with SHA-256 or SM2 with SM3.
//
// It exists, small as it is, because the two signatures Jurichain makes
// need exact control over the structure that general PKCS #7 libraries do
// not give: a PAdES seal (ETSI EN 319 142-1, baseline B-T) must carry
// signingCertificateV2 and must not carry signing-time, and an RFC 3161
// token needs eContentType id-ct-TSTInfo with SignedData version 3. Sign
// writes DER; Parse reads only DER, with exactly one SignerInfo.
package cms

import (
	"encoding/asn1"
)

// MaxSize bounds the signatures Parse reads. A seal or a time-stamp token
// is a few kilobytes; the bound only stops a hostile input from costing
// more than that.
const MaxSize = 1 << 20

// The object identifiers below are returned fresh by functions, so no
// caller can change them for another.

// OIDData is id-data, the eContentType of a signature over arbitrary bytes
// such as a PDF's byte ranges.
func OIDData() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1} }

// OIDSignedData is id-signedData, the content type of every ContentInfo
// this package writes.
func OIDSignedData() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2} }

// OIDTSTInfo is id-ct-TSTInfo (RFC 3161), the eContentType of a
// time-stamp token.
func OIDTSTInfo() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
}

// OIDSignatureTimeStampToken is id-aa-signatureTimeStampToken (RFC 3161
// appendix A), the unsigned attribute that carries a time-stamp of the
// signature value: what turns a CAdES or PAdES B-B signature into B-T.
func OIDSignatureTimeStampToken() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
}

// OIDContentType is the content-type signed attribute.
func OIDContentType() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3} }

// OIDMessageDigest is the message-digest signed attribute.
func OIDMessageDigest() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
}

// OIDSigningTime is the signing-time attribute, which Sign never adds:
// PAdES forbids it, the time of a seal being the time-stamp's.
func OIDSigningTime() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5} }

// OIDSigningCertificateV2 is the ESS signingCertificateV2 attribute
// (RFC 5035), which binds the signature to the signer's certificate so
// that a certificate reissued for the same key cannot be substituted.
func OIDSigningCertificateV2() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
}

func oidSHA256() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1} }

// Attribute is a CMS attribute: a type and one or more values (a SET OF,
// which Sign sorts into DER order).
type Attribute struct {
	// Type identifies the attribute.
	Type asn1.ObjectIdentifier
	// Values are the DER values, each one complete element.
	Values []asn1.RawValue
}

// algorithmName names the algorithms this package meets, for error
// messages a person can act on.
func algorithmName(oid asn1.ObjectIdentifier) string {
	names := []struct {
		oid  asn1.ObjectIdentifier
		name string
	}{
		{oidSHA256(), "sha256"},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, "sha384"},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, "sha512"},
		{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, "sha1"},
		{asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}, "sm3"},
		{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, "ecdsa-with-SHA256"},
		{asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}, "SM2-with-SM3"},
		{asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1}, "SM2 signature (GM/T 0010)"},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, "rsaEncryption"},
		{asn1.ObjectIdentifier{1, 3, 101, 112}, "Ed25519"},
	}
	for _, n := range names {
		if n.oid.Equal(oid) {
			return n.name + " (" + oid.String() + ")"
		}
	}
	return oid.String()
}
