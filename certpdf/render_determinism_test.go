package certpdf_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// updateGolden rewrites the golden files instead of comparing with them
// when JURICHAIN_UPDATE_GOLDEN is set.
func updateGolden() bool { return os.Getenv("JURICHAIN_UPDATE_GOLDEN") != "" }

// TestRenderDeterministic renders the sample certificate with two
// Renderers and from several goroutines at once: every PDF is the same
// to the byte. The page contents are also compared with golden copies, so
// that a change of gopdf, of the fonts or of the layout, which would make
// certificates already issued re-render differently, fails here first.
func TestRenderDeterministic(t *testing.T) {
	r1, r2 := newRenderer(t), newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			doc := sampleDocument(cs)
			first, err := r1.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			second, err := r2.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) {
				t.Error("two Renderers give different PDFs for one Document")
			}
			var wg sync.WaitGroup
			outs := make([][]byte, 8)
			errs := make([]error, 8)
			for i := range outs {
				wg.Go(func() { outs[i], errs[i] = r1.Render(doc) })
			}
			wg.Wait()
			for i := range outs {
				if errs[i] != nil || !bytes.Equal(outs[i], first) {
					t.Errorf("concurrent render %d: %v, same bytes %v", i, errs[i], bytes.Equal(outs[i], first))
				}
			}

			pages, err := certpdf.PageContents(first)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range pages {
				golden := filepath.Join("testdata", "golden", fmt.Sprintf("sample-%s-page%d.txt", cs.Name(), i+1))
				if updateGolden() {
					if err := os.WriteFile(golden, p, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (set JURICHAIN_UPDATE_GOLDEN=1 to write it)", err)
				}
				if !bytes.Equal(p, want) {
					t.Errorf("page %d differs from %s: certificates issued before would no longer re-render the same", i+1, golden)
				}
			}
		})
	}
}

// TestRenderRefuses checks that a Document that cannot be printed in full
// makes an error instead of a page with something cut off.
func TestRenderRefuses(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { renderRefuses(t, r, cs) })
	}
}

func renderRefuses(t *testing.T, r *certpdf.Renderer, cs *suite.Suite) {
	for _, tc := range []struct {
		name string
		edit func(*certpdf.Document)
		want string
	}{
		{"no number", func(d *certpdf.Document) { d.Number = "" }, "no certificate number"},
		{"captions too long", func(d *certpdf.Document) { d.QRCaptionZH = strings.Repeat("扫描二维码核验", 60) }, "shorten them"},
		{"heading too wide", func(d *certpdf.Document) { d.Sections[0].HeadingEN = strings.Repeat("Deposit ", 20) }, "heading is wider"},
		{"seal name too long", func(d *certpdf.Document) { d.Seal.Name = strings.Repeat("北京市海淀区人民法院", 5) }, "too long to print around the seal"},
		{"seal kind too long", func(d *certpdf.Document) { d.Seal.Kind = strings.Repeat("专用章", 10) }, "too long to print on the seal"},
		{"seal image not PNG", func(d *certpdf.Document) { d.Seal.Image = []byte("GIF89a") }, "not a PNG"},
		{"rows without end", func(d *certpdf.Document) {
			d.Sections[0].Rows[0].Value = strings.Repeat("很长的值\n", 4000)
		}, "more than 50 pages"},
		{"text without end", func(d *certpdf.Document) {
			d.Sections[0].Rows[0].Value = strings.Repeat("很长的值", 100000)
		}, "more than 200000 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := sampleDocument(cs)
			tc.edit(doc)
			_, err := r.Render(doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := r.Render(nil); err == nil {
		t.Error("Render(nil) succeeds")
	}
}
