package certpdf_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// redSealPNG draws a stand-in for a scanned seal: a red ring on
// transparency.
func redSealPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 200, 160))
	for y := range 160 {
		for x := range 200 {
			dx, dy := float64(x-100), float64(y-80)
			if d := dx*dx/90/90 + dy*dy/70/70; d > 0.8 && d < 1 {
				img.Set(x, y, color.NRGBA{220, 30, 30, 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// longDocument has more rows than a page holds and a value taller than
// a page, a PNG seal and notes too long for page 1's footer.
func longDocument(t testing.TB, cs *suite.Suite) *certpdf.Document {
	doc := sampleDocument(cs)
	var rows []certpdf.Row
	for i := range 40 {
		d := cs.Hash([]byte{byte(i)})
		rows = append(rows, certpdf.Row{LabelZH: fmt.Sprintf("文件 %d 摘要", i+1), LabelEN: fmt.Sprintf("File %d digest", i+1), Value: fmt.Sprintf("%x", d), Mono: true})
	}
	doc.Sections = append(doc.Sections, certpdf.Section{HeadingZH: "文件清单", HeadingEN: "Files", Rows: rows})
	doc.Sections = append(doc.Sections, certpdf.Section{HeadingZH: "说明", HeadingEN: "Statement", Rows: []certpdf.Row{
		{LabelZH: "陈述", LabelEN: "Statement", Value: strings.Repeat("本人确认上述文件系本人于存证时提交的原始电子数据，内容真实、完整，未经任何篡改。I confirm that the files above are the original electronic data I submitted. ", 30)},
	}})
	for i := range 8 {
		doc.NotesZH = append(doc.NotesZH, fmt.Sprintf("第 %d 条说明：核验时请使用最新版本的工具。", i+1))
	}
	doc.Seal.Image = redSealPNG(t)
	return doc
}

// TestRenderLong renders a certificate whose rows run over several
// pages: the rows continue on page 2 and on, each page says which it is,
// no page is more than the layout allows, and the seal stays on page 1
// where Seal puts the signature widget.
func TestRenderLong(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			doc := longDocument(t, cs)
			pdf, err := r.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := certpdf.PageContents(pdf)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) < 3 {
				t.Fatalf("%d pages, want the rows to run onto a third page", len(pages))
			}
			dir := t.ArtifactDir()
			file := filepath.Join(dir, "long.pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "pdftotext", "-enc", "UTF-8", file, "-")
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Join(strings.Fields(out), "")
			for i := range len(pages) {
				if want := fmt.Sprintf("Page%dof%d", i+1, len(pages)); !strings.Contains(flat, want) {
					t.Errorf("no %q in the text", want)
				}
			}
			for _, row := range doc.Sections[2].Rows {
				if !strings.Contains(flat, row.Value) {
					t.Errorf("digest %s is not in the text", row.Value)
				}
			}
			if !strings.Contains(flat, "第8条说明") {
				t.Error("the notes that overflow page 1's footer are not printed")
			}
			if _, err := run(t, "pdftoppm", "-png", "-r", "60", file, filepath.Join(dir, "page")); err != nil {
				t.Fatal(err)
			}
			s := newSigner(t, cs)
			sealed, err := certpdf.Seal(pdf, sealOptions(s))
			if err != nil {
				t.Fatal(err)
			}
			got, err := certpdf.Read(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.PageContents) != len(pages) {
				t.Errorf("Read finds %d pages, Render made %d", len(got.PageContents), len(pages))
			}
		})
	}
}
