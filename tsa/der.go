package tsa

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// The DER helpers below mirror package cms's: encoding/asn1 splits one
// element off the input (refusing indefinite and non-minimal lengths),
// and structure is checked here by hand, because encoding/asn1's structs
// accept trailing SEQUENCE members, match an optional RawValue against
// any tag, and cannot hold a UUID policy's 128-bit arc.

const (
	tagBoolean         = 0x01
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagNull            = 0x05
	tagOID             = 0x06
	tagUTF8String      = 0x0c
	tagGeneralizedTime = 0x18
	tagSequence        = 0x30
	tagContext0        = 0xa0 // [0], constructed
	tagContext1        = 0xa1 // [1], constructed
	tagContext0Pri     = 0x80 // [0], primitive
	tagContext1Pri     = 0x81 // [1], primitive
	tagContext4        = 0xa4 // [4], constructed: a GeneralName's directoryName
)

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
	var l []byte
	for v := n; v > 0; v >>= 8 {
		l = append([]byte{byte(v)}, l...)
	}
	return append(append(b, 0x80|byte(len(l))), l...)
}

func marshal(v any) ([]byte, error) {
	b, err := asn1.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("tsa: encoding %T: %w", v, err)
	}
	return b, nil
}

// algorithmID encodes an AlgorithmIdentifier, with NULL parameters when
// null is set and absent ones otherwise.
func algorithmID(oid asn1.ObjectIdentifier, null bool) ([]byte, error) {
	o, err := marshal(oid)
	if err != nil {
		return nil, err
	}
	if null {
		return tlv(tagSequence, o, []byte{tagNull, 0}), nil
	}
	return tlv(tagSequence, o), nil
}

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

func readOptional(b []byte, tag byte, what string) (v asn1.RawValue, rest []byte, ok bool, err error) {
	if len(b) == 0 || b[0] != tag {
		return asn1.RawValue{}, b, false, nil
	}
	v, rest, err = readElement(b, tag, what)
	return v, rest, err == nil, err
}

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

func elements(content []byte, what string) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(content) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(content, &v)
		if err != nil {
			return nil, fmt.Errorf("%s element %d: %w", what, len(out)+1, err)
		}
		out = append(out, v)
		content = rest
	}
	return out, nil
}

// parseExact reads der, one complete element, into out; tag replaces
// the element's tag first, for IMPLICIT-tagged values.
func parseExact(der []byte, tag byte, out any, what string) error {
	if tag != 0 {
		der = append([]byte{tag}, der[1:]...)
	}
	rest, err := asn1.Unmarshal(der, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%s is followed by stray bytes", what)
	}
	return nil
}

func parseBig(v asn1.RawValue, what string) (*big.Int, error) {
	n := new(big.Int)
	if err := parseExact(v.FullBytes, 0, &n, what); err != nil {
		return nil, err
	}
	return n, nil
}

// parseAlgorithm reads an AlgorithmIdentifier: the algorithm and its raw
// parameters, nil when absent.
func parseAlgorithm(v asn1.RawValue, what string) (asn1.ObjectIdentifier, []byte, error) {
	o, rest, err := readElement(v.Bytes, tagOID, what)
	if err != nil {
		return nil, nil, err
	}
	var oid asn1.ObjectIdentifier
	if err := parseExact(o.FullBytes, 0, &oid, what); err != nil {
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

func paramsAbsentOrNULL(params []byte) bool {
	return params == nil || bytes.Equal(params, []byte{tagNull, 0})
}

// parseGeneralizedTime reads a DER GeneralizedTime as RFC 3161 writes
// genTime: YYYYMMDDhhmmss, an optional fraction without trailing zeros,
// and Z.
func parseGeneralizedTime(b []byte) (time.Time, error) {
	s := string(b)
	if len(s) < 15 || s[len(s)-1] != 'Z' {
		return time.Time{}, fmt.Errorf("genTime %q is not YYYYMMDDhhmmss[.f]Z", s)
	}
	t, err := time.Parse("20060102150405", s[:14])
	if err != nil {
		return time.Time{}, fmt.Errorf("genTime %q: %w", s, err)
	}
	frac := s[14 : len(s)-1]
	if frac == "" {
		return t, nil
	}
	digits := frac[1:]
	if frac[0] != '.' || len(digits) == 0 || len(digits) > 9 || digits[len(digits)-1] == '0' {
		return time.Time{}, fmt.Errorf("genTime %q: the fraction of a second must be 1 to 9 digits without trailing zeros", s)
	}
	ns := 0
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(digits) {
			if digits[i] < '0' || digits[i] > '9' {
				return time.Time{}, fmt.Errorf("genTime %q has a non-digit in its fraction", s)
			}
			ns += int(digits[i] - '0')
		}
	}
	return t.Add(time.Duration(ns)), nil
}
