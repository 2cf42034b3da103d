// Package certpdf lays out and seals the certificate Jurichain issues for
// every committed deposit: one A4 page (more if its rows need them) in
// Simplified Chinese and English, with a QR code to the verification page
// and the institution's seal, signed with an incremental update that
// poppler's pdfsig, qpdf and MuPDF accept, so that a court can check it
// with standard tools.
//
// Render draws a Document the same way every time, so that a verifier
// re-renders the proven Document and compares the page content with what
// Read finds in the sealed file: what is printed is what was proven. Seal
// adds the embedded evidence files and the signature field around a CMS
// the caller makes; Read takes a sealed file apart strictly, refusing
// anything a Render and a Seal would not have produced.
//
// The package does not make or check CMS. pdfsig checks it with NSS,
// which has neither Ed25519 nor SM2 signatures: international
// certificates are therefore signed with ECDSA P-256 and SHA-256, which
// pdfsig calls valid and, with the institution's CA trusted, trusted; GM
// certificates are signed with SM2 and SM3, which pdfsig and MuPDF list
// but cannot check, so the SM2 signature is checked with OpenSSL or gmsm.
package certpdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"time"
	"unicode/utf8"

	"github.com/signintech/gopdf"
	"github.com/skip2/go-qrcode"
)

// Document is what a certificate page shows. Render lays it out
// identically every time for the same Document.
type Document struct {
	// TitleZH and TitleEN head the page, e.g. "电子数据存证证书" and
	// "Certificate of Electronic Evidence Deposit".
	TitleZH, TitleEN string
	// Number is the certificate number, shown prominently under the
	// titles and on every continuation page.
	Number string
	// Sections hold the rows, in order.
	Sections []Section
	// QR is the URL encoded in a QR code on the page, the verification
	// URL; empty prints no QR code.
	QR string
	// QRCaptionZH and QRCaptionEN are printed beside the QR code, above
	// the URL itself.
	QRCaptionZH, QRCaptionEN string
	// Seal is the institution's seal, printed at the bottom right of page
	// 1, where Seal puts the signature field.
	Seal SealMark
	// NotesZH and NotesEN are footer lines: how to verify.
	NotesZH, NotesEN []string
	// Created is written into the Info dictionary (CreationDate); zero
	// omits it.
	Created time.Time
}

// Section is a titled group of rows.
type Section struct {
	// HeadingZH and HeadingEN title the section.
	HeadingZH, HeadingEN string
	// Rows are printed in order.
	Rows []Row
}

// Row is a label in both languages and a value. Mono is for hashes and
// other identifiers: the value breaks between any two characters, so no
// length overflows the page.
type Row struct {
	// LabelZH and LabelEN name the value.
	LabelZH, LabelEN string
	// Value is printed as is; a newline starts a new line, and a
	// character no shipped font has prints as its code point, "[U+20000]".
	Value string
	// Mono wraps Value at any character, for digests and identifiers.
	Mono bool
}

// SealMark is the institution's seal: drawn in vector (red circle,
// five-pointed star, the institution name along the upper arc, Kind below
// the star, like a Chinese official seal) unless Image holds a PNG, which
// is drawn instead.
type SealMark struct {
	// Name is the institution's name, set along the upper arc.
	Name string
	// Kind is what the seal is for (e.g. "电子数据存证专用章"), set
	// under the star.
	Kind string
	// Image, when set, is a PNG drawn in the seal's square instead.
	Image []byte
}

// Renderer draws certificates. It holds the parsed fonts, so make one
// and reuse it; it is safe for concurrent use.
type Renderer struct {
	fonts *fonts
}

// NewRenderer parses the embedded fonts.
func NewRenderer() (*Renderer, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, fmt.Errorf("certificate fonts: %w", err)
	}
	return &Renderer{fonts: fs}, nil
}

// maxPages bounds how far a Document's rows may run, so that a runaway
// value makes an error instead of a thousand-page file; maxChars bounds
// the text, so that a huge Document is refused before it is laid out.
const (
	maxPages = 50
	maxChars = 200000
)

