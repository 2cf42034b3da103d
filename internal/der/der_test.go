package der_test

import (
	"bytes"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/internal/der"
)

// TestEncodersMatchEncodingASN1 holds the hand-written OID, INTEGER and
// length encoders to encoding/asn1's output.
func TestEncodersMatchEncodingASN1(t *testing.T) {
	oids := []asn1.ObjectIdentifier{
		{1, 2, 840, 113549, 1, 7, 2},
		{1, 2, 156, 10197, 1, 501},
		{2, 16, 840, 1, 101, 3, 4, 2, 1},
		{2, 999, 3},
		{0, 39},
		{1, 3, 6, 1, 4, 1, 2147483647},
	}
	for _, oid := range oids {
		got, err := der.OID(oid)
		want, _ := asn1.Marshal(oid)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: %x, want %x (%v)", oid, got, want, err)
		}
	}
	for _, bad := range []asn1.ObjectIdentifier{{1}, {3, 1}, {1, 40}, {1, 2, -1}} {
		if _, err := der.OID(bad); err == nil {
			t.Errorf("%v encoded", bad)
		}
	}
	for _, n := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(127), big.NewInt(128), big.NewInt(255), big.NewInt(256), big.NewInt(-1), big.NewInt(-129), new(big.Int).Lsh(big.NewInt(1), 159)} {
		got, err := der.Integer(n)
		want, _ := asn1.Marshal(n)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: %x, want %x (%v)", n, got, want, err)
		}
	}
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20} {
		content := make([]byte, n)
		got := der.Encode(der.TagOctetString, content)
		want, _ := asn1.Marshal(content)
		if !bytes.Equal(got, want) {
			t.Errorf("length %d encodes as %x, want %x", n, got[:6], want[:6])
		}
		if e := der.Wrap(der.TagOctetString, der.Raw(content)); e.Len() != len(want) || !bytes.Equal(e.Bytes(), want) {
			t.Errorf("node of length %d", n)
		}
	}
}

// TestNode checks that nested nodes, an absent one and kids added later
// encode as the same structure written with Encode.
func TestNode(t *testing.T) {
	inner := []byte{der.TagInteger, 1, 5}
	n := der.Wrap(der.TagSequence, der.Raw(inner), der.Raw(nil))
	n.Add(der.Wrap(der.TagSet, der.Raw(inner)))
	want := der.Encode(der.TagSequence, inner, der.Encode(der.TagSet, inner))
	if got := n.Bytes(); !bytes.Equal(got, want) || n.Len() != len(want) {
		t.Fatalf("%x (length %d), want %x", got, n.Len(), want)
	}
}

// TestAlgorithmID checks both parameter forms against encoding/asn1.
func TestAlgorithmID(t *testing.T) {
	sha256 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	for _, tc := range []struct {
		null bool
		want any
	}{
		{false, struct{ A asn1.ObjectIdentifier }{sha256}},
		{true, struct {
			A asn1.ObjectIdentifier
			P asn1.RawValue
		}{sha256, asn1.NullRawValue}},
	} {
		got, err := der.AlgorithmID(sha256, tc.null)
		want, _ := asn1.Marshal(tc.want)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("null %v: %x, want %x (%v)", tc.null, got, want, err)
		}
	}
}

func TestSortSet(t *testing.T) {
	elems := [][]byte{{0x04, 2, 0, 0}, {0x04, 1, 9}, {0x02, 1, 1}}
	der.SortSet(elems)
	want := [][]byte{{0x02, 1, 1}, {0x04, 1, 9}, {0x04, 2, 0, 0}}
	for i := range want {
		if !bytes.Equal(elems[i], want[i]) {
			t.Fatalf("sorted %x, want %x", elems, want)
		}
	}
}

