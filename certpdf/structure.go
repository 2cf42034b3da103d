package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// What a sealed certificate may hold, beyond what parses.
//
// A sealed certificate has two revisions. The first is the PDF that Render
// made; a verifier re-renders the proven Document and compares it with
// Sealed.Unsealed byte for byte, which pins every font, resource and
// content stream. The second is the incremental update that Seal appends.
// The signature covers it, but no re-render reproduces it, because it
// holds the signature; so whoever holds the seal key could write any
// update and sign it, say a widget whose appearance paints other words
// over the page. What a viewer shows must not depend on the update, so
// Read accepts one only if it holds exactly the objects Seal writes:
//
//   - for each attachment, an embedded file stream (/Type /EmbeddedFile,
//     /Subtype, /Params of /Size and /ModDate, /Filter /FlateDecode) and
//     its file specification (/Type /Filespec, /F, /UF, /Desc,
//     /AFRelationship /Data, /EF);
//   - with attachments, the EmbeddedFiles name tree: one leaf;
//   - the signature dictionary (/Type /Sig);
//   - the signature field, which is also its widget annotation, and the
//     widget's appearance stream, which is empty: the widget lies over the
//     seal printed on page 1 and draws nothing, so it hides nothing;
//   - the AcroForm: /Fields holding that field alone, /SigFlags 3;
//   - the catalog, its entries unchanged plus /AcroForm and, with
//     attachments, /Names and /AF;
//   - page 1, its entries unchanged plus /Annots holding the widget alone;
//
// each once, laid end to end with nothing else between them. There is no
// other annotation, no action or script (see forbiddenKey), and the
// update rewrites no object of the first revision but the catalog and
// page 1. The first revision must look as Render leaves it: a catalog of
// /Type and /Pages, a flat page tree, pages without annotations, a trailer
// of /Size, /Root, /Info and /ID, ending with startxref and %%EOF.

// forbiddenKey reports keys that make a viewer do something besides show
// the page: run an action or a script, follow a link, fill in a form,
// redraw a field, or show a portfolio instead of the page. Neither Render
// nor Seal writes any of them, anywhere.
func forbiddenKey(k pdfName) bool {
	switch k {
	case "OpenAction", "AA", "A", "JS", "JavaScript", "URI", "Launch", "GoToR", "GoToE",
		"SubmitForm", "ImportData", "XFA", "NeedAppearances", "RichMedia", "Collection":
		return true
	}
	return false
}

// checkForbidden refuses a forbidden key anywhere in v.
func checkForbidden(v any, what string) error {
	switch v := v.(type) {
	case *pdfStream:
		return checkForbidden(v.dict, what)
	case *pdfDict:
		for _, e := range v.entries {
			if forbiddenKey(e.key) {
				return fmt.Errorf("%s has /%s: a certificate holds no actions, scripts, links or forms to fill", what, e.key)
			}
			if err := checkForbidden(e.val, what); err != nil {
				return err
			}
		}
	case pdfArray:
		for _, e := range v {
			if err := checkForbidden(e, what); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkAllForbidden runs checkForbidden over every object read.
func checkAllForbidden(f *pdfFile) error {
	for _, o := range f.objects {
		if o.parsed.value == nil {
			continue
		}
		if err := checkForbidden(o.parsed.value, fmt.Sprintf("object %d", o.num)); err != nil {
			return err
		}
	}
	return nil
}

// sameValue reports whether two parsed values are the same PDF value,
// wherever in the file they were written.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case pdfString:
		b, ok := b.(pdfString)
		return ok && bytes.Equal(a.data, b.data)
	case pdfArray:
		b, ok := b.(pdfArray)
		return ok && slices.EqualFunc(a, b, sameValue)
	case *pdfDict:
		b, ok := b.(*pdfDict)
		if !ok || len(a.entries) != len(b.entries) {
			return false
		}
		if len(b.entries) <= smallDict {
			for _, e := range a.entries {
				if !sameValue(e.val, b.get(e.key)) {
					return false
				}
			}
			return true
		}
		// Looking each key up in turn would take time in the square of
		// the dictionary's size.
		bv := make(map[pdfName]any, len(b.entries))
		for _, e := range b.entries {
			bv[e.key] = e.val
		}
		for _, e := range a.entries {
			if !sameValue(e.val, bv[e.key]) {
				return false
			}
		}
		return true
	case *pdfStream:
		return a == b
	case pdfName, int64, pdfReal, bool, pdfRef, pdfNull:
		return a == b
	}
	return false
}

// onlyKeys refuses a key of d that is not among allowed, and a missing
// key that is among required.
func onlyKeys(d *pdfDict, what string, required, optional []pdfName) error {
	for _, e := range d.entries {
		if !slices.Contains(required, e.key) && !slices.Contains(optional, e.key) {
			return fmt.Errorf("%s has /%s, which a certificate does not have", what, e.key)
		}
	}
	for _, k := range required {
		if d.get(k) == nil {
			return fmt.Errorf("%s has no /%s", what, k)
		}
	}
	return nil
}

// extends checks that d holds every entry of old unchanged and otherwise
// only keys among added, which old must not have had.
func extends(old, d *pdfDict, what string, added ...pdfName) error {
	for _, e := range old.entries {
		if slices.Contains(added, e.key) {
			return fmt.Errorf("%s of the rendered certificate already has /%s", what, e.key)
		}
		if !sameValue(e.val, d.get(e.key)) {
			return fmt.Errorf("%s's /%s differs from the rendered certificate's: the seal's update may only add to it", what, e.key)
		}
	}
	for _, e := range d.entries {
		if old.get(e.key) == nil && !slices.Contains(added, e.key) {
			return fmt.Errorf("%s has /%s, which Seal does not add", what, e.key)
		}
	}
	return nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, pdfReal:
		return true
	}
	return false
}

