package tsa

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/jurichain/jurichain/internal/der"
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
		return []byte{der.TagNull, 0}
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
	alg, err := der.AlgorithmID(r.HashAlgorithm, r.hashParamsNULL)
	if err != nil {
		return nil, err
	}
	parts := [][]byte{{der.TagInteger, 1, 1}, der.Encode(der.TagSequence, alg, der.Encode(der.TagOctetString, r.HashedMessage))}
	if p, _ := r.Policy.MarshalBinary(); len(p) > 0 {
		parts = append(parts, der.Encode(der.TagOID, p))
	}
	if r.Nonce != nil {
		n, err := der.Integer(r.Nonce)
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	if r.CertReq {
		parts = append(parts, []byte{der.TagBoolean, 1, 0xff})
	}
	return der.Encode(der.TagSequence, parts...), nil
}

// ParseRequest reads a DER TimeStampReq of at most MaxRequestSize bytes.
// Every refusal is an *Error whose FailInfo RFC 3161 prescribes and whose
// message names the field: a hash other than sha256, sha384, sha512 and
// sm3 (or parameters other than absent or NULL) is badAlg, extensions are
// unacceptedExtension, anything malformed or not DER is badDataFormat.
// Whether the requested policy is acceptable is for the Authority to say.
func ParseRequest(request []byte) (*Request, error) {
	if len(request) > MaxRequestSize {
		return nil, refuse(FailBadRequest, "the request is %d bytes; this authority reads at most %d", len(request), MaxRequestSize)
	}
	r, err := parseRequest(request)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, refuse(FailBadDataFormat, "%v", err)
	}
	return r, nil
}

func parseRequest(request []byte) (*Request, error) {
	seq, err := der.ReadWhole(request, der.TagSequence, "TimeStampReq")
	if err != nil {
		return nil, err
	}
	b, err := readVersion1(seq.Bytes)
	if err != nil {
		return nil, err
	}
	imprint, b, err := der.ReadElement(b, der.TagSequence, "messageImprint")
	if err != nil {
		return nil, err
	}
	r := new(Request)
	var params []byte
	if r.HashAlgorithm, params, r.HashedMessage, err = readImprint(imprint); err != nil {
		return nil, err
	}
	r.hashParamsNULL = params != nil && der.ParamsAbsentOrNULL(params)
	r.HashedMessage = append([]byte(nil), r.HashedMessage...)
	if err := checkImprint(r.HashAlgorithm, params, r.HashedMessage); err != nil {
		return nil, err
	}

	policy, b, present, err := der.ReadOptional(b, der.TagOID, "reqPolicy")
	if err != nil {
		return nil, err
	}
	if present {
		if err := r.Policy.UnmarshalBinary(policy.Bytes); err != nil {
			return nil, fmt.Errorf("reqPolicy: %w", err)
		}
	}
	if r.Nonce, b, err = readNonce(b); err != nil {
		return nil, err
	}
	if r.CertReq, b, err = readFlag(b, "certReq"); err != nil {
		return nil, err
	}
	if _, b, present, err = der.ReadOptional(b, der.TagContext0, "extensions"); err != nil {
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
