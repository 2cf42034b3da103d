package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/der"
	"github.com/jurichain/jurichain/suite"
)

// Authority is a Time-Stamp Authority: a time-stamping certificate of the
// suite's scheme, its key, a policy and a clock. Make it with
// NewAuthority; it is then safe for concurrent use if Now and Rand are.
type Authority struct {
	// Scheme is the suite's certificate scheme; Cert and Key are of it.
	Scheme *suite.CertificateScheme
	// Cert is the time-stamping certificate: its only extended key usage
	// is timeStamping, marked critical (see TimeStampingExtension).
	Cert *smx509.Certificate
	// Chain holds the certificates from Cert's issuer up, sent with Cert
	// when a request asks for certificates.
	Chain []*smx509.Certificate
	// Key is Cert's private key.
	Key crypto.Signer
	// Policy is the TSA policy the tokens name; the zero OID means
	// DefaultPolicy().
	Policy x509.OID
	// Now is the authority's clock.
	Now func() time.Time
	// Rand supplies the serial numbers and the signatures' randomness.
	Rand io.Reader

	ready     bool
	policyDER []byte // the policy's OID, DER
	tsaName   []byte // the tsa field: [0] { directoryName [4] { Cert's subject } }
}

// NewAuthority checks a and returns an authority ready to stamp: Scheme,
// Cert, Key, Now and Rand set, Key the key of Cert and of the scheme, and
// Cert a time-stamping certificate as RFC 3161 section 2.3 requires.
func NewAuthority(a Authority) (*Authority, error) {
	switch {
	case a.Scheme == nil:
		return nil, errors.New("tsa: Authority.Scheme is nil: pass the suite's Certificates()")
	case a.Cert == nil:
		return nil, errors.New("tsa: Authority.Cert is nil")
	case a.Key == nil:
		return nil, errors.New("tsa: Authority.Key is nil")
	case a.Now == nil:
		return nil, errors.New("tsa: Authority.Now is nil: pass time.Now")
	case a.Rand == nil:
		return nil, errors.New("tsa: Authority.Rand is nil: pass crypto/rand.Reader")
	}
	if err := a.Scheme.CheckPublicKey(a.Cert.PublicKey); err != nil {
		return nil, fmt.Errorf("tsa: the time-stamping certificate does not fit the %s scheme: %w", a.Scheme.Name(), err)
	}
	pub, ok := a.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(a.Cert.PublicKey) {
		return nil, fmt.Errorf("tsa: Authority.Key is not the key of the certificate %q", a.Cert.Subject.String())
	}
	if err := checkTimeStampingCertificate(a.Cert); err != nil {
		return nil, err
	}
	if a.Policy.Equal(x509.OID{}) {
		a.Policy = DefaultPolicy()
	}
	p, err := a.Policy.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("tsa: encoding the policy %s: %w", a.Policy, err)
	}
	a.policyDER = der.Encode(der.TagOID, p)
	a.tsaName = der.Encode(der.TagContext0, der.Encode(der.TagContext4, a.Cert.RawSubject))
	a.Chain = append([]*smx509.Certificate(nil), a.Chain...)
	a.ready = true
	return &a, nil
}

// checkTimeStampingCertificate applies RFC 3161 section 2.3, and
// OpenSSL's reading of it: the extended key usage is timeStamping alone
// and critical, and a key usage, if present, allows digitalSignature or
// nonRepudiation and nothing else.
func checkTimeStampingCertificate(c *smx509.Certificate) error {
	var eku, ku bool
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidExtKeyUsage()):
			eku = true
			if !e.Critical {
				return fmt.Errorf("tsa: the extended key usage of %q is not critical; RFC 3161 requires a critical timeStamping extended key usage (see TimeStampingExtension)", c.Subject.String())
			}
		case e.Id.Equal(oidKeyUsage()):
			ku = true
		}
	}
	if !eku {
		return fmt.Errorf("tsa: the certificate %q has no extended key usage; a time-stamping certificate needs timeStamping, critical (see TimeStampingExtension)", c.Subject.String())
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != smx509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
		return fmt.Errorf("tsa: the extended key usage of %q must be timeStamping and nothing else", c.Subject.String())
	}
	allowed := smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
	if ku && (c.KeyUsage&^allowed != 0 || c.KeyUsage&allowed == 0) {
		return fmt.Errorf("tsa: the key usage of %q must be digitalSignature or nonRepudiation only", c.Subject.String())
	}
	return nil
}