// Page geometry, in points from the top left corner of an A4 page.
const (
	pageWidth    = 595.28
	pageHeight   = 841.89
	margin       = 42.0
	contentWidth = pageWidth - 2*margin

	// The fixed band at the bottom of page 1: QR code, its captions,
	// the seal, and under them the notes.
	notesBottom = pageHeight - 46
	notesTop    = notesBottom - 66
	bandBottom  = notesTop - 8
	bandHeight  = 128.0
	bandTop     = bandBottom - bandHeight

	qrSize = 90.0 // 31.75 mm, comfortably over the 25 mm phones need

	// The seal is 42 mm across, the size of a Chinese official seal.
	sealRadius  = 59.5
	sealCenterX = pageWidth - margin - sealRadius - 6
	sealCenterY = bandTop + bandHeight/2

	// kindBaseline is how far below the seal's centre its Kind is set.
	kindBaseline = 33.0

	// Where rows run on continuation pages.
	contTop    = 70.0
	contBottom = pageHeight - 50

	// The row columns.
	labelX     = margin + 6
	labelWidth = 138.0
	valueX     = margin + 154
	valueWidth = contentWidth - 160
)

// sealRect is the seal's square in PDF user space (origin at the bottom
// left), where Seal places the signature widget.
func sealRect() [4]float64 {
	return [4]float64{
		sealCenterX - sealRadius, pageHeight - sealCenterY - sealRadius,
		sealCenterX + sealRadius, pageHeight - sealCenterY + sealRadius,
	}
}

// Type sizes and leading.
const (
	sizeTitleZH  = 22.0
	sizeTitleEN  = 12.5
	sizeNumber   = 13.0
	sizeHeadZH   = 11.0
	sizeHeadEN   = 9.0
	sizeLabelZH  = 9.0
	sizeLabelEN  = 7.0
	sizeValue    = 9.5
	sizeMono     = 8.5
	sizeCaption  = 8.5
	sizeSmall    = 7.0
	leading      = 1.38
	rowPadding   = 5.0
	headHeight   = 19.0
	sectionSpace = 9.0
)

// rgb is a colour as 0xRRGGBB.
type rgb uint32

const (
	colorInk    rgb = 0x191919
	colorMuted  rgb = 0x5f5f5f
	colorAccent rgb = 0x961820
	colorSeal   rgb = 0xd62026
	colorRule   rgb = 0xcdcdcd
	colorBand   rgb = 0xf6f0ea
	colorLink   rgb = 0x143c82
)

func (c rgb) parts() (r, g, b uint8) { return uint8(c >> 16), uint8(c >> 8), uint8(c) }

// drawOp draws one thing on a page.
type drawOp func(c *canvas) error

// page is the drawing of one page.
type page struct {
	ops []drawOp
}

// layout places a Document on pages before anything is drawn, so that
// every page can say how many there are.
type layout struct {
	fonts *fonts
	doc   *Document
	pages []*page
	y     float64 // top of the free space on the last page
}

func (l *layout) cur() *page { return l.pages[len(l.pages)-1] }

// bottom is where rows must stop on the current page.
func (l *layout) bottom() float64 {
	if len(l.pages) == 1 {
		return bandTop - 10
	}
	return contBottom
}

func (l *layout) add(op drawOp) { l.cur().ops = append(l.cur().ops, op) }

func (l *layout) newPage() error {
	if len(l.pages) >= maxPages {
		return fmt.Errorf("the certificate needs more than %d pages: shorten its rows", maxPages)
	}
	l.pages = append(l.pages, &page{})
	l.y = contTop
	return nil
}

// block is a set of wrapped lines of one size.
type block struct {
	lines []line
	size  float64
	color rgb
}

func (b block) height() float64 { return float64(len(b.lines)) * b.size * leading }

func (l *layout) wrap(s string, size, width float64, anywhere bool, color rgb) (block, error) {
	if s == "" {
		return block{size: size, color: color}, nil
	}
	lines, err := l.fonts.wrap(s, size, width, anywhere)
	if err != nil {
		return block{}, err
	}
	return block{lines: lines, size: size, color: color}, nil
}

// drawBlock draws b's lines from top at x, aligned left or centred on
// x when centre is set.
func drawBlock(b block, x, top float64, centre bool) drawOp {
	return func(c *canvas) error {
		y := top
		for _, ln := range b.lines {
			lx := x
			if centre {
				lx = x - float64(ln.width)*b.size/1000/2
			}
			// The baseline sits at about 0.8 of the leading below the
			// line's top, which centres CJK and Latin glyphs alike.
			if err := c.text(lx, y+b.size*1.05, b.size, b.color, ln.runs); err != nil {
				return err
			}
			y += b.size * leading
		}
		return nil
	}
}

