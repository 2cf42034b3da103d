package cms

import (
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/internal/der"
	"github.com/jurichain/jurichain/suite"
)

// manyAttributes returns n distinct attributes (three-arc OIDs with a NULL
// value) in DER order: the cheapest way to fill a signature with work.
func manyAttributes(n int) [][]byte {
	out := make([][]byte, 0, n)
	for a := 0x81; a < 0xff; a++ {
		for b := 0x80; b < 0xff; b++ {
			for c := 0; c < 0x80; c++ {
				if len(out) == n {
					return out
				}
				out = append(out, der.Encode(der.TagSequence, []byte{der.TagOID, 3, byte(a), byte(b), byte(c)}, []byte{der.TagSet, 2, der.TagNull, 0}))
			}
		}
	}
	return out
}

// signedDataWith wraps signed attributes, as given, in a detached
// SignedData whose one SignerInfo uses the scheme's algorithms and a
// dummy signature: all that Parse reads before it looks at attributes.
func signedDataWith(t testing.TB, scheme *suite.CertificateScheme, attrs [][]byte) []byte {
	t.Helper()
	digest, err := der.AlgorithmID(scheme.DigestOID(), false)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := der.AlgorithmID(scheme.SignatureOID(), false)
	if err != nil {
		t.Fatal(err)
	}
	data, err := der.OID(OIDData())
	if err != nil {
		t.Fatal(err)
	}
	signedData, err := der.OID(OIDSignedData())
	if err != nil {
		t.Fatal(err)
	}
	version3 := []byte{der.TagInteger, 1, 3}
	si := der.Encode(der.TagSequence, version3, []byte{der.TagContext0Pri, 1, 1}, digest, der.Encode(der.TagContext0, attrs...), sig, []byte{der.TagOctetString, 1, 0})
	sd := der.Encode(der.TagSequence, version3, der.Encode(der.TagSet, digest), der.Encode(der.TagSequence, data), der.Encode(der.TagSet, si))
	return der.Encode(der.TagSequence, signedData, der.Encode(der.TagContext0, sd))
}

// largestAttributeCount is how many attributes manyAttributes fits in a
// signature of MaxSize.
func largestAttributeCount() int { return (MaxSize - 1000) / len(manyAttributes(1)[0]) }

// TestParseLargeAttributeSet feeds Parse signatures of ~95,000 signed
// attributes, the most that MaxSize holds: distinct ones parse, with an
// allocation count proportional to the attributes; a type repeated far
// from its first use, or an attribute repeated outright, is refused.
func TestParseLargeAttributeSet(t *testing.T) {
	n := largestAttributeCount()
	distinct := manyAttributes(n)
	// Same type as the first, a longer value: DER order puts it last,
	// ~95,000 elements away from its twin.
	sameTypeLater := der.Encode(der.TagSequence, distinct[0][2:7], []byte{der.TagSet, 4, der.TagOctetString, 2, 0, 0})
	var firstType asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(distinct[0][2:7], &firstType); err != nil {
		t.Fatal(err)
	}
	unsorted := append([][]byte{distinct[1], distinct[0]}, distinct[2:]...)
	for _, cs := range suite.All() {
		scheme := cs.Certificates()
		for _, tc := range []struct {
			name  string
			attrs [][]byte
			want  string // empty: Parse accepts it
		}{
			{"distinct", distinct, ""},
			{"type repeated far apart", append(distinct[:n-1:n-1], sameTypeLater), "has attribute " + firstType.String() + " twice"},
			{"attribute repeated", append(distinct[:n-1:n-1], distinct[n-2]), "holds element"},
			{"unsorted", unsorted, "not in DER order"},
		} {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				der := signedDataWith(t, scheme, tc.attrs)
				if len(der) > MaxSize {
					t.Fatalf("the test signature is %d bytes, over MaxSize", len(der))
				}
				var err error
				var sd *SignedData
				allocs := testing.AllocsPerRun(1, func() { sd, err = Parse(der) })
				if tc.want != "" {
					if err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("Parse: %v, want an error saying %q", err, tc.want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(sd.signed) != len(tc.attrs) {
					t.Fatalf("%d attributes parsed, %d given", len(sd.signed), len(tc.attrs))
				}
				var lastType asn1.ObjectIdentifier
				if _, err := asn1.Unmarshal(tc.attrs[len(tc.attrs)-1][2:7], &lastType); err != nil {
					t.Fatal(err)
				}
				if values, ok := sd.SignedAttribute(lastType); !ok || len(values) != 1 {
					t.Error("the last attribute is not found")
				}
				t.Logf("%.1f allocations per attribute", allocs/float64(len(tc.attrs)))
				if perAttr := allocs / float64(len(tc.attrs)); perAttr > 16 {
					t.Errorf("%.1f allocations per attribute", perAttr)
				}
			})
		}
	}
}

// TestParseAttributesScaleLinearly times Parse on a tenth of the largest
// attribute set and on all of it. Linear work makes the second cost about
// ten times the first; the quadratic duplicate check it replaces cost a
// hundred times (12 s for the whole set). Only the ratio is asserted,
// with room for a noisy machine, never a wall-clock bound.
func TestParseAttributesScaleLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("times two parses of a 1 MiB signature")
	}
	n := largestAttributeCount()
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			small := signedDataWith(t, cs.Certificates(), manyAttributes(n/10))
			large := signedDataWith(t, cs.Certificates(), manyAttributes(n))
			fastest := func(der []byte) time.Duration {
				best := time.Duration(1<<63 - 1)
				for range 3 {
					start := time.Now()
					if _, err := Parse(der); err != nil {
						t.Fatal(err)
					}
					best = min(best, time.Since(start))
				}
				return best
			}
			s, l := fastest(small), fastest(large)
			ratio := float64(l) / float64(s)
			t.Logf("%d attributes: %v; %d: %v (%.1f times)", n/10, s, n, l, ratio)
			if ratio > 40 {
				t.Errorf("ten times the attributes cost %.0f times as long (%v against %v): parsing is not linear", ratio, l, s)
			}
		})
	}
}

// BenchmarkParseLargeAttributeSet parses a 1 MiB signature of ~95,000
// distinct signed attributes, the most work a hostile signature can ask.
func BenchmarkParseLargeAttributeSet(b *testing.B) {
	der := signedDataWith(b, suite.International().Certificates(), manyAttributes(largestAttributeCount()))
	b.SetBytes(int64(len(der)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(der); err != nil {
			b.Fatal(err)
		}
	}
}
