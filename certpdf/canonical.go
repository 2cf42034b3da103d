package certpdf

import (
	"errors"
	"fmt"
	"strconv"
)

// Canonical returns a canonical form of a PDF that Render made (or of a
// sealed certificate's Unsealed bytes): every object of its one
// revision, by number, with each stream's data decoded and its /Length
// and /Filter left out. Two renders of one Document have the same
// canonical form whatever compressor wrote their streams, so a verifier
// compares canonical forms rather than bytes: that pins every content
// stream, font and resource of the page, and stays true when a later Go
// compresses differently.
func Canonical(pdf []byte) ([]byte, error) {
	f, err := parseFile(pdf)
	if err != nil {
		return nil, fmt.Errorf("canonical form: %w", err)
	}
	if len(f.revisions) != 1 {
		return nil, fmt.Errorf("canonical form: the file has %d revisions, a render has one", len(f.revisions))
	}
	budget := decodeBudget(len(pdf))
	var w writer
	for _, o := range f.objects {
		if !o.inUse {
			continue
		}
		v, err := f.object(o.num)
		if err != nil {
			return nil, fmt.Errorf("canonical form: %w", err)
		}
		w.WriteString(strconv.Itoa(o.num))
		w.WriteString(" obj ")
		if s, ok := v.(*pdfStream); ok {
			data, err := decode(s, &budget)
			if err != nil {
				return nil, fmt.Errorf("canonical form: object %d: %w", o.num, err)
			}
			d := &pdfDict{}
			for _, e := range s.dict.entries {
				if e.key != "Length" && e.key != "Filter" {
					d.entries = append(d.entries, e)
				}
			}
			w.value(d)
			w.WriteString(" stream ")
			w.WriteString(strconv.Itoa(len(data)))
			w.WriteByte('\n')
			w.Write(data)
		} else {
			w.value(v)
		}
		w.WriteString("\nendobj\n")
	}
	if w.Len() == 0 {
		return nil, errors.New("canonical form: no objects")
	}
	return w.Bytes(), nil
}
