package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/suite"
)

// TestPortalDesks drives the review desk and the court desk in Chromium
// against a real node: a reviewer invites, approves, rejects, suspends and
// reinstates in the page while the ledger is checked from outside; a clerk
// opens a case, verifies its evidence in the browser, reads the original
// and sees the read recorded. People without the role see nothing.
func TestPortalDesks(t *testing.T) {
	n := initNode(t)
	n.start()
	inst := n.status().Institution
	dir := t.TempDir()
	reviewerKey := n.staffKeyFile(dir, "reviewer")
	clerkKey := n.staffKeyFile(dir, "clerk")
	depositorDir := filepath.Join(dir, "depositor")
	if err := os.Mkdir(depositorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	depositorKey := n.enrolledKeyFile(depositorDir, "Wang Wu")
	reviewer := n.as(deskKey(t, reviewerKey))

	b := browsertest.Start(t)
	tab := b.Tab(t)
	downloads := t.TempDir()
	tab.SaveDownloads(downloads)

	// The reviewer issues invitation codes in the page; applicants register
	// with them through the CLI.
	deskSignIn(tab, n, reviewerKey, identity.AccountID(testSuite, inst, deskKey(t, reviewerKey).Public()))
	tab.Run("open the review desk", chromedp.Navigate(n.URL+"/review"), chromedp.WaitVisible(chromedp.CSS("#invite-submit")))
	tab.Screenshot("review-desk")
	invite := func(validFor string) string {
		t.Helper()
		tab.Run("issue an invitation code",
			chromedp.Evaluate[chromedp.Void](`document.getElementById("invitation").hidden = true`),
			chromedp.SetValue(chromedp.CSS("#invite-valid"), validFor),
			chromedp.Click(chromedp.CSS("#invite-submit")),
			chromedp.WaitVisible(chromedp.CSS("#invitation")))
		code := tab.Text("read the invitation code", "#invitation-code")
		if !regexp.MustCompile(`^[A-Z0-9]{16}$`).MatchString(code) {
			t.Fatalf("the page shows the invitation code %q", code)
		}
		if got := tab.Text("read the expiry", "#invitation-expires"); !strings.Contains(got, inst) {
			t.Errorf("the invitation's expiry %q does not name the institution %s", got, inst)
		}
		return code
	}
	aliceCode := invite("72h")
	tab.Screenshot("invitation")
	bobCode := invite("24h")
	alice := deskRegister(t, n, dir, "alice", aliceCode, "--name", "李四", "--id-type", "resident-id", "--id-number", "110101199001011234")
	bob := deskRegister(t, n, dir, "bob", bobCode, "--kind", "enterprise", "--name", "北京某某科技有限公司",
		"--credit-code", "91110108MA01B2C3D4", "--legal-representative", "张三", "--agent", "赵六")
	carol := filepath.Join(dir, "carol.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", carol); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	if _, errOut, code := run(t, nil, "register", "--server", n.URL, "--key", carol, "--invitation", bobCode,
		"--name", "X", "--id-type", "passport", "--id-number", "E1"); code == 0 || !strings.Contains(errOut, "already used") {
		t.Fatalf("a code issued in the page was used twice: %s", errOut)
	}

	// Both appear pending with their real-name data.
	card := func(list, account string) string { return list + ` article[data-account="` + account + `"]` }
	tab.Run("refresh the lists", chromedp.Click(chromedp.CSS("#review-refresh")),
		chromedp.WaitVisible(chromedp.CSS(card("#pending-list", alice))), chromedp.WaitVisible(chromedp.CSS(card("#pending-list", bob))))
	for _, c := range []struct{ account, want string }{
		{alice, "李四"}, {alice, "resident-id 110101199001011234"},
		{bob, "北京某某科技有限公司"}, {bob, "91110108MA01B2C3D4"}, {bob, "张三"}, {bob, "赵六"},
	} {
		if got := tab.Text("read a pending registration", card("#pending-list", c.account)); !strings.Contains(got, c.want) {
			t.Errorf("the pending registration of %s does not show %q:\n%s", c.account, c.want, got)
		}
	}
	tab.Screenshot("pending")
	tab.CheckLabels("/review")

	decide := func(step, list, account, action, reason string) string {
		t.Helper()
		sel := card(list, account)
		var actions []chromedp.Action[chromedp.Void]
		actions = append(actions, chromedp.Evaluate[chromedp.Void](`document.getElementById("review-status").hidden = true`))
		if reason != "" {
			actions = append(actions, chromedp.SetValue(chromedp.CSS(sel+" input.reason"), reason))
		}
		actions = append(actions, chromedp.Click(chromedp.CSS(sel+` button[data-action="`+action+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#review-status")))
		tab.Run(step, actions...)
		return tab.Text(step, "#review-status")
	}
	wantStatus := func(account string, want identity.Status, reason string) {
		t.Helper()
		accs, err := reviewer.Accounts(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accs {
			if a.ID != account {
				continue
			}
			if a.Status != want {
				t.Fatalf("account %s is %s on the ledger, want %s", account, a.Status, want)
			}
			if last := a.History[len(a.History)-1]; last.Reason != reason {
				t.Fatalf("account %s: the ledger recorded the reason %q, want %q", account, last.Reason, reason)
			}
			return
		}
		t.Fatalf("no account %s on the ledger", account)
	}

	// A rejection without a reason is stopped in the page.
	tab.Run("reject without a reason", chromedp.Click(chromedp.CSS(card("#pending-list", bob)+` button[data-action="reject"]`)),
		chromedp.WaitVisible(chromedp.CSS(card("#pending-list", bob)+" .item-status .notice.error")))
	wantStatus(bob, identity.Pending, "")

	if got := decide("approve", "#pending-list", alice, "approve", ""); !strings.Contains(got, "approved") || !strings.Contains(got, alice) {
		t.Fatalf("after approving, the page says %q", got)
	}
	wantStatus(alice, identity.Approved, "")
	rejection := "材料不全：缺少营业执照"
	if got := decide("reject", "#pending-list", bob, "reject", rejection); !strings.Contains(got, "rejected") {
		t.Fatalf("after rejecting, the page says %q", got)
	}
	wantStatus(bob, identity.Rejected, rejection)
	tab.Screenshot("decided")

	suspension := "court order (2026)京0491民初123号"
	if got := decide("suspend", "#accounts-list", alice, "suspend", suspension); !strings.Contains(got, "suspended") {
		t.Fatalf("after suspending, the page says %q", got)
	}
	wantStatus(alice, identity.Suspended, suspension)
	// Reinstated by keyboard alone: type the reason, Tab to the button,
	// Enter.
	tab.Run("reinstate by keyboard",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("review-status").hidden = true`),
		chromedp.SendKeys(chromedp.CSS(card("#accounts-list", alice)+" input.reason"), "order lifted"+kb.Tab),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#review-status.ok")))
	wantStatus(alice, identity.Approved, "order lifted")
	tab.Run("show the history", chromedp.Click(chromedp.CSS(card("#accounts-list", alice)+" details.history summary")))
	if got := tab.Text("read the history", card("#accounts-list", alice)+" details.history"); !strings.Contains(got, suspension) || !strings.Contains(got, "order lifted") {
		t.Errorf("the history does not show the reasons:\n%s", got)
	}
	tab.Screenshot("history")

	// Meanwhile the CLI suspends her: the page's decision, made on what it
	// showed, is refused by the ledger, and the page says so in its words.
	if out, errOut, code := run(t, nil, "account", "suspend", alice, "--reason", "from the CLI", "--server", n.URL, "--key", reviewerKey); code != 0 {
		t.Fatalf("account suspend: %s%s", out, errOut)
	}
	got := decide("suspend a changed account", "#accounts-list", alice, "suspend", "twice")
	if !strings.Contains(got, "version") || !tabHas(tab, "#review-status.error") {
		t.Fatalf("the ledger's refusal is shown as %q", got)
	}
	wantStatus(alice, identity.Suspended, "from the CLI")
	expectRefusals(t, tab, 400)
	tab.Screenshot("refused")
	tab.Run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#invite-submit")))
	tab.Screenshot("review-desk-phone")
	tab.Run("desktop size", chromedp.EmulateViewport(1280, 900))

	// A depositor deposits with the original and grants it to a case.
	content := []byte("the contract signed on 20 November\n第二页：双方签字\n")
	evidence := filepath.Join(depositorDir, "evidence.txt")
	if err := os.WriteFile(evidence, content, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", depositorKey, "--upload", evidence)
	if code != 0 {
		t.Fatalf("deposit: %s%s", out, errOut)
	}
	m := regexp.MustCompile(`deposit #(\d+) ([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("deposit printed %q", out)
	}
	deposit := m[2]
	caseNo := "(2026)京0491民初123号"
	if out, errOut, code := run(t, nil, "grant", m[1], "--court", inst, "--case", caseNo, "--server", n.URL, "--key", depositorKey); code != 0 {
		t.Fatalf("grant: %s%s", out, errOut)
	}
	// A share code is the depositor's business: its record stays out of
	// the trail the court sees.
	if out, errOut, code := run(t, nil, "share", m[1], "--server", n.URL, "--key", depositorKey); code != 0 {
		t.Fatalf("share: %s%s", out, errOut)
	}

	// The depositor is not a reviewer: the desk says so and shows nothing.
	deskSignIn(tab, n, depositorKey, "Wang Wu")
	tab.Run("open the review desk as a depositor", chromedp.Navigate(n.URL+"/review"), chromedp.WaitVisible(chromedp.CSS(`#gate a[href="/account"]`)))
	if got := tab.Text("read the refusal", "#gate"); !strings.Contains(got, "depositor") || !strings.Contains(got, "reviewer") {
		t.Errorf("a depositor on the review desk reads %q", got)
	}
	if tabHas(tab, "#desk:not([hidden])") || tabHas(tab, "#pending-list article") {
		t.Error("a depositor sees the review desk")
	}
	tab.Screenshot("review-desk-depositor")

	// The clerk opens the case: exactly the granted item.
	deskSignIn(tab, n, clerkKey, identity.AccountID(testSuite, inst, deskKey(t, clerkKey).Public()))
	q := url.Values{"court": {inst}, "case": {caseNo}}
	item := `#evidence-list article[data-deposit="` + deposit + `"]`
	tab.Run("open the case", chromedp.Navigate(n.URL+"/court?"+q.Encode()), chromedp.WaitVisible(chromedp.CSS(item)))
	if count := browsertest.Eval[int](tab, "count the items", `document.querySelectorAll("#evidence-list article").length`); count != 1 {
		t.Fatalf("the case lists %d items, want exactly the granted one", count)
	}
	if got := tab.Text("read the policy", "#policy-source"); !strings.Contains(got, "This node's policy") {
		t.Errorf("the policy in use reads %q", got)
	}
	tab.Screenshot("court-case")

	// Verified in the browser against the court's own policy file.
	tab.Run("load the court's policy", chromedp.SetUploadFiles(chromedp.CSS("#policy-file"), []string{n.policyFile()}),
		chromedp.WaitVisible(chromedp.CSS("#policy-source.ok")))
	tab.Run("verify the item", chromedp.Click(chromedp.CSS(item+" button.verify")), chromedp.WaitVisible(chromedp.CSS(item+" .verdict")))
	verdict := tab.Text("read the verdict", item+" .verdict-box")
	sum := digestOf(content)
	if !tabHas(tab, item+" .verdict.ok") || !strings.Contains(verdict, "VERIFIED") || !strings.Contains(verdict, hex.EncodeToString(sum[:])) ||
		!strings.Contains(verdict, "policy file") || !strings.Contains(verdict, "evidence.txt") {
		t.Fatalf("the verdict reads:\n%s", verdict)
	}
	tab.Screenshot("court-verified")

	// The original is read (it was fetched once, for the check) and saved.
	// The text of the original is filled in once the browser has read it.
	tab.Run("read the original", chromedp.Click(chromedp.CSS(item+" button.read")), chromedp.WaitVisible(chromedp.CSS(item+" a.save")),
		browsertest.Until("document.querySelector("+jsString(item+" pre.original-text")+")?.textContent.length > 0"))
	if got := tab.Text("read the shown original", item+" pre.original-text"); got != strings.TrimRight(string(content), "\n") && got != string(content) {
		t.Errorf("the page shows the original as %q", got)
	}
	tab.Run("save the original", chromedp.Click(chromedp.CSS(item+" a.save")))
	saved := browsertest.WaitFile(t, filepath.Join(downloads, "evidence.txt"), len(content))
	if !bytes.Equal(saved, content) {
		t.Fatalf("the saved original is %q, want %q", saved, content)
	}

	// The read is on the trail the clerk sees, as the depositor sees it.
	tab.Run("show the trail", chromedp.Click(chromedp.CSS(item+" button.trail")), chromedp.WaitVisible(chromedp.CSS(item+" .trail-box code.trail-entry")))
	shown := tab.Text("read the trail", item+" .trail-box")
	tr, err := n.as(deskKey(t, depositorKey)).Trail(context.Background(), deposit)
	if err != nil {
		t.Fatal(err)
	}
	var read *api.TrailEntry
	shares := 0
	for i, e := range tr.Entries {
		var rec api.TrailRecord
		if err := json.Unmarshal(e.Record, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Action == api.TrailShare {
			shares++
			if tabHas(tab, item+` .trail-box code.trail-entry[title="`+e.ID+`"]`) {
				t.Errorf("the clerk sees the depositor's share code record %s", e.Record)
			}
		}
		if rec.Action == api.TrailRead {
			if read != nil || rec.Via != "grant" || rec.Case != caseNo || rec.ActorRole != "clerk" {
				t.Fatalf("the trail holds the read %s", e.Record)
			}
			read = &tr.Entries[i]
		}
	}
	if read == nil || !tabHas(tab, item+` .trail-box code.trail-entry[title="`+read.ID+`"]`) {
		t.Fatalf("the page's trail does not name the read's entry (%v):\n%s", read, shown)
	}
	if rows := browsertest.Eval[int](tab, "count the trail's rows", "document.querySelectorAll("+jsString(item+" .trail-box tbody tr")+").length"); shares != 1 || rows != len(tr.Entries)-shares {
		t.Errorf("the page's trail has %d rows, the depositor's %d with %d share records", rows, len(tr.Entries), shares)
	}
	tab.Screenshot("court-trail")
	tab.CheckLabels("/court")
	tab.Run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	tab.Screenshot("court-trail-phone")
	tab.Run("desktop size", chromedp.EmulateViewport(1280, 900))

	// Another case shows nothing of this one; another court's case is the
	// node's to refuse, and the page shows its 403.
	q.Set("case", "(2026)京0491民初999号")
	tab.Run("open another case", chromedp.Navigate(n.URL+"/court?"+q.Encode()), chromedp.WaitVisible(chromedp.CSS("#case-status")))
	waitText(t, tab, "#case-status", "Nothing is granted to case (2026)京0491民初999号")
	if tabHas(tab, "#evidence-list article") || strings.Contains(tab.Text("read the page", "#main"), deposit) {
		t.Fatal("another case shows this case's evidence")
	}
	q.Set("court", "another-court")
	tab.Run("open another court's case", chromedp.Navigate(n.URL+"/court?"+q.Encode()), chromedp.WaitVisible(chromedp.CSS("#case-status.error")))
	if got := tab.Text("read the refusal", "#case-status"); !strings.Contains(got, "clerk of "+inst) || !strings.Contains(got, "another-court") {
		t.Errorf("another court's case reads %q, want the node's 403", got)
	}
	expectRefusals(t, tab, 403)
	tab.Screenshot("court-refused")

	// A deposit whose original is not in the vault, granted to a third
	// case: its receipt is valid, but no file was compared with it, and
	// the verdict says that rather than VERIFIED.
	statement := filepath.Join(depositorDir, "statement.txt")
	if err := os.WriteFile(statement, []byte("a witness statement the depositor keeps\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, nil, "deposit", "--server", n.URL, "--key", depositorKey, statement)
	m2 := regexp.MustCompile(`deposit #(\d+) ([0-9a-f]{64})`).FindStringSubmatch(out)
	if code != 0 || m2 == nil {
		t.Fatalf("deposit: %s%s", out, errOut)
	}
	thirdCase := "(2026)京0491民初124号"
	if out, errOut, code := run(t, nil, "grant", m2[1], "--court", inst, "--case", thirdCase, "--server", n.URL, "--key", depositorKey); code != 0 {
		t.Fatalf("grant: %s%s", out, errOut)
	}
	item2 := `#evidence-list article[data-deposit="` + m2[2] + `"]`
	q = url.Values{"court": {inst}, "case": {thirdCase}}
	tab.Run("open the third case", chromedp.Navigate(n.URL+"/court?"+q.Encode()), chromedp.WaitVisible(chromedp.CSS(item2)))
	tab.Run("verify the item without its original", chromedp.Click(chromedp.CSS(item2+" button.verify")), chromedp.WaitVisible(chromedp.CSS(item2+" .verdict")))
	verdict = tab.Text("read the verdict without the original", item2+" .verdict-box")
	if !tabHas(tab, item2+" .verdict.partial") || tabHas(tab, item2+" .verdict.ok") || strings.Contains(verdict, "VERIFIED") ||
		!strings.Contains(verdict, "CONTENT NOT CHECKED") || !strings.Contains(verdict, "Content not checked") {
		t.Fatalf("the verdict without the original reads:\n%s", verdict)
	}
	expectRefusals(t, tab, 404)
	tab.Screenshot("court-no-original")

	// A node that answers for this item with the first deposit's receipt,
	// genuine and in the same log: the page must not take it as proof of
	// the item it lists.
	first, err := n.as(deskKey(t, depositorKey)).Deposit(context.Background(), deposit, 0)
	if err != nil || first.Receipt == "" {
		t.Fatalf("the first deposit's receipt: %v", err)
	}
	tab.Run("open the case form", chromedp.Navigate(n.URL+"/court"), chromedp.WaitVisible(chromedp.CSS("#policy-details")))
	tab.Run("answer with another deposit's receipt", chromedp.Evaluate[chromedp.Void](`(() => {
		const other = `+jsString(first.Receipt)+`;
		const fetchAsNode = window.fetch;
		window.fetch = async (url, init) => {
			const res = await fetchAsNode(url, init);
			if (!String(url).includes("/v1/cases/")) return res;
			const body = await res.json();
			for (const d of body.deposits) d.receipt = other;
			return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
		};
	})()`),
		chromedp.SetValue(chromedp.CSS("#case-court"), inst),
		chromedp.SetValue(chromedp.CSS("#case-number"), thirdCase),
		chromedp.Click(chromedp.CSS("#case-open")),
		chromedp.WaitVisible(chromedp.CSS(item2)))
	tab.Run("verify the item with another's receipt", chromedp.Click(chromedp.CSS(item2+" button.verify")), chromedp.WaitVisible(chromedp.CSS(item2+" .verdict")))
	verdict = tab.Text("read the verdict on another's receipt", item2+" .verdict-box")
	if !tabHas(tab, item2+" .verdict.bad") || !strings.Contains(verdict, "NOT VERIFIED") || !strings.Contains(verdict, "log entry") || !strings.Contains(verdict, deposit) {
		t.Fatalf("the verdict on another deposit's receipt reads:\n%s", verdict)
	}
	expectRefusals(t, tab, 404)
	tab.Screenshot("court-other-receipt")
}

// expectRefusals takes the console errors of the tab, which must all be
// the browser's notes of answers with status (the refusals the test
// provoked), and at least one.
func expectRefusals(t *testing.T, tab *browsertest.Tab, status int) {
	t.Helper()
	errs := tab.TakeErrors()
	if len(errs) == 0 {
		t.Errorf("no request was refused with %d", status)
	}
	for _, e := range errs {
		if !strings.Contains(e, fmt.Sprintf("status of %d", status)) {
			t.Errorf("the page's script: %s", e)
		}
	}
}

// deskSignIn signs in with keyFile and checks that the header names the
// account as want.
func deskSignIn(tab *browsertest.Tab, n *node, keyFile, want string) {
	n.t.Helper()
	signIn(tab, n, keyFile)
	if got := tab.Text("read who is signed in", "#who .who-name"); got != want {
		n.t.Fatalf("signed in with %s, the header names %q, want %q", filepath.Base(keyFile), got, want)
	}
}

// deskRegister registers a new key as a depositor with an invitation code
// through the CLI and returns the account id.
func deskRegister(t *testing.T, n *node, dir, name, code string, realName ...string) string {
	t.Helper()
	key := filepath.Join(dir, name+".key")
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	args := append([]string{"register", "--server", n.URL, "--key", key, "--invitation", code}, realName...)
	out, errOut, exit := run(t, nil, args...)
	if exit != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("register %s: %s%s", name, out, errOut)
	}
	m := regexp.MustCompile(`account (acct-[0-9a-f]{20})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("register printed %q", out)
	}
	return m[1]
}

// deskKey reads a key file the CLI wrote.
func deskKey(t *testing.T, file string) suite.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := testSuite.Signature().ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tabHas reports whether the page has an element matching sel.
func tabHas(tab *browsertest.Tab, sel string) bool {
	return browsertest.Eval[bool](tab, "look for "+sel, "document.querySelector("+jsString(sel)+") !== null")
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitText waits until the element sel's text contains want.
func waitText(t *testing.T, tab *browsertest.Tab, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := tab.Text("read "+sel, sel)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s reads %q, want %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