// isRect reports an array of four numbers.
func isRect(v any) bool {
	a, ok := v.(pdfArray)
	return ok && len(a) == 4 && isNumber(a[0]) && isNumber(a[1]) && isNumber(a[2]) && isNumber(a[3])
}

// revisionEnd checks that the trailer of rev is followed by startxref,
// the offset of rev's own cross-reference section, %%EOF and an end of
// line, and returns the offset just after them: where the revision ends.
func revisionEnd(buf []byte, rev revision) (int, error) {
	pos := rev.trailerEnd
	space := func() {
		for pos < len(buf) && isSpace(buf[pos]) {
			pos++
		}
	}
	bad := fmt.Errorf("the revision whose cross-reference section is at %d does not end with startxref %d and %%%%EOF after its trailer", rev.xref, rev.xref)
	space()
	if !bytes.HasPrefix(buf[pos:], []byte("startxref")) {
		return 0, bad
	}
	pos += len("startxref")
	space()
	digits := pos
	for pos < len(buf) && buf[pos] >= '0' && buf[pos] <= '9' && pos-digits < 10 {
		pos++
	}
	if n, _, ok := plainInteger(buf[digits:pos]); !ok || n != int64(rev.xref) {
		return 0, bad
	}
	space2 := pos
	for pos < len(buf) && (buf[pos] == ' ' || buf[pos] == '\r' || buf[pos] == '\n') {
		pos++
	}
	if pos == space2 || !bytes.HasPrefix(buf[pos:], []byte("%%EOF")) {
		return 0, bad
	}
	pos += len("%%EOF")
	switch {
	case bytes.HasPrefix(buf[pos:], []byte("\r\n")):
		return pos + 2, nil
	case bytes.HasPrefix(buf[pos:], []byte("\n")):
		return pos + 1, nil
	}
	return 0, fmt.Errorf("no end of line after the %%%%EOF of the revision whose cross-reference section is at %d", rev.xref)
}

// rendered is the first revision of a file as Render leaves it.
type rendered struct {
	end     int    // offset just after its %%EOF line
	size    int    // its trailer's /Size
	root    pdfRef // its catalog
	catalog *pdfDict
	pages   []pdfRef
	page1   *pdfDict // page 1 as the revision has it
}

