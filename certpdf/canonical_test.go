package certpdf_test

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// TestCanonical: a sealed certificate's page has the canonical form of a
// fresh render of its Document, which another Document's render has not;
// and the form holds decoded streams, not how they were compressed.
func TestCanonical(t *testing.T) {
	cs := suite.International()
	r, err := certpdf.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	doc := sampleDocument(cs)
	page, err := r.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := certpdf.Canonical(page)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := certpdf.Read(sealSample(t, r, cs, newSigner(t, cs)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := certpdf.Canonical(sealed.Unsealed)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the sealed page's canonical form differs from a render's (%v)", err)
	}
	other := *doc
	other.Number = "JC-OTHER-NUMBE-R2345-67ABC"
	page2, err := r.Render(&other)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := certpdf.Canonical(page2); err != nil || bytes.Equal(c, want) {
		t.Fatalf("another Document has the same canonical form (%v)", err)
	}
	// It holds a stream's decoded data, not its compressed bytes, which a
	// later compressor may write otherwise.
	i := bytes.Index(page, []byte("stream\n"))
	j := bytes.Index(page[i:], []byte("\nendstream"))
	if i < 0 || j < 0 {
		t.Fatal("no stream in the render")
	}
	data := page[i+len("stream\n") : i+j]
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Skipf("the first stream is not compressed: %v", err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(zr)
	if !bytes.Contains(want, plain.Bytes()) {
		t.Fatal("the canonical form does not hold the decoded stream")
	}
	if _, err := certpdf.Canonical(sealSample(t, r, cs, newSigner(t, cs))); err == nil || !strings.Contains(err.Error(), "revisions") {
		t.Fatalf("a sealed file (two revisions) has a canonical form: %v", err)
	}
}
