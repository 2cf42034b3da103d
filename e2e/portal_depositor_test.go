package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/suite"
)

// TestPortalDepositor walks a depositor's pages in Chromium against a real
// node: a person registers in the browser with an invitation code, a
// reviewer approves in the review desk (in a browser of their own), the
// person deposits files by drag and drop and with the picker, and the
// receipt the browser saved verifies with the CLI; a photo from the (fake) camera is deposited with the
// (overridden) location it was taken at; the deposit is granted to a court
// case and shared. A CLI user who signs in with their key file sees the
// deposits they made with the CLI; a tampered key file and another
// account's deposit are refused, saying why.
func TestPortalDepositor(t *testing.T) {
	n := initNode(t)
	n.start()
	st := n.status()
	dir := t.TempDir()
	downloads := t.TempDir()
	reviewer := n.staffKeyFile(dir, "reviewer")
	code := depInvite(t, reviewer, n)

	b := browsertest.Start(t)
	tab := n.browse(t, b, "/account")
	tab.SaveDownloads(downloads)

	// Register in the browser: a new key, the invitation, real-name data.
	tab.Run("register",
		chromedp.SendKeys(chromedp.CSS("#reg-invitation"), code),
		chromedp.SendKeys(chromedp.CSS("#reg-name"), "Li Si"),
		chromedp.SetValue(chromedp.CSS("#reg-id-type"), "passport"),
		chromedp.SendKeys(chromedp.CSS("#reg-id-number"), "E12345678"),
		chromedp.Click(chromedp.CSS("#reg-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#account-status[data-status="pending"]`)),
	)
	account := tab.Text("read the account id", "#account-id")
	if !strings.HasPrefix(account, "acct-") {
		t.Fatalf("the page shows account %q", account)
	}
	tab.Screenshot("registered-pending")
	tab.CheckLabels("/account")

	// The reviewer, in a browser of their own, approves in the review
	// desk; the applicant's page notices by itself.
	desk := n.browse(t, browsertest.Start(t), "/account")
	signIn(desk, n, reviewer)
	pending := `#pending-list article[data-account="` + account + `"]`
	desk.Run("approve in the review desk", chromedp.Navigate(n.URL+"/review"), chromedp.WaitVisible(chromedp.CSS(pending)),
		chromedp.Click(chromedp.CSS(pending+` button[data-action="approve"]`)),
		browsertest.Until(`document.getElementById("review-status")?.textContent.includes("approved")`))
	desk.Screenshot("reviewer-approved")
	tab.Run("see the approval", chromedp.WaitVisible(chromedp.CSS(`#account-status[data-status="approved"]`)))
	if who := tab.Text("read the header", "#who .who-name"); who != "Li Si" {
		t.Errorf("the header names %q, want Li Si", who)
	}
	tab.Screenshot("approved")

	// Deposit a file dropped on the drop zone: a DataTransfer built in the
	// page, as the browser builds one for a real drop.
	const scene = "the scene at 9:30, as Li Si saw it\n"
	tab.Run("open my evidence", chromedp.Navigate(n.URL+"/deposits"), chromedp.WaitVisible(chromedp.CSS("#drop-zone")))
	depDrop(tab, "scene.txt", scene)
	tab.Run("deposit the dropped file",
		chromedp.WaitVisible(chromedp.CSS(`.queue-item[data-state="ready"]`)),
		chromedp.Click(chromedp.CSS("#deposit-start")),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item[data-state="done"] .download-receipt`)),
		chromedp.Click(chromedp.CSS(`.queue-item[data-state="done"] .download-receipt`)),
		chromedp.Click(chromedp.CSS(`.queue-item[data-state="done"] .download-opening`)),
	)
	// The receipt and opening the browser saved verify with the CLI,
	// metadata included, against the node's policy.
	browsertest.WaitFile(t, filepath.Join(downloads, "scene.txt.tlog-proof"), -1)
	browsertest.WaitFile(t, filepath.Join(downloads, "scene.txt.meta.json"), -1)
	if err := os.WriteFile(filepath.Join(downloads, "scene.txt"), []byte(scene), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := n.policyFile()
	out, errOut, exit := run(t, nil, "verify", "--policy", policy, filepath.Join(downloads, "scene.txt"))
	if exit != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "proven by the opening") || !strings.Contains(out, "scene.txt") {
		t.Fatalf("the browser's receipt does not verify with the CLI: %s%s", out, errOut)
	}

	// A file chosen with the picker, its original stored in the vault.
	contract := filepath.Join(dir, "contract.pdf")
	if err := os.WriteFile(contract, []byte("%PDF-1.4 the contract signed on 20 November\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Run("deposit a picked file with its original",
		chromedp.Click(chromedp.CSS("#upload-original")),
		chromedp.SetUploadFiles(chromedp.CSS("#deposit-files"), []string{contract}),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item[data-state="ready"]`)),
		chromedp.Click(chromedp.CSS("#deposit-start")),
		browsertest.Until(`document.querySelectorAll('.queue-item[data-state="done"]').length === 2 && document.querySelectorAll('#deposit-table tr[data-status="committed"]').length === 2`),
	)
	if text := tab.Text("read the result", `.queue-item:nth-child(2) .result`); !strings.Contains(text, "vault") {
		t.Errorf("the picked file's result does not say its original is stored: %q", text)
	}
	tab.Screenshot("deposited")
	tab.CheckLabels("/deposits")

	// A photo from the camera, where the browser says it is.
	const lat, lon = 39.9042, 116.4074
	if _, err := chromedp.CallBrowser(tab.Ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: n.URL,
	}); err != nil {
		t.Fatalf("granting geolocation: %v", err)
	}
	if _, err := chromedp.Call(tab.Ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: new(lat), Longitude: new(lon), Accuracy: new(12.0),
	}); err != nil {
		t.Fatalf("overriding the location: %v", err)
	}
	tab.Run("capture at phone size",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(n.URL+"/capture"),
		chromedp.WaitVisible(chromedp.CSS("#camera-start")),
		chromedp.Click(chromedp.CSS("#consent-location")),
		chromedp.Click(chromedp.CSS("#camera-start")),
		chromedp.WaitVisible(chromedp.CSS("#shutter")),
		browsertest.Until(`document.getElementById("viewfinder").videoWidth > 0`),
	)
	tab.Screenshot("camera-phone")
	tab.Run("take and deposit a photo",
		chromedp.Click(chromedp.CSS("#shutter")),
		chromedp.WaitVisible(chromedp.CSS("#capture-receipt .open-detail")),
	)
	if loc := tab.Text("read the location", "#capture-location"); !strings.Contains(loc, "39.9042") {
		t.Errorf("the capture shows the location %q", loc)
	}
	tab.Screenshot("captured-phone")
	tab.CheckLabels("/capture")
	// The opening the node keeps (read by the owner on the detail page)
	// carries the coordinates.
	tab.Run("open the photo's deposit",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("#capture-receipt .open-detail")),
		chromedp.WaitVisible(chromedp.CSS("#detail-facts .location")),
	)
	if loc := tab.Text("read the stored location", "#detail-facts .location"); loc != "39.9042, 116.4074" {
		t.Errorf("the deposit's opening has the location %q", loc)
	}
	photoID := browsertest.Eval[string](tab, "read the deposit id", `document.getElementById("detail").dataset.id`)

	// Grant it to a case at the node's court, and share it.
	const caseNo = "(2026)京0491民初123号"
	tab.Run("grant to a case",
		chromedp.WaitVisible(chromedp.CSS("#grant-court")),
		chromedp.SendKeys(chromedp.CSS("#grant-court"), st.Institution),
		chromedp.SendKeys(chromedp.CSS("#grant-case"), caseNo),
		chromedp.Click(chromedp.CSS("#grant-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#grants li.grant`)),
		chromedp.WaitVisible(chromedp.CSS(`#trail tr[data-action="grant"]`)),
	)
	clerk := n.staffKeyFile(dir, "clerk")
	if out, errOut, code := run(t, nil, "case", st.Institution, caseNo, "--key", clerk, "--server", n.URL); code != 0 || !strings.Contains(out, photoID[:8]) {
		t.Errorf("the clerk does not see the granted photo %s: %s%s", photoID, out, errOut)
	}
	tab.Run("share it",
		chromedp.Click(chromedp.CSS("#share-submit")),
		chromedp.WaitVisible(chromedp.CSS("#share-code")),
		chromedp.WaitVisible(chromedp.CSS("#shares tr.share")),
	)
	share := tab.Text("read the share code", "#share-code")
	if info, err := depClient(t, n, reviewer).SharedDeposit(context.Background(), photoID, share); err != nil || info.ID != photoID {
		t.Errorf("the share code %q does not open deposit %s: %v", share, photoID, err)
	}
	tab.Screenshot("granted-shared")
	tab.CheckLabels("/deposits?id=")
	tab.Run("revoke the grant",
		chromedp.Click(chromedp.CSS(`#grants li.grant .revoke-grant`)),
		chromedp.WaitVisible(chromedp.CSS(`#trail tr[data-action="revoke-grant"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#grants li.grant`)),
	)

	// A CLI user signs in with their key file and sees their CLI deposit.
	cliDir := t.TempDir()
	cliKey := n.enrolledKeyFile(cliDir, "Wang Wu")
	evidence := filepath.Join(cliDir, "lease.txt")
	if err := os.WriteFile(evidence, []byte("the lease, as signed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, exit = run(t, nil, "deposit", "--key", cliKey, "--server", n.URL, evidence)
	m := regexp.MustCompile(`deposit #\d+ ([0-9a-f]{64})`).FindStringSubmatch(out)
	if exit != 0 || m == nil {
		t.Fatalf("deposit with the CLI: %s%s", out, errOut)
	}
	signIn(tab, n, cliKey)
	tab.Run("see who is signed in", browsertest.Until(`document.querySelector("#who .who-name")?.textContent === "Wang Wu"`))
	tab.Run("see the CLI deposit",
		chromedp.Navigate(n.URL+"/deposits"),
		chromedp.WaitVisible(chromedp.CSS(`#deposit-table tr[data-id="`+m[1]+`"][data-status="committed"]`)),
		browsertest.Until(`[...document.querySelectorAll("#deposit-table .title-cell")].some((c) => c.textContent === "lease.txt")`),
	)
	if rows := browsertest.Eval[int](tab, "count the rows", `document.querySelectorAll("#deposit-table tbody tr").length`); rows != 1 {
		t.Errorf("the CLI user sees %d deposits, want only their own", rows)
	}
	tab.Screenshot("cli-user")

	// Another account's deposit typed into the address: the node's 403.
	tab.Run("open Li Si's deposit as Wang Wu",
		chromedp.Navigate(n.URL+"/deposits?id="+photoID),
		chromedp.WaitVisible(chromedp.CSS(`#detail-status.error`)),
	)
	if msg := tab.Text("read the refusal", "#detail-status"); !strings.Contains(msg, "not yours") {
		t.Errorf("another account's deposit shows %q, want the node's refusal", msg)
	}
	// The browser logs the refused request; nothing else may fail.
	if errs := tab.TakeErrors(); len(errs) != 1 || !strings.Contains(errs[0], "403") {
		t.Errorf("script errors: %q, want only the refused request", errs)
	}
	tab.Screenshot("forbidden")

	// A tampered key file is refused, and the user stays signed in.
	key, err := os.ReadFile(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(cliDir, "tampered.key")
	lines := strings.Split(string(key), "\n")
	lines[1] = "AAAA" + lines[1][4:] // the DER's first bytes: no longer a private key
	if err := os.WriteFile(tampered, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	tab.Run("import a tampered key file",
		chromedp.Navigate(n.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS(`#account-status[data-status="approved"]`)),
		chromedp.SetUploadFiles(chromedp.CSS("#import-key"), []string{tampered}),
		chromedp.WaitVisible(chromedp.CSS(`#import-status.error[role="alert"]`)),
	)
	if msg := tab.Text("read the refusal", "#import-status"); !strings.Contains(strings.ToLower(msg), "key file") {
		t.Errorf("a tampered key file shows %q", msg)
	}
	if who := tab.Text("read the header", "#who .who-name"); who != "Wang Wu" {
		t.Errorf("after a refused import the header names %q", who)
	}
	tab.Screenshot("tampered-key")

	// Li Si's key is deleted from this browser, after a confirmation that
	// says what is lost.
	tab.Run("delete Li Si's key",
		chromedp.Click(chromedp.CSS(`#keys-table tr:not(:has(.tag)) .delete-key`)),
		chromedp.WaitVisible(chromedp.CSS("#delete-dialog[open]")),
	)
	if text := tab.Text("read the confirmation", "#delete-text"); !strings.Contains(text, account) || !strings.Contains(text, "cannot be undone") {
		t.Errorf("the confirmation says %q", text)
	}
	tab.Run("confirm",
		chromedp.Click(chromedp.CSS("#delete-confirm")),
		chromedp.WaitVisible(chromedp.CSS(`#keys-status.ok`)),
	)
	if rows := browsertest.Eval[int](tab, "count the keys", `document.querySelectorAll("#keys-table tbody tr").length`); rows != 1 {
		t.Errorf("after deleting one of two keys, the browser lists %d", rows)
	}
}

// depInvite issues an invitation code with the reviewer's key file.
func depInvite(t *testing.T, reviewer string, n *node) string {
	t.Helper()
	out, errOut, code := run(t, nil, "invite", "--key", reviewer, "--server", n.URL)
	m := regexp.MustCompile(`invitation code (\S+) `).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("invite: %s%s", out, errOut)
	}
	return m[1]
}

// depDrop dispatches the events of dropping a file named name with content
// on the drop zone.
func depDrop(tab *browsertest.Tab, name, content string) {
	args, err := json.Marshal([]string{name, content})
	if err != nil {
		panic(err)
	}
	browsertest.Eval[bool](tab, "drop "+name, `((args) => {
		const dt = new DataTransfer();
		dt.items.add(new File([args[1]], args[0], { type: "text/plain" }));
		const zone = document.getElementById("drop-zone");
		for (const type of ["dragenter", "dragover", "drop"]) {
			zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		}
		return true;
	})(`+string(args)+`)`)
}

// depClient returns a client that signs as the account of the key in keyFile.
func depClient(t *testing.T, n *node, keyFile string) *client.Client {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := suite.ParseAnyPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return n.client().WithAuth(client.KeyAuth{KeyID: identity.AccountID(testSuite, n.status().Institution, key.Public()), Alg: testSuite.Signature().Name(), Key: key})
}
