package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/internal/browsertest"
)

// TestEvidencePackage runs the whole path on a real node: deposits with
// their originals granted to a case, the clerk packages the case with the
// CLI, 'jurichain verify PACKAGE.zip' verifies every item offline under
// the node's policy, three tampered copies each fail naming the item, and
// the package's index.html opens offline in Chromium in both languages.
func TestEvidencePackage(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	st := n.status()
	const caseNo = "(2026)京0491民初7号"
	ownerKey, owner := n.newDepositor()
	clerkKey, _ := n.staff(identity.Clerk)
	contents := []string{"the contract signed on 1 May", "a photo of the scene", "a recording of the call"}
	var ids []string
	for i, c := range contents {
		res, err := owner.Submit(ctx, []api.Deposit{prepare(t, st.Origin, ownerKey, c, "pkg-"+string(rune('a'+i)))}, 30*time.Second)
		if err != nil || res[0].Status != api.StatusCommitted {
			t.Fatalf("deposit: %+v %v", res, err)
		}
		ids = append(ids, res[0].ID)
		if err := owner.UploadOriginal(ctx, res[0].ID, strings.NewReader(c), int64(len(c))); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Grant(ctx, res[0].ID, st.Institution, caseNo); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "case.zip")
	out, errOut, code := run(t, nil, "package", "create", "--server", n.URL, "--key", keyFile(t, clerkKey), "--case", caseNo, "--out", pkg)
	if code != 0 || !strings.Contains(out, "3 items") {
		t.Fatalf("package create: %d %s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, nil, "package", "create", "--server", n.URL, "--key", keyFile(t, clerkKey), "--case", caseNo, "--out", pkg); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("package create over an existing file: %d %s", code, errOut)
	}
	policyFile := n.policyFile()
	out, errOut, code = run(t, nil, "verify", "--policy", policyFile, pkg)
	if code != 0 || strings.Count(out, "VERIFIED") < 4 || !strings.Contains(out, "policies: yours") {
		t.Fatalf("verify: %d %s%s", code, out, errOut)
	}
	out, _, code = run(t, nil, "verify", pkg)
	if code != 0 || !strings.Contains(out, "the package's own") {
		t.Fatalf("verify with the package's policies: %d %s", code, out)
	}

	orig, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, orig)
	for _, tc := range []struct {
		name, item string
		change     func(map[string][]byte)
	}{
		{"one byte of one original", "items/2", func(fs map[string][]byte) {
			for name, b := range fs {
				if strings.HasPrefix(name, "items/2/original/") {
					b[0] ^= 1
				}
			}
		}},
		{"one receipt", "items/3", func(fs map[string][]byte) {
			b := fs["items/3/receipt.tlog-proof"]
			b[len(b)/2] ^= 1
		}},
		{"one manifest line", "manifest.txt", func(fs map[string][]byte) {
			fs["manifest.txt"] = bytes.Replace(fs["manifest.txt"], []byte("items/1/receipt.tlog-proof"), []byte("items/1/receipt.tlog-proo_"), 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copies := map[string][]byte{}
			for k, v := range files {
				copies[k] = bytes.Clone(v)
			}
			tc.change(copies)
			bad := filepath.Join(t.TempDir(), "tampered.zip")
			if err := os.WriteFile(bad, rezip(t, copies), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := run(t, nil, "verify", "--policy", policyFile, bad)
			if code != 1 || !strings.Contains(out+errOut, tc.item) || !strings.Contains(out, "FAILED") {
				t.Fatalf("a tampered package: exit %d\n%s%s", code, out, errOut)
			}
		})
	}

	// The index opens from the unpacked package, offline.
	unpacked := t.TempDir()
	if err := os.WriteFile(filepath.Join(unpacked, "index.html"), files["index.html"], 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t)
	tab := b.Tab(t)
	tab.Run("open the index offline", chromedp.Navigate("file://"+filepath.Join(unpacked, "index.html")), chromedp.WaitVisible(chromedp.CSS("h1")))
	heading := tab.Text("read the heading", "h1")
	if !strings.Contains(heading, "证据包") || !strings.Contains(heading, "Evidence package") {
		t.Fatalf("heading: %q", heading)
	}
	rows := browsertest.Eval[int](tab, "count the items", `document.querySelectorAll("table")[1].querySelectorAll("tr").length - 1`)
	if rows != len(contents) {
		t.Fatalf("the index lists %d items, want %d", rows, len(contents))
	}
	page := browsertest.Eval[string](tab, "read the page", `document.body.innerText`)
	for _, want := range []string{"证据清单", "Items", caseNo, ids[0]} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func rezip(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
