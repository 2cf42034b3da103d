package certpdf

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/suite"
)

// forgeryDocument is a certificate of one suite, with a Chinese and a
// Latin font, as the forgeries below start from.
func forgeryDocument(cs *suite.Suite) *Document {
	digest := cs.Hash([]byte("contract-real.pdf"))
	return &Document{
		TitleZH: "电子数据存证证书", TitleEN: "Certificate", Number: "JC-AAAAA-BBBBB-CCCCC-DDDDD",
		Sections: []Section{{HeadingZH: "电子数据", HeadingEN: "Evidence file", Rows: []Row{
			{LabelZH: "文件名", LabelEN: "File name", Value: "contract-real.pdf"},
			{LabelZH: "摘要", LabelEN: "Digest", Value: hex.EncodeToString(digest[:]), Mono: true},
			{LabelZH: "密码套件", LabelEN: "Crypto suite", Value: cs.String()},
		}}},
		Seal:    SealMark{Name: "北京市海淀区人民法院", Kind: "电子数据存证专用章"},
		Created: time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC),
	}
}

// forgerySealOptions attach a file, so that the update holds the name
// tree, and sign with a placeholder CMS: Read does not check the CMS, and
// a seal-key holder could sign anything.
func forgerySealOptions() SealOptions {
	return SealOptions{
		Name: "court", Reason: "certificate", Location: "Beijing", ContactInfo: "verify@example.org",
		Time:        time.Date(2026, 3, 14, 9, 27, 30, 0, time.UTC),
		Attachments: []Attachment{{Name: "receipt.json", MediaType: "application/json", Data: []byte(`{"leaf":1}`)}, {Name: "证据.txt", Data: []byte("x")}},
		Sign:        func([]byte) ([]byte, error) { return []byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil },
	}
}

func dict(kv ...any) *pdfDict {
	d := &pdfDict{}
	for i := 0; i < len(kv); i += 2 {
		d.set(pdfName(kv[i].(string)), kv[i+1])
	}
	return d
}

// fullPage is the A4 page, which a forged widget covers.
func fullPage() pdfArray { return pdfArray{int64(0), int64(0), int64(595), int64(842)} }

// overlay is what the forged widget's appearance painted over the page:
// a white sheet and other words.
func overlay(p *sealParts) {
	p.field.set("Rect", fullPage())
	p.appearance.set("BBox", fullPage())
	p.appearance.set("Resources", dict("Font", dict("Helv", dict("Type", pdfName("Font"), "Subtype", pdfName("Type1"), "BaseFont", pdfName("Helvetica")))))
	p.appearanceData = []byte("1 1 1 rg 0 0 595 842 re f 0 0 0 rg BT /Helv 28 Tf 60 700 Td (File name: FORGED-contract.pdf) Tj ET")
}

