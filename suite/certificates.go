package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// CertificateScheme is the suite's algorithm for X.509 certificates and
// CMS signatures: an institution's certificate authority, its seal on a
// certificate PDF, its RFC 3161 time-stamp tokens.
//
// The GM suite uses SM2 with SM3 here as everywhere. The international
// suite uses ECDSA P-256 with SHA-256 rather than its Ed25519: the tools a
// court checks these artifacts with do not read Ed25519 in certificates
// and CMS (NSS, behind poppler's pdfsig, supports it only from 3.101;
// Adobe Reader not at all), while every one of them reads ECDSA P-256.
type CertificateScheme struct {
	name         string
	algorithm    smx509.SignatureAlgorithm
	digestOID    asn1.ObjectIdentifier
	signatureOID asn1.ObjectIdentifier
	newHash      func() hash.Hash
	generate     func(rand io.Reader) (crypto.Signer, error)
	check        func(pub crypto.PublicKey) error
	sign         func(key crypto.Signer, rand io.Reader, msg []byte) ([]byte, error)
	verify       func(pub crypto.PublicKey, msg, sig []byte) bool
}

// Object identifiers of the certificate schemes' algorithms.
var (
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSM3             = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	oidSM2WithSM3      = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
)

func ecdsaCertificates() *CertificateScheme {
	return &CertificateScheme{
		name:         "ecdsa-p256-sha256",
		algorithm:    smx509.ECDSAWithSHA256,
		digestOID:    oidSHA256,
		signatureOID: oidECDSAWithSHA256,
		newHash:      sha256.New,
		generate: func(rand io.Reader) (crypto.Signer, error) {
			return ecdsa.GenerateKey(elliptic.P256(), rand)
		},
		check: func(pub crypto.PublicKey) error {
			k, ok := pub.(*ecdsa.PublicKey)
			if !ok || k.Curve != elliptic.P256() {
				return fmt.Errorf("key is %T, the international suite's certificates need an ECDSA P-256 key", pub)
			}
			return nil
		},
		sign: func(key crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
			d := sha256.Sum256(msg)
			return key.Sign(rand, d[:], crypto.SHA256)
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			k, ok := pub.(*ecdsa.PublicKey)
			if !ok {
				return false
			}
			d := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(k, d[:], sig)
		},
	}
}

func sm2Certificates() *CertificateScheme {
	return &CertificateScheme{
		name:         "sm2-sm3",
		algorithm:    smx509.SM2WithSM3,
		digestOID:    oidSM3,
		signatureOID: oidSM2WithSM3,
		newHash:      sm3.New,
		generate: func(rand io.Reader) (crypto.Signer, error) {
			return sm2.GenerateKey(rand)
		},
		check: func(pub crypto.PublicKey) error {
			k, ok := pub.(*ecdsa.PublicKey)
			if !ok || k.Curve != sm2.P256() {
				return fmt.Errorf("key is %T, the GM suite's certificates need an SM2 key", pub)
			}
			return nil
		},
		// SM2 hashes the message with Z, the digest of the signer's
		// default identity 1234567812345678 (GM/T 0009) and public key.
		sign: func(key crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
			return key.Sign(rand, msg, sm2.DefaultSM2SignerOpts)
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			k, ok := pub.(*ecdsa.PublicKey)
			if !ok || k.Curve != sm2.P256() {
				return false
			}
			return sm2.VerifyASN1WithSM2(k, nil, msg, sig)
		},
	}
}

// Name names the scheme: "ecdsa-p256-sha256" or "sm2-sm3".
func (c *CertificateScheme) Name() string { return c.name }

// SignatureAlgorithm is the algorithm certificates and CRLs are signed with.
func (c *CertificateScheme) SignatureAlgorithm() smx509.SignatureAlgorithm { return c.algorithm }

// DigestOID identifies the scheme's hash in CMS (digestAlgorithm) and in
// RFC 3161 message imprints.
func (c *CertificateScheme) DigestOID() asn1.ObjectIdentifier { return c.digestOID }

// SignatureOID identifies the signature algorithm in a CMS SignerInfo.
func (c *CertificateScheme) SignatureOID() asn1.ObjectIdentifier { return c.signatureOID }

// NewHash returns the scheme's hash: SHA-256 or SM3.
func (c *CertificateScheme) NewHash() hash.Hash { return c.newHash() }

// GenerateKey makes a new key of the scheme.
func (c *CertificateScheme) GenerateKey(rand io.Reader) (crypto.Signer, error) {
	k, err := c.generate(rand)
	if err != nil {
		return nil, fmt.Errorf("generating a %s key: %w", c.name, err)
	}
	return k, nil
}

// CheckPublicKey refuses a key of another algorithm.
func (c *CertificateScheme) CheckPublicKey(pub crypto.PublicKey) error { return c.check(pub) }

// Sign signs msg (it hashes it itself) and returns a DER signature.
func (c *CertificateScheme) Sign(key crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
	if err := c.check(key.Public()); err != nil {
		return nil, err
	}
	sig, err := c.sign(key, rand, msg)
	if err != nil {
		return nil, fmt.Errorf("%s signature: %w", c.name, err)
	}
	return sig, nil
}

// Verify checks a DER signature over msg.
func (c *CertificateScheme) Verify(pub crypto.PublicKey, msg, sig []byte) error {
	if err := c.check(pub); err != nil {
		return err
	}
	if !c.verify(pub, msg, sig) {
		return fmt.Errorf("the %s signature does not verify", c.name)
	}
	return nil
}

// MarshalPrivateKey encodes a key of the scheme as a PKCS#8 PEM block.
func (c *CertificateScheme) MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	if err := c.check(key.Public()); err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a %s private key: %w", c.name, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a PKCS#8 PEM key of the scheme and refuses any
// other.
func (c *CertificateScheme) ParsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block (PKCS#8)")
	}
	k, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key is %T, not a signing key", k)
	}
	if err := c.check(s.Public()); err != nil {
		return nil, err
	}
	return s, nil
}
