package certpdf_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// TestReadRoundTrip seals the sample certificate in each suite and reads
// back every field Seal wrote, the attachments byte for byte, and an
// Unsealed and page contents equal to a re-render of the Document.
func TestReadRoundTrip(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			s := newSigner(t, cs)
			doc := sampleDocument(cs)
			pdf, err := r.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			opts := sealOptions(s)
			var cms []byte
			opts.Sign = func(b []byte) ([]byte, error) {
				var err error
				cms, err = s.sign(b)
				return cms, err
			}
			sealed, err := certpdf.Seal(pdf, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := certpdf.Read(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.CMS, cms) {
				t.Errorf("CMS: %d bytes read, %d signed", len(got.CMS), len(cms))
			}
			if got.SubFilter != "ETSI.CAdES.detached" || got.Name != opts.Name || got.Reason != opts.Reason || got.Location != opts.Location {
				t.Errorf("signature fields: %q %q %q %q", got.SubFilter, got.Name, got.Reason, got.Location)
			}
			if !got.Time.Equal(opts.Time) {
				t.Errorf("time %v, sealed at %v", got.Time, opts.Time)
			}
			if br := got.ByteRange; br[0] != 0 || br[2]+br[3] != int64(len(sealed)) || int64(len(got.Signed)) != br[1]+br[3] {
				t.Errorf("ByteRange %v for a file of %d bytes and %d signed", br, len(sealed), len(got.Signed))
			}
			if !bytes.HasPrefix(got.Signed, pdf) {
				t.Error("the signed bytes do not start with the rendered PDF")
			}
			if !bytes.Equal(got.Unsealed, pdf) {
				t.Errorf("Unsealed is %d bytes, not the %d rendered", len(got.Unsealed), len(pdf))
			}
			if len(got.Attachments) != len(opts.Attachments) {
				t.Fatalf("%d attachments, sealed %d", len(got.Attachments), len(opts.Attachments))
			}
			for i, a := range opts.Attachments {
				b := got.Attachments[i]
				if b.Name != a.Name || b.Description != a.Description || b.MediaType != a.MediaType || !bytes.Equal(b.Data, a.Data) {
					t.Errorf("attachment %d: read %q %q %q (%d bytes), sealed %q %q %q (%d bytes)", i, b.Name, b.Description, b.MediaType, len(b.Data), a.Name, a.Description, a.MediaType, len(a.Data))
				}
			}
			again, err := newRenderer(t).Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, got.Unsealed) {
				t.Error("a re-render of the Document is not Unsealed: a verifier would refuse the certificate")
			}
			pages, err := certpdf.PageContents(again)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != len(got.PageContents) {
				t.Fatalf("%d pages re-rendered, %d read", len(pages), len(got.PageContents))
			}
			for i := range pages {
				if !bytes.Equal(pages[i], got.PageContents[i]) {
					t.Errorf("page %d: the re-render differs from the sealed page", i+1)
				}
			}
			// A different document prints differently.
			doc.Sections[0].Rows[0].Value += "X"
			other, err := r.Render(doc)
			if err != nil {
				t.Fatal(err)
			}
			otherPages, err := certpdf.PageContents(other)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(otherPages[0], got.PageContents[0]) {
				t.Error("a changed value renders the same page contents")
			}
		})
	}
}

