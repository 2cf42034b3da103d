package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// This file reads the PDF syntax that Render and Seal write, and nothing
// more: direct objects, indirect objects "N G obj … endobj", streams with
// a direct /Length. It is strict and bounded, because Read takes files
// from outside: every error says what is wrong and where, nesting is
// limited, and no value can make it allocate more than the input's size
// over again.

// The PDF object model, as far as certificates use it.
type (
	pdfName string
	// pdfString records where it was in the file, so that Read can check
	// that the signature's ByteRange leaves out exactly /Contents.
	pdfString struct {
		data       []byte
		hex        bool
		start, end int // [start, end) in the file, delimiters included
	}
	pdfRef   struct{ num, gen int }
	pdfArray []any
	pdfDict  struct{ entries []dictEntry }
	pdfReal  float64
	pdfNull  struct{}
	// pdfStream is a stream object: its dictionary and undecoded data.
	pdfStream struct {
		dict *pdfDict
		data []byte
	}
)

type dictEntry struct {
	key pdfName
	val any
}

// get returns the value of key, nil if absent.
func (d *pdfDict) get(key pdfName) any {
	if d == nil {
		return nil
	}
	for _, e := range d.entries {
		if e.key == key {
			return e.val
		}
	}
	return nil
}

// set replaces or appends key.
func (d *pdfDict) set(key pdfName, val any) {
	for i, e := range d.entries {
		if e.key == key {
			d.entries[i].val = val
			return
		}
	}
	d.entries = append(d.entries, dictEntry{key, val})
}

// Limits of the reader.
const (
	maxDepth       = 16      // nesting of arrays and dictionaries
	maxNameLength  = 127     // ISO 32000-1 Annex C
	maxContainer   = 1 << 16 // elements of one array or dictionary
	maxRevisions   = 8       // xref sections chained by /Prev
	maxObjects     = 1 << 16 // objects in a file
	maxDecodedSize = 4 * MaxSize
)

// syntaxError is a malformed file.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

