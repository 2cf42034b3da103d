package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxSize is the largest certificate Read accepts, in bytes.
const MaxSize = 16 << 20

// Sealed is what Read finds in a sealed certificate.
type Sealed struct {
	// ByteRange is the signature's /ByteRange: [0, start of /Contents,
	// end of /Contents, rest of the file].
	ByteRange [4]int64
	// Signed is the concatenated bytes the ByteRange covers: what the
	// CMS signs.
	Signed []byte
	// Unsealed is the certificate as it was before sealing: the bytes
	// before the seal's incremental update, which Read has checked holds
	// only what Seal writes (see Read). A verifier re-renders the proven
	// Document and requires bytes.Equal(rendered, Unsealed): that pins
	// every font, resource and content stream of every page, which
	// PageContents alone does not. It shares memory with Signed, of which
	// it is the start.
	Unsealed []byte
	// CMS is /Contents, decoded, with the trailing zero padding removed
	// according to its DER length.
	CMS []byte
	// SubFilter, Name, Reason and Location are from the signature
	// dictionary.
	SubFilter, Name, Reason, Location string
	// Time is /M, zero when absent.
	Time time.Time
	// Attachments are the embedded files, in file order; MediaType is
	// from each file's /Subtype.
	Attachments []Attachment
	// PageContents are the decoded content stream(s) of each page: a
	// weaker comparison with a re-render than Unsealed's, which says
	// which page differs.
	PageContents [][]byte
}

// Read parses a certificate PDF strictly: at most MaxSize bytes; exactly
// one signature; the ByteRange must start at 0, cover the whole file
// except exactly the /Contents hex string, and end at EOF (nothing
// appended after sealing). The file must be two revisions: one as Render
// leaves a certificate, and the incremental update that Seal appends,
// holding exactly the objects Seal writes and nothing that could change
// what a viewer shows: no annotation but the signature widget, which
// draws nothing, and no action, script or form to fill anywhere. Every
// malformed input returns an error naming what is wrong; it never panics,
// and the memory it takes stays within a few times the input's size (see
// valueBudget and decodeBudget).
//
// Read does not check the CMS: the caller verifies it over Signed with
// the suite's CMS code, and requires Unsealed to equal a re-render of the
// proven Document. Signed starts with Unsealed.
func Read(pdf []byte) (*Sealed, error) {
	s, err := read(pdf)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	return s, nil
}

func read(pdf []byte) (*Sealed, error) {
	f, err := parseFile(pdf)
	if err != nil {
		return nil, err
	}
	sigNums, err := f.readAll()
	if err != nil {
		return nil, err
	}
	if len(sigNums) != 1 {
		return nil, fmt.Errorf("the file holds %d signature dictionaries; a certificate has exactly one", len(sigNums))
	}

	rootRef, ok := f.trailer.get("Root").(pdfRef)
	if !ok {
		return nil, errors.New("trailer /Root is not a reference")
	}
	catalog, err := f.dict(rootRef, "the catalog")
	if err != nil {
		return nil, err
	}
	sigRef, err := signatureField(f, catalog)
	if err != nil {
		return nil, err
	}
	if sigRef.num != sigNums[0] {
		return nil, fmt.Errorf("the signature field's value is object %d, not the signature dictionary %d", sigRef.num, sigNums[0])
	}
	sig, err := f.dict(sigRef, "the signature dictionary")
	if err != nil {
		return nil, err
	}
	out := &Sealed{}
	if err := readSignature(f, sig, out); err != nil {
		return nil, err
	}
	end, err := checkSealed(f, sigNums[0])
	if err != nil {
		return nil, err
	}
	if int64(end) > out.ByteRange[1] {
		return nil, fmt.Errorf("the signature's /Contents at %d lies inside the rendered certificate, which ends at %d", out.ByteRange[1], end)
	}
	out.Unsealed = out.Signed[:end:end]
	budget := decodeBudget(len(pdf))
	if out.Attachments, err = attachments(f, catalog, &budget); err != nil {
		return nil, err
	}
	if out.PageContents, err = pageContents(f, catalog, &budget); err != nil {
		return nil, err
	}
	return out, nil
}