// checkRendered checks the first revision, rev, of f. old returns an
// object as that revision has it.
func checkRendered(f *pdfFile, rev revision, old func(num int) (any, error)) (*rendered, error) {
	r := &rendered{}
	var err error
	if r.end, err = revisionEnd(f.buf, rev); err != nil {
		return nil, err
	}
	t := rev.trailer
	if err := onlyKeys(t, "the rendered certificate's trailer", []pdfName{"Size", "Root"}, []pdfName{"Info", "ID"}); err != nil {
		return nil, err
	}
	size, ok := t.get("Size").(int64)
	if !ok || size <= 0 || size > maxObjects {
		return nil, fmt.Errorf("the rendered certificate's trailer /Size %v is not a count of objects", t.get("Size"))
	}
	r.size = int(size)
	for _, e := range rev.entries {
		num := e.num
		if num >= r.size {
			return nil, fmt.Errorf("the rendered certificate lists object %d but its trailer /Size is %d", num, r.size)
		}
		if e.inUse && e.offset >= r.end {
			return nil, fmt.Errorf("object %d of the rendered certificate lies after its %%%%EOF", num)
		}
	}
	if r.root, ok = t.get("Root").(pdfRef); !ok {
		return nil, errors.New("the rendered certificate's trailer /Root is not a reference")
	}
	oldDict := func(num int, what string) (*pdfDict, error) {
		v, err := old(num)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		d, ok := v.(*pdfDict)
		if !ok {
			return nil, fmt.Errorf("%s is not a dictionary", what)
		}
		return d, nil
	}
	if r.catalog, err = oldDict(r.root.num, "the rendered certificate's catalog"); err != nil {
		return nil, err
	}
	if err := onlyKeys(r.catalog, "the rendered certificate's catalog", []pdfName{"Type", "Pages"}, nil); err != nil {
		return nil, err
	}
	kids, err := pageList(f, r.catalog)
	if err != nil {
		return nil, err
	}
	tree, err := f.dict(r.catalog.get("Pages"), "the page tree")
	if err != nil {
		return nil, err
	}
	if err := onlyKeys(tree, "the page tree", []pdfName{"Type", "Kids", "Count"}, []pdfName{"MediaBox"}); err != nil {
		return nil, err
	}
	for i, k := range kids {
		ref := k.(pdfRef) // pageList checked
		what := fmt.Sprintf("page %d of the rendered certificate", i+1)
		if slices.Contains(r.pages, ref) {
			return nil, fmt.Errorf("%s is listed twice in the page tree", what)
		}
		page, err := oldDict(ref.num, what)
		if err != nil {
			return nil, err
		}
		if err := onlyKeys(page, what, []pdfName{"Type", "Parent", "Contents"}, []pdfName{"Resources", "MediaBox"}); err != nil {
			return nil, err
		}
		if !sameValue(page.get("Parent"), r.catalog.get("Pages")) {
			return nil, fmt.Errorf("%s has a /Parent other than the page tree", what)
		}
		if i == 0 {
			r.page1 = page
		}
		r.pages = append(r.pages, ref)
	}
	return r, nil
}

// sealUpdate checks the seal's update of a file whose first revision is
// base.
type sealUpdate struct {
	f       *pdfFile
	base    *rendered
	rev     revision     // the update's cross-reference section
	claimed map[int]bool // objects of the update accounted for
}

// checkSealed checks that f is a rendered certificate and the update Seal
// appends to it, nothing more, with signature dictionary sigNum, and
// returns the length of the rendered certificate.
func checkSealed(f *pdfFile, sigNum int) (int, error) {
	if len(f.revisions) != 2 {
		return 0, fmt.Errorf("the file has %d revisions; a sealed certificate has two, the certificate as rendered and the seal's update", len(f.revisions))
	}
	u := &sealUpdate{f: f, rev: f.revisions[0], claimed: map[int]bool{}}
	baseRev := f.revisions[1]
	// What the first revision had under a number the update rewrote.
	old := func(num int) (any, error) {
		if _, rewritten := u.rev.entry(num); !rewritten {
			return f.object(num)
		}
		e, ok := baseRev.entry(num)
		if !ok {
			return nil, fmt.Errorf("object %d is not in the rendered certificate", num)
		}
		o, err := f.objectAt(num, e)
		if err != nil {
			return nil, err
		}
		if err := checkForbidden(o.value, fmt.Sprintf("object %d", num)); err != nil {
			return nil, err
		}
		return o.value, nil
	}
	var err error
	if u.base, err = checkRendered(f, baseRev, old); err != nil {
		return 0, err
	}
	if err := checkAllForbidden(f); err != nil {
		return 0, err
	}
	if err := u.checkLayout(); err != nil {
		return 0, err
	}
	if err := u.checkObjects(sigNum); err != nil {
		return 0, err
	}
	return u.base.end, nil
}

// added reports whether num is an object the update adds (rather than
// one of the rendered certificate's that it rewrites).
func (u *sealUpdate) added(num int) bool {
	_, ok := u.rev.entry(num)
	return ok && num >= u.base.size
}

