// Package suite holds the cryptographic suite a Jurichain network chooses at
// genesis: the hash used for content commitments and the Merkle log, and the
// signature scheme depositors sign with. Everything else in Jurichain reaches
// hashing and signing only through a Suite, so a national-cryptography suite
// (SM3/SM2) drops in without touching the log, the ledger or the receipts.
package suite

import (
	"crypto"
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

	"github.com/emmansun/gmsm/sm3"
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
	title     string
	content   string
	second    string
	newHash   func() hash.Hash
	hasher    merkle.LogHasher
	signature SignatureScheme
	notes     noteFormat
	certs     *CertificateScheme
}

// SignatureScheme is the signature algorithm of a suite: depositors,
// accounts, checkpoints, cosignatures and identity operations all sign
// with it.
type SignatureScheme interface {
	// Name is the algorithm's name as it appears in keys and documents.
	Name() string
	// PublicKeySize is the length of an encoded public key.
	PublicKeySize() int
	// MaxSignatureSize is the greatest length of an encoded signature.
	MaxSignatureSize() int
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
	// NewPrivateKey reads the raw private key bytes that PrivateKey.Bytes
	// returns, as signed-note private keys carry them.
	NewPrivateKey(raw []byte) (PrivateKey, error)
	// PublicPEM encodes an encoded public key as a PEM "PUBLIC KEY"
	// (PKIX) block, for openssl and other tools.
	PublicPEM(pub []byte) ([]byte, error)
	// ParsePublicKey reads a PEM "PUBLIC KEY" (PKIX) block, as openssl
	// writes it, and returns the encoded public key.
	ParsePublicKey(pemBytes []byte) ([]byte, error)
}

