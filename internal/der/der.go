// Package der is the small, strict DER reader and writer that the
// project's CMS (package cms) and RFC 3161 (package tsa) code share.
//
// The reading side uses encoding/asn1 only to split one element off the
// input: it refuses indefinite and non-minimal lengths and truncation,
// which is the DER part of reading a TLV. Structure is checked by the
// callers, field by field, with these helpers, because encoding/asn1's
// structs accept trailing SEQUENCE members, match an optional RawValue
// against any tag, take a SET OF in any order, and cannot hold a UUID
// policy's 128-bit arc. Every reading error names the field (what) it
// was reading, so that a refusal says where the input is wrong.
//
// The writing side encodes by hand what is encoded on every signature
// (lengths, object identifiers, serial numbers), where encoding/asn1's
// reflection costs more than the encoding.
package der

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
)

// DER tags as they appear on the wire (class, constructed bit, number).
const (
	TagBoolean         = 0x01
	TagInteger         = 0x02
	TagBitString       = 0x03
	TagOctetString     = 0x04
	TagNull            = 0x05
	TagOID             = 0x06
	TagUTF8String      = 0x0c
	TagGeneralizedTime = 0x18
	TagSequence        = 0x30
	TagSet             = 0x31
	TagContext0        = 0xa0 // [0], constructed
	TagContext1        = 0xa1 // [1], constructed
	TagContext4        = 0xa4 // [4], constructed: a GeneralName's directoryName
	TagContext0Pri     = 0x80 // [0], primitive
	TagContext1Pri     = 0x81 // [1], primitive
)

