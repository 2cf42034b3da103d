// Package deposit defines what a depositor signs and what the log records:
// the canonical byte encodings of a deposit statement, of a signed deposit
// (the unit carried in transactions) and of a log leaf (a signed deposit
// plus what consensus assigns to it), and the salted commitment that binds
// off-ledger metadata to a leaf.
//
// The encodings are strict: every value has exactly one encoding, and the
// parsers reject anything else, so a leaf hash identifies one deposit.
// The package is pure: no I/O, no clocks.
package deposit

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jurichain/jurichain/suite"
)

// Version is the first byte of every statement encoding.
const Version byte = 1

// Limits on the fields of a statement.
const (
	MaxDigests           = 4
	MaxIdempotencyKeyLen = 64
	maxKeyLen            = 128
	maxSignatureLen      = 128
)

// signingDomain separates deposit signatures from every other use of a
// depositor key.
const signingDomain = "jurichain/deposit/v1\n"

// Algorithm identifies a content digest algorithm.
type Algorithm byte

// Content digest algorithms, in their canonical order.
const (
	SHA256 Algorithm = 1
	SM3    Algorithm = 2
	SHA512 Algorithm = 3
)

var algorithms = [...]struct {
	name string
	size int
}{
	SHA256: {"sha256", 32},
	SM3:    {"sm3", 32},
	SHA512: {"sha512", 64},
}

