package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/internal/browsertest"
	jnode "github.com/jurichain/jurichain/node"
)

// TestPortalImport has a clerk import evidence packages at the court: one
// with the CLI (verified), one in the court desk in Chromium whose
// original was changed after packaging: the page shows the verdict per
// item, naming the failed one, the ledger entry of the verdict, and both
// imports in the list.
func TestPortalImport(t *testing.T) {
	n := initNode(t)
	n.start()
	st := n.status()
	dir := t.TempDir()
	clerkKey := n.staffKeyFile(dir, "clerk")
	depositorDir := filepath.Join(dir, "depositor")
	if err := os.Mkdir(depositorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	depositorKey := n.enrolledKeyFile(depositorDir, "Wang Wu")

	// Two deposits, made with the CLI, are the package's items.
	var files [][2]string // path in the package, file on disk
	for i, content := range []string{"the contract signed on 20 November\n", "第二页：双方签字\n"} {
		f := filepath.Join(depositorDir, fmt.Sprintf("evidence-%d.txt", i))
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", depositorKey, f); code != 0 {
			t.Fatalf("deposit: %s%s", out, errOut)
		}
		files = append(files,
			[2]string{fmt.Sprintf("items/%d/receipt.tlog-proof", i), f + ".tlog-proof"},
			[2]string{fmt.Sprintf("items/%d/original/evidence.txt", i), f})
	}
	signer, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		t.Fatal(err)
	}
	caseNo := "(2026)京0491民初123号"
	genuine := filepath.Join(dir, "genuine.zip")
	writePackage(t, genuine, st.Origin, caseNo, signer, files, "")
	tampered := filepath.Join(dir, "tampered.zip")
	writePackage(t, tampered, st.Origin, caseNo, signer, files, "items/1/original/evidence.txt")

	// The CLI: verified, each item listed, the verdict's ledger entry.
	out, errOut, code := run(t, nil, "package", "import", genuine, "--server", n.URL, "--key", clerkKey)
	if code != 0 || !strings.Contains(out, "VERIFIED, 2 items, 0 failed") || !regexp.MustCompile(`entry #\d+`).MatchString(out) ||
		strings.Count(out, "VERIFIED") != 3 {
		t.Fatalf("package import: exit %d\n%s%s", code, out, errOut)
	}
	// A depositor is no clerk: refused, nothing recorded.
	if out, errOut, code := run(t, nil, "package", "import", genuine, "--server", n.URL, "--key", depositorKey); code == 0 || !strings.Contains(errOut, "judge or clerk") {
		t.Fatalf("a depositor imported a package: %s%s", out, errOut)
	}

	// The court desk: the tampered package, its verdict per item.
	b := browsertest.Start(t)
	tab := b.Tab(t)
	deskSignIn(tab, n, clerkKey, identity.AccountID(testSuite, st.Institution, deskKey(t, clerkKey).Public()))
	tab.Run("open the court desk", chromedp.Navigate(n.URL+"/court"), chromedp.WaitVisible(chromedp.CSS("#import-form")),
		chromedp.WaitVisible(chromedp.CSS(`#import-list tr[data-import]`)))
	tab.Screenshot("court-imports")
	tab.Run("import the tampered package",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{tampered}),
		chromedp.Focus(chromedp.CSS("#import-submit")),
		chromedp.KeyEvent("\r"), // keyboard, as a clerk without a mouse
		chromedp.WaitVisible(chromedp.CSS("#import-result table")))
	status := tab.Text("read the verdict", "#import-status")
	if !strings.Contains(status, "failed") || !strings.Contains(status, "tampered.zip") || !regexp.MustCompile(`#\d+`).MatchString(status) {
		t.Errorf("the import's status reads %q", status)
	}
	rows := browsertest.Eval[[]string](tab, "read the items",
		`[...document.querySelectorAll("#import-result tbody tr")].map((r) => r.dataset.verdict + " " + r.textContent)`)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "verified items/0") || !strings.HasPrefix(rows[1], "failed items/1") ||
		!strings.Contains(rows[1], "items/1/original/evidence.txt") {
		t.Errorf("the verdict table reads %q", rows)
	}
	waitRows := time.Now().Add(20 * time.Second)
	for browsertest.Eval[int](tab, "count the imports", `document.querySelectorAll("#import-list tr[data-import]").length`) != 2 {
		if time.Now().After(waitRows) {
			t.Fatal("the list of imports does not show both")
		}
		time.Sleep(100 * time.Millisecond)
	}
	verdicts := browsertest.Eval[[]string](tab, "read the imports", `[...document.querySelectorAll("#import-list tr[data-import]")].map((r) => r.dataset.verdict)`)
	if strings.Join(verdicts, " ") != "failed verified" {
		t.Errorf("the imports, newest first, read %q", verdicts)
	}
	tab.Screenshot("court-import-failed")
	tab.CheckLabels("/court")

	// In Chinese too.
	tab.Run("switch to Chinese", chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitVisible(chromedp.CSS("#import-result table")))
	if got := tab.Text("read the heading", "#imports-title"); got != "导入的证据包" {
		t.Errorf("the section's heading in Chinese reads %q", got)
	}
	tab.Screenshot("court-import-zh")
}

// writePackage writes an evidence package to file: the files (path in the
// package, file on disk) and manifest.txt listing them, signed by signer
// for network origin. The file at path changed, when named, gets another
// first byte after its digest went into the manifest.
func writePackage(t *testing.T, file, origin, caseNo string, signer note.Signer, files [][2]string, changed string) {
	t.Helper()
	var text strings.Builder
	b64 := base64.RawURLEncoding.EncodeToString
	fmt.Fprintf(&text, "jurichain evidence package v1\nnetwork %s\ninstitution test\ncase %s %s\ncreated %s\n",
		origin, b64([]byte("court")), b64([]byte(caseNo)), time.Now().UTC().Format(time.RFC3339))
	contents := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f[1])
		if err != nil {
			t.Fatal(err)
		}
		contents[f[0]] = b
		fmt.Fprintf(&text, "file %x %d %s\n", sha256.Sum256(b), len(b), f[0])
	}
	signed, err := note.Sign(&note.Note{Text: text.String()}, signer)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, b []byte) {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(b)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	add("manifest.txt", signed)
	for _, f := range files {
		b := contents[f[0]]
		if f[0] == changed {
			b = append([]byte("X"), b[1:]...)
		}
		add(f[0], b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
