package certpdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Why a subsetter here when gopdf subsets: gopdf keeps every glyph slot
// of the font it is given, so a document using a hundred glyphs of Droid
// Sans Fallback still carries its 49,000-entry loca and hmtx tables, and
// compressing those took two thirds of the time to issue a certificate.
// Each document therefore gets a compact font holding only its glyphs,
// renumbered in the order of the original glyph ids, which gopdf then
// embeds as usual. The result depends only on the set of characters a
// document prints, so re-rendering a Document gives the same bytes.

// sfnt is a TrueType font's tables, parsed once.
type sfnt struct {
	tables      map[string][]byte
	numGlyphs   int
	numHMetrics int
	loca        []uint32 // numGlyphs+1 offsets into glyf
	glyf        []byte
	hmtx        []byte
}

func parseSfnt(data []byte) (*sfnt, error) {
	if len(data) < 12 || binary.BigEndian.Uint32(data) != 0x00010000 {
		return nil, errors.New("not a TrueType font")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errors.New("truncated table directory")
	}
	s := &sfnt{tables: map[string][]byte{}}
	for i := range n {
		e := data[12+16*i:]
		tag := string(e[:4])
		off, length := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		if uint64(off)+uint64(length) > uint64(len(data)) {
			return nil, fmt.Errorf("table %q runs past the end of the font", tag)
		}
		s.tables[tag] = data[off : off+length]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "name", "OS/2", "post"} {
		if s.tables[tag] == nil {
			return nil, fmt.Errorf("no %q table", tag)
		}
	}
	head, hhea, maxp := s.tables["head"], s.tables["hhea"], s.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(s.tables["post"]) < 32 {
		return nil, errors.New("truncated head, hhea, maxp or post table")
	}
	s.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	s.numHMetrics = int(binary.BigEndian.Uint16(hhea[34:]))
	s.hmtx, s.glyf = s.tables["hmtx"], s.tables["glyf"]
	if s.numHMetrics == 0 || len(s.hmtx) < 4*s.numHMetrics+2*(s.numGlyphs-s.numHMetrics) {
		return nil, errors.New("hmtx is shorter than hhea and maxp say")
	}
	loca := s.tables["loca"]
	s.loca = make([]uint32, s.numGlyphs+1)
	long := binary.BigEndian.Uint16(head[50:]) == 1
	for i := range s.loca {
		switch {
		case long && len(loca) >= 4*(i+1):
			s.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		case !long && len(loca) >= 2*(i+1):
			s.loca[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		default:
			return nil, errors.New("loca is shorter than maxp says")
		}
		if s.loca[i] > uint32(len(s.glyf)) || i > 0 && s.loca[i] < s.loca[i-1] {
			return nil, fmt.Errorf("loca entry %d is out of order or past glyf", i)
		}
	}
	return s, nil
}

// glyph returns the outline data of glyph g.
func (s *sfnt) glyph(g int) []byte { return s.glyf[s.loca[g]:s.loca[g+1]] }

// Composite glyph flags (OpenType glyf table).
const (
	argsAreWords    = 0x0001
	haveScale       = 0x0008
	moreComponents  = 0x0020
	haveXYScale     = 0x0040
	haveTwoByTwo    = 0x0080
	compositeHeader = 10
)

// components calls fn with the offset of each component glyph index in
// a composite glyph; a simple glyph has none.
func components(data []byte, fn func(at int) error) error {
	if len(data) < compositeHeader || int16(binary.BigEndian.Uint16(data)) >= 0 {
		return nil
	}
	at := compositeHeader
	for {
		if at+4 > len(data) {
			return errors.New("truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(data[at:])
		if err := fn(at + 2); err != nil {
			return err
		}
		at += 4
		if flags&argsAreWords != 0 {
			at += 4
		} else {
			at += 2
		}
		switch {
		case flags&haveScale != 0:
			at += 2
		case flags&haveXYScale != 0:
			at += 4
		case flags&haveTwoByTwo != 0:
			at += 8
		}
		if flags&moreComponents == 0 {
			return nil
		}
	}
}

// subset returns a TrueType font holding .notdef, the glyphs of the
// characters in chars and the glyphs their composites use, and a cmap
// for exactly those characters. gids maps each character to its glyph
// in s.
func (s *sfnt) subset(gids map[rune]int) ([]byte, error) {
	// The glyphs, closed over composite components, in original order.
	keep := map[int]bool{0: true}
	queue := []int{0}
	for _, g := range gids {
		if !keep[g] {
			keep[g] = true
			queue = append(queue, g)
		}
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if g < 0 || g >= s.numGlyphs {
			return nil, fmt.Errorf("glyph %d is not in the font", g)
		}
		data := s.glyph(g)
		err := components(data, func(at int) error {
			c := int(binary.BigEndian.Uint16(data[at:]))
			if c >= s.numGlyphs {
				return fmt.Errorf("glyph %d uses glyph %d, which is not in the font", g, c)
			}
			if !keep[c] {
				keep[c] = true
				queue = append(queue, c)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	old := make([]int, 0, len(keep))
	for g := range keep {
		old = append(old, g)
	}
	slices.Sort(old)
	renum := make(map[int]int, len(old))
	for i, g := range old {
		renum[g] = i
	}

	// glyf and loca, with component indices renumbered.
	var glyf []byte
	loca := make([]byte, 4*(len(old)+1))
	for i, g := range old {
		binary.BigEndian.PutUint32(loca[4*i:], uint32(len(glyf)))
		start := len(glyf)
		glyf = append(glyf, s.glyph(g)...)
		data := glyf[start:]
		if err := components(data, func(at int) error {
			binary.BigEndian.PutUint16(data[at:], uint16(renum[int(binary.BigEndian.Uint16(data[at:]))]))
			return nil
		}); err != nil {
			return nil, err
		}
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
	}
	binary.BigEndian.PutUint32(loca[4*len(old):], uint32(len(glyf)))

	// hmtx with a full metric for every glyph.
	hmtx := make([]byte, 4*len(old))
	for i, g := range old {
		var advance, lsb uint16
		if g < s.numHMetrics {
			advance = binary.BigEndian.Uint16(s.hmtx[4*g:])
			lsb = binary.BigEndian.Uint16(s.hmtx[4*g+2:])
		} else {
			advance = binary.BigEndian.Uint16(s.hmtx[4*(s.numHMetrics-1):])
			lsb = binary.BigEndian.Uint16(s.hmtx[4*s.numHMetrics+2*(g-s.numHMetrics):])
		}
		binary.BigEndian.PutUint16(hmtx[4*i:], advance)
		binary.BigEndian.PutUint16(hmtx[4*i+2:], lsb)
	}

	head := slices.Clone(s.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // long loca
	hhea := slices.Clone(s.tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(old)))
	maxp := slices.Clone(s.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(old)))
	post := slices.Clone(s.tables["post"][:32])
	binary.BigEndian.PutUint32(post, 0x00030000) // no glyph names

	cmap := map[rune]int{}
	for r, g := range gids {
		cmap[r] = renum[g]
	}
	tables := map[string][]byte{
		"cmap": buildCmap(cmap), "glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx,
		"loca": loca, "maxp": maxp, "name": s.tables["name"], "OS/2": s.tables["OS/2"], "post": post,
	}
	// The hinting programs and values do not name glyphs, so they stay.
	for _, tag := range []string{"cvt ", "fpgm", "prep"} {
		if t, ok := s.tables[tag]; ok {
			tables[tag] = t
		}
	}
	return assembleSfnt(tables), nil
}

// buildCmap writes a cmap with a format 4 subtable (3, 1) for the
// characters of the Basic Multilingual Plane, which gopdf reads, and a
// format 12 subtable (3, 10) for all of them.
func buildCmap(cmap map[rune]int) []byte {
	runes := make([]rune, 0, len(cmap))
	for r := range cmap {
		runes = append(runes, r)
	}
	slices.Sort(runes)

	// Format 4: one segment per character, then the final 0xFFFF.
	var bmp []rune
	for _, r := range runes {
		if r < 0xFFFF {
			bmp = append(bmp, r)
		}
	}
	segs := len(bmp) + 1
	f4 := make([]byte, 16+8*segs)
	be := binary.BigEndian
	be.PutUint16(f4[0:], 4)
	be.PutUint16(f4[2:], uint16(len(f4)))
	be.PutUint16(f4[6:], uint16(2*segs))
	search := 1
	selector := 0
	for search*2 <= segs {
		search *= 2
		selector++
	}
	be.PutUint16(f4[8:], uint16(2*search))
	be.PutUint16(f4[10:], uint16(selector))
	be.PutUint16(f4[12:], uint16(2*segs-2*search))
	ends, starts, deltas := 14, 16+2*segs, 16+4*segs // idRangeOffsets stay 0
	for i, r := range bmp {
		be.PutUint16(f4[ends+2*i:], uint16(r))
		be.PutUint16(f4[starts+2*i:], uint16(r))
		be.PutUint16(f4[deltas+2*i:], uint16(cmap[r]-int(r)))
	}
	last := segs - 1
	be.PutUint16(f4[ends+2*last:], 0xFFFF)
	be.PutUint16(f4[starts+2*last:], 0xFFFF)
	be.PutUint16(f4[deltas+2*last:], 1)

	f12 := make([]byte, 16+12*len(runes))
	be.PutUint16(f12[0:], 12)
	be.PutUint32(f12[4:], uint32(len(f12)))
	be.PutUint32(f12[12:], uint32(len(runes)))
	for i, r := range runes {
		g := f12[16+12*i:]
		be.PutUint32(g[0:], uint32(r))
		be.PutUint32(g[4:], uint32(r))
		be.PutUint32(g[8:], uint32(cmap[r]))
	}

	out := make([]byte, 4+2*8)
	be.PutUint16(out[2:], 2)
	be.PutUint16(out[4:], 3)
	be.PutUint16(out[6:], 1)
	be.PutUint32(out[8:], uint32(len(out)))
	be.PutUint16(out[12:], 3)
	be.PutUint16(out[14:], 10)
	be.PutUint32(out[16:], uint32(len(out)+len(f4)))
	out = append(out, f4...)
	return append(out, f12...)
}

// assembleSfnt writes a font file of tables: the directory sorted by
// tag, each table 4-byte aligned with its checksum, and head's
// checkSumAdjustment.
func assembleSfnt(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	search, selector := 1, 0
	for search*2 <= n {
		search *= 2
		selector++
	}
	be := binary.BigEndian
	out := make([]byte, 12+16*n)
	be.PutUint32(out[0:], 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	be.PutUint16(out[6:], uint16(16*search))
	be.PutUint16(out[8:], uint16(selector))
	be.PutUint16(out[10:], uint16(16*n-16*search))
	headAt := 0
	for i, tag := range tags {
		t := tables[tag]
		e := out[12+16*i:]
		copy(e, tag)
		be.PutUint32(e[4:], checksum(t))
		be.PutUint32(e[8:], uint32(len(out)))
		be.PutUint32(e[12:], uint32(len(t)))
		if tag == "head" {
			headAt = len(out)
		}
		out = append(out, t...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	be.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}

// checksum is the OpenType table checksum: the sum of big-endian 32-bit
// words, the last one padded with zeros.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