// ParseAlgorithm returns the algorithm called name ("sha256", "sm3",
// "sha512").
func ParseAlgorithm(name string) (Algorithm, error) {
	for a := SHA256; a <= SHA512; a++ {
		if algorithms[a].name == name {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown digest algorithm %q (known: sha256, sm3, sha512)", name)
}

func (a Algorithm) valid() bool { return a >= SHA256 && a <= SHA512 }

// String returns the algorithm's name.
func (a Algorithm) String() string {
	if !a.valid() {
		return fmt.Sprintf("algorithm(%d)", byte(a))
	}
	return algorithms[a].name
}

// Size is the length of a digest of this algorithm, 0 for an unknown one.
func (a Algorithm) Size() int {
	if !a.valid() {
		return 0
	}
	return algorithms[a].size
}

// Digest is one content digest.
type Digest struct {
	Algorithm Algorithm
	Value     []byte
}

// Statement is what a depositor asserts: content with these digests and
// this size, described by metadata with this commitment, deposited by this
// key under this idempotency key.
type Statement struct {
	// Digests are sorted by algorithm, without repeats, and include the
	// network suite's content digest (CheckSuite), SHA256 or SM3.
	Digests []Digest
	// Size is the content length in bytes.
	Size uint64
	// MetadataCommitment binds the off-ledger metadata opening.
	MetadataCommitment [suite.HashSize]byte
	// Depositor is the depositor's encoded public key.
	Depositor []byte
	// IdempotencyKey is chosen by the depositor: 1 to 64 printable ASCII
	// characters. It is public; the same key from the same depositor names
	// the same deposit.
	IdempotencyKey string
}

// Signed is a statement with the depositor's signature: the unit a
// transaction carries.
type Signed struct {
	Statement
	Signature []byte
}

// Leaf is one entry of the log: a signed deposit plus what consensus
// assigned to it.
type Leaf struct {
	Signed
	// Index is the leaf's position in the log: the deposit number.
	Index uint64
	// Height is the block that committed the deposit.
	Height uint64
	// Time is the block time agreed by the validators: the certified time.
	Time time.Time
}

// Digest returns the statement's content digest of algorithm a, or nil
// when it carries none.
func (s *Statement) Digest(a Algorithm) []byte {
	for _, d := range s.Digests {
		if d.Algorithm == a {
			return d.Value
		}
	}
	return nil
}

// ContentDigest returns the digest by which the network's suite cs
// addresses content (cs.ContentDigest(): sha256 or sm3), which every
// statement accepted on that network carries (CheckSuite).
func (s *Statement) ContentDigest(cs *suite.Suite) []byte {
	a, err := ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		return nil // every suite's content digest is an Algorithm (tested)
	}
	return s.Digest(a)
}

// CheckSuite checks the statement against the network's suite: it must
// carry the suite's content digest (sha256 on an international network,
// sm3 on a GM one); the other suite's digest may come beside it.
func (s *Statement) CheckSuite(cs *suite.Suite) error {
	if s.ContentDigest(cs) == nil {
		return fmt.Errorf("digests.%s: required: this network's suite is %s, whose deposits carry a %s content digest", cs.ContentDigest(), cs, cs.ContentDigest())
	}
	return nil
}

// Validate checks the rules the encoding cannot express by itself.
func (s *Statement) Validate() error {
	if len(s.Digests) == 0 || len(s.Digests) > MaxDigests {
		return fmt.Errorf("digests: need 1 to %d, got %d", MaxDigests, len(s.Digests))
	}
	var prev Algorithm
	for _, d := range s.Digests {
		if !d.Algorithm.valid() {
			return fmt.Errorf("digests: unknown algorithm %d", byte(d.Algorithm))
		}
		if d.Algorithm <= prev {
			return errors.New("digests: algorithms must be unique and in canonical order")
		}
		prev = d.Algorithm
		if len(d.Value) != d.Algorithm.Size() {
			return fmt.Errorf("digests.%s: need %d bytes, got %d", d.Algorithm, d.Algorithm.Size(), len(d.Value))
		}
	}
	// Which of the two the network needs is its suite's choice
	// (CheckSuite); the encoding only needs one content digest a vault
	// can address an original by.
	if s.Digest(SHA256) == nil && s.Digest(SM3) == nil {
		return errors.New("digests: need a sha256 or sm3 content digest")
	}
	if len(s.Depositor) == 0 || len(s.Depositor) > maxKeyLen {
		return fmt.Errorf("depositor_key: need 1 to %d bytes, got %d", maxKeyLen, len(s.Depositor))
	}
	return ValidateIdempotencyKey(s.IdempotencyKey)
}

// ValidateIdempotencyKey checks that k is 1 to 64 printable ASCII
// characters without spaces.
func ValidateIdempotencyKey(k string) error {
	if len(k) == 0 || len(k) > MaxIdempotencyKeyLen {
		return fmt.Errorf("idempotency_key: need 1 to %d characters, got %d", MaxIdempotencyKeyLen, len(k))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return fmt.Errorf("idempotency_key: character %d is not printable ASCII", i)
		}
	}
	return nil
}

// AppendBinary appends the canonical encoding of s. It does not validate.
func (s *Statement) AppendBinary(b []byte) []byte {
	b = append(b, Version, byte(len(s.Digests)))
	for _, d := range s.Digests {
		b = append(b, byte(d.Algorithm))
		b = append(b, d.Value...)
	}
	b = binary.BigEndian.AppendUint64(b, s.Size)
	b = append(b, s.MetadataCommitment[:]...)
	b = append(b, byte(len(s.Depositor)))
	b = append(b, s.Depositor...)
	b = append(b, byte(len(s.IdempotencyKey)))
	return append(b, s.IdempotencyKey...)
}

// SigningMessage is the exact byte string a depositor signs for s on the
// log named origin. Binding the origin stops a signed deposit from being
// replayed onto another network.
func (s *Statement) SigningMessage(origin string) []byte {
	b := make([]byte, 0, len(signingDomain)+len(origin)+1+160)
	b = append(b, signingDomain...)
	b = append(b, origin...)
	b = append(b, '\n')
	return s.AppendBinary(b)
}

