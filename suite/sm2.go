package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// sm2PublicKeySize is the length of an SM2 public key: the uncompressed
// point 04 || x || y (GB/T 32918.1 section 4.2.9).
const sm2PublicKeySize = 65

// sm2MaxSignatureSize is the longest DER SEQUENCE of two INTEGERs below
// the SM2 group order: each at most 33 bytes with its sign byte.
const sm2MaxSignatureSize = 72

// sm2Scheme signs with SM2 over the message's SM3 hash prefixed by Z_A
// (GB/T 32918.2), with the default user ID 1234567812345678, and encodes
// signatures as DER SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009), as
// openssl pkeyutl -pkeyopt distid:1234567812345678 reads and writes them.
type sm2Scheme struct{}

func (sm2Scheme) Name() string          { return "sm2" }
func (sm2Scheme) PublicKeySize() int    { return sm2PublicKeySize }
func (sm2Scheme) MaxSignatureSize() int { return sm2MaxSignatureSize }

// CheckPublicKey accepts only the uncompressed encoding of a point of the
// SM2 curve other than the point at infinity: one spelling per key.
func (sm2Scheme) CheckPublicKey(pub []byte) error {
	_, err := sm2Point(pub)
	return err
}

func sm2Point(pub []byte) (*ecdsa.PublicKey, error) {
	if len(pub) != sm2PublicKeySize || pub[0] != 4 {
		return nil, fmt.Errorf("%w: an sm2 key is the %d-byte uncompressed point 04||x||y, got %d bytes", ErrBadPublicKey, sm2PublicKeySize, len(pub))
	}
	k, err := sm2.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: not a point of the sm2 curve", ErrBadPublicKey)
	}
	// -G is the key of d = n-1, which GB/T 32918.1 excludes: under it the
	// verification equation no longer depends on s.
	g := sm2.P256().Params()
	if k.X.Cmp(g.Gx) == 0 && k.Y.Cmp(g.Gy) != 0 {
		return nil, fmt.Errorf("%w: the negated base point, the key of no allowed private key", ErrBadPublicKey)
	}
	return k, nil
}

func (sm2Scheme) Verify(pub, msg, sig []byte) bool {
	k, err := sm2Point(pub)
	if err != nil || len(sig) > sm2MaxSignatureSize {
		return false
	}
	return sm2.VerifyASN1WithSM2(k, nil, msg, sig)
}

// NewBatch returns a verifier that checks each signature in turn (SM2 has
// no batch equation) and decodes each distinct key once.
func (sm2Scheme) NewBatch(n int) BatchVerifier {
	return &sm2Batch{keys: map[string]*ecdsa.PublicKey{}, items: make([]sm2Item, 0, n)}
}

type sm2Item struct {
	key      *ecdsa.PublicKey
	msg, sig []byte
}

type sm2Batch struct {
	keys  map[string]*ecdsa.PublicKey
	items []sm2Item
	bad   bool
}

func (b *sm2Batch) Add(pub, msg, sig []byte) {
	k, ok := b.keys[string(pub)]
	if !ok {
		var err error
		if k, err = sm2Point(pub); err != nil {
			b.bad = true
			return
		}
		b.keys[string(pub)] = k
	}
	if len(sig) > sm2MaxSignatureSize {
		b.bad = true
		return
	}
	b.items = append(b.items, sm2Item{k, msg, sig})
}

func (b *sm2Batch) Verify() bool {
	if b.bad || len(b.items) == 0 {
		return false
	}
	for _, it := range b.items {
		if !sm2.VerifyASN1WithSM2(it.key, nil, it.msg, it.sig) {
			return false
		}
	}
	return true
}

func (sm2Scheme) PublicPEM(pub []byte) ([]byte, error) {
	k, err := sm2Point(pub)
	if err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func (sm2Scheme) GenerateKey(r io.Reader) (PrivateKey, error) {
	k, err := sm2.GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("generating sm2 key: %w", err)
	}
	return sm2Key{k}, nil
}

func (sm2Scheme) ParsePrivateKey(pemBytes []byte) (PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block")
	}
	key, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS #8 key: %w", err)
	}
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, this network's suite needs an sm2 key", key)
	}
	return sm2Key{k}, nil
}

func (sm2Scheme) NewPrivateKey(raw []byte) (PrivateKey, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("an sm2 private key is a 32-byte scalar, not %d bytes", len(raw))
	}
	k, err := sm2.NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("sm2 private key: %w", err)
	}
	return sm2Key{k}, nil
}

func (s sm2Scheme) ParsePublicKey(pemBytes []byte) ([]byte, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" block")
	}
	key, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKIX public key: %w", err)
	}
	k, ok := key.(*ecdsa.PublicKey)
	if !ok || k.Curve != sm2.P256() {
		return nil, fmt.Errorf("key is %T, this network's suite needs an sm2 key", key)
	}
	pub := sm2Encode(k)
	if err := s.CheckPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

type sm2Key struct{ k *sm2.PrivateKey }

func (k sm2Key) Public() []byte { return sm2Encode(&k.k.PublicKey) }

// sm2Encode is the uncompressed encoding of a point of the curve.
func sm2Encode(k *ecdsa.PublicKey) []byte {
	b := make([]byte, sm2PublicKeySize)
	b[0] = 4
	k.X.FillBytes(b[1:33])
	k.Y.FillBytes(b[33:])
	return b
}

func (k sm2Key) CryptoSigner() crypto.Signer { return k.k }

func (k sm2Key) Bytes() []byte {
	return k.k.D.FillBytes(make([]byte, 32))
}

func (k sm2Key) Sign(msg []byte) ([]byte, error) {
	sig, err := k.k.SignWithSM2(rand.Reader, nil, msg)
	if err != nil {
		return nil, fmt.Errorf("sm2 signature: %w", err)
	}
	return sig, nil
}

func (k sm2Key) MarshalPEM() ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(k.k)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (k sm2Key) MarshalPublicPEM() ([]byte, error) {
	return sm2Scheme{}.PublicPEM(k.Public())
}

// sm3Hasher is the RFC 6962 tree hash with SM3 in place of SHA-256:
// leaves hash as SM3(0x00 || entry), interior nodes as
// SM3(0x01 || left || right), the empty tree as SM3 of nothing.
type sm3Hasher struct{}

func (sm3Hasher) EmptyRoot() []byte {
	h := sm3.Sum(nil)
	return h[:]
}

func (sm3Hasher) HashLeaf(leaf []byte) []byte {
	h := sm3.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

func (sm3Hasher) HashChildren(l, r []byte) []byte {
	h := sm3.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

func (sm3Hasher) Size() int { return sm3.Size }