// tail finds the startxref offset and trailer /Size of a sealed file.
func tail(t *testing.T, pdf []byte) (xref, size int) {
	t.Helper()
	m := regexp.MustCompile(`/Size (\d+)[^\n]*\nstartxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no trailer at the end of the sealed file")
	}
	size, _ = strconv.Atoi(string(m[1]))
	xref, _ = strconv.Atoi(string(m[2]))
	return xref, size
}

// appendUpdate appends an incremental update holding objects, numbered
// from the file's /Size on.
func appendUpdate(t *testing.T, pdf []byte, objects ...string) []byte {
	t.Helper()
	prev, size := tail(t, pdf)
	out := bytes.Clone(pdf)
	var offsets []int
	for i, o := range objects {
		offsets = append(offsets, len(out))
		out = fmt.Appendf(out, "%d 0 obj\n%s\nendobj\n", size+i, o)
	}
	xref := len(out)
	out = fmt.Appendf(out, "xref\n%d %d\n", size, len(objects))
	for _, off := range offsets {
		out = fmt.Appendf(out, "%010d 00000 n\r\n", off)
	}
	return fmt.Appendf(out, "trailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", size+len(objects), prev, xref)
}

// setByteRange rewrites the ByteRange in place, keeping its width.
func setByteRange(t *testing.T, pdf []byte, edit func(br []int) []int) []byte {
	t.Helper()
	re := regexp.MustCompile(`/ByteRange (\[0 \d+ \d+ \d+\] *)`)
	m := re.FindSubmatchIndex(pdf)
	if m == nil {
		t.Fatal("no ByteRange")
	}
	old := string(pdf[m[2]:m[3]])
	var br []int
	for _, f := range strings.Fields(strings.Trim(strings.TrimSpace(old), "[]")) {
		n, _ := strconv.Atoi(f)
		br = append(br, n)
	}
	br = edit(br)
	repl := fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3])
	repl += strings.Repeat(" ", len(old)-len(repl))
	out := bytes.Clone(pdf)
	copy(out[m[2]:], repl)
	return out
}

// TestReadRefuses feeds Read files that are not sealed certificates, or
// were changed after sealing, and checks that each error says why.
func TestReadRefuses(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { readRefuses(t, r, cs) })
	}
}

func readRefuses(t *testing.T, r *certpdf.Renderer, cs *suite.Suite) {
	s := newSigner(t, cs)
	pdf, err := r.Render(sampleDocument(cs))
	if err != nil {
		t.Fatal(err)
	}
	sealed := sealSample(t, r, cs, s)
	sealWith := func(sign certpdf.SignFunc) []byte {
		opts := sealOptions(s)
		opts.ContentsSize = 256
		opts.Sign = sign
		out, err := certpdf.Seal(pdf, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		pdf  []byte
		want string
	}{
		{"empty", nil, "not a PDF"},
		{"not a PDF", []byte("hello, world\n"), "not a PDF"},
		{"too large", append([]byte("%PDF-1.7\n"), make([]byte, certpdf.MaxSize)...), "more than"},
		{"unsealed", pdf, "0 signature dictionaries"},
		{"truncated", sealed[:len(sealed)/2], "truncated"},
		{"truncated by one byte", sealed[:len(sealed)-1], "truncated"},
		{"bytes appended", append(bytes.Clone(sealed), "garbage\n"...), "something was appended"},
		{"update appended", appendUpdate(t, sealed, "<</Producer (someone else)>>"), "appended after sealing"},
		{"second signature", appendUpdate(t, sealed, "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <3000>>>"), "2 signature dictionaries"},
		{"ByteRange short of the end", setByteRange(t, sealed, func(br []int) []int { br[3]--; return br }), "appended after sealing"},
		{"ByteRange past the end", setByteRange(t, sealed, func(br []int) []int { br[3]++; return br }), "past the end"},
		{"ByteRange gap misplaced", setByteRange(t, sealed, func(br []int) []int { br[1]--; br[2]--; br[3]++; return br }), "leaves out bytes"},
		{"ByteRange not from 0", setByteRange(t, sealed, func(br []int) []int { br[0] = 1; return br }), "starts at 1"},
		{"CMS larger than /Contents", sealWith(func([]byte) ([]byte, error) { return []byte{0x30, 0x82, 0x10, 0x00, 1, 2, 3}, nil }), "holds 256"},
		{"no CMS", sealWith(func([]byte) ([]byte, error) { return []byte{0}, nil }), "no CMS"},
		{"junk after the CMS", sealWith(func([]byte) ([]byte, error) { return []byte{0x30, 0x01, 0x05, 0xff}, nil }), "zero padding"},
		{"CMS not DER", sealWith(func([]byte) ([]byte, error) { return []byte("not DER"), nil }), "not a DER SEQUENCE"},
		{"xref entry corrupted", bytes.Replace(sealed, []byte(" 00000 n\r\n"), []byte(" 00000 x\r\n"), 1), "malformed entry"},
		{"stream length wrong", bytes.Replace(sealed, []byte("/Length 0>>"), []byte("/Length 9>>"), 1), "endstream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := certpdf.Read(tc.pdf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestSealRefuses checks Seal's errors: no signer, a CMS larger than the
// room, unsafe attachment names, and a file that is not fresh from
// Render, which Read would refuse once sealed.
func TestSealRefuses(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { sealRefuses(t, r, cs) })
	}
}

func sealRefuses(t *testing.T, r *certpdf.Renderer, cs *suite.Suite) {
	s := newSigner(t, cs)
	pdf, err := r.Render(sampleDocument(cs))
	if err != nil {
		t.Fatal(err)
	}
	sealed := sealSample(t, r, cs, s)
	errSign := errors.New("the HSM is offline")
	for _, tc := range []struct {
		name string
		pdf  []byte
		edit func(*certpdf.SealOptions)
		want string
	}{
		{"no signer", pdf, func(o *certpdf.SealOptions) { o.Sign = nil }, "no SignFunc"},
		{"signer fails", pdf, func(o *certpdf.SealOptions) { o.Sign = func([]byte) ([]byte, error) { return nil, errSign } }, "HSM is offline"},
		{"CMS too large", pdf, func(o *certpdf.SealOptions) { o.ContentsSize = 100 }, "raise SealOptions.ContentsSize"},
		{"room negative", pdf, func(o *certpdf.SealOptions) { o.ContentsSize = -1 }, "ContentsSize"},
		{"two files of one name", pdf, func(o *certpdf.SealOptions) { o.Attachments[1].Name = o.Attachments[0].Name }, "two attachments named"},
		{"path in a name", pdf, func(o *certpdf.SealOptions) { o.Attachments[0].Name = "../etc/passwd" }, "path"},
		{"empty name", pdf, func(o *certpdf.SealOptions) { o.Attachments[0].Name = "" }, "not a file name"},
		{"control character in a name", pdf, func(o *certpdf.SealOptions) { o.Attachments[0].Name = "a\u202eb" }, "control or format"},
		{"attachment compresses too well", pdf, func(o *certpdf.SealOptions) { o.Attachments[0].Data = make([]byte, 3<<20) }, "compresses less"},
		{"bad media type", pdf, func(o *certpdf.SealOptions) { o.Attachments[0].MediaType = "json" }, "type/subtype"},
		{"already sealed", sealed, func(*certpdf.SealOptions) {}, "straight from Render"},
		{"not a PDF", []byte("%PDF-1.7\nnothing"), func(*certpdf.SealOptions) {}, "truncated"},
		{"no end of line after %%EOF", pdf[:len(pdf)-1], func(*certpdf.SealOptions) {}, "no end of line after the %%EOF"},
		{"a script in the PDF", bytes.Replace(pdf, []byte("/Type /Outlines"), []byte("/JS (alert(1)) "), 1), func(*certpdf.SealOptions) {}, "has /JS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := sealOptions(s)
			tc.edit(&o)
			_, err := certpdf.Seal(tc.pdf, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Seal: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
