// Package tsa is the RFC 3161 Time-Stamp Authority every Jurichain node
// runs, and the client side of the protocol: requests, tokens, responses
// and their verification, for both suites (ECDSA P-256 with SHA-256, SM2
// with SM3).
//
// A seal on a certificate PDF is only as good as the time it can be shown
// to have existed; the token over its signature value (PAdES B-T) is that
// proof. The token is a CMS SignedData over a TSTInfo, made and checked
// with package cms; the authority's certificate chain, validity and
// revocation at the token's time are package pki's business.
package tsa

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"github.com/jurichain/jurichain/internal/der"
)

// MaxRequestSize bounds the requests ParseRequest reads. A request is a
// digest, a nonce and a policy: some hundred bytes.
const MaxRequestSize = 64 << 10

// maxNonceSize bounds the nonce of a request, which the token echoes:
// OpenSSL and most clients send 64 bits, RFC 3161 asks for a large random
// number, and 256 bits is more than any uses.
const maxNonceSize = 32

// FailInfo is a PKIFailureInfo bit (RFC 3161 section 2.4.2): why the
// authority refused a request.
type FailInfo int

// The failure reasons of RFC 3161, by bit number.
const (
	// FailUnknown stands for a rejection that named no reason.
	FailUnknown FailInfo = -1
	// FailBadAlg: the hash algorithm is unknown or too weak.
	FailBadAlg FailInfo = 0
	// FailBadRequest: the transaction is not permitted or supported.
	FailBadRequest FailInfo = 2
	// FailBadDataFormat: the request is malformed.
	FailBadDataFormat FailInfo = 5
	// FailTimeNotAvailable: the authority's time source is unavailable.
	FailTimeNotAvailable FailInfo = 14
	// FailUnacceptedPolicy: the requested policy is not the authority's.
	FailUnacceptedPolicy FailInfo = 15
	// FailUnacceptedExtension: the request carries an extension.
	FailUnacceptedExtension FailInfo = 16
	// FailAddInfoNotAvailable: additional information is not available.
	FailAddInfoNotAvailable FailInfo = 17
	// FailSystemFailure: the authority failed; the request was fine.
	FailSystemFailure FailInfo = 25
)

// String names the bit as RFC 3161 does.
func (f FailInfo) String() string {
	switch f {
	case FailUnknown:
		return "unspecified failure"
	case FailBadAlg:
		return "badAlg"
	case FailBadRequest:
		return "badRequest"
	case FailBadDataFormat:
		return "badDataFormat"
	case FailTimeNotAvailable:
		return "timeNotAvailable"
	case FailUnacceptedPolicy:
		return "unacceptedPolicy"
	case FailUnacceptedExtension:
		return "unacceptedExtension"
	case FailAddInfoNotAvailable:
		return "addInfoNotAvailable"
	case FailSystemFailure:
		return "systemFailure"
	}
	return fmt.Sprintf("failure bit %d", int(f))
}

// Error is a refusal in the terms of RFC 3161: the authority's own, or
// one read from a rejection response. Respond sends FailInfo and Message
// to the client; the HTTP layer logs Error(), which includes the cause of
// a system failure.
type Error struct {
	// FailInfo is the PKIFailureInfo bit.
	FailInfo FailInfo
	// Message is the statusString: what the client should change.
	Message string

	cause error
}

// Error describes the refusal.
func (e *Error) Error() string {
	s := "tsa: " + e.FailInfo.String() + ": " + e.Message
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the cause of a system failure, if any.
func (e *Error) Unwrap() error { return e.cause }

func refuse(f FailInfo, format string, args ...any) *Error {
	return &Error{FailInfo: f, Message: fmt.Sprintf(format, args...)}
}

// hashInfo describes a hash algorithm a message imprint may use.
type hashInfo struct {
	name    string
	oid     asn1.ObjectIdentifier
	size    int
	newHash func() hash.Hash
}

// hashes lists the accepted imprint algorithms, fresh on every call so
// that nobody can change them.
func hashes() []hashInfo {
	return []hashInfo{
		{"sha256", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, sha256.Size, sha256.New},
		{"sha384", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, sha512.Size384, sha512.New384},
		{"sha512", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, sha512.Size, sha512.New},
		{"sm3", asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}, sm3.Size, sm3.New},
	}
}