// parser reads values from buf starting at pos.
type parser struct {
	buf []byte
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return &syntaxError{off: p.pos, msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelimiter(c) }

// skipSpace skips white space and comments.
func (p *parser) skipSpace() {
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		switch {
		case isSpace(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.buf) && p.buf[p.pos] != '\n' && p.buf[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

// keyword reads a run of regular characters.
func (p *parser) keyword() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) && p.pos-start < 32 {
		p.pos++
	}
	return string(p.buf[start:p.pos])
}

// expect reads keyword want.
func (p *parser) expect(want string) error {
	at := p.pos
	if got := p.keyword(); got != want {
		p.pos = at
		if got == "" && p.pos >= len(p.buf) {
			return p.errorf("the file ends where %q should be", want)
		}
		return p.errorf("%q where %q should be", got, want)
	}
	return nil
}

// integer reads a non-negative decimal integer of at most 10 digits,
// which covers every offset and object number of a file under MaxSize.
func (p *parser) integer() (int, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.buf) && p.buf[p.pos] >= '0' && p.buf[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, p.errorf("a number should be here")
	}
	if p.pos-start > 10 {
		return 0, p.errorf("number too long")
	}
	if p.pos < len(p.buf) && isRegular(p.buf[p.pos]) {
		return 0, p.errorf("malformed number")
	}
	n, err := strconv.Atoi(string(p.buf[start:p.pos]))
	if err != nil {
		return 0, p.errorf("malformed number: %v", err)
	}
	return n, nil
}

// value reads one direct value, or a reference "N G R".
func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("arrays and dictionaries nested more than %d deep", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.buf) {
		return nil, p.errorf("the file ends where a value should be")
	}
	switch c := p.buf[p.pos]; {
	case c == '/':
		return p.name()
	case c == '(':
		return p.literal()
	case c == '<' && p.pos+1 < len(p.buf) && p.buf[p.pos+1] == '<':
		return p.dict(depth)
	case c == '<':
		return p.hexString()
	case c == '[':
		return p.array(depth)
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case isRegular(c):
		start := p.pos
		switch kw := p.keyword(); kw {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return pdfNull{}, nil
		default:
			p.pos = start
			return nil, p.errorf("unexpected keyword %q", kw)
		}
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

// number reads an integer, a real, or a reference "N G R".
func (p *parser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) && p.pos-start <= 32 {
		p.pos++
	}
	tok := string(p.buf[start:p.pos])
	if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
		// A reference is two unsigned integers and R.
		if tok[0] != '+' && tok[0] != '-' && n <= maxObjects*16 {
			save := p.pos
			if gen, err := p.integer(); err == nil {
				p.skipSpace()
				if p.pos < len(p.buf) && p.buf[p.pos] == 'R' && (p.pos+1 == len(p.buf) || !isRegular(p.buf[p.pos+1])) {
					p.pos++
					return pdfRef{num: int(n), gen: gen}, nil
				}
			}
			p.pos = save
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil || bytes.ContainsAny([]byte(tok), "eEnNiIxXpP_") {
		p.pos = start
		return nil, p.errorf("malformed number %q", tok)
	}
	return pdfReal(f), nil
}

func (p *parser) name() (pdfName, error) {
	p.pos++ // '/'
	var out []byte
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) {
		c := p.buf[p.pos]
		if c == '#' {
			if p.pos+2 >= len(p.buf) {
				return "", p.errorf("truncated #xx escape in a name")
			}
			v, err := strconv.ParseUint(string(p.buf[p.pos+1:p.pos+3]), 16, 8)
			if err != nil || v == 0 {
				return "", p.errorf("malformed #xx escape in a name")
			}
			out = append(out, byte(v))
			p.pos += 3
		} else {
			out = append(out, c)
			p.pos++
		}
		if len(out) > maxNameLength {
			return "", p.errorf("name longer than %d bytes", maxNameLength)
		}
	}
	return pdfName(out), nil
}

func (p *parser) literal() (pdfString, error) {
	start := p.pos
	p.pos++ // '('
	var out []byte
	level := 1
	for {
		if p.pos >= len(p.buf) {
			p.pos = start
			return pdfString{}, p.errorf("unterminated string")
		}
		c := p.buf[p.pos]
		p.pos++
		switch c {
		case '(':
			level++
		case ')':
			level--
			if level == 0 {
				return pdfString{data: out, start: start, end: p.pos}, nil
			}
		case '\r':
			// An end of line in a string reads as \n.
			if p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
				p.pos++
			}
			c = '\n'
		case '\\':
			if p.pos >= len(p.buf) {
				continue
			}
			e := p.buf[p.pos]
			p.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '(', ')', '\\':
				c = e
			case '\r', '\n':
				if e == '\r' && p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
					p.pos++
				}
				continue
			default:
				if e < '0' || e > '7' {
					c = e // an unknown escape stands for the character
					break
				}
				v := int(e - '0')
				for i := 0; i < 2 && p.pos < len(p.buf) && p.buf[p.pos] >= '0' && p.buf[p.pos] <= '7'; i++ {
					v = v*8 + int(p.buf[p.pos]-'0')
					p.pos++
				}
				c = byte(v)
			}
		}
		out = append(out, c)
	}
}

