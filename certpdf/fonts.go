package certpdf

import (
	_ "embed"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// The two shipped fonts. Droid Sans Fallback draws Chinese (CJK Unified
// Ideographs, Extension A, CJK punctuation) but has no Latin letters or
// digits at all, only the space; DejaVu Sans draws Latin, digits and
// symbols. Every run of text is set in the first of the two that has a
// glyph for it. fonts/NOTICE says where they come from and under which
// licences.
//
// They are strings so that nothing can change them.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans string
	//go:embed fonts/DroidSansFallbackFull.ttf
	droidSansFallback string
)

// fontID picks one of the shipped fonts.
type fontID int

const (
	fontLatin fontID = iota // DejaVu Sans
	fontCJK                 // Droid Sans Fallback
	fontCount
)

// family is the font's PDF name. The six capitals and the plus sign mark
// it as a subset, as ISO 32000-1 9.6.4 asks of a font program that holds
// only the glyphs a document uses.
func (id fontID) family() string {
	if id == fontCJK {
		return "JCPDFB+DroidSansFallback"
	}
	return "JCPDFA+DejaVuSans"
}

// face is one parsed font: gopdf's parse answers which glyph a character
// has and how wide it is; the tables make each document's compact font.
type face struct {
	metrics gopdf.SubsetFontObj
	tables  *sfnt
}

// glyph reports whether the font draws r and its advance width in
// thousandths of the font size.
func (f *face) glyph(r rune) (width int, ok bool) {
	gid, err := f.metrics.CharCodeToGlyphIndex(r)
	if err != nil || gid == 0 {
		return 0, false
	}
	return int(f.metrics.GlyphIndexToPdfWidth(gid)), true
}

// subset makes the compact font for the characters a document prints.
func (f *face) subset(chars map[rune]bool) ([]byte, error) {
	gids := make(map[rune]int, len(chars))
	for r := range chars {
		gid, err := f.metrics.CharCodeToGlyphIndex(r)
		if err != nil || gid == 0 {
			return nil, fmt.Errorf("no glyph for %U", r)
		}
		gids[r] = int(gid)
	}
	return f.tables.subset(gids)
}

// fonts holds both faces, parsed once per Renderer; they are only read
// afterwards, so documents render concurrently.
type fonts struct {
	faces [fontCount]face
}

func loadFonts() (*fonts, error) {
	fs := &fonts{}
	for id, data := range [fontCount]string{fontLatin: dejaVuSans, fontCJK: droidSansFallback} {
		id := fontID(id)
		if len(data) == 0 {
			return nil, fmt.Errorf("font %s: the embedded file is empty; the module was built without certpdf/fonts", id.family())
		}
		// Both parsers only read the bytes, so they share one copy.
		raw := []byte(data)
		if err := fs.faces[id].metrics.SetTTFData(raw); err != nil {
			return nil, fmt.Errorf("font %s: %w", id.family(), err)
		}
		tables, err := parseSfnt(raw)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", id.family(), err)
		}
		fs.faces[id].tables = tables
	}
	return fs, nil
}

// A run is text set in one font.
type run struct {
	font  fontID
	text  string
	width int // thousandths of the font size
}

// placeholder is how a character no shipped font draws is printed, so
// that it is never silently dropped: CJK Extension B U+20000 prints as
// "[U+20000]".
func placeholder(r rune) string {
	return fmt.Sprintf("[U+%04X]", r)
}

// invisible reports whether r would print as nothing, move other
// characters around or print as something it is not: controls, format
// characters such as bidirectional overrides and zero-width joiners, line
// and paragraph separators, private-use and unassigned code points, and
// the replacement character that stands for invalid UTF-8. They are
// printed as placeholders, so that what is printed is what the value
// holds.
func invisible(r rune) bool {
	return r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}

// errNoGlyph is what shape returns for a character that the
// placeholder font cannot draw either, which would mean a broken build.
var errNoGlyph = errors.New("the Latin font lacks the characters of a placeholder")

// shapeRune returns the run that prints r: r in the first font that has
// it, or its placeholder in the Latin font.
func (fs *fonts) shapeRune(r rune) (run, error) {
	if !invisible(r) {
		for id := range fontCount {
			if w, ok := fs.faces[id].glyph(r); ok {
				return run{font: id, text: string(r), width: w}, nil
			}
		}
	}
	text := placeholder(r)
	total := 0
	for _, c := range text {
		w, ok := fs.faces[fontLatin].glyph(c)
		if !ok {
			return run{}, fmt.Errorf("%w: %q", errNoGlyph, c)
		}
		total += w
	}
	return run{font: fontLatin, text: text, width: total}, nil
}

// shape splits s into runs of one font each, with placeholders for the
// characters no font draws.
func (fs *fonts) shape(s string) ([]run, error) {
	var out []run
	for _, r := range s {
		rn, err := fs.shapeRune(r)
		if err != nil {
			return nil, err
		}
		out = appendRuns(out, rn)
	}
	return out, nil
}

// appendRuns appends runs, merging neighbours in the same font.
func appendRuns(dst []run, src ...run) []run {
	for _, r := range src {
		if n := len(dst); n > 0 && dst[n-1].font == r.font {
			dst[n-1].text += r.text
			dst[n-1].width += r.width
			continue
		}
		dst = append(dst, r)
	}
	return dst
}

// runsWidth is the width of runs in points at size.
func runsWidth(rs []run, size float64) float64 {
	total := 0
	for _, r := range rs {
		total += r.width
	}
	return float64(total) * size / 1000
}
