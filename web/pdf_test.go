package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/internal/pkitest"
)

// pdfExpected is testdata/pdf/expected.json: what outside tools read in
// the certificate fixtures, which the scripts' tests compare with.
type pdfExpected struct {
	Suites map[string]struct {
		Attachments map[string]string `json:"attachments"`
		GenTime     string            `json:"gen_time"`
	} `json:"suites"`
}

// TestCertificateFixtures checks the certificate PDFs in testdata/pdf
// (made by 'jurichain deposit --certificate', one per suite) with poppler's
// pdfdetach and OpenSSL: the attachments and the checkpoint token's time
// in expected.json are what those tools read, so the page's PDF and token
// readers (pdfattach.test.mjs) are judged by them.
func TestCertificateFixtures(t *testing.T) {
	pdfdetach := pkitest.Tool(t, "pdfdetach")
	openssl := pkitest.Tool(t, "openssl")
	var want pdfExpected
	if err := json.Unmarshal([]byte(read(t, "testdata/pdf/expected.json")), &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"intl", "gm"} {
		t.Run(name, func(t *testing.T) {
			exp := want.Suites[name]
			dir := t.TempDir()
			if out, err := exec.Command(pdfdetach, "-saveall", "-o", dir, filepath.Join("testdata", "pdf", name+".pdf")).CombinedOutput(); err != nil {
				t.Fatalf("pdfdetach: %v\n%s", err, out)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(exp.Attachments) {
				t.Errorf("pdfdetach extracts %d files, expected.json lists %d", len(entries), len(exp.Attachments))
			}
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				if got := hex.EncodeToString(sum[:]); got != exp.Attachments[e.Name()] {
					t.Errorf("%s: pdfdetach gives SHA-256 %s, expected.json %q", e.Name(), got, exp.Attachments[e.Name()])
				}
			}
			out, err := exec.Command(openssl, "ts", "-reply", "-token_in", "-in", filepath.Join(dir, "checkpoint.tst"), "-text").CombinedOutput()
			if err != nil {
				t.Fatalf("openssl ts -reply: %v\n%s", err, out)
			}
			var stamped string
			for _, line := range strings.Split(string(out), "\n") {
				if v, ok := strings.CutPrefix(line, "Time stamp: "); ok {
					stamped = strings.Join(strings.Fields(v), " ")
				}
			}
			got, err := time.Parse("Jan 2 15:04:05 2006 MST", stamped)
			if err != nil {
				t.Fatalf("openssl prints the time stamp %q: %v\n%s", stamped, err, out)
			}
			if got.UTC().Format(time.RFC3339) != exp.GenTime {
				t.Errorf("openssl reads the token's time as %s, expected.json says %s", got.UTC().Format(time.RFC3339), exp.GenTime)
			}
		})
	}
}