// Encode encodes one DER element whose content is the concatenation of
// parts, each already in DER.
func Encode(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n+6)
	out = append(out, tag)
	out = appendLength(out, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func appendLength(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	size := lengthLen(n) - 1
	b = append(b, 0x80|byte(size))
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// lengthLen is the size of the DER length of n content bytes.
func lengthLen(n int) int {
	size := 1
	if n >= 0x80 {
		for ; n > 0; n >>= 8 {
			size++
		}
	}
	return size
}

// Node is a DER element whose encoding is deferred, so that nested
// layers — certificates inside a SET inside a SignedData inside a
// ContentInfo — are written into one buffer once, rather than allocated
// and copied again at every level. A time-stamp authority signs on every
// request, and those copies cost as much as a third of a signature.
type Node struct {
	tag  byte   // 0 for an already encoded element
	raw  []byte // the encoded element when tag is 0; nil is no element at all
	kids []Node // the content of a constructed element
}

// Raw is an element already in DER; Raw(nil) is no element, which lets
// an absent OPTIONAL field stand in a list of kids.
func Raw(der []byte) Node { return Node{raw: der} }

// Wrap encloses kids in an element with the tag.
func Wrap(tag byte, kids ...Node) Node { return Node{tag: tag, kids: kids} }

// Add appends kids to the content of a node made by Wrap.
func (n *Node) Add(kids ...Node) { n.kids = append(n.kids, kids...) }

func (n Node) contentLen() int {
	size := 0
	for _, k := range n.kids {
		size += k.Len()
	}
	return size
}

// Len is the size of the node's encoding.
func (n Node) Len() int {
	if n.tag == 0 {
		return len(n.raw)
	}
	c := n.contentLen()
	return 1 + lengthLen(c) + c
}

// AppendTo appends the node's encoding to b.
func (n Node) AppendTo(b []byte) []byte {
	if n.tag == 0 {
		return append(b, n.raw...)
	}
	b = appendLength(append(b, n.tag), n.contentLen())
	for _, k := range n.kids {
		b = k.AppendTo(b)
	}
	return b
}

// Bytes encodes the node into one buffer of the exact size.
func (n Node) Bytes() []byte { return n.AppendTo(make([]byte, 0, n.Len())) }

// OID encodes an object identifier, as encoding/asn1 would but without
// its reflection.
func OID(oid asn1.ObjectIdentifier) ([]byte, error) {
	if len(oid) < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return nil, fmt.Errorf("encoding object identifier %v: not a valid OID", oid)
	}
	content := appendBase128(nil, oid[0]*40+oid[1])
	for _, arc := range oid[2:] {
		if arc < 0 {
			return nil, fmt.Errorf("encoding object identifier %v: negative arc", oid)
		}
		content = appendBase128(content, arc)
	}
	return Encode(TagOID, content), nil
}

func appendBase128(b []byte, n int) []byte {
	groups := 1
	for v := n >> 7; v > 0; v >>= 7 {
		groups++
	}
	for i := groups - 1; i >= 0; i-- {
		c := byte(n>>(7*i)) & 0x7f
		if i > 0 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}

// Integer encodes an INTEGER, by hand for the non-negative serial
// numbers and nonces that are written on every signature.
func Integer(n *big.Int) ([]byte, error) {
	if n.Sign() < 0 {
		b, err := asn1.Marshal(n)
		if err != nil {
			return nil, fmt.Errorf("encoding integer: %w", err)
		}
		return b, nil
	}
	content := n.Bytes()
	if len(content) == 0 || content[0]&0x80 != 0 {
		content = append([]byte{0}, content...)
	}
	return Encode(TagInteger, content), nil
}

// AlgorithmID encodes an AlgorithmIdentifier: with NULL parameters when
// nullParams is set, as some requests write their hash, and otherwise
// with absent ones, as OpenSSL writes SHA-256 and SM3 digests and ECDSA
// and SM2 signatures (RFC 5754, RFC 5758).
func AlgorithmID(oid asn1.ObjectIdentifier, nullParams bool) ([]byte, error) {
	o, err := OID(oid)
	if err != nil {
		return nil, err
	}
	if nullParams {
		return Encode(TagSequence, o, []byte{TagNull, 0}), nil
	}
	return Encode(TagSequence, o), nil
}

// SortSet sorts the encodings of a SET OF into DER order. The elements
// are complete TLVs, so none is a proper prefix of another and a plain
// byte comparison is the X.690 order.
func SortSet(elems [][]byte) { slices.SortFunc(elems, bytes.Compare) }

// ReadElement splits the first element off b and requires its tag.
func ReadElement(b []byte, tag byte, what string) (asn1.RawValue, []byte, error) {
	if len(b) == 0 {
		return asn1.RawValue{}, nil, fmt.Errorf("%s is missing", what)
	}
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(b, &v)
	if err != nil {
		return asn1.RawValue{}, nil, fmt.Errorf("%s: %w", what, err)
	}
	if v.FullBytes[0] != tag {
		return asn1.RawValue{}, nil, fmt.Errorf("%s: found tag 0x%02x, want 0x%02x", what, v.FullBytes[0], tag)
	}
	return v, rest, nil
}

// ReadOptional splits the first element off b if it has the tag; ok
// reports whether it did. An element of another tag is left in rest for
// the next field to read.
func ReadOptional(b []byte, tag byte, what string) (v asn1.RawValue, rest []byte, ok bool, err error) {
	if len(b) == 0 || b[0] != tag {
		return asn1.RawValue{}, b, false, nil
	}
	v, rest, err = ReadElement(b, tag, what)
	return v, rest, err == nil, err
}

// ReadWhole reads the whole of b as one element with the tag.
func ReadWhole(b []byte, tag byte, what string) (asn1.RawValue, error) {
	v, rest, err := ReadElement(b, tag, what)
	if err != nil {
		return v, err
	}
	if len(rest) != 0 {
		return v, fmt.Errorf("%s is followed by %d stray bytes", what, len(rest))
	}
	return v, nil
}

// SequenceOf splits the content of a SEQUENCE OF into its elements.
func SequenceOf(content []byte, what string) ([]asn1.RawValue, error) {
	return elements(content, false, what)
}

// SetOf splits the content of a SET OF into its elements and requires
// strictly increasing encodings: DER order, and no element twice.
// Comparing each element with the one before it is what keeps a SET of a
// hundred thousand elements linear to check; nothing the project reads
// has a reason to repeat an element.
func SetOf(content []byte, what string) ([]asn1.RawValue, error) {
	return elements(content, true, what)
}

func elements(content []byte, set bool, what string) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	// One variable for all elements: the pointer Unmarshal takes moves it
	// to the heap, once rather than once per element.
	var v asn1.RawValue
	for len(content) > 0 {
		rest, err := asn1.Unmarshal(content, &v)
		if err != nil {
			return nil, fmt.Errorf("%s element %d: %w", what, len(out)+1, err)
		}
		if set && len(out) > 0 {
			switch c := bytes.Compare(out[len(out)-1].FullBytes, v.FullBytes); {
			case c == 0:
				return nil, fmt.Errorf("%s holds element %d twice (a DER SET OF has no repeated element)", what, len(out))
			case c > 0:
				return nil, fmt.Errorf("%s is not in DER order (a SET OF must be sorted)", what)
			}
		}
		if len(out) == cap(out) {
			// Double, where append grows a long slice by a quarter and
			// allocates several times what it ends up holding.
			out = append(make([]asn1.RawValue, 0, max(1, 2*cap(out))), out...)
		}
		out = append(out, v)
		content = rest
	}
	return out, nil
}

// ParseOID reads an element already split off as an OBJECT IDENTIFIER.
func ParseOID(v asn1.RawValue, what string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if err := ParseExact(v.FullBytes, &oid, what); err != nil {
		return nil, err
	}
	return oid, nil
}

// ParseInt reads an element already split off as an INTEGER that fits
// an int, such as a version.
func ParseInt(v asn1.RawValue, what string) (int, error) {
	var n int
	if err := ParseExact(v.FullBytes, &n, what); err != nil {
		return 0, err
	}
	return n, nil
}

// ParseBig reads an element already split off as an INTEGER of any
// size, such as a serial number or a nonce.
func ParseBig(v asn1.RawValue, what string) (*big.Int, error) {
	n := new(big.Int)
	if err := ParseExact(v.FullBytes, &n, what); err != nil {
		return nil, err
	}
	return n, nil
}

// ParseExact reads der, which must be exactly one element, into out with
// encoding/asn1, for the primitive types whose DER rules it enforces
// (minimal INTEGERs, BOOLEAN as 0x00 or 0xff, BIT STRING padding).
func ParseExact(der []byte, out any, what string) error {
	rest, err := asn1.Unmarshal(der, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%s is followed by stray bytes", what)
	}
	return nil
}

// ParseImplicit is ParseExact for an IMPLICIT-tagged element: its tag is
// replaced by the universal one it stands for before reading.
func ParseImplicit(der []byte, universal byte, out any, what string) error {
	if len(der) == 0 {
		return fmt.Errorf("%s is missing", what)
	}
	return ParseExact(append([]byte{universal}, der[1:]...), out, what)
}

// ParseAlgorithm reads an AlgorithmIdentifier: the algorithm and its raw
// parameters, nil when absent.
func ParseAlgorithm(v asn1.RawValue, what string) (asn1.ObjectIdentifier, []byte, error) {
	o, rest, err := ReadElement(v.Bytes, TagOID, what+" algorithm")
	if err != nil {
		return nil, nil, err
	}
	oid, err := ParseOID(o, what+" algorithm")
	if err != nil {
		return nil, nil, err
	}
	if len(rest) == 0 {
		return oid, nil, nil
	}
	p, err := ReadWhole(rest, rest[0], what+" parameters")
	if err != nil {
		return nil, nil, err
	}
	return oid, p.FullBytes, nil
}

// ParamsAbsentOrNULL is the rule for hash and ECDSA/SM2 signature
// algorithm parameters that every reader in the field follows.
func ParamsAbsentOrNULL(params []byte) bool {
	return params == nil || bytes.Equal(params, []byte{TagNull, 0})
}