// signatureField finds the one signature field of the AcroForm and
// returns its value, the signature dictionary.
func signatureField(f *pdfFile, catalog *pdfDict) (pdfRef, error) {
	if catalog.get("AcroForm") == nil {
		return pdfRef{}, errors.New("the file has no form, so no signature field: it is not sealed")
	}
	form, err := f.dict(catalog.get("AcroForm"), "the AcroForm")
	if err != nil {
		return pdfRef{}, err
	}
	fields, err := f.array(form.get("Fields"), "the AcroForm's /Fields")
	if err != nil {
		return pdfRef{}, err
	}
	var sigs []pdfRef
	for i, fv := range fields {
		field, err := f.dict(fv, fmt.Sprintf("form field %d", i+1))
		if err != nil {
			return pdfRef{}, err
		}
		if field.get("FT") != pdfName("Sig") {
			continue
		}
		v, ok := field.get("V").(pdfRef)
		if !ok {
			return pdfRef{}, fmt.Errorf("signature field %d has no signature (/V)", i+1)
		}
		sigs = append(sigs, v)
	}
	if len(sigs) != 1 {
		return pdfRef{}, fmt.Errorf("the form has %d signature fields; a certificate has exactly one", len(sigs))
	}
	return sigs[0], nil
}

// readSignature checks the signature dictionary and its ByteRange, and
// fills in what it says.
func readSignature(f *pdfFile, sig *pdfDict, out *Sealed) error {
	if sig.get("Filter") != pdfName("Adobe.PPKLite") {
		return fmt.Errorf("signature /Filter %v is not /Adobe.PPKLite", sig.get("Filter"))
	}
	sub, ok := sig.get("SubFilter").(pdfName)
	if !ok || (sub != "ETSI.CAdES.detached" && sub != "adbe.pkcs7.detached") {
		return fmt.Errorf("signature /SubFilter %v is not a detached CMS", sig.get("SubFilter"))
	}
	out.SubFilter = string(sub)
	brArray, ok := sig.get("ByteRange").(pdfArray)
	if !ok || len(brArray) != 4 {
		return errors.New("signature /ByteRange is not an array of four integers")
	}
	for i, v := range brArray {
		n, ok := v.(int64)
		if !ok || n < 0 {
			return errors.New("signature /ByteRange is not an array of four non-negative integers")
		}
		out.ByteRange[i] = n
	}
	contents, ok := sig.get("Contents").(pdfString)
	if !ok || !contents.hex {
		return errors.New("signature /Contents is not a hex string")
	}
	br, size := out.ByteRange, int64(len(f.buf))
	switch {
	case br[0] != 0:
		return fmt.Errorf("the signature's ByteRange starts at %d, not at the start of the file", br[0])
	case br[1] != int64(contents.start) || br[2] != int64(contents.end):
		return fmt.Errorf("the signature's ByteRange leaves out bytes %d to %d, but /Contents is at %d to %d", br[1], br[2], contents.start, contents.end)
	case br[2]+br[3] < size:
		return fmt.Errorf("the signature covers %d bytes but the file has %d: something was appended after sealing", br[2]+br[3], size)
	case br[2]+br[3] != size:
		return fmt.Errorf("the signature's ByteRange runs to byte %d, past the end of the file at %d: the file is truncated", br[2]+br[3], size)
	}
	out.Signed = make([]byte, 0, br[1]+br[3])
	out.Signed = append(out.Signed, f.buf[:br[1]]...)
	out.Signed = append(out.Signed, f.buf[br[2]:]...)
	cms, err := trimDER(contents.data)
	if err != nil {
		return fmt.Errorf("signature /Contents: %w", err)
	}
	out.CMS = cms

	for _, field := range []struct {
		key pdfName
		dst *string
	}{{"Name", &out.Name}, {"Reason", &out.Reason}, {"Location", &out.Location}} {
		v := sig.get(field.key)
		if v == nil {
			continue
		}
		s, ok := v.(pdfString)
		if !ok {
			return fmt.Errorf("signature /%s is not a string", field.key)
		}
		if *field.dst, err = decodeText(s.data); err != nil {
			return fmt.Errorf("signature /%s: %w", field.key, err)
		}
	}
	if v := sig.get("M"); v != nil {
		s, ok := v.(pdfString)
		if !ok {
			return errors.New("signature /M is not a string")
		}
		if out.Time, err = parsePDFDate(string(s.data)); err != nil {
			return fmt.Errorf("signature /M: %w", err)
		}
	}
	return nil
}