// checkLayout checks the update's trailer and cross-reference section,
// and that its objects lie end to end between the rendered certificate
// and the section, with only white space between them.
func (u *sealUpdate) checkLayout() error {
	end, err := revisionEnd(u.f.buf, u.rev)
	if err != nil {
		return fmt.Errorf("the seal's update does not end with its trailer, startxref and %%%%EOF: %w", err)
	}
	if end != len(u.f.buf) {
		return fmt.Errorf("%d bytes follow the seal's update", len(u.f.buf)-end)
	}
	t := u.rev.trailer
	if err := onlyKeys(t, "the seal's trailer", []pdfName{"Size", "Root", "Prev"}, []pdfName{"Info", "ID"}); err != nil {
		return err
	}
	baseTrailer := u.f.revisions[1].trailer
	for _, k := range []pdfName{"Root", "Info", "ID"} {
		if b, v := baseTrailer.get(k), t.get(k); (b == nil) != (v == nil) || (b != nil && !sameValue(b, v)) {
			return fmt.Errorf("the seal's trailer has a different /%s than the rendered certificate's", k)
		}
	}
	if prev, _ := t.get("Prev").(int64); prev != int64(u.f.revisions[1].xref) {
		return fmt.Errorf("the seal's trailer /Prev %v is not the rendered certificate's cross-reference section", t.get("Prev"))
	}
	size, _ := t.get("Size").(int64)
	type placed struct{ num, offset int }
	var objects []placed
	added := 0
	for _, e := range u.rev.entries {
		num := e.num
		if !e.inUse || e.gen != 0 {
			return fmt.Errorf("the seal's cross-reference section lists object %d as free or of generation %d; Seal writes new objects of generation 0", num, e.gen)
		}
		if e.offset < u.base.end || e.offset >= u.rev.xref {
			return fmt.Errorf("the seal's cross-reference section puts object %d at %d, outside the update (%d to %d)", num, e.offset, u.base.end, u.rev.xref)
		}
		if num >= u.base.size {
			added++
		} else if num != u.base.root.num && num != u.base.pages[0].num {
			return fmt.Errorf("the seal's update rewrites object %d of the rendered certificate; Seal rewrites only the catalog and page 1", num)
		}
		objects = append(objects, placed{num, e.offset})
	}
	if int64(u.base.size+added) != size {
		return fmt.Errorf("the seal's update adds %d objects from number %d, but its trailer /Size is %d", added, u.base.size, size)
	}
	slices.SortFunc(objects, func(a, b placed) int { return a.offset - b.offset })
	at := u.base.end
	for _, o := range append(objects, placed{-1, u.rev.xref}) {
		if o.offset < at {
			return fmt.Errorf("object %d of the seal's update starts at %d, inside the object before it", o.num, o.offset)
		}
		if gap := u.f.buf[at:o.offset]; len(bytes.TrimLeft(gap, "\x00\t\n\f\r ")) != 0 {
			return fmt.Errorf("bytes %d to %d of the seal's update are not an object its cross-reference section lists", at, o.offset)
		}
		if o.num >= 0 {
			at = u.f.find(o.num).parsed.end // readAll read them all
		}
	}
	return nil
}

// claim takes v as a reference to an object the update adds, which no
// other part of the update has used.
func (u *sealUpdate) claim(v any, what string) (pdfRef, error) {
	r, ok := v.(pdfRef)
	if !ok {
		return pdfRef{}, fmt.Errorf("%s is not a reference to an object", what)
	}
	if !u.added(r.num) || r.gen != 0 {
		return pdfRef{}, fmt.Errorf("%s is object %d, which the seal's update does not add", what, r.num)
	}
	if u.claimed[r.num] {
		return pdfRef{}, fmt.Errorf("%s is object %d, which the seal's update uses for something else too", what, r.num)
	}
	u.claimed[r.num] = true
	return r, nil
}

// claimDict claims v and requires a dictionary.
func (u *sealUpdate) claimDict(v any, what string) (*pdfDict, error) {
	r, err := u.claim(v, what)
	if err != nil {
		return nil, err
	}
	return u.f.dict(r, what)
}

// claimStream claims v and requires a stream.
func (u *sealUpdate) claimStream(v any, what string) (*pdfStream, error) {
	r, err := u.claim(v, what)
	if err != nil {
		return nil, err
	}
	return u.f.stream(r, what)
}