// Render lays out doc on one A4 page, more if its rows overflow (then they
// continue on page 2 and on), and returns the PDF. The same Document
// gives the same bytes. What cannot be printed in full is an error, never
// cut off: QR captions taller than the space beside the code, a seal name
// or kind too long for the seal, a heading wider than the page, more than
// 50 pages.
func (r *Renderer) Render(doc *Document) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("render certificate: no document")
	}
	if doc.Number == "" {
		return nil, errors.New("render certificate: the document has no certificate number")
	}
	if n := doc.chars(); n > maxChars {
		return nil, fmt.Errorf("render certificate: the document holds %d characters, more than %d characters fit on %d pages", n, maxChars, maxPages)
	}
	l := &layout{fonts: r.fonts, doc: doc, pages: []*page{{}}}
	if err := l.header(); err != nil {
		return nil, fmt.Errorf("render certificate: %w", err)
	}
	notesFit, err := l.band()
	if err != nil {
		return nil, fmt.Errorf("render certificate: %w", err)
	}
	for i, s := range doc.Sections {
		if err := l.section(s); err != nil {
			return nil, fmt.Errorf("render certificate: section %d: %w", i+1, err)
		}
	}
	if !notesFit {
		if err := l.flowNotes(); err != nil {
			return nil, fmt.Errorf("render certificate: notes: %w", err)
		}
	}
	if err := l.pageDecorations(); err != nil {
		return nil, fmt.Errorf("render certificate: %w", err)
	}
	out, err := r.draw(l)
	if err != nil {
		return nil, fmt.Errorf("render certificate: %w", err)
	}
	return out, nil
}

// chars counts the characters of all the text of d.
func (d *Document) chars() int {
	n := 0
	count := func(ss ...string) {
		for _, s := range ss {
			n += utf8.RuneCountInString(s)
		}
	}
	count(d.TitleZH, d.TitleEN, d.Number, d.QR, d.QRCaptionZH, d.QRCaptionEN, d.Seal.Name, d.Seal.Kind)
	count(d.NotesZH...)
	count(d.NotesEN...)
	for _, s := range d.Sections {
		count(s.HeadingZH, s.HeadingEN)
		for _, r := range s.Rows {
			count(r.LabelZH, r.LabelEN, r.Value)
		}
	}
	return n
}

// header places the titles and the number at the top of page 1.
func (l *layout) header() error {
	doc := l.doc
	y := 52.0
	title, err := l.wrap(doc.TitleZH, sizeTitleZH, contentWidth, false, colorAccent)
	if err != nil {
		return err
	}
	l.add(drawBlock(title, pageWidth/2, y, true))
	y += title.height() + 2
	titleEN, err := l.wrap(doc.TitleEN, sizeTitleEN, contentWidth, false, colorInk)
	if err != nil {
		return err
	}
	l.add(drawBlock(titleEN, pageWidth/2, y, true))
	y += titleEN.height() + 8

	// The number: a bilingual label and the number itself on one line
	// when they fit, the number alone on the following lines when not.
	label, err := l.fonts.shape("证书编号 Certificate No. ")
	if err != nil {
		return err
	}
	labelWidth := runsWidth(label, sizeCaption)
	number, err := l.wrap(doc.Number, sizeNumber, contentWidth, true, colorAccent)
	if err != nil {
		return err
	}
	if len(number.lines) == 1 && labelWidth+float64(number.lines[0].width)*sizeNumber/1000 <= contentWidth {
		total := labelWidth + float64(number.lines[0].width)*sizeNumber/1000
		x := (pageWidth - total) / 2
		numLine := number.lines[0]
		base := y + sizeNumber*1.05
		l.add(func(c *canvas) error {
			if err := c.text(x, base, sizeCaption, colorMuted, label); err != nil {
				return err
			}
			return c.text(x+labelWidth, base, sizeNumber, colorAccent, numLine.runs)
		})
		y += sizeNumber * leading
	} else {
		lb := block{lines: []line{{runs: label, width: int(labelWidth * 1000 / sizeCaption)}}, size: sizeCaption, color: colorMuted}
		l.add(drawBlock(lb, pageWidth/2, y, true))
		y += lb.height()
		l.add(drawBlock(number, pageWidth/2, y, true))
		y += number.height()
	}
	y += 6
	ruleY := y
	l.add(func(c *canvas) error {
		c.line(margin, ruleY, pageWidth-margin, ruleY, 0.8, colorAccent)
		return nil
	})
	l.y = y + 10
	if l.y > l.bottom()-60 {
		return errors.New("the titles and number leave no room for rows: shorten them")
	}
	return nil
}

