package certpdf

import (
	"strings"
	"testing"
)

func testFonts(t *testing.T) *fonts {
	t.Helper()
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestShape checks which font prints what, and that characters no font
// has, or that would print as nothing, print as their code point.
func TestShape(t *testing.T) {
	fs := testFonts(t)
	for _, tc := range []struct {
		in   string
		want []run
	}{
		{"Ab1", []run{{font: fontLatin, text: "Ab1"}}},
		{"刘䶮", []run{{font: fontCJK, text: "刘䶮"}}},
		{"𠀀明", []run{{font: fontLatin, text: "[U+20000]"}, {font: fontCJK, text: "明"}}},
		{"a\u202eb", []run{{font: fontLatin, text: "a[U+202E]b"}}},
		{"a\u200bb", []run{{font: fontLatin, text: "a[U+200B]b"}}},
		{"a\tb", []run{{font: fontLatin, text: "a[U+0009]b"}}},
		{"\xff", []run{{font: fontLatin, text: "[U+FFFD]"}}},
		{"\ue000", []run{{font: fontLatin, text: "[U+E000]"}}},
		{"José", []run{{font: fontLatin, text: "José"}}},
		{"北京 Beijing", []run{{font: fontCJK, text: "北京"}, {font: fontLatin, text: " Beijing"}}},
	} {
		got, err := fs.shape(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("shape(%q) = %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].font != tc.want[i].font || got[i].text != tc.want[i].text || got[i].width <= 0 {
				t.Errorf("shape(%q)[%d] = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func lineText(l line) string {
	var b strings.Builder
	for _, r := range l.runs {
		b.WriteString(r.text)
	}
	return b.String()
}

// TestWrap checks line breaking: no line wider than asked, nothing lost,
// digests broken anywhere, words kept whole, Chinese closing punctuation
// kept off the start of a line.
func TestWrap(t *testing.T) {
	fs := testFonts(t)
	const size = 10.0
	for _, tc := range []struct {
		name     string
		in       string
		width    float64
		anywhere bool
		check    func(t *testing.T, lines []string)
	}{
		{"digest", strings.Repeat("0123456789abcdef", 4), 120, true, func(t *testing.T, lines []string) {
			if len(lines) < 3 {
				t.Errorf("a 64-digit digest in 120 points: %d lines", len(lines))
			}
		}},
		{"words", "the quick brown fox jumps over the lazy dog", 80, false, func(t *testing.T, lines []string) {
			for _, l := range lines {
				if strings.HasPrefix(l, " ") || strings.HasSuffix(l, " ") {
					t.Errorf("line %q starts or ends with a space", l)
				}
				for w := range strings.FieldsSeq(l) {
					if !strings.Contains("the quick brown fox jumps over the lazy dog", w) {
						t.Errorf("word %q was split", w)
					}
				}
			}
		}},
		{"punctuation", strings.Repeat("北京市海淀区，", 6), 60, false, func(t *testing.T, lines []string) {
			for _, l := range lines[1:] {
				if strings.HasPrefix(l, "，") {
					t.Errorf("line %q starts with a comma", l)
				}
			}
		}},
		{"newline", "first\nsecond", 500, false, func(t *testing.T, lines []string) {
			if len(lines) != 2 || lines[0] != "first" || lines[1] != "second" {
				t.Errorf("lines %q", lines)
			}
		}},
		{"word wider than a line", strings.Repeat("W", 40), 50, false, func(t *testing.T, lines []string) {
			if len(lines) < 5 {
				t.Errorf("a long word in 50 points: %d lines", len(lines))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, err := fs.wrap(tc.in, size, tc.width, tc.anywhere)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, l := range lines {
				if w := float64(l.width) * size / 1000; w > tc.width {
					t.Errorf("line %q is %.1f points wide, more than %.1f", lineText(l), w, tc.width)
				}
				texts = append(texts, lineText(l))
			}
			joined := strings.Join(texts, "")
			if strings.ReplaceAll(strings.ReplaceAll(tc.in, " ", ""), "\n", "") != strings.ReplaceAll(joined, " ", "") {
				t.Errorf("wrapping lost or added text: %q", texts)
			}
			tc.check(t, texts)
		})
	}
}
