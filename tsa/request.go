package tsa

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Request is a TimeStampReq (RFC 3161 section 2.4.1).
type Request struct {
	// HashAlgorithm is the imprint's hash: sha256, sha384, sha512 or sm3.
	HashAlgorithm asn1.ObjectIdentifier
	// HashedMessage is the digest to time-stamp.
	HashedMessage []byte
	// Policy is the TSA policy asked for; the zero OID asks for none.
	Policy x509.OID
	// Nonce, if not nil, is echoed in the token so that the client can
	// match the response to its request.
	Nonce *big.Int
	// CertReq asks for the authority's certificates in the token.
	CertReq bool

	// hashParamsNULL records that the parsed request wrote NULL hash
	// parameters (OpenSSL does), so that Marshal and the token's
	// messageImprint repeat them exactly as RFC 3161 requires.
	hashParamsNULL bool
}

// NewRequest makes a request for a digest computed with hashAlg. The
// parameters of the hash algorithm are left absent (RFC 5754).
func NewRequest(hashAlg asn1.ObjectIdentifier, digest []byte, nonce *big.Int, certReq bool) (*Request, error) {
	r := &Request{HashAlgorithm: hashAlg, HashedMessage: append([]byte(nil), digest...), CertReq: certReq}
	if nonce != nil {
		r.Nonce = new(big.Int).Set(nonce)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Request) hashParams() []byte {
	if r.hashParamsNULL {
		return []byte{tagNull, 0}
	}
	return nil
}

// check applies the rules of ParseRequest other than the policy, which is
// the authority's to judge.
func (r *Request) check() *Error {
	if err := checkImprint(r.HashAlgorithm, r.hashParams(), r.HashedMessage); err != nil {
		return err
	}
	if r.Nonce != nil && len(r.Nonce.Bytes()) > maxNonceSize {
		return refuse(FailBadRequest, "nonce is %d bytes; this authority echoes at most %d", len(r.Nonce.Bytes()), maxNonceSize)
	}
	return nil
}

// Marshal encodes the request in DER.
func (r *Request) Marshal() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	alg, err := algorithmID(r.HashAlgorithm, r.hashParamsNULL)
	if err != nil {
		return nil, err
	}
	parts := [][]byte{{tagInteger, 1, 1}, tlv(tagSequence, alg, tlv(tagOctetString, r.HashedMessage))}
	if p, _ := r.Policy.MarshalBinary(); len(p) > 0 {
		parts = append(parts, tlv(tagOID, p))
	}
	if r.Nonce != nil {
		n, err := marshal(r.Nonce)
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	if r.CertReq {
		parts = append(parts, []byte{tagBoolean, 1, 0xff})
	}
	return tlv(tagSequence, parts...), nil
}

// ParseRequest reads a DER TimeStampReq of at most MaxRequestSize bytes.
// Every refusal is an *Error whose FailInfo RFC 3161 prescribes and whose
// message names the field: a hash other than sha256, sha384, sha512 and
// sm3 (or parameters other than absent or NULL) is badAlg, extensions are
// unacceptedExtension, anything malformed or not DER is badDataFormat.
// Whether the requested policy is acceptable is for the Authority to say.
func ParseRequest(der []byte) (*Request, error) {
	if len(der) > MaxRequestSize {
		return nil, refuse(FailBadRequest, "the request is %d bytes; this authority reads at most %d", len(der), MaxRequestSize)
	}
	r, err := parseRequest(der)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, refuse(FailBadDataFormat, "%v", err)
	}
	return r, nil
}

func parseRequest(der []byte) (*Request, error) {
	seq, err := readWhole(der, tagSequence, "TimeStampReq")
	if err != nil {
		return nil, err
	}
	b := seq.Bytes
	var v asn1.RawValue
	if v, b, err = readElement(b, tagInteger, "version"); err != nil {
		return nil, err
	}
	var version int
	if err := parseExact(v.FullBytes, 0, &version, "version"); err != nil {
		return nil, err
	}
	if version != 1 {
		return nil, fmt.Errorf("version is %d; RFC 3161 knows only 1", version)
	}
	imprint, b, err := readElement(b, tagSequence, "messageImprint")
	if err != nil {
		return nil, err
	}
	alg, rest, err := readElement(imprint.Bytes, tagSequence, "messageImprint.hashAlgorithm")
	if err != nil {
		return nil, err
	}
	r := new(Request)
	var params []byte
	if r.HashAlgorithm, params, err = parseAlgorithm(alg, "messageImprint.hashAlgorithm"); err != nil {
		return nil, err
	}
	r.hashParamsNULL = params != nil && paramsAbsentOrNULL(params)
	digest, err := readWhole(rest, tagOctetString, "messageImprint.hashedMessage")
	if err != nil {
		return nil, err
	}
	r.HashedMessage = append([]byte(nil), digest.Bytes...)
	if err := checkImprint(r.HashAlgorithm, params, r.HashedMessage); err != nil {
		return nil, err
	}

	policy, b, present, err := readOptional(b, tagOID, "reqPolicy")
	if err != nil {
		return nil, err
	}
	if present {
		if err := r.Policy.UnmarshalBinary(policy.Bytes); err != nil {
			return nil, fmt.Errorf("reqPolicy: %w", err)
		}
	}
	nonce, b, present, err := readOptional(b, tagInteger, "nonce")
	if err != nil {
		return nil, err
	}
	if present {
		if r.Nonce, err = parseBig(nonce, "nonce"); err != nil {
			return nil, err
		}
	}
	certReq, b, present, err := readOptional(b, tagBoolean, "certReq")
	if err != nil {
		return nil, err
	}
	if present {
		if err := parseExact(certReq.FullBytes, 0, &r.CertReq, "certReq"); err != nil {
			return nil, err
		}
		if !r.CertReq {
			return nil, errors.New("certReq is FALSE, its DEFAULT, which DER leaves out")
		}
	}
	if _, b, present, err = readOptional(b, tagContext0, "extensions"); err != nil {
		return nil, err
	}
	if present {
		return nil, refuse(FailUnacceptedExtension, "extensions: this authority accepts no request extensions")
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("TimeStampReq has %d stray bytes after its last field", len(b))
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}
