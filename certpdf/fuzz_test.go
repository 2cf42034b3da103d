package certpdf_test

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// smallDocument is a certificate small enough to be a fuzzing seed: one
// row, Latin only, so only one font is embedded.
func smallDocument() *certpdf.Document {
	return &certpdf.Document{
		TitleEN:  "Certificate",
		Number:   "JC-1",
		Sections: []certpdf.Section{{Rows: []certpdf.Row{{LabelEN: "Digest", Value: "00ff", Mono: true}}}},
		Created:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// smallSealOptions seal smallDocument with little room for the CMS.
func smallSealOptions(sign certpdf.SignFunc) certpdf.SealOptions {
	return certpdf.SealOptions{
		Name: "seal", Reason: "test", Location: "Beijing",
		Time:         time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
		Attachments:  []certpdf.Attachment{{Name: "a.txt", MediaType: "text/plain", Data: []byte("hello")}},
		ContentsSize: 1600,
		Sign:         sign,
	}
}

const (
	goldenSealed = "testdata/sealed-small.pdf"
	goldenCA     = "testdata/sealed-small-ca.pem"
)

// TestReadGolden reads a certificate sealed by an earlier build: its
// fields, its CMS over what Read says is signed, chained to the CA kept
// beside it, and its Unsealed equal, byte for byte, to a re-render of the
// same Document by this build, which is what a verifier requires. A
// change to Render that would make certificates already issued fail
// verification (a font, the layout, even the compression level) fails
// here first. With JURICHAIN_UPDATE_GOLDEN set it writes a new one, and
// the fuzzing seeds made from it.
func TestReadGolden(t *testing.T) {
	if updateGolden() {
		writeGoldenSealed(t)
	}
	pdf, err := os.ReadFile(goldenSealed)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(goldenCA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := certpdf.Read(pdf)
	if err != nil {
		t.Fatal(err)
	}
	want := smallSealOptions(nil)
	if s.Name != want.Name || s.Reason != want.Reason || s.Location != want.Location || !s.Time.Equal(want.Time) ||
		len(s.Attachments) != 1 || s.Attachments[0].Name != "a.txt" || !bytes.Equal(s.Attachments[0].Data, []byte("hello")) {
		t.Errorf("fields read: %+v", s)
	}
	block, _ := pem.Decode(caPEM)
	ca, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(s.CMS)
	if err != nil {
		t.Fatal(err)
	}
	p7.Content = s.Signed
	pool := smx509.NewCertPool()
	pool.AddCert(ca)
	if err := p7.VerifyWithChain(pool); err != nil {
		t.Errorf("the golden CMS does not verify: %v", err)
	}
	again, err := newRenderer(t).Render(smallDocument())
	if err != nil {
		t.Fatal(err)
	}
	pages, err := certpdf.PageContents(again)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(s.PageContents) || !bytes.Equal(pages[0], s.PageContents[0]) {
		t.Error("this build prints the golden certificate's Document differently")
	}
	if !bytes.Equal(again, s.Unsealed) {
		t.Errorf("this build renders the golden certificate's Document as %d bytes that differ from its %d: certificates already issued would no longer verify", len(again), len(s.Unsealed))
	}
}

// writeGoldenSealed seals smallDocument and writes it, its CA, and
// broken variants as fuzzing seeds. The CMS keeps verifying after the
// test certificates expire, because gmsm checks the chain at the CMS's
// signing time.
func writeGoldenSealed(t *testing.T) {
	s := newSigner(t, suite.International())
	pdf, err := newRenderer(t).Render(smallDocument())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := certpdf.Seal(pdf, smallSealOptions(s.sign))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenSealed, sealed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenCA, s.caPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{
		"sealed":    sealed,
		"unsealed":  pdf,
		"truncated": sealed[:len(sealed)*2/3],
		"appended":  append(bytes.Clone(sealed), "1 0 obj\n<<>>\nendobj\n"...),
		"no-eof":    sealed[:len(sealed)-6],
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRead feeds Read arbitrary bytes: it must return an error or a
// Sealed whose ByteRange and Signed agree with the file, never panic.
func FuzzRead(f *testing.F) {
	if data, err := os.ReadFile(goldenSealed); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		s, err := certpdf.Read(pdf)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		br := s.ByteRange
		if br[0] != 0 || br[2]+br[3] != int64(len(pdf)) || br[1] >= br[2] {
			t.Fatalf("accepted ByteRange %v for %d bytes", br, len(pdf))
		}
		if !bytes.Equal(s.Signed, append(bytes.Clone(pdf[:br[1]]), pdf[br[2]:]...)) {
			t.Fatal("Signed is not what the ByteRange covers")
		}
		if len(s.CMS) < 2 || s.CMS[0] != 0x30 {
			t.Fatalf("accepted CMS %x", s.CMS)
		}
	})
}

// FuzzPageContents feeds PageContents arbitrary bytes, as a verifier
// hands it a re-render or a file from outside.
func FuzzPageContents(f *testing.F) {
	if data, err := os.ReadFile(goldenSealed); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		pages, err := certpdf.PageContents(pdf)
		if err == nil && len(pages) == 0 {
			t.Fatal("no pages and no error")
		}
	})
}

// FuzzSeal feeds Seal arbitrary bytes in place of a rendered PDF: it must
// refuse them or append to them, never panic or change them.
func FuzzSeal(f *testing.F) {
	if data, err := os.ReadFile(goldenSealed); err == nil {
		if s, err := certpdf.Read(data); err == nil {
			f.Add(data[:bytes.Index(s.Signed, []byte("%%EOF"))+6])
		}
	}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		in := bytes.Clone(pdf)
		out, err := certpdf.Seal(pdf, smallSealOptions(func([]byte) ([]byte, error) { return []byte{0x30, 0}, nil }))
		if err != nil {
			return
		}
		if !bytes.HasPrefix(out, in) {
			t.Fatal("Seal changed the bytes it was given")
		}
		if _, err := certpdf.Read(out); err != nil {
			t.Fatalf("Seal made a file Read refuses: %v", err)
		}
	})
}