// ID is the deposit identifier: a hash of the depositor key and the
// idempotency key, so it is known before the deposit commits and the same
// on every node.
func (s *Statement) ID(cs *suite.Suite) string {
	h := cs.Hash([]byte("jurichain/deposit-id/v1\n"), []byte{byte(len(s.Depositor))}, s.Depositor, []byte(s.IdempotencyKey))
	return hex.EncodeToString(h[:])
}

// AppendBinary appends the canonical encoding of s.
func (s *Signed) AppendBinary(b []byte) []byte {
	b = s.Statement.AppendBinary(b)
	b = append(b, byte(len(s.Signature)))
	return append(b, s.Signature...)
}

// StatementOf returns the statement part of raw, the canonical encoding of
// s (AppendBinary): everything before the signature.
func (s *Signed) StatementOf(raw []byte) []byte {
	return raw[:len(raw)-1-len(s.Signature)]
}

// Verify checks the depositor's signature under cs for the log origin.
func (s *Signed) Verify(cs *suite.Suite, origin string) bool {
	return cs.Signature().Verify(s.Depositor, s.SigningMessage(origin), s.Signature)
}

// MarshalBinary returns the canonical leaf encoding: the signed deposit,
// then index, height and time (Unix nanoseconds), each 8 bytes big-endian.
func (l *Leaf) MarshalBinary() ([]byte, error) {
	return l.AppendBinary(make([]byte, 0, 256)), nil
}

// AppendBinary appends the canonical leaf encoding.
func (l *Leaf) AppendBinary(b []byte) []byte {
	b = l.Signed.AppendBinary(b)
	b = binary.BigEndian.AppendUint64(b, l.Index)
	b = binary.BigEndian.AppendUint64(b, l.Height)
	return binary.BigEndian.AppendUint64(b, uint64(l.Time.UnixNano()))
}

// ParseSigned decodes one signed deposit from the start of b and returns
// the remaining bytes.
func ParseSigned(b []byte) (*Signed, []byte, error) {
	r := reader{b: b}
	var s Signed
	if v := r.byte(); v != Version {
		if r.err != nil {
			return nil, nil, r.err
		}
		return nil, nil, fmt.Errorf("unsupported deposit version %d", v)
	}
	n := int(r.byte())
	if r.err == nil && (n == 0 || n > MaxDigests) {
		return nil, nil, fmt.Errorf("digest count %d out of range", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		a := Algorithm(r.byte())
		if r.err == nil && !a.valid() {
			return nil, nil, fmt.Errorf("unknown digest algorithm %d", byte(a))
		}
		s.Digests = append(s.Digests, Digest{Algorithm: a, Value: r.bytes(a.Size())})
	}
	s.Size = r.uint64()
	copy(s.MetadataCommitment[:], r.bytes(suite.HashSize))
	s.Depositor = r.bytes(int(r.byte()))
	s.IdempotencyKey = string(r.bytes(int(r.byte())))
	s.Signature = r.bytes(int(r.byte()))
	if r.err != nil {
		return nil, nil, r.err
	}
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if len(s.Signature) == 0 || len(s.Signature) > maxSignatureLen {
		return nil, nil, fmt.Errorf("signature length %d out of range", len(s.Signature))
	}
	return &s, r.b, nil
}

// ParseLeaf decodes a canonical leaf encoding, rejecting trailing bytes.
func ParseLeaf(b []byte) (*Leaf, error) {
	s, rest, err := ParseSigned(b)
	if err != nil {
		return nil, fmt.Errorf("parsing leaf: %w", err)
	}
	r := reader{b: rest}
	l := &Leaf{Signed: *s, Index: r.uint64(), Height: r.uint64()}
	l.Time = time.Unix(0, int64(r.uint64())).UTC()
	if r.err != nil {
		return nil, fmt.Errorf("parsing leaf: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("parsing leaf: %d trailing bytes", len(r.b))
	}
	return l, nil
}

// errShort reports input that ends inside a field.
var errShort = errors.New("input ends early")

// reader consumes a byte slice, remembering the first error so callers can
// check once at the end.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = errShort
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
