package certpdf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

func newRenderer(t testing.TB) *certpdf.Renderer {
	t.Helper()
	r, err := certpdf.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sampleAttachments are what a certificate carries: the receipt, the
// time-stamp token, and a file with a Chinese name.
func sampleAttachments() []certpdf.Attachment {
	return []certpdf.Attachment{
		{Name: "receipt.json", Description: "Deposit receipt 存证收据", MediaType: "application/json", Data: []byte(`{"leaf":1048576,"checkpoint":"jurichain.example/log\n2097152\n"}`)},
		{Name: "timestamp.tsr", Description: "RFC 3161 time-stamp token", MediaType: "application/timestamp-reply", Data: bytes.Repeat([]byte{0x30, 0x82, 0x00, 0xff}, 300)},
		{Name: "证据清单.txt", MediaType: "text/plain", Data: []byte("合同.pdf\n聊天记录.png\n")},
	}
}

func sealOptions(s *signer) certpdf.SealOptions {
	return certpdf.SealOptions{
		Name:        "haidian-court seal",
		Reason:      "存证证书 Certificate of deposit JC-2026-0001",
		Location:    "北京 Beijing",
		ContactInfo: "verify@jurichain.example",
		Time:        time.Date(2026, 3, 14, 9, 27, 30, 0, time.FixedZone("", 8*3600)),
		Attachments: sampleAttachments(),
		Sign:        s.sign,
	}
}

// sealSample renders and seals the sample certificate of a suite.
func sealSample(t testing.TB, r *certpdf.Renderer, cs *suite.Suite, s *signer) []byte {
	t.Helper()
	pdf, err := r.Render(sampleDocument(cs))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := certpdf.Seal(pdf, sealOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, pdf) {
		t.Fatal("Seal changed the bytes of the rendered PDF instead of appending to them")
	}
	return sealed
}

// nssDB makes an NSS database that trusts the signer's CA.
func nssDB(t *testing.T, s *signer) string {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.caPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "certutil", "-N", "-d", "sql:"+dir, "--empty-password"); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	if out, err := run(t, "certutil", "-A", "-d", "sql:"+dir, "-n", "ca", "-t", "CT,C,C", "-i", ca); err != nil {
		t.Fatalf("certutil -A: %v\n%s", err, out)
	}
	return dir
}

// flipInReason changes one byte of the signature's /Reason, inside the
// signed range, where no parser notices.
func flipInReason(t *testing.T, sealed []byte) []byte {
	t.Helper()
	i := bytes.Index(sealed, []byte("/Reason <FEFF"))
	if i < 0 {
		t.Fatal("no /Reason in the sealed file")
	}
	out := bytes.Clone(sealed)
	j := i + len("/Reason <FEFF") + 3
	if out[j] == '0' {
		out[j] = '1'
	} else {
		out[j] = '0'
	}
	return out
}

// TestSealTools seals the sample certificate in each suite and has the
// standard tools check it: pdfsig (international: valid and trusted;
// GM: NSS has no SM2, so OpenSSL checks the SM2 signature instead),
// qpdf, MuPDF and pdfdetach. A flipped byte in the signed range breaks
// the signature for pdfsig and for the CMS check over what Read returns.
func TestSealTools(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			s := newSigner(t, cs)
			sealed := sealSample(t, r, cs, s)
			dir := t.ArtifactDir()
			file := filepath.Join(dir, "sealed.pdf")
			if err := os.WriteFile(file, sealed, 0o644); err != nil {
				t.Fatal(err)
			}

			got, err := certpdf.Read(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.verify(got.CMS, got.Signed); err != nil {
				t.Fatalf("the CMS over what Read returns does not verify: %v", err)
			}

			out, err := run(t, "qpdf", "--check", file)
			if err != nil || !strings.Contains(out, "No syntax or stream encoding errors") {
				t.Errorf("qpdf --check: %v\n%s", err, out)
			}
			out, err = run(t, "mutool", "show", file, "trailer")
			if err != nil || !strings.Contains(out, "/Prev") {
				t.Errorf("mutool show trailer: %v\n%s", err, out)
			}
			mutool, err := run(t, "mutool", "sign", "-v", file)
			if err != nil {
				t.Errorf("mutool sign -v: %v\n%s", err, mutool)
			}

			out, err = run(t, "pdfdetach", "-list", file)
			if err != nil {
				t.Fatalf("pdfdetach -list: %v\n%s", err, out)
			}
			saved := filepath.Join(dir, "detached")
			if err := os.Mkdir(saved, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := run(t, "pdfdetach", "-saveall", "-o", saved, file); err != nil {
				t.Fatalf("pdfdetach -saveall: %v\n%s", err, out)
			}
			for _, a := range sampleAttachments() {
				if !strings.Contains(out, a.Name) {
					t.Errorf("pdfdetach -list does not list %q:\n%s", a.Name, out)
				}
				data, err := os.ReadFile(filepath.Join(saved, a.Name))
				if err != nil || !bytes.Equal(data, a.Data) {
					t.Errorf("pdfdetach -saveall gives %q as %d bytes (%v), want the %d attached", a.Name, len(data), err, len(a.Data))
				}
			}

			tampered := flipInReason(t, sealed)
			tamperedFile := filepath.Join(dir, "tampered.pdf")
			if err := os.WriteFile(tamperedFile, tampered, 0o644); err != nil {
				t.Fatal(err)
			}
			bad, err := certpdf.Read(tampered)
			if err == nil {
				err = s.verify(bad.CMS, bad.Signed)
			}
			if err == nil {
				t.Error("a byte flipped in the signed range: Read and the CMS check still pass")
			}

			if cs.Name() == suite.NameGM {
				// MuPDF checks CMS with OpenSSL, which has no SM2 CMS
				// either (see checkGMWithOpenSSL).
				t.Logf("mutool sign -v on SM2:\n%s", mutool)
				checkGMWithOpenSSL(t, s, got, bad, dir)
				out, _ := run(t, "pdfsig", file)
				if !strings.Contains(out, "Signature #1") || !strings.Contains(out, "ETSI.CAdES.detached") {
					t.Errorf("pdfsig does not list the SM2 signature:\n%s", out)
				}
				t.Logf("pdfsig on SM2 (NSS has no SM2):\n%s", out)
				return
			}
			if !strings.Contains(mutool, "The document is unchanged since signing") {
				t.Errorf("mutool sign -v does not find the document unchanged:\n%s", mutool)
			}
			mutool, _ = run(t, "mutool", "sign", "-v", tamperedFile)
			if strings.Contains(mutool, "unchanged since signing") || !strings.Contains(mutool, "Digest error") {
				t.Errorf("mutool sign -v on a tampered file:\n%s", mutool)
			}
			db := nssDB(t, s)
			out, err = run(t, "pdfsig", "-nssdir", "sql:"+db, file)
			if err != nil || !strings.Contains(out, "Signature is Valid") || !strings.Contains(out, "Certificate is Trusted") {
				t.Errorf("pdfsig: %v\n%s", err, out)
			}
			if !strings.Contains(out, "ETSI.CAdES.detached") || !strings.Contains(out, "Total document signed") {
				t.Errorf("pdfsig does not say the whole document is signed:\n%s", out)
			}
			// pdfsig exits 0 on a digest mismatch, so its words are what
			// count.
			out, _ = run(t, "pdfsig", "-nssdir", "sql:"+db, tamperedFile)
			if strings.Contains(out, "Signature is Valid") || !strings.Contains(out, "Signature #1") {
				t.Errorf("pdfsig on a tampered file:\n%s", out)
			}
		})
	}
}