// PrivateKey is a signing key of a suite's scheme.
type PrivateKey interface {
	// Public returns the encoded public key.
	Public() []byte
	// Sign signs msg.
	Sign(msg []byte) ([]byte, error)
	// Bytes returns the raw private key (an Ed25519 seed, an SM2 scalar).
	Bytes() []byte
	// CryptoSigner is the key as the standard interface that X.509
	// certificate issuers take.
	CryptoSigner() crypto.Signer
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

// The names of the suites, as genesis files, member cards and `--suite`
// flags spell them.
const (
	NameInternational = "intl"
	NameGM            = "gm"
)

// International is the SHA-256 / Ed25519 suite, whose formats are exactly
// the C2SP ones.
func International() *Suite {
	return &Suite{
		name:      NameInternational,
		title:     "international (SHA-256, Ed25519)",
		content:   "sha256",
		second:    "sm3",
		newHash:   sha256.New,
		hasher:    rfc6962.DefaultHasher,
		signature: ed25519Scheme{},
		notes:     noteFormat{note: []byte{0x01}, cosignature: []byte{0x04}},
		certs:     ecdsaCertificates(),
	}
}

// GM is the national suite: SM3 (GB/T 32905) for every hash, SM2
// (GB/T 32918) for every signature, with the default user ID
// 1234567812345678, and SM4-GCM for the vault.
func GM() *Suite {
	return &Suite{
		name:      NameGM,
		title:     "GM (SM3, SM2, SM4)",
		content:   "sm3",
		second:    "sha256",
		newHash:   sm3.New,
		hasher:    sm3Hasher{},
		signature: sm2Scheme{},
		notes:     noteFormat{note: []byte("\xffjurichain/sm2-note/v1"), cosignature: []byte("\xffjurichain/sm2-cosignature/v1")},
		certs:     sm2Certificates(),
	}
}

// All returns every suite, international first.
func All() []*Suite { return []*Suite{International(), GM()} }

// ByName returns the suite recorded in a genesis file under name; an
// empty name is the international suite, which networks made before
// there was a choice use.
func ByName(name string) (*Suite, error) {
	switch name {
	case NameInternational, "":
		return International(), nil
	case NameGM:
		return GM(), nil
	}
	return nil, fmt.Errorf("%w %q (known: intl, gm)", ErrUnknownSuite, name)
}

// SchemeByName returns the signature scheme named alg, as identity
// operations name the algorithm of an account key.
func SchemeByName(alg string) (SignatureScheme, error) {
	for _, s := range All() {
		if alg == s.signature.Name() {
			return s.signature, nil
		}
	}
	return nil, fmt.Errorf("key algorithm %q is not supported (known: ed25519, sm2)", alg)
}

// NewContentHash returns a fresh hash for the content digest algorithm
// named alg ("sha256" or "sm3"), whatever the network's suite: a deposit
// may carry both.
func NewContentHash(alg string) (hash.Hash, error) {
	for _, s := range All() {
		if alg == s.content {
			return s.newHash(), nil
		}
	}
	return nil, fmt.Errorf("unknown content digest %q (known: sha256, sm3)", alg)
}

// Certificates returns the suite's scheme for X.509 certificates and CMS
// signatures.
func (s *Suite) Certificates() *CertificateScheme { return s.certs }

// Name identifies the suite in genesis files: "intl" or "gm".
func (s *Suite) Name() string { return s.name }

// String describes the suite for people: its name and algorithms.
func (s *Suite) String() string { return s.title }

// ContentDigest names the digest every deposit of the suite carries and
// the vault addresses originals by: "sha256" or "sm3".
func (s *Suite) ContentDigest() string { return s.content }

// SecondDigest names the digest a deposit may carry beside ContentDigest:
// the other suite's.
func (s *Suite) SecondDigest() string { return s.second }

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

// Signature is the suite's signature scheme.
func (s *Suite) Signature() SignatureScheme { return s.signature }

// ed25519Scheme verifies with ZIP-215 rules (ed25519consensus) for single
// and batch checks alike: validators must agree on every edge case, and the
// standard library's crypto/ed25519 uses slightly different rules than any
// batch verifier can.
type ed25519Scheme struct{}

func (ed25519Scheme) Name() string          { return "ed25519" }
func (ed25519Scheme) PublicKeySize() int    { return ed25519.PublicKeySize }
func (ed25519Scheme) MaxSignatureSize() int { return ed25519.SignatureSize }

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

func (s ed25519Scheme) PublicPEM(pub []byte) ([]byte, error) {
	if err := s.CheckPublicKey(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(pub))
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
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

func (ed25519Scheme) NewPrivateKey(raw []byte) (PrivateKey, error) {
	if len(raw) != ed25519.SeedSize {
		return nil, fmt.Errorf("an ed25519 private key is a %d-byte seed, not %d bytes", ed25519.SeedSize, len(raw))
	}
	return ed25519Key(ed25519.NewKeyFromSeed(raw)), nil
}

func (s ed25519Scheme) ParsePublicKey(pemBytes []byte) ([]byte, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKIX public key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, this network's suite needs an ed25519 key", key)
	}
	if err := s.CheckPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

type ed25519Key ed25519.PrivateKey

func (k ed25519Key) Public() []byte {
	return []byte(ed25519.PrivateKey(k).Public().(ed25519.PublicKey))
}

func (k ed25519Key) CryptoSigner() crypto.Signer { return ed25519.PrivateKey(k) }

func (k ed25519Key) Bytes() []byte { return ed25519.PrivateKey(k).Seed() }

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
	return ed25519Scheme{}.PublicPEM(k.Public())
}

// ParseAnyPrivateKey reads a PEM "PRIVATE KEY" (PKCS #8) block holding a
// key of either suite and returns the key and its suite.
func ParseAnyPrivateKey(pemBytes []byte) (PrivateKey, *Suite, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("not a PEM \"PRIVATE KEY\" block")
	}
	for _, s := range All() {
		if k, err := s.signature.ParsePrivateKey(pemBytes); err == nil {
			return k, s, nil
		}
	}
	return nil, nil, errors.New("the PKCS #8 key is neither an ed25519 nor an sm2 key")
}