// checkObjects follows the update from the catalog and accounts for each
// of its objects.
func (u *sealUpdate) checkObjects(sigNum int) error {
	f := u.f
	catalog, err := f.dict(u.base.root, "the catalog")
	if err != nil {
		return err
	}
	if err := extends(u.base.catalog, catalog, "the catalog", "AcroForm", "Names", "AF"); err != nil {
		return err
	}
	page1, err := f.dict(u.base.pages[0], "page 1")
	if err != nil {
		return err
	}
	if err := extends(u.base.page1, page1, "page 1", "Annots"); err != nil {
		return err
	}
	for _, r := range []pdfRef{u.base.root, u.base.pages[0]} {
		if _, rewritten := u.rev.entry(r.num); !rewritten {
			return fmt.Errorf("the seal's update does not rewrite object %d (the catalog and page 1 are rewritten to point at the signature)", r.num)
		}
		u.claimed[r.num] = true
	}
	annots, ok := page1.get("Annots").(pdfArray)
	if !ok || len(annots) != 1 {
		return errors.New("page 1's /Annots is not an array of one annotation, the seal's widget")
	}

	form, err := u.claimDict(catalog.get("AcroForm"), "the AcroForm")
	if err != nil {
		return err
	}
	if err := onlyKeys(form, "the AcroForm", []pdfName{"Fields", "SigFlags"}, nil); err != nil {
		return err
	}
	if flags, _ := form.get("SigFlags").(int64); flags != 3 {
		return fmt.Errorf("the AcroForm's /SigFlags is %v, not 3", form.get("SigFlags"))
	}
	fields, ok := form.get("Fields").(pdfArray)
	if !ok || len(fields) != 1 || !sameValue(fields[0], annots[0]) {
		return errors.New("the AcroForm's /Fields is not the one widget on page 1")
	}
	if err := u.checkWidget(annots[0], sigNum); err != nil {
		return err
	}
	if err := u.checkEmbeddedFiles(catalog); err != nil {
		return err
	}
	for _, e := range u.rev.entries {
		if !u.claimed[e.num] {
			return fmt.Errorf("the seal's update holds object %d, which Seal does not write", e.num)
		}
	}
	return nil
}

// checkWidget checks the signature field and widget, its empty
// appearance and the signature dictionary it points at.
func (u *sealUpdate) checkWidget(ref any, sigNum int) error {
	const what = "the signature widget"
	field, err := u.claimDict(ref, what)
	if err != nil {
		return err
	}
	if err := onlyKeys(field, what, []pdfName{"Type", "Subtype", "FT", "T", "V", "F", "P", "Rect", "AP"}, nil); err != nil {
		return err
	}
	if field.get("Type") != pdfName("Annot") || field.get("Subtype") != pdfName("Widget") || field.get("FT") != pdfName("Sig") {
		return fmt.Errorf("%s is not a /Widget annotation of a /Sig field", what)
	}
	if _, ok := field.get("T").(pdfString); !ok {
		return fmt.Errorf("%s's /T is not a string", what)
	}
	if flags, _ := field.get("F").(int64); flags != 132 {
		return fmt.Errorf("%s's flags /F are %v, not 132 (print, locked)", what, field.get("F"))
	}
	if !sameValue(field.get("P"), u.base.pages[0]) {
		return fmt.Errorf("%s's /P is not page 1", what)
	}
	if !isRect(field.get("Rect")) {
		return fmt.Errorf("%s's /Rect is not four numbers", what)
	}
	ap, ok := field.get("AP").(*pdfDict)
	if !ok {
		return fmt.Errorf("%s's appearance /AP is not a dictionary", what)
	}
	if err := onlyKeys(ap, "the signature widget's appearance /AP", []pdfName{"N"}, nil); err != nil {
		return err
	}
	appearance, err := u.claimStream(ap.get("N"), "the signature widget's appearance")
	if err != nil {
		return err
	}
	if len(appearance.data) != 0 {
		return fmt.Errorf("the signature widget's appearance draws %d bytes of content; Seal's draws nothing, so that the widget hides nothing printed on the page", len(appearance.data))
	}
	if err := onlyKeys(appearance.dict, "the signature widget's appearance", []pdfName{"Type", "Subtype", "BBox", "Resources", "Length"}, nil); err != nil {
		return err
	}
	res, ok := appearance.dict.get("Resources").(*pdfDict)
	if appearance.dict.get("Type") != pdfName("XObject") || appearance.dict.get("Subtype") != pdfName("Form") ||
		!isRect(appearance.dict.get("BBox")) || !ok || len(res.entries) != 0 {
		return errors.New("the signature widget's appearance is not an empty form XObject without resources")
	}

	sigRef, err := u.claim(field.get("V"), "the signature field's value")
	if err != nil {
		return err
	}
	if sigRef.num != sigNum {
		return fmt.Errorf("the signature field's value is object %d, not the signature dictionary %d", sigRef.num, sigNum)
	}
	sig, err := u.f.dict(sigRef, "the signature dictionary")
	if err != nil {
		return err
	}
	if err := onlyKeys(sig, "the signature dictionary", []pdfName{"Type", "Filter", "SubFilter", "ByteRange", "Contents"},
		[]pdfName{"Name", "Reason", "Location", "ContactInfo", "M"}); err != nil {
		return err
	}
	if v := sig.get("ContactInfo"); v != nil {
		if _, ok := v.(pdfString); !ok {
			return errors.New("the signature's /ContactInfo is not a string")
		}
	}
	return nil
}

