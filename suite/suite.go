// Package suite holds the cryptographic suite a Jurichain network chooses at
// genesis: the hash used for content commitments and the Merkle log, and the
// signature scheme depositors sign with. Everything else in Jurichain reaches
// hashing and signing only through a Suite, so a national-cryptography suite
// (SM3/SM2) drops in without touching the log, the ledger or the receipts.
package suite

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size in bytes of every suite hash. Both suites Jurichain
// plans for (SHA-256 and SM3) produce 32-byte digests, and the C2SP formats
// the log speaks (tlog-tiles, tlog-proof) carry 32-byte hashes.
const HashSize = 32

// ErrUnknownSuite is returned by ByName for a name no suite answers to.
var ErrUnknownSuite = errors.New("unknown crypto suite")

// ErrBadPublicKey is wrapped by the errors of CheckPublicKey: the key has
// the wrong length, is not the canonical encoding of a point, or is a
// point with which signatures verify that no private key made.
var ErrBadPublicKey = errors.New("unusable public key")

// Suite is a choice of hash and signature scheme. A Suite is immutable and
// safe for concurrent use.
type Suite struct {
	name      string
	newHash   func() hash.Hash
	hasher    merkle.LogHasher
	signature SignatureScheme
}

// SignatureScheme is the depositor signature algorithm of a suite.
type SignatureScheme interface {
	// Name is the algorithm's name as it appears in keys and documents.
	Name() string
	// PublicKeySize is the length of an encoded public key.
	PublicKeySize() int
	// SignatureSize is the length of an encoded signature.
	SignatureSize() int
	// CheckPublicKey reports why pub cannot be anyone's key, wrapping
	// ErrBadPublicKey. Every key that enters a network (accounts, key
	// additions, member cards, policies) and every key a verifier is
	// given must pass it; Verify and batches never accept a signature
	// under a key it refuses.
	CheckPublicKey(pub []byte) error
	// Verify reports whether sig is a valid signature of msg by pub.
	Verify(pub, msg, sig []byte) bool
	// NewBatch returns a verifier that checks many signatures at once.
	NewBatch(n int) BatchVerifier
	// GenerateKey makes a new private key from rand.
	GenerateKey(rand io.Reader) (PrivateKey, error)
	// ParsePrivateKey reads a PEM "PRIVATE KEY" (PKCS #8) block.
	ParsePrivateKey(pemBytes []byte) (PrivateKey, error)
}

// PrivateKey is a depositor's signing key.
type PrivateKey interface {
	// Public returns the encoded public key.
	Public() []byte
	// Sign signs msg.
	Sign(msg []byte) ([]byte, error)
	// MarshalPEM encodes the key as a PEM "PRIVATE KEY" (PKCS #8) block,
	// readable by openssl.
	MarshalPEM() ([]byte, error)
	// MarshalPublicPEM encodes the public key as a PEM "PUBLIC KEY" (PKIX)
	// block, readable by openssl.
	MarshalPublicPEM() ([]byte, error)
}

// BatchVerifier checks a set of signatures together, which for Ed25519 is
// about twice as fast per signature as checking them one at a time.
type BatchVerifier interface {
	// Add queues a signature for verification; inputs of the wrong length
	// make the whole batch fail.
	Add(pub, msg, sig []byte)
	// Verify reports whether every queued signature is valid.
	Verify() bool
}

// International is the SHA-256 / Ed25519 suite.
func International() *Suite {
	return &Suite{
		name:      "intl",
		newHash:   sha256.New,
		hasher:    rfc6962.DefaultHasher,
		signature: ed25519Scheme{},
	}
}

// ByName returns the suite recorded in a genesis file under name.
func ByName(name string) (*Suite, error) {
	switch name {
	case "intl", "":
		return International(), nil
	}
	return nil, fmt.Errorf("%w %q (known: intl)", ErrUnknownSuite, name)
}

// SchemeByName returns the signature scheme named alg, as identity
// operations name the algorithm of an account key.
func SchemeByName(alg string) (SignatureScheme, error) {
	if alg == (ed25519Scheme{}).Name() {
		return ed25519Scheme{}, nil
	}
	return nil, fmt.Errorf("key algorithm %q is not supported (known: ed25519)", alg)
}