// Stamp makes the token for a request: a CMS SignedData (package cms) over
// a TSTInfo with version 1, the authority's policy, the request's imprint
// as sent, a random positive 128-bit serial number, genTime in UTC to the
// second, an accuracy of one second, the request's nonce, and the
// authority's name. The certificates (Cert and Chain) are included only
// when the request asks for them, as RFC 3161 section 2.4.1 prescribes.
// Refusals are *Error.
func (a *Authority) Stamp(r *Request) ([]byte, error) {
	if a == nil || !a.ready {
		return nil, &Error{FailInfo: FailSystemFailure, Message: "the authority is not set up", cause: errors.New("the Authority was not made by NewAuthority")}
	}
	if r == nil {
		return nil, refuse(FailBadRequest, "no request")
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if !r.Policy.Equal(x509.OID{}) && !r.Policy.Equal(a.Policy) {
		return nil, refuse(FailUnacceptedPolicy, "reqPolicy %s is not this authority's policy %s", r.Policy, a.Policy)
	}
	now := a.Now()
	if now.IsZero() {
		return nil, refuse(FailTimeNotAvailable, "the authority's clock gives no time")
	}
	now = now.UTC().Truncate(time.Second)
	if now.Before(a.Cert.NotBefore) || now.After(a.Cert.NotAfter) {
		return nil, refuse(FailSystemFailure, "the authority's certificate is not valid at %s", now.Format(time.RFC3339))
	}
	tst, err := a.tstInfo(r, now)
	if err != nil {
		return nil, &Error{FailInfo: FailSystemFailure, Message: "the authority could not make the time-stamp", cause: err}
	}
	token, err := cms.Sign(
		cms.Signer{Scheme: a.Scheme, Cert: a.Cert, Chain: a.Chain, Key: a.Key, Rand: a.Rand},
		cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: tst, OmitCertificates: !r.CertReq},
	)
	if err != nil {
		return nil, &Error{FailInfo: FailSystemFailure, Message: "the authority could not sign the time-stamp", cause: err}
	}
	return token, nil
}

// tstInfo encodes the TSTInfo of a token.
func (a *Authority) tstInfo(r *Request, genTime time.Time) ([]byte, error) {
	var random [16]byte
	if _, err := io.ReadFull(a.Rand, random[:]); err != nil {
		return nil, fmt.Errorf("drawing a serial number: %w", err)
	}
	serialNumber := new(big.Int).SetBytes(random[:])
	if serialNumber.Sign() == 0 {
		return nil, errors.New("the random serial number is zero: the random source is broken")
	}
	serial, err := der.Integer(serialNumber)
	if err != nil {
		return nil, err
	}
	alg, err := der.AlgorithmID(r.HashAlgorithm, r.hashParamsNULL)
	if err != nil {
		return nil, err
	}
	var nonce []byte
	if r.Nonce != nil {
		if nonce, err = der.Integer(r.Nonce); err != nil {
			return nil, err
		}
	}
	return der.Encode(der.TagSequence,
		[]byte{der.TagInteger, 1, 1},
		a.policyDER,
		der.Encode(der.TagSequence, alg, der.Encode(der.TagOctetString, r.HashedMessage)),
		serial,
		der.Encode(der.TagGeneralizedTime, []byte(genTime.Format("20060102150405Z"))),
		[]byte{der.TagSequence, 3, der.TagInteger, 1, 1}, // accuracy: 1 second
		nonce,
		a.tsaName,
	), nil
}

// Respond answers the body of an HTTP time-stamp request (RFC 3161
// section 3.4) with a DER TimeStampResp: status granted and the token, or
// status rejection with the failure bit and the reason. err is the *Error
// behind a rejection, for the HTTP layer to log; resp is sent either way.
// The HTTP layer should not read more than MaxRequestSize bytes of body.
func (a *Authority) Respond(body []byte) (resp []byte, err error) {
	req, err := ParseRequest(body)
	var token []byte
	if err == nil {
		token, err = a.Stamp(req)
	}
	if err == nil {
		return der.Encode(der.TagSequence, der.Encode(der.TagSequence, []byte{der.TagInteger, 1, 0}), token), nil
	}
	var refusal *Error
	if !errors.As(err, &refusal) {
		refusal = &Error{FailInfo: FailSystemFailure, Message: "the authority failed", cause: err}
	}
	return rejection(refusal), refusal
}

// rejection encodes a TimeStampResp with status rejection (2), the
// message as statusString and the failure as failInfo.
func rejection(e *Error) []byte {
	status := [][]byte{{der.TagInteger, 1, 2}}
	msg := bytes.ToValidUTF8([]byte(e.Message), []byte("?"))
	if len(msg) > 0 {
		status = append(status, der.Encode(der.TagSequence, der.Encode(der.TagUTF8String, msg)))
	}
	if e.FailInfo >= 0 {
		// A named BIT STRING in DER ends at its last set bit.
		bit := int(e.FailInfo)
		bits := make([]byte, bit/8+1)
		bits[bit/8] = 0x80 >> (bit % 8)
		status = append(status, der.Encode(der.TagBitString, []byte{byte(7 - bit%8)}, bits))
	}
	return der.Encode(der.TagSequence, der.Encode(der.TagSequence, status...))
}
