package cms

import (
	"bytes"
	"encoding/asn1"
	"math/big"
	"testing"
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
		got, err := oidDER(oid)
		want, _ := asn1.Marshal(oid)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: %x, want %x (%v)", oid, got, want, err)
		}
	}
	for _, bad := range []asn1.ObjectIdentifier{{1}, {3, 1}, {1, 40}, {1, 2, -1}} {
		if _, err := oidDER(bad); err == nil {
			t.Errorf("%v encoded", bad)
		}
	}
	for _, n := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(127), big.NewInt(128), big.NewInt(255), big.NewInt(256), big.NewInt(-1), big.NewInt(-129), new(big.Int).Lsh(big.NewInt(1), 159)} {
		got, err := integerDER(n)
		want, _ := asn1.Marshal(n)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: %x, want %x (%v)", n, got, want, err)
		}
	}
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20} {
		content := make([]byte, n)
		got := tlv(tagOctetString, content)
		want, _ := asn1.Marshal(content)
		if !bytes.Equal(got, want) {
			t.Errorf("length %d encodes as %x, want %x", n, got[:6], want[:6])
		}
		if e := wrap(tagOctetString, encoded(content)); e.encodedLen() != len(want) || !bytes.Equal(e.bytes(), want) {
			t.Errorf("element of length %d", n)
		}
	}
}