// TestReadRefusesForgedUpdates seals certificates whose update a holder
// of the seal key changed, each in a way that Read must refuse because it
// could change what a viewer shows or does, and checks that the error
// names what was changed. The untampered seal of the same certificate
// reads, and its Unsealed is the rendered PDF.
func TestReadRefusesForgedUpdates(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		tamper func(p *sealParts)
		want   string
	}{
		{"widget appearance paints over the page", overlay, "appearance draws"},
		{"widget appearance has resources", func(p *sealParts) {
			p.appearance.set("Resources", dict("Font", dict()))
		}, "appearance is not an empty form XObject"},
		{"widget appearance in a second state", func(p *sealParts) {
			p.field.get("AP").(*pdfDict).set("D", p.field.get("AP").(*pdfDict).get("N"))
		}, "/AP has /D"},
		{"widget border and background", func(p *sealParts) {
			p.field.set("MK", dict("BG", pdfArray{int64(1), int64(1), int64(1)}))
		}, "widget has /MK"},
		{"widget not locked", func(p *sealParts) { p.field.set("F", int64(4)) }, "not 132"},
		{"open action", func(p *sealParts) {
			p.catalog.set("OpenAction", pdfArray{p.page.get("Annots").(pdfArray)[0], pdfName("Fit")})
		}, "/OpenAction"},
		{"page additional actions", func(p *sealParts) {
			p.page.set("AA", dict("O", dict("S", pdfName("JavaScript"), "JS", pdfString{data: []byte("app.alert(1)")})))
		}, "/AA"},
		{"script in the name tree", func(p *sealParts) {
			js := p.add(dict("S", pdfName("JavaScript"), "JS", pdfString{data: []byte("app.alert(1)")}))
			p.catalog.get("Names").(*pdfDict).set("JavaScript", dict("Names", pdfArray{pdfString{data: []byte("a")}, js}))
		}, "/JavaScript"},
		{"link on the widget", func(p *sealParts) {
			p.field.set("A", dict("S", pdfName("URI"), "URI", pdfString{data: []byte("https://example.org/forged")}))
		}, "has /A"},
		{"launch action", func(p *sealParts) {
			p.add(dict("S", pdfName("Launch"), "Launch", dict("F", pdfString{data: []byte("calc.exe")})))
		}, "/Launch"},
		{"XFA form", func(p *sealParts) { p.form.set("XFA", p.add(&pdfStream{dict: dict(), data: []byte("<xdp/>")})) }, "/XFA"},
		{"appearances to regenerate", func(p *sealParts) { p.form.set("NeedAppearances", true) }, "/NeedAppearances"},
		{"second form field", func(p *sealParts) {
			text := p.add(dict("FT", pdfName("Tx"), "T", pdfString{data: []byte("x")}, "V", pdfString{data: []byte("FORGED")}))
			p.form.set("Fields", append(p.form.get("Fields").(pdfArray), text))
		}, "/Fields is not the one widget"},
		{"extra annotation", func(p *sealParts) {
			note := p.add(dict("Type", pdfName("Annot"), "Subtype", pdfName("FreeText"), "Rect", fullPage(), "Contents", pdfString{data: []byte("FORGED")}, "DA", pdfString{data: []byte("/Helv 28 Tf")}))
			p.page.set("Annots", append(p.page.get("Annots").(pdfArray), note))
		}, "/Annots is not an array of one annotation"},
		{"extra object", func(p *sealParts) { p.add(dict("Type", pdfName("Foo"))) }, "which Seal does not write"},
		{"changed page resources", func(p *sealParts) {
			p.page.set("Resources", p.add(dict("Font", dict("F1", dict("Type", pdfName("Font"), "Subtype", pdfName("Type1"), "BaseFont", pdfName("Helvetica"))))))
		}, "page 1's /Resources differs"},
		{"page rotated", func(p *sealParts) { p.page.set("Rotate", int64(90)) }, "page 1 has /Rotate"},
		{"page crop box", func(p *sealParts) { p.page.set("CropBox", pdfArray{int64(0), int64(400), int64(595), int64(842)}) }, "page 1 has /CropBox"},
		{"catalog page mode", func(p *sealParts) { p.catalog.set("PageMode", pdfName("FullScreen")) }, "catalog has /PageMode"},
		{"page content rewritten", func(p *sealParts) {
			contents := p.page.get("Contents").(pdfRef)
			p.extra = append(p.extra, sealObject{contents, &pdfStream{dict: dict(), data: []byte("BT /F1 28 Tf 60 700 Td (FORGED) Tj ET")}})
		}, "rewrites only the catalog and page 1"},
	} {
		for _, cs := range suite.All() {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				pdf, err := r.Render(forgeryDocument(cs))
				if err != nil {
					t.Fatal(err)
				}
				forged, err := seal(pdf, forgerySealOptions(), tc.tamper)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(forged, pdf) {
					t.Fatal("the forgery does not start with the rendered PDF")
				}
				_, err = Read(forged)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Read: %v, want an error containing %q", err, tc.want)
				}
			})
		}
	}
	for _, cs := range suite.All() {
		t.Run(cs.Name()+"/untampered", func(t *testing.T) {
			pdf, err := r.Render(forgeryDocument(cs))
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := seal(pdf, forgerySealOptions(), func(*sealParts) {})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Unsealed, pdf) {
				t.Errorf("Unsealed is %d bytes, not the %d rendered", len(got.Unsealed), len(pdf))
			}
		})
	}
}

// editRendered rewrites dictionary object num of the rendered revision
// in place, compactly and padded with spaces to its old length, so that
// no offset moves: the forgery of someone who edits the first revision
// and keeps the seal's update.
func editRendered(t *testing.T, sealed []byte, num int, edit func(*pdfDict)) []byte {
	t.Helper()
	f, err := parseFile(sealed)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.revisions[len(f.revisions)-1].entry(num)
	o, err := f.objectAt(num, e)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := o.value.(*pdfDict)
	if !ok {
		t.Fatalf("object %d is not a dictionary", num)
	}
	edit(d)
	var w writer
	fmt.Fprintf(&w, "%d 0 obj\n", num)
	w.value(d)
	tail := "\nendobj"
	room := o.end - e.offset - w.Len() - len(tail)
	if room < 0 {
		t.Fatalf("the edited object %d is %d bytes too long to fit in place", num, -room)
	}
	w.WriteString(strings.Repeat(" ", room) + tail)
	out := bytes.Clone(sealed)
	copy(out[e.offset:o.end], w.Bytes())
	return out
}