func (p *parser) hexString() (pdfString, error) {
	start := p.pos
	p.pos++ // '<'
	out := make([]byte, 0, 64)
	var hi byte
	odd := false
	for {
		if p.pos >= len(p.buf) {
			p.pos = start
			return pdfString{}, p.errorf("unterminated hex string")
		}
		c := p.buf[p.pos]
		p.pos++
		if c == '>' {
			break
		}
		if isSpace(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			p.pos--
			return pdfString{}, p.errorf("%q in a hex string", c)
		}
		if odd {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		odd = !odd
	}
	if odd {
		out = append(out, hi<<4)
	}
	return pdfString{data: out, hex: true, start: start, end: p.pos}, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (p *parser) array(depth int) (pdfArray, error) {
	p.pos++ // '['
	out := pdfArray{}
	for {
		p.skipSpace()
		if p.pos >= len(p.buf) {
			return nil, p.errorf("unterminated array")
		}
		if p.buf[p.pos] == ']' {
			p.pos++
			return out, nil
		}
		if len(out) >= maxContainer {
			return nil, p.errorf("array of more than %d elements", maxContainer)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

func (p *parser) dict(depth int) (*pdfDict, error) {
	p.pos += 2 // '<<'
	d := &pdfDict{}
	for {
		p.skipSpace()
		if p.pos+1 < len(p.buf) && p.buf[p.pos] == '>' && p.buf[p.pos+1] == '>' {
			p.pos += 2
			return d, nil
		}
		if p.pos >= len(p.buf) {
			return nil, p.errorf("unterminated dictionary")
		}
		if p.buf[p.pos] != '/' {
			return nil, p.errorf("a dictionary key must be a name")
		}
		if len(d.entries) >= maxContainer {
			return nil, p.errorf("dictionary of more than %d entries", maxContainer)
		}
		at := p.pos
		k, err := p.name()
		if err != nil {
			return nil, err
		}
		if d.get(k) != nil {
			p.pos = at
			return nil, p.errorf("key /%s twice in one dictionary", k)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, null := v.(pdfNull); null {
			continue // a null value is the same as no entry
		}
		d.entries = append(d.entries, dictEntry{k, v})
	}
}

// indirect reads the object "num gen obj … endobj" at the parser's
// position.
func (p *parser) indirect(num, gen int) (any, error) {
	n, err := p.integer()
	if err != nil {
		return nil, err
	}
	g, err := p.integer()
	if err != nil {
		return nil, err
	}
	if n != num || g != gen {
		return nil, p.errorf("object %d %d where the cross-reference table puts object %d %d", n, g, num, gen)
	}
	if err := p.expect("obj"); err != nil {
		return nil, err
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	at := p.pos
	switch kw := p.keyword(); kw {
	case "endobj":
		return v, nil
	case "stream":
		d, ok := v.(*pdfDict)
		if !ok {
			return nil, p.errorf("a stream without a dictionary")
		}
		s, err := p.streamData(d)
		if err != nil {
			return nil, err
		}
		if err := p.expect("endobj"); err != nil {
			return nil, err
		}
		return s, nil
	default:
		p.pos = at
		return nil, p.errorf("%q where endobj should be", kw)
	}
}

// streamData reads the data after the keyword stream: an end of line,
// exactly /Length bytes, an optional end of line and endstream.
func (p *parser) streamData(d *pdfDict) (*pdfStream, error) {
	switch {
	case bytes.HasPrefix(p.buf[p.pos:], []byte("\r\n")):
		p.pos += 2
	case bytes.HasPrefix(p.buf[p.pos:], []byte("\n")):
		p.pos++
	default:
		return nil, p.errorf("the keyword stream must end its line")
	}
	length, ok := d.get("Length").(int64)
	if !ok {
		return nil, p.errorf("a stream's /Length must be a direct integer")
	}
	if length < 0 || length > int64(len(p.buf)-p.pos) {
		return nil, p.errorf("stream /Length %d runs past the end of the file", length)
	}
	data := p.buf[p.pos : p.pos+int(length)]
	p.pos += int(length)
	switch {
	case bytes.HasPrefix(p.buf[p.pos:], []byte("\r\n")):
		p.pos += 2
	case bytes.HasPrefix(p.buf[p.pos:], []byte("\n")), bytes.HasPrefix(p.buf[p.pos:], []byte("\r")):
		p.pos++
	}
	if err := p.expect("endstream"); err != nil {
		return nil, fmt.Errorf("stream /Length %d does not end at endstream: %w", length, err)
	}
	return &pdfStream{dict: d, data: data}, nil
}

// xrefEntry locates one object.
type xrefEntry struct {
	offset int
	gen    int
	inUse  bool
}

// pdfFile is a parsed file: its cross-reference sections merged, newest
// first, and the objects read so far.
type pdfFile struct {
	buf      []byte
	xref     map[int]xrefEntry
	trailer  *pdfDict // of the newest section
	sections []int    // offsets of the xref sections, newest first
	objects  map[int]any
}

var errNotPDF = errors.New("not a PDF file")

// parseFile reads the file's structure: header, the trailer at its end,
// and the chain of cross-reference tables. Objects are read on demand.
func parseFile(buf []byte) (*pdfFile, error) {
	if len(buf) > MaxSize {
		return nil, fmt.Errorf("the file is %d bytes, more than the %d a certificate may have", len(buf), MaxSize)
	}
	if !bytes.HasPrefix(buf, []byte("%PDF-1.")) && !bytes.HasPrefix(buf, []byte("%PDF-2.")) {
		return nil, fmt.Errorf("%w: it does not start with %%PDF-", errNotPDF)
	}
	if bytes.Contains(buf[:min(len(buf), 1024)], []byte("/Linearized")) {
		return nil, errors.New("linearized files are not supported: the file was rewritten after it was made")
	}
	start, err := lastStartXref(buf)
	if err != nil {
		return nil, err
	}
	f := &pdfFile{buf: buf, xref: map[int]xrefEntry{}, objects: map[int]any{}}
	next := start
	for next >= 0 {
		if len(f.sections) == maxRevisions {
			return nil, fmt.Errorf("more than %d revisions", maxRevisions)
		}
		if len(f.sections) > 0 && next >= f.sections[len(f.sections)-1] {
			return nil, fmt.Errorf("/Prev %d does not point before the section at %d", next, f.sections[len(f.sections)-1])
		}
		f.sections = append(f.sections, next)
		trailer, err := f.xrefSection(next)
		if err != nil {
			return nil, fmt.Errorf("cross-reference table at %d: %w", next, err)
		}
		if f.trailer == nil {
			f.trailer = trailer
		}
		if trailer.get("XRefStm") != nil {
			return nil, errors.New("hybrid cross-reference streams are not supported")
		}
		if trailer.get("Encrypt") != nil {
			return nil, errors.New("encrypted files are not supported")
		}
		next = -1
		if prev := trailer.get("Prev"); prev != nil {
			n, ok := prev.(int64)
			if !ok || n < 0 || n >= int64(len(buf)) {
				return nil, fmt.Errorf("trailer /Prev %v is not an offset in the file", prev)
			}
			next = int(n)
		}
	}
	size, ok := f.trailer.get("Size").(int64)
	if !ok || size <= 0 || size > maxObjects {
		return nil, fmt.Errorf("trailer /Size %v is not a count of objects up to %d", f.trailer.get("Size"), maxObjects)
	}
	for num := range f.xref {
		if int64(num) >= size {
			return nil, fmt.Errorf("object %d is listed but trailer /Size is %d", num, size)
		}
	}
	return f, nil
}

// lastStartXref finds the offset in "startxref N %%EOF" at the end of the
// file. Nothing but one end of line may follow %%EOF.
func lastStartXref(buf []byte) (int, error) {
	tail := buf
	switch {
	case bytes.HasSuffix(tail, []byte("\r\n")):
		tail = tail[:len(tail)-2]
	case bytes.HasSuffix(tail, []byte("\n")), bytes.HasSuffix(tail, []byte("\r")):
		tail = tail[:len(tail)-1]
	}
	if !bytes.HasSuffix(tail, []byte("%%EOF")) {
		if i := bytes.LastIndex(buf, []byte("%%EOF")); i >= 0 {
			return 0, fmt.Errorf("%d bytes follow the last %%%%EOF: the file was truncated or something was appended to it", len(buf)-i-5)
		}
		return 0, errors.New("the file does not end with %%EOF: it is truncated")
	}
	tail = tail[:len(tail)-5]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 || len(tail)-i > 64 {
		return 0, errors.New("no startxref before the final %%EOF")
	}
	p := &parser{buf: tail, pos: i + len("startxref")}
	off, err := p.integer()
	if err != nil {
		return 0, fmt.Errorf("startxref: %w", err)
	}
	p.skipSpace()
	if p.pos != len(tail) {
		return 0, errors.New("startxref: junk before %%EOF")
	}
	if off >= len(buf) {
		return 0, fmt.Errorf("startxref %d is past the end of the file", off)
	}
	return off, nil
}

// xrefSection reads a classic cross-reference table and its trailer,
// adding entries that newer sections did not already give.
func (f *pdfFile) xrefSection(off int) (*pdfDict, error) {
	p := &parser{buf: f.buf, pos: off}
	if !bytes.HasPrefix(f.buf[off:], []byte("xref")) {
		if bytes.Contains(f.buf[off:min(off+64, len(f.buf))], []byte(" obj")) {
			return nil, errors.New("cross-reference streams are not supported")
		}
		return nil, p.errorf("no keyword xref where startxref points")
	}
	p.pos += 4
	for {
		at := p.pos
		p.skipSpace()
		if bytes.HasPrefix(f.buf[p.pos:], []byte("trailer")) {
			break
		}
		p.pos = at
		first, err := p.integer()
		if err != nil {
			return nil, err
		}
		count, err := p.integer()
		if err != nil {
			return nil, err
		}
		if first+count > maxObjects {
			return nil, p.errorf("subsection %d %d lists more than %d objects", first, count, maxObjects)
		}
		// The entries start on the next line and are 20 bytes each.
		for p.pos < len(f.buf) && (f.buf[p.pos] == ' ' || f.buf[p.pos] == '\r' || f.buf[p.pos] == '\n') {
			p.pos++
		}
		if count*20 > len(f.buf)-p.pos {
			return nil, p.errorf("subsection of %d entries runs past the end of the file", count)
		}
		for i := range count {
			e := f.buf[p.pos : p.pos+20]
			entry, err := parseXrefEntry(e)
			if err != nil {
				return nil, p.errorf("entry for object %d: %v", first+i, err)
			}
			if _, seen := f.xref[first+i]; !seen {
				f.xref[first+i] = entry
			}
			p.pos += 20
		}
		if len(f.xref) > maxObjects {
			return nil, fmt.Errorf("more than %d objects", maxObjects)
		}
	}
	if err := p.expect("trailer"); err != nil {
		return nil, err
	}
	v, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	d, ok := v.(*pdfDict)
	if !ok {
		return nil, errors.New("the trailer is not a dictionary")
	}
	return d, nil
}

func parseXrefEntry(e []byte) (xrefEntry, error) {
	if e[10] != ' ' || e[16] != ' ' || (e[17] != 'n' && e[17] != 'f') ||
		!(e[18] == ' ' && (e[19] == '\n' || e[19] == '\r') || e[18] == '\r' && e[19] == '\n') {
		return xrefEntry{}, fmt.Errorf("malformed entry %q", e)
	}
	for _, c := range append(e[0:10:10], e[11:16]...) {
		if c < '0' || c > '9' {
			return xrefEntry{}, fmt.Errorf("malformed entry %q", e)
		}
	}
	off, _ := strconv.Atoi(string(e[0:10]))
	gen, _ := strconv.Atoi(string(e[11:16]))
	return xrefEntry{offset: off, gen: gen, inUse: e[17] == 'n'}, nil
}

// object returns object num, read and cached.
func (f *pdfFile) object(num int) (any, error) {
	if v, ok := f.objects[num]; ok {
		return v, nil
	}
	e, ok := f.xref[num]
	if !ok || !e.inUse {
		return nil, fmt.Errorf("object %d is not in the file", num)
	}
	if e.offset >= len(f.buf) {
		return nil, fmt.Errorf("object %d: offset %d is past the end of the file", num, e.offset)
	}
	p := &parser{buf: f.buf, pos: e.offset}
	v, err := p.indirect(num, e.gen)
	if err != nil {
		return nil, fmt.Errorf("object %d: %w", num, err)
	}
	if s, ok := v.(*pdfStream); ok {
		switch s.dict.get("Type") {
		case pdfName("ObjStm"):
			return nil, fmt.Errorf("object %d: object streams are not supported", num)
		case pdfName("XRef"):
			return nil, fmt.Errorf("object %d: cross-reference streams are not supported", num)
		}
	}
	f.objects[num] = v
	return v, nil
}

// resolve follows a reference; other values are returned as they are.
func (f *pdfFile) resolve(v any) (any, error) {
	if r, ok := v.(pdfRef); ok {
		e, ok := f.xref[r.num]
		if ok && e.inUse && e.gen != r.gen {
			return nil, fmt.Errorf("reference %d %d R: the object has generation %d", r.num, r.gen, e.gen)
		}
		return f.object(r.num)
	}
	return v, nil
}

// dict resolves v and requires a dictionary.
func (f *pdfFile) dict(v any, what string) (*pdfDict, error) {
	o, err := f.resolve(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	d, ok := o.(*pdfDict)
	if !ok {
		return nil, fmt.Errorf("%s is not a dictionary", what)
	}
	return d, nil
}

// stream resolves v and requires a stream.
func (f *pdfFile) stream(v any, what string) (*pdfStream, error) {
	o, err := f.resolve(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s, ok := o.(*pdfStream)
	if !ok {
		return nil, fmt.Errorf("%s is not a stream", what)
	}
	return s, nil
}

// array resolves v and requires an array.
func (f *pdfFile) array(v any, what string) (pdfArray, error) {
	o, err := f.resolve(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	a, ok := o.(pdfArray)
	if !ok {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	return a, nil
}

// readAll reads every object, so that nothing malformed hides in a part
// of the file that is not otherwise looked at, and returns the numbers of
// the signature dictionaries.
func (f *pdfFile) readAll() (sigs []int, err error) {
	nums := make([]int, 0, len(f.xref))
	for n, e := range f.xref {
		if e.inUse && n != 0 {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	for _, n := range nums {
		v, err := f.object(n)
		if err != nil {
			return nil, err
		}
		if d, ok := v.(*pdfDict); ok && d.get("Type") == pdfName("Sig") {
			sigs = append(sigs, n)
		}
	}
	return sigs, nil
}
