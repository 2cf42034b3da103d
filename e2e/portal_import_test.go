package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/internal/browsertest"
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
	ownerKey, owner := n.newDepositor()
	depositorKey := keyFile(t, ownerKey)

	// Two deposits, granted to the case, are the package's items: the
	// clerk packages the case at the node; a copy gets one original
	// changed after packaging.
	ctx := context.Background()
	caseNo := "(2026)京0491民初123号"
	for i, content := range []string{"the contract signed on 20 November", "第二页：双方签字"} {
		res, err := owner.Submit(ctx, []api.Deposit{prepare(t, st.Origin, ownerKey, content, fmt.Sprintf("import-%d", i))}, 30*time.Second)
		if err != nil || res[0].Status != api.StatusCommitted {
			t.Fatalf("deposit: %+v %v", res, err)
		}
		if err := owner.UploadOriginal(ctx, res[0].ID, strings.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Grant(ctx, res[0].ID, st.Institution, caseNo); err != nil {
			t.Fatal(err)
		}
	}
	genuine := filepath.Join(dir, "genuine.zip")
	if out, errOut, code := run(t, nil, "package", "create", "--server", n.URL, "--key", clerkKey, "--case", caseNo, "--out", genuine); code != 0 {
		t.Fatalf("package create: %d %s%s", code, out, errOut)
	}
	pkg, err := os.ReadFile(genuine)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, pkg)
	changed := false
	for name, b := range files {
		if strings.HasPrefix(name, "items/2/original/") {
			b[0] ^= 1
			changed = true
		}
	}
	if !changed {
		t.Fatal("the package has no original of items/2")
	}
	tampered := filepath.Join(dir, "tampered.zip")
	if err := os.WriteFile(tampered, rezip(t, files), 0o644); err != nil {
		t.Fatal(err)
	}

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
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "verified items/1") || !strings.HasPrefix(rows[1], "failed items/2") ||
		!strings.Contains(rows[1], "items/2/original/") {
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