// trimDER returns the DER value at the start of b and checks that only
// zero padding follows it.
func trimDER(b []byte) ([]byte, error) {
	if len(b) == 0 || bytes.Count(b, []byte{0}) == len(b) {
		return nil, errors.New("no CMS: the reserved room is empty")
	}
	if len(b) < 2 || b[0] != 0x30 {
		return nil, errors.New("the CMS is not a DER SEQUENCE")
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return nil, errors.New("the CMS has a malformed DER length")
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr += k
		if n < 128 || (k > 1 && n < 1<<(8*(k-1))) {
			return nil, errors.New("the CMS's DER length is not minimal")
		}
	}
	if hdr+n > len(b) {
		return nil, fmt.Errorf("the CMS says it is %d bytes but /Contents holds %d", hdr+n, len(b))
	}
	if bytes.Count(b[hdr+n:], []byte{0}) != len(b)-hdr-n {
		return nil, errors.New("bytes other than zero padding follow the CMS in /Contents")
	}
	return b[:hdr+n], nil
}

// attachments reads the EmbeddedFiles name tree, which must be a single
// leaf as Seal writes it, and decodes the files within budget.
func attachments(f *pdfFile, catalog *pdfDict, budget *int64) ([]Attachment, error) {
	if catalog.get("Names") == nil {
		return nil, nil
	}
	names, err := f.dict(catalog.get("Names"), "the catalog's /Names")
	if err != nil {
		return nil, err
	}
	if names.get("EmbeddedFiles") == nil {
		return nil, nil
	}
	tree, err := f.dict(names.get("EmbeddedFiles"), "the EmbeddedFiles name tree")
	if err != nil {
		return nil, err
	}
	if tree.get("Kids") != nil {
		return nil, errors.New("the EmbeddedFiles name tree has /Kids; only a single leaf is supported")
	}
	leaf, err := f.array(tree.get("Names"), "the EmbeddedFiles name tree's /Names")
	if err != nil {
		return nil, err
	}
	if len(leaf)%2 != 0 {
		return nil, errors.New("the EmbeddedFiles name tree's /Names has an odd number of elements")
	}
	type found struct {
		at int
		a  Attachment
	}
	var all []found
	seen := map[int]bool{}
	var prevKey []byte
	for i := 0; i < len(leaf); i += 2 {
		key, ok := leaf[i].(pdfString)
		if !ok {
			return nil, fmt.Errorf("embedded file %d: the key is not a string", i/2+1)
		}
		if i > 0 && bytes.Compare(prevKey, key.data) >= 0 {
			return nil, fmt.Errorf("embedded file %d: the name tree's keys are not in order", i/2+1)
		}
		prevKey = key.data
		ref, ok := leaf[i+1].(pdfRef)
		if !ok {
			return nil, fmt.Errorf("embedded file %d: the file specification is not a reference", i/2+1)
		}
		if seen[ref.num] {
			return nil, fmt.Errorf("embedded file %d: the file specification is listed twice", i/2+1)
		}
		seen[ref.num] = true
		a, err := attachment(f, ref, budget)
		if err != nil {
			return nil, fmt.Errorf("embedded file %d: %w", i/2+1, err)
		}
		all = append(all, found{at: f.find(ref.num).offset, a: a})
	}
	slices.SortFunc(all, func(x, y found) int { return x.at - y.at })
	out := make([]Attachment, len(all))
	for i, x := range all {
		out[i] = x.a
	}
	return out, nil
}