// band places the QR code, its captions, the seal and the notes at the
// bottom of page 1, and reports whether the notes fit there.
func (l *layout) band() (bool, error) {
	doc := l.doc
	capX := margin + 12
	capWidth := sealCenterX - sealRadius - 14 - capX
	if doc.QR != "" {
		q, err := qrcode.New(doc.QR, qrcode.Medium)
		if err != nil {
			return false, fmt.Errorf("QR code: %w", err)
		}
		q.DisableBorder = true
		bits := q.Bitmap()
		qx, qy := margin, bandTop+(bandHeight-qrSize)/2
		l.add(func(c *canvas) error {
			c.qr(bits, qx, qy, qrSize)
			return nil
		})
		capX = margin + qrSize + 14
		capWidth = sealCenterX - sealRadius - 14 - capX
	}
	var blocks []block
	for _, part := range []struct {
		s        string
		size     float64
		anywhere bool
		color    rgb
	}{
		{doc.QRCaptionZH, sizeCaption + 0.5, false, colorInk},
		{doc.QRCaptionEN, sizeSmall + 0.5, false, colorMuted},
		{doc.QR, sizeSmall, true, colorLink},
	} {
		b, err := l.wrap(part.s, part.size, capWidth, part.anywhere, part.color)
		if err != nil {
			return false, fmt.Errorf("QR caption: %w", err)
		}
		blocks = append(blocks, b)
	}
	total := 0.0
	for _, b := range blocks {
		total += b.height() + 3
	}
	if total > bandHeight {
		return false, fmt.Errorf("the QR captions and URL need %.0f points, more than the %.0f beside the QR code: shorten them", total, bandHeight)
	}
	y := bandTop + (bandHeight-total)/2
	for _, b := range blocks {
		l.add(drawBlock(b, capX, y, false))
		y += b.height() + 3
	}

	if err := l.sealMark(); err != nil {
		return false, err
	}

	notes, err := l.notes(contentWidth)
	if err != nil {
		return false, err
	}
	h := 0.0
	for _, b := range notes {
		h += b.height()
	}
	if h > notesBottom-notesTop-6 {
		return false, nil
	}
	if h > 0 {
		l.add(func(c *canvas) error {
			c.line(margin, notesTop, pageWidth-margin, notesTop, 0.4, colorRule)
			return nil
		})
	}
	y = notesTop + 5
	for _, b := range notes {
		l.add(drawBlock(b, margin, y, false))
		y += b.height()
	}
	return true, nil
}