// Name identifies the suite in genesis files.
func (s *Suite) Name() string { return s.name }

// NewHash returns a fresh streaming hash of the suite.
func (s *Suite) NewHash() hash.Hash { return s.newHash() }

// Hash returns the suite hash of the concatenation of parts.
func (s *Suite) Hash(parts ...[]byte) [HashSize]byte {
	h := s.newHash()
	for _, p := range parts {
		h.Write(p)
	}
	var out [HashSize]byte
	h.Sum(out[:0])
	return out
}

// LogHasher is the RFC 6962 tree hasher built on the suite hash.
func (s *Suite) LogHasher() merkle.LogHasher { return s.hasher }

// Signature is the depositor signature scheme.
func (s *Suite) Signature() SignatureScheme { return s.signature }

// ed25519Scheme verifies with ZIP-215 rules (ed25519consensus) for single
// and batch checks alike: validators must agree on every edge case, and the
// standard library's crypto/ed25519 uses slightly different rules than any
// batch verifier can.
type ed25519Scheme struct{}

func (ed25519Scheme) Name() string       { return "ed25519" }
func (ed25519Scheme) PublicKeySize() int { return ed25519.PublicKeySize }
func (ed25519Scheme) SignatureSize() int { return ed25519.SignatureSize }

// CheckPublicKey refuses what ZIP-215 verification would accept but no
// honest key is: encodings of y at or above the field prime (a second
// encoding of a point), encodings that are not points, and the eight points
// of small order (the identity among them), under which anyone can make a
// signature of any message that verifies, so that the key's holder could
// also deny its own signatures. A negative zero x (the sign bit set on
// y = 1 or y = -1) encodes a point of small order and is refused as one.
func (ed25519Scheme) CheckPublicKey(pub []byte) error {
	_, err := ed25519Point(pub)
	return err
}

// ed25519Point decodes an Ed25519 public key that CheckPublicKey accepts.
func ed25519Point(pub []byte) (*edwards25519.Point, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, an ed25519 key has %d", ErrBadPublicKey, len(pub), ed25519.PublicKeySize)
	}
	if !canonicalY(pub) {
		return nil, fmt.Errorf("%w: not a canonical ed25519 encoding (y is not reduced modulo 2^255-19)", ErrBadPublicKey)
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: not a point of the ed25519 curve", ErrBadPublicKey)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, fmt.Errorf("%w: an ed25519 point of small order, for which anyone can make signatures", ErrBadPublicKey)
	}
	return p, nil
}

// canonicalY reports whether the y coordinate of a 32-byte encoding
// (little-endian, without the sign bit) is below p = 2^255-19, whose
// encoding is ed ff … ff 7f.
func canonicalY(enc []byte) bool {
	if enc[31]&0x7f != 0x7f || enc[0] < 0xed {
		return true
	}
	for _, b := range enc[1:31] {
		if b != 0xff {
			return true
		}
	}
	return false
}

func (ed25519Scheme) Verify(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	if _, err := ed25519Point(pub); err != nil {
		return false
	}
	return ed25519consensus.Verify(pub, msg, sig)
}

func (ed25519Scheme) NewBatch(n int) BatchVerifier { return newKeyBatch(n) }

func (ed25519Scheme) GenerateKey(rand io.Reader) (PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("generating ed25519 key: %w", err)
	}
	return ed25519Key(priv), nil
}

func (ed25519Scheme) ParsePrivateKey(pemBytes []byte) (PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS #8 key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, this network's suite needs an ed25519 key", key)
	}
	return ed25519Key(priv), nil
}

type ed25519Key ed25519.PrivateKey

func (k ed25519Key) Public() []byte {
	return []byte(ed25519.PrivateKey(k).Public().(ed25519.PublicKey))
}

func (k ed25519Key) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(k), msg), nil
}

func (k ed25519Key) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.PrivateKey(k))
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (k ed25519Key) MarshalPublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(ed25519.PrivateKey(k).Public())
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