// checkGMWithOpenSSL checks the SM2 signature of a GM certificate with
// OpenSSL. OpenSSL 3.0's `cms -verify` computes SM2's Z value with an
// empty distinguishing ID where GM/T 0009 and gmsm use
// "1234567812345678", so the signed attributes are checked with pkeyutl
// and that ID, and the message digest attribute against SM3 of what Read
// says is signed; the tampered file's digest must not match.
func checkGMWithOpenSSL(t *testing.T, s *signer, good, bad *certpdf.Sealed, dir string) {
	attrs, sig, digest, err := signerInfoParts(good.CMS)
	if err != nil {
		t.Fatal(err)
	}
	if sum := s.cs.Hash(good.Signed); !bytes.Equal(digest, sum[:]) {
		t.Errorf("message digest attribute %x, SM3 of the signed bytes %x", digest, sum)
	}
	if bad != nil {
		if sum := s.cs.Hash(bad.Signed); bytes.Equal(digest, sum[:]) {
			t.Error("the tampered file's signed bytes still match the message digest")
		}
	}
	files := map[string][]byte{"attrs.der": attrs, "sig.der": sig, "pub.pem": s.leafPublicPEM(t), "cms.der": good.CMS}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin",
		"-inkey", filepath.Join(dir, "pub.pem"), "-pkeyopt", "distid:1234567812345678",
		"-in", filepath.Join(dir, "attrs.der"), "-sigfile", filepath.Join(dir, "sig.der"))
	if err != nil || !strings.Contains(out, "Signature Verified Successfully") {
		t.Errorf("openssl pkeyutl -verify: %v\n%s", err, out)
	}
	out, err = run(t, "openssl", "asn1parse", "-inform", "DER", "-in", filepath.Join(dir, "cms.der"))
	if err != nil || !strings.Contains(out, "1.2.156.10197.1.401") && !strings.Contains(out, "sm3") {
		t.Errorf("openssl asn1parse of the CMS: %v\n%s", err, out)
	}
}

// TestReadRefusesRewrites has qpdf rewrite a sealed certificate, as a
// tool that "repairs" or "optimizes" a PDF would: with object streams,
// linearized, or merely re-saved. Each keeps the pages and attachments
// but not the signed bytes, and Read refuses each with an error that
// says what it found.
func TestReadRefusesRewrites(t *testing.T) {
	r := newRenderer(t)
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { readRefusesRewrites(t, r, cs) })
	}
}

func readRefusesRewrites(t *testing.T, r *certpdf.Renderer, cs *suite.Suite) {
	s := newSigner(t, cs)
	sealed := sealSample(t, r, cs, s)
	dir := t.TempDir()
	in := filepath.Join(dir, "sealed.pdf")
	if err := os.WriteFile(in, sealed, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"object streams", []string{"--object-streams=generate"}, "streams are not supported"},
		{"linearized", []string{"--linearize"}, "not supported"},
		{"re-saved", []string{"--object-streams=disable"}, "ByteRange"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pdf")
			if msg, err := run(t, "qpdf", append(tc.args, in, out)...); err != nil {
				t.Fatalf("qpdf: %v\n%s", err, msg)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := certpdf.Read(data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read of a file qpdf rewrote: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
