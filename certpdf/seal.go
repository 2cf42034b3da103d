package certpdf

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attachment is a file embedded in a certificate, such as the deposit
// receipt or the time-stamp token. The signature covers it.
type Attachment struct {
	// Name is the file name a reader saves it under; no path.
	Name string
	// Description is shown by PDF readers beside the name.
	Description string
	// MediaType is the MIME type, e.g. "application/json"; empty means
	// application/octet-stream.
	MediaType string
	// Data is the file's content.
	Data []byte
}

// SignFunc returns a detached CMS SignedData (DER) over the given bytes
// (the concatenated /ByteRange ranges).
type SignFunc func(signed []byte) ([]byte, error)

// SealOptions say what Seal writes into the signature and what it signs
// with.
type SealOptions struct {
	// Name, Reason, Location and ContactInfo fill /Name, /Reason,
	// /Location and /ContactInfo of the signature dictionary, which
	// readers show beside the signature.
	Name, Reason, Location, ContactInfo string
	// Time is the signing time, /M; zero leaves it out (the CMS or its
	// time-stamp is what proves time).
	Time time.Time
	// Attachments are embedded (EmbeddedFiles name tree, /AFRelationship
	// /Data) and covered by the signature.
	Attachments []Attachment
	// ContentsSize is how many bytes are reserved for the CMS; zero means
	// DefaultContentsSize. Seal fails if the CMS does not fit.
	ContentsSize int
	// Sign makes the CMS. For /SubFilter /ETSI.CAdES.detached (PAdES)
	// its signed attributes should hold the ESS signing-certificate-v2
	// attribute, which Adobe Acrobat looks for; pdfsig and MuPDF do not
	// require it.
	Sign SignFunc
}

// DefaultContentsSize is the room for the CMS when SealOptions leave it
// zero: enough for a certificate chain of a few certificates and an
// RFC 3161 time-stamp token.
const DefaultContentsSize = 32 << 10

// maxContentsSize bounds the reserved room, far above any real CMS.
const maxContentsSize = 1 << 20

// signatureFieldName is the signature field's /T.
const signatureFieldName = "Seal"

// Seal appends ONE incremental update to a PDF produced by Render: the
// attachments, an AcroForm (/SigFlags 3) with one signature field whose
// widget lies over the seal mark on page 1 and whose appearance is empty
// (the printed seal shows through; nothing in the update is drawn), and
// the /Sig dictionary (/Filter /Adobe.PPKLite /SubFilter
// /ETSI.CAdES.detached, /ByteRange, /Contents hex). The update ends in a
// classic cross-reference section with /Prev; the original bytes are kept
// unchanged before it, and Read gives them back as Sealed.Unsealed. The
// signature covers the whole file except its own /Contents.
//
// Seal refuses a PDF that Read would refuse once sealed: one that does
// not end with %%EOF and an end of line, or holds anything Render does
// not write (see Read).
func Seal(pdf []byte, o SealOptions) ([]byte, error) {
	out, err := seal(pdf, o, nil)
	if err != nil {
		return nil, fmt.Errorf("seal certificate: %w", err)
	}
	return out, nil
}

// sealParts are the objects of the seal's update that tests tamper with,
// before seal writes them, to make the files a forger holding the seal
// key could make; Read must refuse every one.
type sealParts struct {
	catalog, page, field, form *pdfDict
	appearance                 *pdfDict
	appearanceData             []byte
	// extra are objects written after the others.
	extra []sealObject
	alloc func() pdfRef
}

// sealObject is an object for the update, with its number.
type sealObject struct {
	ref   pdfRef
	value any
}

// add puts a new object into the update and returns its reference.
func (p *sealParts) add(v any) pdfRef {
	r := p.alloc()
	p.extra = append(p.extra, sealObject{r, v})
	return r
}

