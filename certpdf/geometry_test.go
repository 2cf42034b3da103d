package certpdf

import (
	"testing"

	"github.com/skip2/go-qrcode"
)

// TestGeometry checks the fixed layout of page 1's bottom band: the QR
// code is large enough for a phone (25 mm), and the QR code, the captions
// beside it, the seal and the notes stay apart and inside the frame.
func TestGeometry(t *testing.T) {
	const mm = 72 / 25.4
	type box struct{ x1, y1, x2, y2 float64 }
	overlap := func(a, b box) bool { return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2 }
	qrTop := bandTop + (bandHeight-qrSize)/2
	qr := box{margin, qrTop, margin + qrSize, qrTop + qrSize}
	captions := box{margin + qrSize + 14, bandTop, sealCenterX - sealRadius - 14, bandBottom}
	seal := box{sealCenterX - sealRadius, sealCenterY - sealRadius, sealCenterX + sealRadius, sealCenterY + sealRadius}
	notes := box{margin, notesTop, pageWidth - margin, notesBottom}
	rows := box{margin, 0, pageWidth - margin, bandTop - 10}
	frame := box{26, 26, pageWidth - 26, pageHeight - 26}
	if qrSize < 25*mm {
		t.Errorf("the QR code is %.1f mm, less than 25", qrSize/mm)
	}
	if 2*sealRadius < 40*mm {
		t.Errorf("the seal is %.1f mm across, smaller than an official seal", 2*sealRadius/mm)
	}
	all := map[string]box{"QR": qr, "captions": captions, "seal": seal, "notes": notes, "rows": rows}
	for n1, b1 := range all {
		if b1.x1 < frame.x1 || b1.x2 > frame.x2 || b1.y2 > frame.y2 {
			t.Errorf("%s %v is outside the frame %v", n1, b1, frame)
		}
		for n2, b2 := range all {
			if n1 < n2 && overlap(b1, b2) {
				t.Errorf("%s %v overlaps %s %v", n1, b1, n2, b2)
			}
		}
	}
	r := sealRect()
	if r[0] != seal.x1 || r[2] != seal.x2 || r[1] != pageHeight-seal.y2 || r[3] != pageHeight-seal.y1 {
		t.Errorf("the signature widget %v is not over the seal %v", r, seal)
	}
}

// TestModuleRects checks that the rectangles drawn for a QR code cover
// exactly its dark modules, each once.
func TestModuleRects(t *testing.T) {
	for _, url := range []string{"https://verify.jurichain.example/c/1", "https://verify.jurichain.example/c/JC-2026-0001-000042?h=35b5e2cf84f69645"} {
		q, err := qrcode.New(url, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		q.DisableBorder = true
		bits := q.Bitmap()
		covered := make([][]int, len(bits))
		for i := range covered {
			covered[i] = make([]int, len(bits[i]))
		}
		for _, r := range moduleRects(bits) {
			for row := r.row; row < r.row+r.rows; row++ {
				for col := r.col; col < r.col+r.cols; col++ {
					covered[row][col]++
				}
			}
		}
		for row := range bits {
			for col := range bits[row] {
				want := 0
				if bits[row][col] {
					want = 1
				}
				if covered[row][col] != want {
					t.Fatalf("%s: module (%d, %d) is dark %v but covered %d times", url, row, col, bits[row][col], covered[row][col])
				}
			}
		}
	}
}
