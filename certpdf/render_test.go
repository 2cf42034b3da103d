package certpdf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// TestRenderTools renders a realistic certificate in each suite and has
// poppler read it back: the text is extractable, including the Extension
// A character and the placeholder for the Extension B one, and page 1
// renders to a PNG kept as an artifact to look at.
func TestRenderTools(t *testing.T) {
	r, err := certpdf.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			doc := sampleDocument(cs)
			pdf, err := r.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.ArtifactDir()
			file := filepath.Join(dir, "certificate.pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "pdftotext", "-enc", "UTF-8", file, "-")
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			flat := strings.Join(strings.Fields(out), "")
			want := []string{doc.TitleZH, doc.Number, nameExtA, "[U+20000]明华", nameLatin, "北京市海淀区中关村南大街5号院"}
			for _, s := range doc.Sections {
				for _, row := range s.Rows {
					if row.Mono {
						want = append(want, row.Value)
					}
				}
			}
			for _, w := range want {
				if !strings.Contains(flat, strings.Join(strings.Fields(w), "")) {
					t.Errorf("pdftotext output lacks %q:\n%s", w, out)
				}
			}
			if _, err := run(t, "pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", file, filepath.Join(dir, "page")); err != nil {
				t.Fatal(err)
			}
			t.Logf("artifacts in %s", dir)
		})
	}
}