// checkEmbeddedFiles checks the catalog's /Names and /AF, the name tree,
// and each attachment's file specification and stream.
func (u *sealUpdate) checkEmbeddedFiles(catalog *pdfDict) error {
	names, af := catalog.get("Names"), catalog.get("AF")
	if names == nil && af == nil {
		return nil
	}
	nd, ok := names.(*pdfDict)
	if !ok {
		return errors.New("the catalog's /Names is not a dictionary")
	}
	if err := onlyKeys(nd, "the catalog's /Names", []pdfName{"EmbeddedFiles"}, nil); err != nil {
		return err
	}
	tree, err := u.claimDict(nd.get("EmbeddedFiles"), "the EmbeddedFiles name tree")
	if err != nil {
		return err
	}
	if err := onlyKeys(tree, "the EmbeddedFiles name tree", []pdfName{"Names"}, nil); err != nil {
		return err
	}
	leaf, ok := tree.get("Names").(pdfArray)
	if !ok || len(leaf) == 0 || len(leaf)%2 != 0 {
		return errors.New("the EmbeddedFiles name tree's /Names is not pairs of names and files")
	}
	specs := map[pdfRef]bool{}
	for i := 0; i < len(leaf); i += 2 {
		what := fmt.Sprintf("embedded file %d", i/2+1)
		if _, ok := leaf[i].(pdfString); !ok {
			return fmt.Errorf("%s: the key is not a string", what)
		}
		ref, err := u.claim(leaf[i+1], what+"'s file specification")
		if err != nil {
			return err
		}
		specs[ref] = true
		spec, err := u.f.dict(ref, what+"'s file specification")
		if err != nil {
			return err
		}
		if err := onlyKeys(spec, what+"'s file specification", []pdfName{"Type", "F", "UF", "AFRelationship", "EF"}, []pdfName{"Desc"}); err != nil {
			return err
		}
		if spec.get("AFRelationship") != pdfName("Data") {
			return fmt.Errorf("%s's /AFRelationship is not /Data", what)
		}
		ef, ok := spec.get("EF").(*pdfDict)
		if !ok {
			return fmt.Errorf("%s's /EF is not a dictionary", what)
		}
		if err := onlyKeys(ef, what+"'s /EF", []pdfName{"F", "UF"}, nil); err != nil {
			return err
		}
		if !sameValue(ef.get("F"), ef.get("UF")) {
			return fmt.Errorf("%s's /EF names two different streams", what)
		}
		stream, err := u.claimStream(ef.get("F"), what+"'s stream")
		if err != nil {
			return err
		}
		if err := onlyKeys(stream.dict, what+"'s stream", []pdfName{"Type", "Subtype", "Params", "Filter", "Length"}, nil); err != nil {
			return err
		}
		if stream.dict.get("Filter") != pdfName("FlateDecode") {
			return fmt.Errorf("%s's stream is not /FlateDecode", what)
		}
		params, ok := stream.dict.get("Params").(*pdfDict)
		if !ok {
			return fmt.Errorf("%s's /Params is not a dictionary", what)
		}
		if err := onlyKeys(params, what+"'s /Params", []pdfName{"Size"}, []pdfName{"ModDate"}); err != nil {
			return err
		}
	}
	afs, ok := af.(pdfArray)
	if !ok || len(afs) != len(specs) {
		return fmt.Errorf("the catalog's /AF does not list the %d embedded files", len(specs))
	}
	listed := map[pdfRef]bool{}
	for _, v := range afs {
		r, ok := v.(pdfRef)
		if !ok || !specs[r] {
			return fmt.Errorf("the catalog's /AF lists %v, which is not an embedded file", v)
		}
		if listed[r] {
			return fmt.Errorf("the catalog's /AF lists object %d twice", r.num)
		}
		listed[r] = true
	}
	return nil
}