// TestReaders checks what each reader accepts and that every refusal
// names the field it was reading.
func TestReaders(t *testing.T) {
	integer := []byte{der.TagInteger, 1, 7}
	octets := []byte{der.TagOctetString, 1, 0}
	read := func(b []byte) error { _, _, err := der.ReadElement(b, der.TagInteger, "field"); return err }
	whole := func(b []byte) error { _, err := der.ReadWhole(b, der.TagInteger, "field"); return err }
	set := func(b []byte) error { _, err := der.SetOf(b, "field"); return err }
	seq := func(b []byte) error { _, err := der.SequenceOf(b, "field"); return err }
	for _, tc := range []struct {
		name string
		read func([]byte) error
		in   []byte
		want string // "" accepts
	}{
		{"element", read, append(append([]byte{}, integer...), octets...), ""},
		{"missing", read, nil, "field is missing"},
		{"wrong tag", read, octets, "field: found tag 0x04, want 0x02"},
		{"truncated", read, integer[:2], "field: "},
		{"indefinite length", read, []byte{der.TagSequence, 0x80, 0, 0}, "field: "},
		{"non-minimal length", read, []byte{der.TagInteger, 0x81, 1, 7}, "field: "},
		{"whole", whole, integer, ""},
		{"stray bytes", whole, append(append([]byte{}, integer...), 0), "field is followed by 1 stray bytes"},
		{"set in order", set, append(append([]byte{}, integer...), octets...), ""},
		{"empty set", set, nil, ""},
		{"set out of order", set, append(append([]byte{}, octets...), integer...), "field is not in DER order"},
		{"set repeats", set, append(append([]byte{}, integer...), integer...), "field holds element 1 twice"},
		{"sequence out of order", seq, append(append([]byte{}, octets...), integer...), ""},
		{"sequence repeats", seq, append(append([]byte{}, integer...), integer...), ""},
		{"sequence truncated", seq, append(append([]byte{}, integer...), octets[:2]...), "field element 2: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

func TestReadOptional(t *testing.T) {
	integer := []byte{der.TagInteger, 1, 7}
	for _, tc := range []struct {
		name     string
		in       []byte
		present  bool
		restLen  int
		wantsErr bool
	}{
		{"present", append(append([]byte{}, integer...), 0x05, 0), true, 2, false},
		{"other tag", []byte{der.TagNull, 0}, false, 2, false},
		{"empty", nil, false, 0, false},
		{"present but broken", []byte{der.TagInteger, 5, 1}, false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, rest, ok, err := der.ReadOptional(tc.in, der.TagInteger, "field")
			if ok != tc.present || len(rest) != tc.restLen || (err != nil) != tc.wantsErr {
				t.Fatalf("ok %v rest %x err %v", ok, rest, err)
			}
			if ok && !bytes.Equal(v.FullBytes, integer) {
				t.Fatalf("read %x", v.FullBytes)
			}
		})
	}
}

func TestParsers(t *testing.T) {
	sha256 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	algNoParams, _ := der.AlgorithmID(sha256, false)
	algNull, _ := der.AlgorithmID(sha256, true)
	elem := func(b []byte) asn1.RawValue {
		var v asn1.RawValue
		if _, err := asn1.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name      string
		alg       []byte
		params    []byte
		absentNul bool
		want      string
	}{
		{"absent parameters", algNoParams, nil, true, ""},
		{"NULL parameters", algNull, []byte{der.TagNull, 0}, true, ""},
		{"other parameters", der.Encode(der.TagSequence, algNoParams[2:], []byte{der.TagInteger, 1, 0}), []byte{der.TagInteger, 1, 0}, false, ""},
		{"two parameters", der.Encode(der.TagSequence, algNoParams[2:], []byte{der.TagNull, 0, der.TagNull, 0}), nil, false, "alg parameters is followed by 2 stray bytes"},
		{"no OID", der.Encode(der.TagSequence, []byte{der.TagNull, 0}), nil, false, "alg algorithm: found tag 0x05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oid, params, err := der.ParseAlgorithm(elem(tc.alg), "alg")
			if tc.want != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil || !oid.Equal(sha256) || !bytes.Equal(params, tc.params) || der.ParamsAbsentOrNULL(params) != tc.absentNul {
				t.Fatalf("%v %x %v", oid, params, err)
			}
		})
	}

	if n, err := der.ParseInt(elem([]byte{der.TagInteger, 1, 3}), "version"); err != nil || n != 3 {
		t.Errorf("ParseInt: %d, %v", n, err)
	}
	if _, err := der.ParseInt(elem([]byte{der.TagInteger, 2, 0, 3}), "version"); err == nil || !strings.HasPrefix(err.Error(), "version: ") {
		t.Errorf("a non-minimal INTEGER: %v", err)
	}
	if n, err := der.ParseBig(elem([]byte{der.TagInteger, 2, 0, 0x80}), "serial"); err != nil || n.Int64() != 128 {
		t.Errorf("ParseBig: %v, %v", n, err)
	}
	var millis int
	if err := der.ParseImplicit([]byte{der.TagContext0Pri, 2, 0x01, 0xf4}, der.TagInteger, &millis, "millis"); err != nil || millis != 500 {
		t.Errorf("ParseImplicit: %d, %v", millis, err)
	}
	if err := der.ParseImplicit(nil, der.TagInteger, &millis, "millis"); err == nil {
		t.Error("ParseImplicit read nothing")
	}
	var flag bool
	if err := der.ParseExact([]byte{der.TagBoolean, 1, 1}, &flag, "flag"); err == nil {
		t.Error("ParseExact took a BOOLEAN that is neither 0x00 nor 0xff")
	}
	if err := der.ParseExact([]byte{der.TagBoolean, 1, 0xff, 0}, &flag, "flag"); err == nil || err.Error() != "flag is followed by stray bytes" {
		t.Errorf("ParseExact with a stray byte: %v", err)
	}
}

// FuzzReaders feeds every reader arbitrary bytes: none may panic, and
// what SetOf accepts must be strictly increasing and re-encode to the
// input.
func FuzzReaders(f *testing.F) {
	f.Add([]byte{der.TagInteger, 1, 7, der.TagOctetString, 1, 0})
	f.Add([]byte{der.TagSequence, 0x80, 0, 0})
	f.Add([]byte{der.TagSequence, 5, der.TagOID, 1, 0x2a, der.TagNull, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = der.ReadElement(b, der.TagSequence, "x")
		_, _, _, _ = der.ReadOptional(b, der.TagInteger, "x")
		if v, err := der.ReadWhole(b, der.TagSequence, "x"); err == nil {
			_, _, _ = der.ParseAlgorithm(v, "x")
		}
		_, _ = der.SequenceOf(b, "x")
		elems, err := der.SetOf(b, "x")
		if err != nil {
			return
		}
		var joined []byte
		for i, e := range elems {
			if i > 0 && bytes.Compare(elems[i-1].FullBytes, e.FullBytes) >= 0 {
				t.Fatalf("SetOf accepted %x before %x", elems[i-1].FullBytes, e.FullBytes)
			}
			joined = append(joined, e.FullBytes...)
		}
		if !bytes.Equal(joined, b) {
			t.Fatalf("SetOf split %x into %x", b, joined)
		}
	})
}
