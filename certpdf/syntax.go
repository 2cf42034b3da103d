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
// limited, and no input makes it do more than linear work or allocate
// more than a small multiple of its size: the values one file may build
// are counted against a budget proportional to its length (see
// valueBudget), and a dictionary's keys are checked for repeats in
// n log n.

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
	return lookup(d.entries, key)
}

// lookup returns the value of key among entries, nil if absent.
func lookup(entries []dictEntry, key pdfName) any {
	for _, e := range entries {
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
	maxDepth      = 16      // nesting of arrays and dictionaries
	maxNameLength = 127     // ISO 32000-1 Annex C
	maxContainer  = 1 << 16 // elements of one array or dictionary
	maxRevisions  = 8       // xref sections chained by /Prev
	maxObjects    = 1 << 16 // objects in a file
	// maxDecodedSize bounds what the streams of any file may decode to;
	// decodeBudget bounds it further by the file's size.
	maxDecodedSize = 4 * MaxSize
	// decodeBase and decodePerByte make decodeBudget: a certificate's
	// page contents decode to under 1 MiB even at 50 pages, and its
	// attachments (receipts, tokens, JSON) compress little, so a file may
	// decode to 2 MiB and twice its size, not the thousandfold of a
	// stream of compressed zeros.
	decodeBase    = 2 << 20
	decodePerByte = 2
	// maxValues bounds the values (numbers, names, strings, references,
	// arrays, dictionaries, and each dictionary key) that one file may
	// make the parser build, whatever its size.
	maxValues = 1 << 20
	// bytesPerValue is how many bytes of the file pay for one value
	// beyond baseValues. A built value costs up to ~100 bytes of memory
	// (an interface, its boxed payload, its share of the slice that holds
	// it), so this keeps what parsing allocates within a few times the
	// file's size. Render and Seal write one value per ~50 bytes or
	// fewer: fonts and page contents are streams, not values.
	bytesPerValue = 16
	// baseValues lets a small file hold its structure.
	baseValues = 4096
	// smallDict is the size up to which a dictionary's keys are checked
	// for repeats one by one as they are read; larger ones are sorted.
	smallDict = 16
)

// decodeBudget is how many bytes the streams of a file of size bytes
// may decode to, together.
func decodeBudget(size int) int64 {
	return min(maxDecodedSize, decodeBase+decodePerByte*int64(size))
}

// valueBudget is how many values a file of size bytes may hold.
func valueBudget(size int) int { return min(maxValues, baseValues+size/bytesPerValue) }

// limits is what the parsers of one file share: the values still allowed
// and scratch space for checking a large dictionary's keys.
type limits struct {
	values int
	// Stacks on which arrays and dictionaries gather their elements, and
	// scratch for sorting a dictionary's keys; all reused while the file
	// is read.
	elements []any
	entries  []dictEntry
	keys     []pdfName
}

// syntaxError is a malformed file.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

// parser reads values from buf starting at pos, within the limits of
// its file.
type parser struct {
	buf []byte
	pos int
	lim *limits
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

// keyword reads a run of regular characters. It returns them in place,
// so that reading the keywords of every object allocates nothing.
func (p *parser) keyword() []byte {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) && p.pos-start < 32 {
		p.pos++
	}
	return p.buf[start:p.pos]
}

// expect reads keyword want.
func (p *parser) expect(want string) error {
	at := p.pos
	if got := p.keyword(); string(got) != want {
		p.pos = at
		if len(got) == 0 && p.pos >= len(p.buf) {
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
	if err := p.count(); err != nil {
		return nil, err
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
		switch kw := p.keyword(); string(kw) {
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

// count takes one value from the file's budget.
func (p *parser) count() error {
	if p.lim.values <= 0 {
		return p.errorf("more values (numbers, names, strings, arrays, dictionaries) than the %d a file of %d bytes may hold: it is not a certificate", valueBudget(len(p.buf)), len(p.buf))
	}
	p.lim.values--
	return nil
}

// number reads an integer, a real, or a reference "N G R".
func (p *parser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.buf) && isRegular(p.buf[p.pos]) && p.pos-start <= 32 {
		p.pos++
	}
	if n, signed, ok := plainInteger(p.buf[start:p.pos]); ok {
		// A reference is two unsigned integers and R. The look-ahead
		// must not make an error (and its message) for every integer
		// that is not one.
		if !signed && n <= maxObjects*16 {
			save := p.pos
			p.skipSpace()
			if p.pos < len(p.buf) && p.buf[p.pos] >= '0' && p.buf[p.pos] <= '9' {
				if gen, err := p.integer(); err == nil {
					p.skipSpace()
					if p.pos < len(p.buf) && p.buf[p.pos] == 'R' && (p.pos+1 == len(p.buf) || !isRegular(p.buf[p.pos+1])) {
						p.pos++
						return pdfRef{num: int(n), gen: gen}, nil
					}
				}
			}
			p.pos = save
		}
		return n, nil
	}
	tok := p.buf[start:p.pos]
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || bytes.ContainsAny(tok, "eEnNiIxXpP_") {
		p.pos = start
		return nil, p.errorf("malformed number %q", tok)
	}
	return pdfReal(f), nil
}

// plainInteger reads tok as a decimal integer with an optional sign, of
// at most 18 digits so that it cannot overflow, without making a string.
func plainInteger(tok []byte) (n int64, signed, ok bool) {
	digits := tok
	if len(tok) > 0 && (tok[0] == '+' || tok[0] == '-') {
		digits, signed = tok[1:], true
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, signed, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, signed, false
		}
		n = n*10 + int64(c-'0')
	}
	if tok[0] == '-' {
		n = -n
	}
	return n, signed, true
}

func (p *parser) name() (pdfName, error) {
	p.pos++ // '/'
	// Most names have no #xx escape: take them as they are, in one
	// allocation.
	end := p.pos
	for end < len(p.buf) && isRegular(p.buf[end]) && p.buf[end] != '#' && end-p.pos <= maxNameLength {
		end++
	}
	if end-p.pos > maxNameLength {
		p.pos = end
		return "", p.errorf("name longer than %d bytes", maxNameLength)
	}
	if end == len(p.buf) || p.buf[end] != '#' {
		n := pdfName(p.buf[p.pos:end])
		p.pos = end
		return n, nil
	}
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
	var out []byte
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

// array reads an array. Its elements gather on the file's stack, which
// nested arrays share, and are copied once into a slice of the exact
// size: growing each array as it is read would allocate several times
// what it ends up holding.
func (p *parser) array(depth int) (pdfArray, error) {
	p.pos++ // '['
	base := len(p.lim.elements)
	defer func() {
		clear(p.lim.elements[base:])
		p.lim.elements = p.lim.elements[:base]
	}()
	for {
		p.skipSpace()
		if p.pos >= len(p.buf) {
			return nil, p.errorf("unterminated array")
		}
		if p.buf[p.pos] == ']' {
			p.pos++
			return slices.Clone(p.lim.elements[base:]), nil
		}
		if len(p.lim.elements)-base >= maxContainer {
			return nil, p.errorf("array of more than %d elements", maxContainer)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.lim.elements = push(p.lim.elements, v)
	}
}

// push appends v, doubling the capacity when it runs out, so that a stack
// reused through a whole file costs at most twice its largest size.
func push[T any](s []T, v T) []T { return append(reserve(s, 1), v) }

// reserve makes room for n more elements, at least doubling the capacity
// when it grows: append grows large slices by a quarter, which allocates
// about five times what they end up holding.
func reserve[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	grown := make([]T, len(s), max(16, 2*cap(s), len(s)+n))
	copy(grown, s)
	return grown
}

func (p *parser) dict(depth int) (*pdfDict, error) {
	start := p.pos
	p.pos += 2 // '<<'
	// The entries gather on the file's stack, as an array's elements do.
	base := len(p.lim.entries)
	defer func() {
		clear(p.lim.entries[base:])
		p.lim.entries = p.lim.entries[:base]
	}()
	d := &pdfDict{}
	for {
		p.skipSpace()
		if p.pos+1 < len(p.buf) && p.buf[p.pos] == '>' && p.buf[p.pos+1] == '>' {
			p.pos += 2
			d.entries = slices.Clone(p.lim.entries[base:])
			if len(d.entries) > smallDict {
				if k, twice := p.repeatedKey(d); twice {
					p.pos = start
					return nil, p.errorf("key /%s twice in one dictionary", k)
				}
			}
			return d, nil
		}
		if p.pos >= len(p.buf) {
			return nil, p.errorf("unterminated dictionary")
		}
		if p.buf[p.pos] != '/' {
			return nil, p.errorf("a dictionary key must be a name")
		}
		if len(p.lim.entries)-base >= maxContainer {
			return nil, p.errorf("dictionary of more than %d entries", maxContainer)
		}
		if err := p.count(); err != nil {
			return nil, err
		}
		at := p.pos
		k, err := p.name()
		if err != nil {
			return nil, err
		}
		if read := p.lim.entries[base:]; len(read) < smallDict && lookup(read, k) != nil {
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
		p.lim.entries = push(p.lim.entries, dictEntry{k, v})
	}
}

// repeatedKey finds a key that d holds twice, by sorting a copy of its
// keys: comparing each key with all before it would take time in the
// square of the dictionary's size.
func (p *parser) repeatedKey(d *pdfDict) (pdfName, bool) {
	keys := p.lim.keys[:0]
	for _, e := range d.entries {
		keys = push(keys, e.key)
	}
	slices.Sort(keys)
	p.lim.keys = keys
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return keys[i], true
		}
	}
	return "", false
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
	switch kw := p.keyword(); string(kw) {
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
	buf []byte
	// objects are those the cross-reference sections list, the newest
	// entry for each number, sorted by number: a slice searched in
	// log n costs a third of the memory of maps of entries and parsed
	// objects, which matters for a file of 65,536 tiny objects.
	objects   []fileObject
	trailer   *pdfDict   // of the newest section
	sections  []int      // offsets of the xref sections, newest first
	revisions []revision // the sections themselves, newest first
	lim       *limits
}

// fileObject is an object of the file: where it is and, once read, its
// value and where it ends.
type fileObject struct {
	numberedEntry
	parsed parsedObject // value nil until read
}

// find returns object num, nil when no section lists it.
func (f *pdfFile) find(num int) *fileObject {
	i, ok := slices.BinarySearchFunc(f.objects, num, func(o fileObject, n int) int { return o.num - n })
	if !ok {
		return nil
	}
	return &f.objects[i]
}

// revision is one cross-reference section and its trailer: one save of
// the file, the first by Render, the next by Seal.
type revision struct {
	xref       int      // offset of the keyword xref
	trailer    *pdfDict // the section's own trailer
	trailerEnd int      // offset just after the trailer dictionary
	// entries are what this section lists, not merged with others, by
	// object number.
	entries []numberedEntry
}

// numberedEntry is a cross-reference entry and the object it is for.
type numberedEntry struct {
	num int
	xrefEntry
}

// entry returns what the section lists for object num.
func (r revision) entry(num int) (xrefEntry, bool) {
	i, ok := slices.BinarySearchFunc(r.entries, num, func(e numberedEntry, n int) int { return e.num - n })
	if !ok {
		return xrefEntry{}, false
	}
	return r.entries[i].xrefEntry, true
}

// parsedObject is an object read from the file and where it ends: just
// after its keyword endobj.
type parsedObject struct {
	value any
	end   int
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
	f := &pdfFile{buf: buf, lim: &limits{values: valueBudget(len(buf))}}
	next := start
	for next >= 0 {
		if len(f.sections) == maxRevisions {
			return nil, fmt.Errorf("more than %d revisions", maxRevisions)
		}
		if len(f.sections) > 0 && next >= f.sections[len(f.sections)-1] {
			return nil, fmt.Errorf("/Prev %d does not point before the section at %d", next, f.sections[len(f.sections)-1])
		}
		f.sections = append(f.sections, next)
		rev, err := f.xrefSection(next)
		if err != nil {
			return nil, fmt.Errorf("cross-reference table at %d: %w", next, err)
		}
		f.revisions = append(f.revisions, rev)
		trailer := rev.trailer
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
	if err := f.merge(); err != nil {
		return nil, err
	}
	for _, o := range f.objects {
		if int64(o.num) >= size {
			return nil, fmt.Errorf("object %d is listed but trailer /Size is %d", o.num, size)
		}
	}
	return f, nil
}

// merge lists the objects of all sections, the newest entry for each.
func (f *pdfFile) merge() error {
	if len(f.revisions) == 1 {
		f.objects = make([]fileObject, len(f.revisions[0].entries))
		for i, e := range f.revisions[0].entries {
			f.objects[i].numberedEntry = e
		}
		return nil
	}
	var all []fileObject
	for _, r := range f.revisions {
		all = reserve(all, len(r.entries))
		for _, e := range r.entries {
			all = append(all, fileObject{numberedEntry: e})
		}
	}
	// Stable, so that of equal numbers the newest section's comes first.
	slices.SortStableFunc(all, func(a, b fileObject) int { return a.num - b.num })
	f.objects = slices.CompactFunc(all, func(a, b fileObject) bool { return a.num == b.num })
	if len(f.objects) > maxObjects {
		return fmt.Errorf("more than %d objects", maxObjects)
	}
	return nil
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
	p := &parser{buf: tail, pos: i + len("startxref"), lim: &limits{}}
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
func (f *pdfFile) xrefSection(off int) (revision, error) {
	rev := revision{xref: off}
	p := &parser{buf: f.buf, pos: off, lim: f.lim}
	if !bytes.HasPrefix(f.buf[off:], []byte("xref")) {
		if bytes.Contains(f.buf[off:min(off+64, len(f.buf))], []byte(" obj")) {
			return rev, errors.New("cross-reference streams are not supported")
		}
		return rev, p.errorf("no keyword xref where startxref points")
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
			return rev, err
		}
		count, err := p.integer()
		if err != nil {
			return rev, err
		}
		if first+count > maxObjects {
			return rev, p.errorf("subsection %d %d lists more than %d objects", first, count, maxObjects)
		}
		// The entries start on the next line and are 20 bytes each.
		for p.pos < len(f.buf) && (f.buf[p.pos] == ' ' || f.buf[p.pos] == '\r' || f.buf[p.pos] == '\n') {
			p.pos++
		}
		if count*20 > len(f.buf)-p.pos {
			return rev, p.errorf("subsection of %d entries runs past the end of the file", count)
		}
		rev.entries = reserve(rev.entries, count)
		for i := range count {
			e := f.buf[p.pos : p.pos+20]
			entry, err := parseXrefEntry(e)
			if err != nil {
				return rev, p.errorf("entry for object %d: %v", first+i, err)
			}
			rev.entries = push(rev.entries, numberedEntry{first + i, entry})
			p.pos += 20
		}
		if len(rev.entries) > maxObjects {
			return rev, fmt.Errorf("more than %d objects", maxObjects)
		}
	}
	// Subsections may come in any order, but no object twice.
	slices.SortStableFunc(rev.entries, func(a, b numberedEntry) int { return a.num - b.num })
	for i := 1; i < len(rev.entries); i++ {
		if rev.entries[i].num == rev.entries[i-1].num {
			return rev, fmt.Errorf("object %d is listed twice in one cross-reference section", rev.entries[i].num)
		}
	}
	if err := p.expect("trailer"); err != nil {
		return rev, err
	}
	v, err := p.value(0)
	if err != nil {
		return rev, fmt.Errorf("trailer: %w", err)
	}
	d, ok := v.(*pdfDict)
	if !ok {
		return rev, errors.New("the trailer is not a dictionary")
	}
	rev.trailer, rev.trailerEnd = d, p.pos
	return rev, nil
}

func parseXrefEntry(e []byte) (xrefEntry, error) {
	if e[10] != ' ' || e[16] != ' ' || (e[17] != 'n' && e[17] != 'f') ||
		!(e[18] == ' ' && (e[19] == '\n' || e[19] == '\r') || e[18] == '\r' && e[19] == '\n') {
		return xrefEntry{}, fmt.Errorf("malformed entry %q", e)
	}
	off, _, ok1 := plainInteger(e[0:10])
	gen, _, ok2 := plainInteger(e[11:16])
	if !ok1 || !ok2 || e[0] == '+' || e[0] == '-' || e[11] == '+' || e[11] == '-' {
		return xrefEntry{}, fmt.Errorf("malformed entry %q", e)
	}
	return xrefEntry{offset: int(off), gen: int(gen), inUse: e[17] == 'n'}, nil
}

// object returns object num, read and cached.
func (f *pdfFile) object(num int) (any, error) {
	o := f.find(num)
	if o == nil {
		return nil, fmt.Errorf("object %d is not in the file", num)
	}
	if o.parsed.value != nil {
		return o.parsed.value, nil
	}
	parsed, err := f.objectAt(num, o.xrefEntry)
	if err != nil {
		return nil, err
	}
	o.parsed = parsed
	return parsed.value, nil
}

// objectAt reads object num where entry e puts it, which for an object
// that a later revision replaced is its earlier version.
func (f *pdfFile) objectAt(num int, e xrefEntry) (parsedObject, error) {
	if !e.inUse {
		return parsedObject{}, fmt.Errorf("object %d is not in the file", num)
	}
	if e.offset >= len(f.buf) {
		return parsedObject{}, fmt.Errorf("object %d: offset %d is past the end of the file", num, e.offset)
	}
	p := &parser{buf: f.buf, pos: e.offset, lim: f.lim}
	v, err := p.indirect(num, e.gen)
	if err != nil {
		return parsedObject{}, fmt.Errorf("object %d: %w", num, err)
	}
	if s, ok := v.(*pdfStream); ok {
		switch s.dict.get("Type") {
		case pdfName("ObjStm"):
			return parsedObject{}, fmt.Errorf("object %d: object streams are not supported", num)
		case pdfName("XRef"):
			return parsedObject{}, fmt.Errorf("object %d: cross-reference streams are not supported", num)
		}
	}
	return parsedObject{value: v, end: p.pos}, nil
}

// resolve follows a reference; other values are returned as they are.
func (f *pdfFile) resolve(v any) (any, error) {
	if r, ok := v.(pdfRef); ok {
		if e := f.find(r.num); e != nil && e.inUse && e.gen != r.gen {
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
	for _, o := range f.objects {
		if !o.inUse || o.num == 0 {
			continue
		}
		v, err := f.object(o.num)
		if err != nil {
			return nil, err
		}
		if d, ok := v.(*pdfDict); ok && d.get("Type") == pdfName("Sig") {
			sigs = append(sigs, o.num)
		}
	}
	return sigs, nil
}
