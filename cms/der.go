package cms

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
)

// DER tags as they appear on the wire (class, constructed bit, number).
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagSet         = 0x31
	tagContext0    = 0xa0 // [0], constructed
	tagContext1    = 0xa1 // [1], constructed
	tagContext0Pri = 0x80 // [0], primitive
	tagContext4    = 0xa4 // [4], constructed: a GeneralName's directoryName
)

// tlv encodes one DER element whose content is the concatenation of parts.
func tlv(tag byte, parts ...[]byte) []byte {
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

// element is a DER element whose encoding is deferred, so that the nested
// layers of a SignedData — certificates inside a SET inside the SignedData
// inside the ContentInfo — are written into one buffer once, rather than
// allocated and copied again at every level. A time-stamp authority signs
// on every request, and those copies cost as much as a third of a
// signature.
type element struct {
	tag  byte      // 0 for an already encoded element
	raw  []byte    // the encoded element when tag is 0; nil is no element at all
	kids []element // the content of a constructed element
}

// encoded is an element already in DER; encoded(nil) is no element.
func encoded(der []byte) element { return element{raw: der} }

// wrap encloses kids in an element with the tag.
func wrap(tag byte, kids ...element) element { return element{tag: tag, kids: kids} }

func (e element) contentLen() int {
	n := 0
	for _, k := range e.kids {
		n += k.encodedLen()
	}
	return n
}

func (e element) encodedLen() int {
	if e.tag == 0 {
		return len(e.raw)
	}
	n := e.contentLen()
	return 1 + lengthLen(n) + n
}

func (e element) appendTo(b []byte) []byte {
	if e.tag == 0 {
		return append(b, e.raw...)
	}
	b = appendLength(append(b, e.tag), e.contentLen())
	for _, k := range e.kids {
		b = k.appendTo(b)
	}
	return b
}

// bytes encodes the element into one buffer of the exact size.
func (e element) bytes() []byte { return e.appendTo(make([]byte, 0, e.encodedLen())) }

// oidDER encodes an object identifier. Sign encodes a few on every
// signature, and encoding/asn1's reflection costs more than the encoding.
func oidDER(oid asn1.ObjectIdentifier) ([]byte, error) {
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
	return tlv(tagOID, content), nil
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

// integerDER encodes an INTEGER, by hand for the non-negative serial
// numbers of certificates.
func integerDER(n *big.Int) ([]byte, error) {
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
	return tlv(tagInteger, content), nil
}

// algorithmID encodes an AlgorithmIdentifier with absent parameters, as
// OpenSSL writes SHA-256 and SM3 digests and ECDSA and SM2 signatures
// (RFC 5754, RFC 5758).
func algorithmID(oid asn1.ObjectIdentifier) ([]byte, error) {
	o, err := oidDER(oid)
	if err != nil {
		return nil, err
	}
	return tlv(tagSequence, o), nil
}

// sortDER sorts the encodings of a SET OF into DER order. The elements
// are complete TLVs, so none is a proper prefix of another and a plain
// byte comparison is the X.690 order.
func sortDER(elems [][]byte) { slices.SortFunc(elems, bytes.Compare) }

// The reading side uses encoding/asn1 only to split one element off the
// input: it refuses indefinite and non-minimal lengths and truncation,
// which is the DER part of reading a TLV. Structure is checked here, by
// hand, because encoding/asn1's structs accept trailing SEQUENCE members
// and match an optional RawValue against any tag.

// readElement splits the first element off b and requires its tag.
func readElement(b []byte, tag byte, what string) (asn1.RawValue, []byte, error) {
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

// readOptional splits the first element off b if it has the tag; ok
// reports whether it did.
func readOptional(b []byte, tag byte, what string) (v asn1.RawValue, rest []byte, ok bool, err error) {
	if len(b) == 0 || b[0] != tag {
		return asn1.RawValue{}, b, false, nil
	}
	v, rest, err = readElement(b, tag, what)
	return v, rest, err == nil, err
}

// readSequence reads the whole of b as one element with the tag.
func readWhole(b []byte, tag byte, what string) (asn1.RawValue, error) {
	v, rest, err := readElement(b, tag, what)
	if err != nil {
		return v, err
	}
	if len(rest) != 0 {
		return v, fmt.Errorf("%s is followed by %d stray bytes", what, len(rest))
	}
	return v, nil
}

// elements splits the content of a SEQUENCE OF or SET OF into its
// elements. For a SET OF it requires strictly increasing encodings: DER
// order, and no element twice. Comparing each element with the one before
// it is what keeps a SET of a hundred thousand elements linear to check;
// nothing this package reads has a reason to repeat an element.
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

func parseOID(v asn1.RawValue, what string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if err := parseExact(v.FullBytes, &oid, what); err != nil {
		return nil, err
	}
	return oid, nil
}

func parseInt(v asn1.RawValue, what string) (int, error) {
	var n int
	if err := parseExact(v.FullBytes, &n, what); err != nil {
		return 0, err
	}
	return n, nil
}

func parseBig(v asn1.RawValue, what string) (*big.Int, error) {
	n := new(big.Int)
	if err := parseExact(v.FullBytes, &n, what); err != nil {
		return nil, err
	}
	return n, nil
}

func parseExact(der []byte, out any, what string) error {
	rest, err := asn1.Unmarshal(der, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%s is followed by stray bytes", what)
	}
	return nil
}

// parseAlgorithm reads an AlgorithmIdentifier: the algorithm and its raw
// parameters, nil when absent.
func parseAlgorithm(v asn1.RawValue, what string) (asn1.ObjectIdentifier, []byte, error) {
	o, rest, err := readElement(v.Bytes, tagOID, what+" algorithm")
	if err != nil {
		return nil, nil, err
	}
	oid, err := parseOID(o, what+" algorithm")
	if err != nil {
		return nil, nil, err
	}
	if len(rest) == 0 {
		return oid, nil, nil
	}
	p, err := readWhole(rest, rest[0], what+" parameters")
	if err != nil {
		return nil, nil, err
	}
	return oid, p.FullBytes, nil
}

// paramsAbsentOrNULL is the rule for hash and ECDSA/SM2 signature
// algorithm parameters that every reader in the field follows.
func paramsAbsentOrNULL(params []byte) bool {
	return params == nil || bytes.Equal(params, []byte{tagNull, 0})
}