// notes wraps the notes, Chinese first.
func (l *layout) notes(width float64) ([]block, error) {
	var out []block
	for _, n := range l.doc.NotesZH {
		b, err := l.wrap(n, sizeSmall+0.5, width, false, colorMuted)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	for _, n := range l.doc.NotesEN {
		b, err := l.wrap(n, sizeSmall, width, false, colorMuted)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// flowNotes places notes too long for page 1's footer after the rows.
func (l *layout) flowNotes() error {
	notes, err := l.notes(contentWidth)
	if err != nil {
		return err
	}
	if len(notes) == 0 {
		return nil
	}
	if l.y+14+notes[0].size*leading > l.bottom() {
		if err := l.newPage(); err != nil {
			return err
		}
	}
	ruleY := l.y + 6
	l.add(func(c *canvas) error {
		c.line(margin, ruleY, pageWidth-margin, ruleY, 0.4, colorRule)
		return nil
	})
	l.y += 11
	for _, b := range notes {
		for _, ln := range b.lines {
			one := block{lines: []line{ln}, size: b.size, color: b.color}
			if l.y+one.height() > l.bottom() {
				if err := l.newPage(); err != nil {
					return err
				}
			}
			l.add(drawBlock(one, margin, l.y, false))
			l.y += one.height()
		}
	}
	return nil
}

// section places a heading and its rows.
func (l *layout) section(s Section) error {
	if s.HeadingZH != "" || s.HeadingEN != "" {
		zh, err := l.fonts.shape(s.HeadingZH)
		if err != nil {
			return err
		}
		en, err := l.fonts.shape(s.HeadingEN)
		if err != nil {
			return err
		}
		zhWidth := runsWidth(zh, sizeHeadZH)
		if zhWidth+8+runsWidth(en, sizeHeadEN) > contentWidth-16 {
			return errors.New("the heading is wider than the page: shorten it")
		}
		// A heading keeps at least one line of its first row with it.
		if l.y+headHeight+4+2*rowPadding+sizeValue*leading > l.bottom() {
			if err := l.newPage(); err != nil {
				return err
			}
		}
		top := l.y
		l.add(func(c *canvas) error {
			c.rect(margin, top, contentWidth, headHeight, colorBand)
			c.rect(margin, top, 3, headHeight, colorAccent)
			base := top + headHeight/2 + sizeHeadZH*0.36
			if err := c.text(margin+10, base, sizeHeadZH, colorInk, zh); err != nil {
				return err
			}
			return c.text(margin+10+zhWidth+8, base, sizeHeadEN, colorMuted, en)
		})
		l.y += headHeight + 2
	}
	for i, row := range s.Rows {
		if err := l.row(row); err != nil {
			return fmt.Errorf("row %d (%s): %w", i+1, row.LabelEN, err)
		}
	}
	l.y += sectionSpace
	return nil
}

// row places one row, splitting its value over pages when it is taller
// than a page.
func (l *layout) row(row Row) error {
	lzh, err := l.wrap(row.LabelZH, sizeLabelZH, labelWidth, false, colorInk)
	if err != nil {
		return err
	}
	labelEN, err := l.wrap(row.LabelEN, sizeLabelEN, labelWidth, false, colorMuted)
	if err != nil {
		return err
	}
	size := sizeValue
	if row.Mono {
		size = sizeMono
	}
	value, err := l.wrap(row.Value, size, valueWidth, row.Mono, colorInk)
	if err != nil {
		return err
	}
	labelHeight := lzh.height() + labelEN.height()
	cont, err := l.wrap("（续）continued", sizeLabelEN, labelWidth, false, colorMuted)
	if err != nil {
		return err
	}
	lineHeight := size * leading
	first := true
	rest := value.lines
	for first || len(rest) > 0 {
		avail := l.bottom() - l.y - 2*rowPadding
		need := value.height()
		if first {
			need = max(labelHeight, float64(len(rest))*lineHeight)
		} else {
			need = float64(len(rest)) * lineHeight
		}
		fresh := contBottom - contTop - 2*rowPadding
		var n int
		switch {
		case need <= avail:
			n = len(rest)
		case need <= fresh || (first && labelHeight > avail) || avail < lineHeight:
			if err := l.newPage(); err != nil {
				return err
			}
			continue
		default:
			n = int(avail / lineHeight)
		}
		chunk := block{lines: rest[:n], size: size, color: colorInk}
		rest = rest[n:]
		top := l.y
		h := chunk.height()
		if first {
			h = max(h, labelHeight)
			l.add(drawBlock(lzh, labelX, top+rowPadding, false))
			l.add(drawBlock(labelEN, labelX, top+rowPadding+lzh.height(), false))
		} else {
			l.add(drawBlock(cont, labelX, top+rowPadding, false))
		}
		l.add(drawBlock(chunk, valueX, top+rowPadding, false))
		bottom := top + h + 2*rowPadding
		l.add(func(c *canvas) error {
			c.line(margin, bottom, pageWidth-margin, bottom, 0.3, colorRule)
			return nil
		})
		l.y = bottom
		first = false
	}
	return nil
}

// pageDecorations adds the frame to every page, and to continuation
// pages their header, and page numbers when there is more than one page.
func (l *layout) pageDecorations() error {
	n := len(l.pages)
	headLines, err := l.fonts.wrap(fmt.Sprintf("%s  %s  ·  证书编号 Certificate No. %s  （续 continued）", l.doc.TitleZH, l.doc.TitleEN, l.doc.Number), sizeSmall, contentWidth, false)
	if err != nil {
		return err
	}
	for i, p := range l.pages {
		ops := []drawOp{func(c *canvas) error {
			c.frame()
			return nil
		}}
		if i > 0 {
			hb := block{lines: headLines[:min(len(headLines), 2)], size: sizeSmall, color: colorMuted}
			ops = append(ops, drawBlock(hb, margin, contTop-14-hb.height(), false), func(c *canvas) error {
				c.line(margin, contTop-8, pageWidth-margin, contTop-8, 0.6, colorAccent)
				return nil
			})
		}
		if n > 1 {
			num, err := l.fonts.shape(fmt.Sprintf("第 %d 页 / 共 %d 页    Page %d of %d", i+1, n, i+1, n))
			if err != nil {
				return err
			}
			w := runsWidth(num, sizeSmall)
			ops = append(ops, func(c *canvas) error {
				return c.text((pageWidth-w)/2, pageHeight-34, sizeSmall, colorMuted, num)
			})
		}
		p.ops = append(ops, p.ops...)
	}
	return nil
}

// sealMark places the seal: the PNG when there is one, else the vector
// drawing.
func (l *layout) sealMark() error {
	m := l.doc.Seal
	if len(m.Image) > 0 {
		cfg, err := png.DecodeConfig(bytes.NewReader(m.Image))
		if err != nil {
			return fmt.Errorf("seal image: not a PNG: %w", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 4096 || cfg.Height > 4096 {
			return fmt.Errorf("seal image: %d×%d pixels; it must be between 1 and 4096 on each side", cfg.Width, cfg.Height)
		}
		w, h := 2*sealRadius, 2*sealRadius
		if cfg.Width > cfg.Height {
			h = w * float64(cfg.Height) / float64(cfg.Width)
		} else {
			w = h * float64(cfg.Width) / float64(cfg.Height)
		}
		x, y := sealCenterX-w/2, sealCenterY-h/2
		img := m.Image
		l.add(func(c *canvas) error { return c.png(img, x, y, w, h) })
		return nil
	}
	if m.Name == "" && m.Kind == "" {
		return nil
	}
	arc, err := l.arcText(m.Name)
	if err != nil {
		return err
	}
	// Kind sits under the star on a chord of the ring's inside.
	inner := sealRadius - 3.2
	kind, kindSize, err := l.fitLine(m.Kind, 10.5, 5.5, 2*math.Sqrt(inner*inner-kindBaseline*kindBaseline)-14)
	if err != nil {
		return fmt.Errorf("seal kind %q: %w", m.Kind, err)
	}
	kindWidth := runsWidth(kind, kindSize)
	l.add(func(c *canvas) error {
		c.ring(sealCenterX, sealCenterY, sealRadius-1.6, 3.2, colorSeal)
		c.star(sealCenterX, sealCenterY-3, 17, colorSeal)
		if err := arc(c); err != nil {
			return err
		}
		return c.text(sealCenterX-kindWidth/2, sealCenterY+kindBaseline-2, kindSize, colorSeal, kind)
	})
	return nil
}

// fitLine shapes s at the largest size from size down to minSize at which
// it fits width.
func (l *layout) fitLine(s string, size, minSize, width float64) ([]run, float64, error) {
	rs, err := l.fonts.shape(s)
	if err != nil {
		return nil, 0, err
	}
	w := runsWidth(rs, 1)
	if w*size > width {
		size = width / w
	}
	if size < minSize {
		return nil, 0, fmt.Errorf("too long to print on the seal at %.1f points", minSize)
	}
	return rs, size, nil
}

// arcText lays the institution's name along the seal's upper arc, each
// character upright towards the rim, as on a Chinese official seal.
func (l *layout) arcText(name string) (drawOp, error) {
	if name == "" {
		return func(*canvas) error { return nil }, nil
	}
	var pieces []piece
	for _, r := range name {
		p, err := l.fonts.piece(r)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, p)
	}
	const maxSpan = 225 * math.Pi / 180
	total := 0
	for _, p := range pieces {
		total += p.run.width
	}
	// Try sizes from large to small until the name spans at most
	// maxSpan; the gap between characters is a fifth of the size.
	for size := 15.0; size >= 6.5; size -= 0.5 {
		radius := sealRadius - 5 - size*0.62
		gap := size * 0.18
		length := float64(total)*size/1000 + gap*float64(len(pieces)-1)
		span := length / radius
		if span > maxSpan {
			continue
		}
		if span < 100*math.Pi/180 && len(pieces) > 1 {
			// Short names spread out instead of huddling at the top.
			gap += (100*math.Pi/180*radius - length) / float64(len(pieces)-1)
			length = 100 * math.Pi / 180 * radius
			span = length / radius
		}
		type placed struct {
			rn     run
			cx, cy float64
			angle  float64 // degrees, clockwise from the top
		}
		var ps []placed
		s := 0.0
		for _, p := range pieces {
			w := float64(p.run.width) * size / 1000
			theta := -span/2 + (s+w/2)/radius
			ps = append(ps, placed{
				rn:    p.run,
				cx:    sealCenterX + radius*math.Sin(theta),
				cy:    sealCenterY - radius*math.Cos(theta),
				angle: theta * 180 / math.Pi,
			})
			s += w + gap
		}
		return func(c *canvas) error {
			for _, p := range ps {
				w := float64(p.rn.width) * size / 1000
				c.rotate(-p.angle, p.cx, p.cy)
				err := c.text(p.cx-w/2, p.cy+size*0.36, size, colorSeal, []run{p.rn})
				c.unrotate()
				if err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("seal name %q: too long to print around the seal", name)
}

// draw turns the laid out pages into a PDF. A first pass over the pages
// only collects the characters each font prints, to make the document's
// compact fonts; the second draws.
func (r *Renderer) draw(l *layout) ([]byte, error) {
	rec := &canvas{}
	for _, p := range l.pages {
		for _, op := range p.ops {
			if err := op(rec); err != nil {
				return nil, err
			}
		}
	}
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageWidth, H: pageHeight}, Unit: gopdf.UnitPT})
	// Page content is small and mostly numbers: the fastest level costs
	// a few hundred bytes and saves a millisecond a certificate.
	gp.SetCompressLevel(zlib.BestSpeed)
	for id := range fontCount {
		if len(rec.used[id]) == 0 {
			continue
		}
		data, err := r.fonts.faces[id].subset(rec.used[id])
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", id.family(), err)
		}
		if err := gp.AddTTFFontData(id.family(), data); err != nil {
			return nil, fmt.Errorf("font %s: %w", id.family(), err)
		}
	}
	info := gopdf.PdfInfo{
		Title:    joinNonEmpty(" ", l.doc.TitleZH, l.doc.TitleEN),
		Subject:  l.doc.Number,
		Producer: "Jurichain certpdf",
	}
	if !l.doc.Created.IsZero() {
		info.CreationDate = l.doc.Created
	}
	gp.SetInfo(info)
	c := &canvas{gp: gp}
	for _, p := range l.pages {
		gp.AddPage()
		for _, op := range p.ops {
			if err := op(c); err != nil {
				return nil, err
			}
		}
	}
	out, err := gp.GetBytesPdfReturnErr()
	if err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	return bytes.Clone(out), nil
}

func joinNonEmpty(sep string, parts ...string) string {
	var b []byte
	for _, p := range parts {
		if p == "" {
			continue
		}
		if len(b) > 0 {
			b = append(b, sep...)
		}
		b = append(b, p...)
	}
	return string(b)
}

// canvas draws on the current gopdf page in points from the top left.
// Without a gopdf document it only records the characters of each font.
type canvas struct {
	gp   *gopdf.GoPdf
	used [fontCount]map[rune]bool
}

func (c *canvas) text(x, baseline, size float64, color rgb, runs []run) error {
	if c.gp == nil {
		for _, rn := range runs {
			if c.used[rn.font] == nil {
				c.used[rn.font] = map[rune]bool{}
			}
			for _, r := range rn.text {
				c.used[rn.font][r] = true
			}
		}
		return nil
	}
	c.gp.SetTextColor(color.parts())
	for _, rn := range runs {
		if err := c.gp.SetFont(rn.font.family(), "", size); err != nil {
			return fmt.Errorf("font %s: %w", rn.font.family(), err)
		}
		c.gp.SetXY(x, baseline)
		if err := c.gp.Text(rn.text); err != nil {
			return fmt.Errorf("text %q: %w", rn.text, err)
		}
		x += float64(rn.width) * size / 1000
	}
	return nil
}

// rotate turns what follows by degrees anticlockwise about (x, y), until
// unrotate.
func (c *canvas) rotate(degrees, x, y float64) {
	if c.gp != nil {
		c.gp.Rotate(degrees, x, y)
	}
}

func (c *canvas) unrotate() {
	if c.gp != nil {
		c.gp.RotateReset()
	}
}

func (c *canvas) line(x1, y1, x2, y2, width float64, color rgb) {
	if c.gp == nil {
		return
	}
	c.gp.SetLineWidth(width)
	c.gp.SetStrokeColor(color.parts())
	c.gp.Line(x1, y1, x2, y2)
}

func (c *canvas) rect(x, y, w, h float64, color rgb) {
	if c.gp == nil {
		return
	}
	c.gp.SetFillColor(color.parts())
	c.gp.RectFromUpperLeftWithStyle(x, y, w, h, "F")
}

// frame draws the double border of a certificate page.
func (c *canvas) frame() {
	if c.gp == nil {
		return
	}
	c.gp.SetStrokeColor(colorAccent.parts())
	c.gp.SetLineWidth(1.4)
	c.gp.RectFromUpperLeftWithStyle(22, 22, pageWidth-44, pageHeight-44, "D")
	c.gp.SetLineWidth(0.5)
	c.gp.RectFromUpperLeftWithStyle(26, 26, pageWidth-52, pageHeight-52, "D")
}

// qr draws the QR modules as filled rectangles, so the code stays sharp
// at any zoom.
func (c *canvas) qr(bits [][]bool, x, y, size float64) {
	if c.gp == nil {
		return
	}
	c.gp.SetFillColor(0, 0, 0)
	m := size / float64(len(bits))
	for _, r := range moduleRects(bits) {
		c.gp.RectFromUpperLeftWithStyle(x+float64(r.col)*m, y+float64(r.row)*m, float64(r.cols)*m, float64(r.rows)*m, "F")
	}
}

// moduleRect is a rectangle of dark QR modules.
type moduleRect struct{ row, col, rows, cols int }

// moduleRects covers the dark modules with rectangles that do not
// overlap: each is a run of dark modules in a row, extended down over the
// rows where the same modules are dark too. That takes about a fifth
// fewer rectangles than one per run, and so less page content.
func moduleRects(bits [][]bool) []moduleRect {
	done := make([][]bool, len(bits))
	for i := range done {
		done[i] = make([]bool, len(bits[i]))
	}
	free := func(row, col int) bool {
		return row < len(bits) && col < len(bits[row]) && bits[row][col] && !done[row][col]
	}
	var out []moduleRect
	for row := range bits {
		for col := 0; col < len(bits[row]); {
			if !free(row, col) {
				col++
				continue
			}
			start := col
			for free(row, col) {
				col++
			}
			rows := 1
			for {
				all := true
				for k := start; k < col && all; k++ {
					all = free(row+rows, k)
				}
				if !all {
					break
				}
				rows++
			}
			for r := row; r < row+rows; r++ {
				for k := start; k < col; k++ {
					done[r][k] = true
				}
			}
			out = append(out, moduleRect{row: row, col: start, rows: rows, cols: col - start})
		}
	}
	return out
}

// ring strokes a circle as a closed polygon fine enough to look round.
func (c *canvas) ring(cx, cy, r, width float64, color rgb) {
	if c.gp == nil {
		return
	}
	const n = 144
	pts := make([]gopdf.Point, n)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / n
		pts[i] = gopdf.Point{X: cx + r*math.Cos(a), Y: cy + r*math.Sin(a)}
	}
	c.gp.SetLineWidth(width)
	c.gp.SetStrokeColor(color.parts())
	c.gp.Polygon(pts, "D")
}

// star fills a five-pointed star with a point upwards.
func (c *canvas) star(cx, cy, r float64, color rgb) {
	if c.gp == nil {
		return
	}
	inner := r * 0.382
	pts := make([]gopdf.Point, 10)
	for i := range pts {
		rad := r
		if i%2 == 1 {
			rad = inner
		}
		a := float64(i) * math.Pi / 5
		pts[i] = gopdf.Point{X: cx + rad*math.Sin(a), Y: cy - rad*math.Cos(a)}
	}
	c.gp.SetFillColor(color.parts())
	c.gp.Polygon(pts, "F")
}

func (c *canvas) png(data []byte, x, y, w, h float64) error {
	if c.gp == nil {
		return nil
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("seal image: %w", err)
	}
	holder, err := gopdf.ImageHolderByBytes(data)
	if err != nil {
		return fmt.Errorf("seal image: %w", err)
	}
	if err := c.gp.ImageByHolder(holder, x, y, &gopdf.Rect{W: w, H: h}); err != nil {
		return fmt.Errorf("seal image: %w", err)
	}
	return nil
}