// spliceUpdate replaces bytes start to end of the seal's update with
// repl and moves what follows: the update's cross-reference entries,
// startxref and the ByteRange, so that only what repl says is wrong.
func spliceUpdate(t *testing.T, sealed []byte, start, end int, repl []byte) []byte {
	t.Helper()
	out := append(append(bytes.Clone(sealed[:start]), repl...), sealed[end:]...)
	delta := len(repl) - (end - start)
	xref := bytes.LastIndex(out, []byte("\nxref\n")) + 1
	entry := regexp.MustCompile(`(?m)^(\d{10}) 00000 n\r$`)
	section := entry.ReplaceAllFunc(out[xref:], func(m []byte) []byte {
		off, _ := strconv.Atoi(string(m[:10]))
		if off >= end {
			off += delta
		}
		return fmt.Appendf(nil, "%010d 00000 n\r", off)
	})
	out = append(out[:xref], section...)
	tail := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`)
	out = tail.ReplaceAll(out, fmt.Appendf(nil, "startxref\n%d\n%%%%EOF\n", xref))
	cStart := bytes.Index(out, []byte("/Contents <")) + len("/Contents ")
	cEnd := cStart + bytes.IndexByte(out[cStart:], '>') + 1
	br := regexp.MustCompile(`/ByteRange \[[0-9 ]+\] *`)
	loc := br.FindIndex(out)
	fixed := fmt.Sprintf("/ByteRange [0 %d %d %d]", cStart, cEnd, len(out)-cEnd)
	copy(out[loc[0]:loc[1]], fixed+strings.Repeat(" ", loc[1]-loc[0]-len(fixed)))
	return out
}

// shiftUpdate inserts junk into the seal's update at offset at.
func shiftUpdate(t *testing.T, sealed []byte, at int, junk string) []byte {
	t.Helper()
	return spliceUpdate(t, sealed, at, at, []byte(junk))
}

// TestReadRefusesForgedRevisions changes a sealed certificate's bytes
// around the objects Seal writes: the rendered revision, edited in place,
// and bytes slipped between the update's objects where no cross-reference
// entry points. Each shifted file without the junk still reads, so the
// error comes from the junk.
func TestReadRefusesForgedRevisions(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range suite.All() {
		pdf, err := r.Render(forgeryDocument(cs))
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := seal(pdf, forgerySealOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseFile(pdf)
		if err != nil {
			t.Fatal(err)
		}
		root := f.trailer.get("Root").(pdfRef).num
		catalog, _ := f.dict(f.trailer.get("Root"), "catalog")
		pages, _ := pageList(f, catalog)
		page := pages[0].(pdfRef).num
		unreferenced := -1 // an object nothing points at: Render's /Outlines
		for _, fo := range f.objects {
			if o, err := f.object(fo.num); err == nil {
				if d, ok := o.(*pdfDict); ok && d.get("Type") == pdfName("Outlines") {
					unreferenced = fo.num
				}
			}
		}
		if unreferenced < 0 {
			t.Fatal("the rendered PDF has no /Outlines to edit")
		}
		if _, err := Read(shiftUpdate(t, sealed, len(pdf), "")); err != nil {
			t.Fatalf("the shifting helper breaks a good file: %v", err)
		}
		for _, tc := range []struct {
			name string
			pdf  []byte
			want string
		}{
			// Little room: the catalog is a few bytes longer in Render's
			// layout than written compactly.
			{"rendered catalog with actions", editRendered(t, sealed, root, func(d *pdfDict) { d.set("AA", pdfArray{}) }), "/AA"},
			{"rendered catalog with another entry", editRendered(t, sealed, root, func(d *pdfDict) { d.set("Lang", int64(0)) }), "catalog has /Lang"},
			{"rendered page rotated", editRendered(t, sealed, page, func(d *pdfDict) { d.set("Rotate", int64(90)) }), "has /Rotate"},
			{"rendered page with annotations", editRendered(t, sealed, page, func(d *pdfDict) { d.set("Annots", pdfArray{}) }), "/Annots"},
			{"script in an unreferenced object", editRendered(t, sealed, unreferenced, func(d *pdfDict) {
				*d = *dict("S", pdfName("JavaScript"), "JS", pdfString{data: []byte("x")})
			}), "/JS"},
			{"hidden object at the update's start", shiftUpdate(t, sealed, len(pdf), "99 0 obj\n<</Type/Annot/Subtype/FreeText>>\nendobj\n"), "not an object its cross-reference section lists"},
			{"comment in the update", shiftUpdate(t, sealed, len(pdf), "% hidden\n"), "not an object its cross-reference section lists"},
			{"comment after the seal's trailer", shiftUpdate(t, sealed, bytes.LastIndex(sealed, []byte("\nstartxref\n")), "\n% hidden"), "does not end with its trailer"},
			{"junk after the last object", shiftUpdate(t, sealed, bytes.LastIndex(sealed, []byte("\nxref\n"))+1, "junk\n"), "not an object its cross-reference section lists"},
		} {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				_, err := Read(tc.pdf)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Read: %v, want an error containing %q", err, tc.want)
				}
			})
		}
	}
}