func hashByOID(oid asn1.ObjectIdentifier) (hashInfo, bool) {
	for _, h := range hashes() {
		if h.oid.Equal(oid) {
			return h, true
		}
	}
	return hashInfo{}, false
}

// weakHashName names the hashes a request may not use because collisions
// in them can be made: an imprint under them proves nothing.
func weakHashName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}):
		return "sha1"
	case oid.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}):
		return "md5"
	}
	return ""
}

// HashAlgorithm returns the object identifier and the hash of the imprint
// algorithm named "sha256", "sha384", "sha512" or "sm3".
func HashAlgorithm(name string) (asn1.ObjectIdentifier, func() hash.Hash, error) {
	var names []string
	for _, h := range hashes() {
		if h.name == name {
			return h.oid, h.newHash, nil
		}
		names = append(names, h.name)
	}
	return nil, nil, fmt.Errorf("tsa: unknown hash algorithm %q; use one of %s", name, strings.Join(names, ", "))
}

// checkImprint checks a message imprint's algorithm, its parameters
// (absent or NULL; rawParams is nil when absent) and the digest's length.
func checkImprint(oid asn1.ObjectIdentifier, rawParams []byte, digest []byte) *Error {
	if weak := weakHashName(oid); weak != "" {
		return refuse(FailBadAlg, "messageImprint.hashAlgorithm is %s, too weak to time-stamp; use sha256, sha384, sha512 or sm3", weak)
	}
	h, ok := hashByOID(oid)
	if !ok {
		return refuse(FailBadAlg, "messageImprint.hashAlgorithm %v is not one of sha256, sha384, sha512, sm3", oid)
	}
	if !der.ParamsAbsentOrNULL(rawParams) {
		return refuse(FailBadAlg, "messageImprint.hashAlgorithm: the %s parameters must be absent or NULL", h.name)
	}
	if len(digest) != h.size {
		return refuse(FailBadDataFormat, "messageImprint.hashedMessage is %d bytes; a %s digest is %d", len(digest), h.name, h.size)
	}
	return nil
}

// DefaultPolicy is the TSA policy of a Jurichain authority:
// 2.25.287261339115500005706991704561958287881, the OID of the UUID
// d81c8580-278a-4dc9-a6bd-8b2be0907a09 under ITU-T X.667, which needs no
// registration. It names the practice of Jurichain's authorities: the
// time of the node's clock, to the second, with an accuracy of one
// second. The UUID was drawn at random once and must not
// change, or tokens made before would name another policy.
//
// The type is x509.OID rather than asn1.ObjectIdentifier because the
// UUID's 128-bit arc does not fit encoding/asn1's int arcs.
func DefaultPolicy() x509.OID {
	oid, err := x509.ParseOID(defaultPolicy)
	if err != nil {
		panic("tsa: the default policy does not parse: " + err.Error())
	}
	return oid
}

const defaultPolicy = "2.25.287261339115500005706991704561958287881"

func oidExtKeyUsage() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, 37} }
func oidKeyUsage() asn1.ObjectIdentifier    { return asn1.ObjectIdentifier{2, 5, 29, 15} }

// TimeStampingExtension is the extended key usage extension of a
// time-stamping certificate: timeStamping alone, critical, as RFC 3161
// section 2.3 requires. Go's certificate templates write extended key
// usage as non-critical, so issuers put this in ExtraExtensions instead
// of setting ExtKeyUsage.
func TimeStampingExtension() pkix.Extension {
	// SEQUENCE { id-kp-timeStamping 1.3.6.1.5.5.7.3.8 }
	value := []byte{0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08}
	return pkix.Extension{Id: oidExtKeyUsage(), Critical: true, Value: value}
}
