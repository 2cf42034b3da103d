package certpdf_test

import (
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// BenchmarkRenderAndSeal renders the sample certificate and seals it with
// an ECDSA P-256 CMS, as issuing one certificate does, and reports the
// size of the sealed PDF. Most of that size is the room reserved for the
// CMS (DefaultContentsSize, written as hex).
func BenchmarkRenderAndSeal(b *testing.B) {
	r := newRenderer(b)
	cs := suite.International()
	s := newSigner(b, cs)
	doc := sampleDocument(cs)
	opts := sealOptions(s)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		pdf, err := r.Render(doc)
		if err != nil {
			b.Fatal(err)
		}
		sealed, err := certpdf.Seal(pdf, opts)
		if err != nil {
			b.Fatal(err)
		}
		size = len(sealed)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkRead reads the sample certificate back, as verifying one does
// before the CMS check.
func BenchmarkRead(b *testing.B) {
	r := newRenderer(b)
	cs := suite.International()
	sealed := sealSample(b, r, cs, newSigner(b, cs))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := certpdf.Read(sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewRenderer parses the embedded fonts, once per Renderer.
func BenchmarkNewRenderer(b *testing.B) {
	for b.Loop() {
		newRenderer(b)
	}
}