func attachment(f *pdfFile, ref pdfRef, budget *int64) (Attachment, error) {
	spec, err := f.dict(ref, "the file specification")
	if err != nil {
		return Attachment{}, err
	}
	if spec.get("Type") != pdfName("Filespec") {
		return Attachment{}, errors.New("the file specification is not a /Filespec")
	}
	var a Attachment
	nameVal := spec.get("UF")
	if nameVal == nil {
		nameVal = spec.get("F")
	}
	name, ok := nameVal.(pdfString)
	if !ok {
		return Attachment{}, errors.New("the file specification has no file name")
	}
	if a.Name, err = decodeText(name.data); err != nil {
		return Attachment{}, fmt.Errorf("file name: %w", err)
	}
	if v := spec.get("Desc"); v != nil {
		s, ok := v.(pdfString)
		if !ok {
			return Attachment{}, errors.New("/Desc is not a string")
		}
		if a.Description, err = decodeText(s.data); err != nil {
			return Attachment{}, fmt.Errorf("/Desc: %w", err)
		}
	}
	ef, err := f.dict(spec.get("EF"), "/EF")
	if err != nil {
		return Attachment{}, err
	}
	fileRef := ef.get("UF")
	if fileRef == nil {
		fileRef = ef.get("F")
	}
	stream, err := f.stream(fileRef, "the embedded file")
	if err != nil {
		return Attachment{}, err
	}
	if t := stream.dict.get("Type"); t != nil && t != pdfName("EmbeddedFile") {
		return Attachment{}, fmt.Errorf("the embedded file's /Type is %v", t)
	}
	if st, ok := stream.dict.get("Subtype").(pdfName); ok {
		a.MediaType = string(st)
	}
	if a.Data, err = decode(stream, budget); err != nil {
		return Attachment{}, fmt.Errorf("the embedded file's data: %w", err)
	}
	if pv := stream.dict.get("Params"); pv != nil {
		params, err := f.dict(pv, "the embedded file's /Params")
		if err != nil {
			return Attachment{}, err
		}
		if sz, ok := params.get("Size").(int64); ok && sz != int64(len(a.Data)) {
			return Attachment{}, fmt.Errorf("the embedded file's /Params /Size is %d but it holds %d bytes", sz, len(a.Data))
		}
	}
	return a, nil
}

// pageContent decodes and concatenates a page's content streams.
func pageContent(f *pdfFile, ref any, budget *int64) ([]byte, error) {
	page, err := f.dict(ref, "the page")
	if err != nil {
		return nil, err
	}
	var refs pdfArray
	switch c := page.get("Contents").(type) {
	case nil:
		return nil, nil
	case pdfRef:
		refs = pdfArray{c}
	case pdfArray:
		refs = c
	default:
		return nil, errors.New("/Contents is neither a stream nor an array of streams")
	}
	var out []byte
	for i, r := range refs {
		if _, ok := r.(pdfRef); !ok {
			return nil, fmt.Errorf("content stream %d is not a reference", i+1)
		}
		s, err := f.stream(r, fmt.Sprintf("content stream %d", i+1))
		if err != nil {
			return nil, err
		}
		data, err := decode(s, budget)
		if err != nil {
			return nil, fmt.Errorf("content stream %d: %w", i+1, err)
		}
		out = append(out, data...)
	}
	return out, nil
}

// PageContents returns the decoded content stream(s) of each page of a
// PDF from Render, sealed or not, so that a verifier can compare a
// re-render of the proven Document with Sealed.PageContents.
func PageContents(pdf []byte) ([][]byte, error) {
	f, err := parseFile(pdf)
	if err != nil {
		return nil, fmt.Errorf("page contents: %w", err)
	}
	rootRef, ok := f.trailer.get("Root").(pdfRef)
	if !ok {
		return nil, errors.New("page contents: trailer /Root is not a reference")
	}
	catalog, err := f.dict(rootRef, "the catalog")
	if err != nil {
		return nil, fmt.Errorf("page contents: %w", err)
	}
	budget := decodeBudget(len(pdf))
	pages, err := pageContents(f, catalog, &budget)
	if err != nil {
		return nil, fmt.Errorf("page contents: %w", err)
	}
	return pages, nil
}

// pageContents decodes the content of every page.
func pageContents(f *pdfFile, catalog *pdfDict, budget *int64) ([][]byte, error) {
	pages, err := pageList(f, catalog)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(pages))
	for i, ref := range pages {
		c, err := pageContent(f, ref, budget)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}