// seal is Seal; tamper, nil but in tests, edits the update's objects
// before they are written.
func seal(pdf []byte, o SealOptions, tamper func(*sealParts)) ([]byte, error) {
	if o.Sign == nil {
		return nil, errors.New("no SignFunc to make the CMS")
	}
	room := o.ContentsSize
	if room == 0 {
		room = DefaultContentsSize
	}
	if room < 0 || room > maxContentsSize {
		return nil, fmt.Errorf("ContentsSize %d is not between 1 and %d", o.ContentsSize, maxContentsSize)
	}
	if err := checkAttachments(o.Attachments); err != nil {
		return nil, err
	}
	f, err := parseFile(pdf)
	if err != nil {
		return nil, fmt.Errorf("the PDF to seal: %w", err)
	}
	if len(f.sections) != 1 {
		return nil, fmt.Errorf("the PDF has %d revisions; Seal takes a PDF straight from Render", len(f.sections))
	}
	sigs, err := f.readAll()
	if err != nil {
		return nil, fmt.Errorf("the PDF to seal: %w", err)
	}
	if len(sigs) > 0 {
		return nil, errors.New("the PDF already holds a signature; Seal takes a PDF straight from Render")
	}
	rootRef, ok := f.trailer.get("Root").(pdfRef)
	if !ok {
		return nil, errors.New("the PDF to seal: trailer /Root is not a reference")
	}
	catalog, err := f.dict(rootRef, "the catalog")
	if err != nil {
		return nil, err
	}
	if catalog.get("AcroForm") != nil || catalog.get("Names") != nil {
		return nil, errors.New("the PDF already has a form or embedded files; Seal takes a PDF straight from Render")
	}
	// What Read requires of the revision Seal extends must hold now, so
	// that Seal never makes a file Read refuses.
	base, err := checkRendered(f, f.revisions[0], f.object)
	if err != nil {
		return nil, fmt.Errorf("the PDF to seal: %w; Seal takes a PDF straight from Render", err)
	}
	if base.end != len(pdf) {
		return nil, fmt.Errorf("the PDF to seal has %d bytes after its %%%%EOF line; Seal takes a PDF straight from Render", len(pdf)-base.end)
	}
	if err := checkAllForbidden(f); err != nil {
		return nil, fmt.Errorf("the PDF to seal: %w", err)
	}
	// What Read will decode must decode now.
	budget := decodeBudget(len(pdf))
	pages, err := pageContents(f, catalog, &budget)
	if err != nil {
		return nil, fmt.Errorf("the PDF to seal: %w", err)
	}
	decoded := 0
	for _, p := range pages {
		decoded += len(p)
	}
	for _, a := range o.Attachments {
		decoded += len(a.Data)
	}
	pageRefs, err := pageList(f, catalog)
	if err != nil {
		return nil, err
	}
	page1, err := f.dict(pageRefs[0], "page 1")
	if err != nil {
		return nil, err
	}
	if page1.get("Annots") != nil {
		return nil, errors.New("page 1 already has annotations; Seal takes a PDF straight from Render")
	}
	size, _ := f.trailer.get("Size").(int64)

	// The PDF ends with an end of line (checkRendered), so the update
	// starts right after it and Read's Unsealed is the PDF as given.
	u := &update{base: len(pdf), offsets: map[int]int{}, zw: zlib.NewWriter(nil)}
	next := int(size)
	alloc := func() pdfRef { next++; return pdfRef{num: next - 1} }

	// The embedded files and their name tree, whose keys are sorted.
	var names pdfArray
	var specs pdfArray
	type keyed struct {
		key  pdfString
		spec pdfRef
	}
	var tree []keyed
	for _, a := range o.Attachments {
		fileRef, specRef := alloc(), alloc()
		if err := u.embeddedFile(fileRef.num, a, o.Time); err != nil {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		spec := &pdfDict{}
		spec.set("Type", pdfName("Filespec"))
		spec.set("F", pdfString{data: []byte(asciiFileName(a.Name))})
		spec.set("UF", textString(a.Name))
		if a.Description != "" {
			spec.set("Desc", textString(a.Description))
		}
		spec.set("AFRelationship", pdfName("Data"))
		ef := &pdfDict{}
		ef.set("F", fileRef)
		ef.set("UF", fileRef)
		spec.set("EF", ef)
		u.object(specRef.num, spec)
		specs = append(specs, specRef)
		tree = append(tree, keyed{textString(a.Name), specRef})
	}
	slices.SortFunc(tree, func(a, b keyed) int { return bytes.Compare(a.key.data, b.key.data) })
	for _, k := range tree {
		names = append(names, k.key, k.spec)
	}

	// The signature dictionary, with room for the ByteRange and the CMS.
	sigRef := alloc()
	u.begin(sigRef.num)
	u.w.WriteString("<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ")
	byteRangeAt := u.w.Len()
	u.w.WriteString(strings.Repeat(" ", byteRangeRoom))
	u.w.WriteString(" /Contents ")
	contentsAt := u.w.Len()
	u.w.WriteByte('<')
	u.w.WriteString(strings.Repeat("0", 2*room))
	u.w.WriteByte('>')
	contentsEnd := u.w.Len()
	for _, kv := range []struct {
		key pdfName
		val string
	}{{"Name", o.Name}, {"Reason", o.Reason}, {"Location", o.Location}, {"ContactInfo", o.ContactInfo}} {
		if kv.val != "" {
			u.w.WriteString(" ")
			u.w.name(kv.key)
			u.w.WriteByte(' ')
			u.w.value(textString(kv.val))
		}
	}
	if !o.Time.IsZero() {
		u.w.WriteString(" /M ")
		u.w.value(pdfString{data: []byte(pdfDate(o.Time))})
	}
	u.w.WriteString(">>")
	u.end()

	// The signature field and its widget, over the seal mark. The
	// appearance is empty: the seal printed on the page shows through,
	// and nothing the update holds is drawn (Read refuses anything else).
	fieldRef, apRef, formRef := alloc(), alloc(), alloc()
	rect := sealRect()
	ap := &pdfDict{}
	ap.set("Type", pdfName("XObject"))
	ap.set("Subtype", pdfName("Form"))
	ap.set("BBox", pdfArray{int64(0), int64(0), pdfReal(rect[2] - rect[0]), pdfReal(rect[3] - rect[1])})
	ap.set("Resources", &pdfDict{})
	field := &pdfDict{}
	field.set("Type", pdfName("Annot"))
	field.set("Subtype", pdfName("Widget"))
	field.set("FT", pdfName("Sig"))
	field.set("T", textString(signatureFieldName))
	field.set("V", sigRef)
	field.set("F", int64(132)) // Print and Locked
	field.set("P", pageRefs[0])
	field.set("Rect", pdfArray{pdfReal(rect[0]), pdfReal(rect[1]), pdfReal(rect[2]), pdfReal(rect[3])})
	apDict := &pdfDict{}
	apDict.set("N", apRef)
	field.set("AP", apDict)
	form := &pdfDict{}
	form.set("Fields", pdfArray{fieldRef})
	form.set("SigFlags", int64(3)) // SignaturesExist and AppendOnly

	// The catalog and page 1, rewritten to point at the new objects.
	newCatalog := &pdfDict{entries: slices.Clone(catalog.entries)}
	newCatalog.set("AcroForm", formRef)
	var nameTree *pdfDict
	var treeRef pdfRef
	if len(o.Attachments) > 0 {
		treeRef = alloc()
		nameTree = &pdfDict{}
		nameTree.set("Names", names)
		nd := &pdfDict{}
		nd.set("EmbeddedFiles", treeRef)
		newCatalog.set("Names", nd)
		newCatalog.set("AF", specs)
	}
	pageRef := pageRefs[0].(pdfRef)
	newPage := &pdfDict{entries: slices.Clone(page1.entries)}
	newPage.set("Annots", pdfArray{fieldRef})

	parts := &sealParts{catalog: newCatalog, page: newPage, field: field, form: form, appearance: ap, alloc: alloc}
	if tamper != nil {
		tamper(parts)
	}
	u.stream(apRef.num, parts.appearance, parts.appearanceData)
	u.object(fieldRef.num, parts.field)
	u.object(formRef.num, parts.form)
	if nameTree != nil {
		u.object(treeRef.num, nameTree)
	}
	u.object(rootRef.num, parts.catalog)
	u.object(pageRef.num, parts.page)
	for _, x := range parts.extra {
		if s, ok := x.value.(*pdfStream); ok {
			u.stream(x.ref.num, s.dict, s.data)
			continue
		}
		u.object(x.ref.num, x.value)
	}

	trailer := &pdfDict{}
	trailer.set("Size", int64(next))
	trailer.set("Root", rootRef)
	if info := f.trailer.get("Info"); info != nil {
		trailer.set("Info", info)
	}
	if id := f.trailer.get("ID"); id != nil {
		trailer.set("ID", id)
	}
	trailer.set("Prev", int64(f.sections[0]))
	u.finish(trailer)

	out := make([]byte, 0, len(pdf)+u.w.Len())
	out = append(out, pdf...)
	out = append(out, u.w.Bytes()...)
	if len(out) > MaxSize {
		return nil, fmt.Errorf("the sealed certificate would be %d bytes, more than the %d Read accepts: attach less", len(out), MaxSize)
	}
	if limit := decodeBudget(len(out)); int64(decoded) > limit {
		return nil, fmt.Errorf("the pages and attachments would decode to %d bytes, more than the %d Read allows a certificate of %d bytes: attach less, or data that compresses less", decoded, limit, len(out))
	}

	// Fill in the ByteRange, sign what it covers, fill in the CMS.
	cStart, cEnd := u.base+contentsAt, u.base+contentsEnd
	br := fmt.Sprintf("[0 %d %d %d]", cStart, cEnd, len(out)-cEnd)
	copy(out[u.base+byteRangeAt:], br)
	signed := make([]byte, 0, len(out)-(cEnd-cStart))
	signed = append(signed, out[:cStart]...)
	signed = append(signed, out[cEnd:]...)
	cms, err := o.Sign(signed)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if len(cms) == 0 {
		return nil, errors.New("sign: the SignFunc returned no CMS")
	}
	if len(cms) > room {
		return nil, fmt.Errorf("the CMS is %d bytes, more than the %d reserved: raise SealOptions.ContentsSize", len(cms), room)
	}
	hex.Encode(out[cStart+1:], cms)
	return out, nil
}

// byteRangeRoom is the width reserved for "[0 a b c]", padded with
// spaces: four numbers of up to ten digits.
const byteRangeRoom = 2 + 4*11

// update collects the objects of an incremental update.
type update struct {
	w       writer
	base    int         // length of the file before the update
	offsets map[int]int // object number to offset in the file
	// zw compresses the attachments; one writer serves them all, as
	// making one allocates most of a megabyte.
	zw *zlib.Writer
}

func (u *update) begin(num int) {
	u.offsets[num] = u.base + u.w.Len()
	fmt.Fprintf(&u.w, "%d 0 obj\n", num)
}

func (u *update) end() { u.w.WriteString("\nendobj\n") }

func (u *update) object(num int, v any) {
	u.begin(num)
	u.w.value(v)
	u.end()
}

func (u *update) stream(num int, d *pdfDict, data []byte) {
	d.set("Length", int64(len(data)))
	u.begin(num)
	u.w.value(d)
	u.w.WriteString("\nstream\n")
	u.w.Write(data)
	u.w.WriteString("\nendstream")
	u.end()
}

// embeddedFile writes an attachment's data as a compressed embedded file
// stream.
func (u *update) embeddedFile(num int, a Attachment, modified time.Time) error {
	var z bytes.Buffer
	u.zw.Reset(&z)
	if _, err := u.zw.Write(a.Data); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	if err := u.zw.Close(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	d := &pdfDict{}
	d.set("Type", pdfName("EmbeddedFile"))
	d.set("Subtype", pdfName(mediaType(a)))
	params := &pdfDict{}
	params.set("Size", int64(len(a.Data)))
	if !modified.IsZero() {
		params.set("ModDate", pdfString{data: []byte(pdfDate(modified))})
	}
	d.set("Params", params)
	d.set("Filter", pdfName("FlateDecode"))
	u.stream(num, d, z.Bytes())
	return nil
}

// finish writes the cross-reference section and trailer.
func (u *update) finish(trailer *pdfDict) {
	nums := make([]int, 0, len(u.offsets))
	for n := range u.offsets {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	xref := u.base + u.w.Len()
	u.w.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i + 1
		for j < len(nums) && nums[j] == nums[j-1]+1 {
			j++
		}
		fmt.Fprintf(&u.w, "%d %d\n", nums[i], j-i)
		for _, n := range nums[i:j] {
			fmt.Fprintf(&u.w, "%010d 00000 n\r\n", u.offsets[n])
		}
		i = j
	}
	u.w.WriteString("trailer\n")
	u.w.value(trailer)
	fmt.Fprintf(&u.w, "\nstartxref\n%d\n%%%%EOF\n", xref)
}

func mediaType(a Attachment) string {
	if a.MediaType == "" {
		return "application/octet-stream"
	}
	return a.MediaType
}

// checkAttachments refuses names a reader could not save safely, media
// types that are not type/subtype, and two files of one name.
func checkAttachments(as []Attachment) error {
	seen := map[string]bool{}
	total := 0
	for i, a := range as {
		switch {
		case a.Name == "" || a.Name == "." || a.Name == "..":
			return fmt.Errorf("attachment %d: %q is not a file name", i+1, a.Name)
		case !utf8.ValidString(a.Name):
			return fmt.Errorf("attachment %d: the name is not UTF-8", i+1)
		case strings.ContainsAny(a.Name, `/\`):
			return fmt.Errorf("attachment %q: a name must not hold a path", a.Name)
		case strings.IndexFunc(a.Name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
			return fmt.Errorf("attachment %q: control or format characters in the name", a.Name)
		case utf8.RuneCountInString(a.Name) > 255:
			return fmt.Errorf("attachment %q: the name is longer than 255 characters", a.Name)
		case seen[a.Name]:
			return fmt.Errorf("two attachments named %q", a.Name)
		case !utf8.ValidString(a.Description):
			return fmt.Errorf("attachment %q: the description is not UTF-8", a.Name)
		}
		if err := checkMediaType(mediaType(a)); err != nil {
			return fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		seen[a.Name] = true
		total += len(a.Data)
		if total > MaxSize {
			return fmt.Errorf("the attachments hold more than %d bytes, more than a certificate may", MaxSize)
		}
	}
	return nil
}

// checkMediaType accepts type/subtype made of the characters RFC 6838
// allows in names.
func checkMediaType(mt string) error {
	typ, sub, ok := strings.Cut(mt, "/")
	valid := func(s string) bool {
		if s == "" || len(s) > 63 {
			return false
		}
		for _, c := range []byte(s) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&-^_.+", c) >= 0) {
				return false
			}
		}
		return true
	}
	if !ok || !valid(typ) || !valid(sub) {
		return fmt.Errorf("media type %q is not type/subtype", mt)
	}
	return nil
}

// asciiFileName is the name for /F, which older readers take as bytes:
// non-ASCII characters become underscores; /UF holds the real name.
func asciiFileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < ' ' || r > '~' {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pageList returns the references to the pages, in order. The page tree
// must be flat, as Render writes it.
func pageList(f *pdfFile, catalog *pdfDict) ([]any, error) {
	if catalog.get("Type") != pdfName("Catalog") {
		return nil, errors.New("the root object is not a /Catalog")
	}
	pages, err := f.dict(catalog.get("Pages"), "the page tree")
	if err != nil {
		return nil, err
	}
	kids, err := f.array(pages.get("Kids"), "the page tree's /Kids")
	if err != nil {
		return nil, err
	}
	if len(kids) == 0 || len(kids) > maxPages {
		return nil, fmt.Errorf("the file has %d pages; a certificate has 1 to %d", len(kids), maxPages)
	}
	if n, ok := pages.get("Count").(int64); !ok || n != int64(len(kids)) {
		return nil, fmt.Errorf("the page tree's /Count %v is not its %d /Kids", pages.get("Count"), len(kids))
	}
	for i, k := range kids {
		if _, ok := k.(pdfRef); !ok {
			return nil, fmt.Errorf("page %d is not a reference", i+1)
		}
		d, err := f.dict(k, fmt.Sprintf("page %d", i+1))
		if err != nil {
			return nil, err
		}
		if d.get("Type") != pdfName("Page") {
			return nil, fmt.Errorf("page %d is not a /Page (nested page trees are not supported)", i+1)
		}
	}
	return kids, nil
}
