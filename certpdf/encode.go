package certpdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decode returns a stream's data with its filter undone: none or
// FlateDecode, without parameters. budget is what may still be decoded
// in this file; it shrinks by what this stream takes.
func decode(s *pdfStream, budget *int64) ([]byte, error) {
	filter := s.dict.get("Filter")
	if a, ok := filter.(pdfArray); ok && len(a) == 1 {
		filter = a[0]
	}
	if s.dict.get("DecodeParms") != nil {
		return nil, errors.New("stream decode parameters are not supported")
	}
	switch filter {
	case nil:
		if int64(len(s.data)) > *budget {
			return nil, errors.New("streams decode to more than a certificate of this size may hold")
		}
		*budget -= int64(len(s.data))
		return s.data, nil
	case pdfName("FlateDecode"):
		zr, err := zlib.NewReader(bytes.NewReader(s.data))
		if err != nil {
			return nil, fmt.Errorf("FlateDecode: %w", err)
		}
		out, err := readAtMost(zr, *budget+1)
		if err != nil {
			return nil, fmt.Errorf("FlateDecode: %w", err)
		}
		if int64(len(out)) > *budget {
			return nil, errors.New("streams decode to more than a certificate of this size may hold")
		}
		*budget -= int64(len(out))
		return out, nil
	default:
		return nil, fmt.Errorf("stream filter %v is not supported", filter)
	}
}

// readAtMost reads r to its end or to limit bytes, whichever comes first.
// Its buffer doubles but never grows past limit, so that reading
// allocates at most four times what it returns and three times limit.
// io.ReadAll grows a large buffer by a quarter at a time, which allocates
// several times more, and past limit when it stops there.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 4096))
	for {
		if int64(len(buf)) == limit {
			return buf, nil
		}
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(limit, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// writer builds PDF syntax.
type writer struct {
	bytes.Buffer
}

// value writes v: a name, string, reference, integer, real, bool, array
// or dictionary.
func (w *writer) value(v any) {
	switch v := v.(type) {
	case pdfName:
		w.name(v)
	case pdfString:
		w.string(v)
	case pdfRef:
		fmt.Fprintf(w, "%d %d R", v.num, v.gen)
	case int64:
		w.WriteString(strconv.FormatInt(v, 10))
	case int:
		w.WriteString(strconv.Itoa(v))
	case pdfReal:
		w.real(float64(v))
	case bool:
		w.WriteString(strconv.FormatBool(v))
	case pdfNull:
		w.WriteString("null")
	case pdfArray:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			w.value(e)
		}
		w.WriteByte(']')
	case *pdfDict:
		w.WriteString("<<")
		for _, e := range v.entries {
			w.name(e.key)
			w.WriteByte(' ')
			w.value(e.val)
		}
		w.WriteString(">>")
	default:
		// Only this package builds values, so this is a bug.
		panic(fmt.Sprintf("certpdf: cannot write %T", v))
	}
}

// real writes a real without an exponent, which PDF does not have.
func (w *writer) real(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	w.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
}

func (w *writer) name(n pdfName) {
	w.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < '!' || c > '~' || c == '#' || isDelimiter(c) {
			fmt.Fprintf(w, "#%02X", c)
			continue
		}
		w.WriteByte(c)
	}
}

func (w *writer) string(s pdfString) {
	if s.hex {
		w.WriteByte('<')
		fmt.Fprintf(w, "%X", s.data)
		w.WriteByte('>')
		return
	}
	w.WriteByte('(')
	for _, c := range s.data {
		switch c {
		case '(', ')', '\\':
			w.WriteByte('\\')
			w.WriteByte(c)
		case '\r':
			w.WriteString(`\r`)
		case '\n':
			w.WriteString(`\n`)
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte(')')
}

// textString encodes a text string: printable ASCII as it is, anything
// else as UTF-16BE with a byte order mark, as ISO 32000-1 7.9.2.2 allows.
func textString(s string) pdfString {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			ascii = false
			break
		}
	}
	if ascii {
		return pdfString{data: []byte(s)}
	}
	out := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return pdfString{data: out, hex: true}
}

// pdfDocEncodingHigh are the characters of the bytes 0x80 to 0x9E of
// PDFDocEncoding (ISO 32000-1 Annex D), where it departs from Latin-1;
// 0x9F is undefined.
const pdfDocEncodingHigh = "•†‡…—–ƒ⁄‹›−‰„“”‘’‚™ﬁﬂŁŒŠŸŽıłœšž"

// decodeText reads a text string: UTF-16BE or UTF-8 with a byte order
// mark, else PDFDocEncoding.
func decodeText(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		b = b[2:]
		if len(b)%2 != 0 {
			return "", errors.New("UTF-16 text of an odd number of bytes")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		if !utf8.Valid(b[3:]) {
			return "", errors.New("invalid UTF-8 text")
		}
		return string(b[3:]), nil
	}
	out := make([]rune, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 0x80 && c < 0xA0:
			high := []rune(pdfDocEncodingHigh)
			if int(c-0x80) >= len(high) {
				return "", fmt.Errorf("byte %#x is undefined in PDFDocEncoding", c)
			}
			out = append(out, high[c-0x80])
		case c == 0xA0:
			out = append(out, 0x20AC) // the euro sign
		default:
			out = append(out, rune(c))
		}
	}
	return string(out), nil
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, offset := t.Zone()
	if offset == 0 {
		return "D:" + t.Format("20060102150405") + "Z"
	}
	sign := '+'
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, offset/3600, offset%3600/60)
}

// parsePDFDate reads a PDF date as pdfDate writes it, also without the
// optional parts that ISO 32000-1 7.9.4 allows to be left out.
func parsePDFDate(s string) (time.Time, error) {
	bad := fmt.Errorf("malformed PDF date %q", s)
	if len(s) < 6 || s[:2] != "D:" {
		return time.Time{}, bad
	}
	s = s[2:]
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 || digits%2 != 0 {
		return time.Time{}, bad
	}
	full := s[:digits] + "0101000000"[digits-4:]
	t, err := time.Parse("20060102150405", full)
	if err != nil {
		return time.Time{}, bad
	}
	rest := s[digits:]
	switch {
	case rest == "" || rest == "Z" || rest == "Z00'00'" || rest == "Z00'00":
		return t, nil
	case rest[0] == '+' || rest[0] == '-':
		var h, m int
		tz := rest[1:]
		if len(tz) < 2 {
			return time.Time{}, bad
		}
		h, err1 := strconv.Atoi(tz[:2])
		tz = tz[2:]
		if len(tz) > 0 {
			if tz[0] != '\'' || len(tz) < 3 {
				return time.Time{}, bad
			}
			var err2 error
			m, err2 = strconv.Atoi(tz[1:3])
			tz = tz[3:]
			if err2 != nil || (tz != "" && tz != "'") {
				return time.Time{}, bad
			}
		}
		if err1 != nil || h > 23 || m > 59 {
			return time.Time{}, bad
		}
		offset := h*3600 + m*60
		if rest[0] == '-' {
			offset = -offset
		}
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", offset)), nil
	}
	return time.Time{}, bad
}
