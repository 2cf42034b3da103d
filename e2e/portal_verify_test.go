package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/internal/browsertest"
)

// TestPortalVerify checks evidence on the public verification page in
// Chromium, as a judge does with what a depositor hands her: the file
// deposited with the CLI and its receipt verify in the browser, naming the
// digest, the deposit number and the attesting institution; a file with one
// byte changed fails on the content digest; the receipt under another
// network's policy, loaded as the judge's own policy file, fails on the
// checkpoint; the certificate PDF verifies with the file, and the node's
// check of its seal is shown apart; a certificate number typed in shows the
// node's verdict.
func TestPortalVerify(t *testing.T) {
	n := initNode(t)
	n.start()
	dir := t.TempDir()
	key := n.enrolledKeyFile(dir, "王五")
	// A few MiB, so the page hashes the file in several slices.
	content := make([]byte, 5<<20+321)
	rand.Read(content)
	photo := filepath.Join(dir, "scene.jpg")
	if err := os.WriteFile(photo, content, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", key, "--certificate", "--case-ref", "(2026)京0491民初7号", photo)
	if code != 0 {
		t.Fatalf("deposit --certificate: exit %d\n%s%s", code, out, errOut)
	}
	m := regexp.MustCompile(`deposit #(\d+) ([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("deposit printed no deposit number: %s", out)
	}
	index := m[1]
	receiptFile, certFile := photo+".tlog-proof", photo+".certificate.pdf"
	out, errOut, code = run(t, nil, "verify", "--policy", n.policyFile(), certFile)
	number := regexp.MustCompile(`JC-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}`).FindString(out)
	if code != 0 || number == "" {
		t.Fatalf("verify of the certificate: exit %d, no number:\n%s%s", code, out, errOut)
	}
	sum := digestOf(content)
	digest := hex.EncodeToString(sum[:])
	changed := filepath.Join(dir, "scene-changed.jpg")
	content[4<<20] ^= 1
	if err := os.WriteFile(changed, content, 0o644); err != nil {
		t.Fatal(err)
	}
	otherPolicy := initNode(t).policyFile()
	institution := n.status().Institution

	tab := n.browse(t, browsertest.Start(t), "/verify")
	tab.Run("wait for the node's policy", chromedp.WaitVisible(chromedp.CSS("#policy-origin")))
	if got := tab.Text("read the policy's origin", "#policy-origin"); got != n.status().Origin {
		t.Fatalf("the page shows the policy of %q, the node's log is %q", got, n.status().Origin)
	}
	if got := tab.Text("read the policy's source", "#policy-source"); !strings.Contains(got, "This node") {
		t.Fatalf("the node's policy is labelled %q", got)
	}

	// One tab for all cases, as one judge's afternoon: its steps fail the
	// test itself, so the cases are not subtests.
	ownPolicy := false
	for _, tc := range []struct {
		name string
		// file and proof are the evidence file and its receipt or
		// certificate; number is typed in instead.
		file, proof, number string
		// policy is a policy file the judge loads; empty is the node's.
		policy string
		// seal asks the node to check the certificate's seal.
		seal  bool
		phone bool
		ok    bool
		want  []string
	}{
		{name: "genuine", file: photo, proof: receiptFile, ok: true,
			want: []string{"VERIFIED", digest, "deposit #" + index, institution, "matches the file", "This node's policy"}},
		{name: "changed-byte", file: changed, proof: receiptFile,
			want: []string{"NOT VERIFIED", "content digest", "differs from the deposited " + digest}},
		{name: "other-network", file: photo, proof: receiptFile, policy: otherPolicy,
			want: []string{"NOT VERIFIED", "checkpoint signatures", "Your policy: " + filepath.Base(otherPolicy)}},
		{name: "certificate", file: photo, proof: certFile, seal: true, ok: true,
			want: []string{"VERIFIED", digest, "deposit #" + index, institution, number, "(2026)京0491民初7号", "imprint matches this checkpoint", "GENUINE according to this node"}},
		{name: "certificate-number", number: strings.ToLower(number), ok: true,
			want: []string{"GENUINE according to this node", number, digest, "Looked up by its number"}},
		{name: "phone", file: photo, proof: receiptFile, phone: true, ok: true,
			want: []string{"VERIFIED", digest}},
	} {
		switch {
		case tc.policy != "":
			tab.Run("load the policy file", chromedp.SetUploadFiles(chromedp.CSS("#policy-file"), []string{tc.policy}), chromedp.WaitVisible(chromedp.CSS("#policy-node")))
			ownPolicy = true
		case ownPolicy:
			tab.Run("use the node's policy again", chromedp.Click(chromedp.CSS("#policy-node")), chromedp.WaitNotVisible(chromedp.CSS("#policy-node")))
			ownPolicy = false
		}
		if tc.phone {
			tab.Run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		}
		// The previous verdict goes, so the wait below sees this one.
		browsertest.Eval[bool](tab, "clear the result", `document.getElementById("result").replaceChildren() === undefined`)
		verdict := "#result .verdict"
		if tc.number != "" {
			verdict = "#node-verdict"
			tab.Run("look up "+tc.number, chromedp.SetValue(chromedp.CSS("#lookup-input"), tc.number), chromedp.Click(chromedp.CSS("#lookup-button")), chromedp.WaitVisible(chromedp.CSS(verdict)))
		} else {
			tab.Run("verify "+filepath.Base(tc.file)+" with "+filepath.Base(tc.proof),
				chromedp.SetUploadFiles(chromedp.CSS("#evidence-file"), []string{tc.file}),
				chromedp.SetUploadFiles(chromedp.CSS("#proof-file"), []string{tc.proof}),
				chromedp.Click(chromedp.CSS("#verify-button")),
				chromedp.WaitVisible(chromedp.CSS(verdict)))
		}
		if tc.seal {
			tab.Run("ask the node to check the seal", chromedp.Click(chromedp.CSS("#seal-check")), chromedp.WaitVisible(chromedp.CSS("#seal-result .verdict")))
		}
		ok := browsertest.Eval[bool](tab, "read the verdict", `document.querySelector("`+verdict+`").classList.contains("ok")`)
		got := tab.Text("read the result", "#result")
		if ok != tc.ok {
			t.Errorf("%s: verdict ok=%v, want %v:\n%s", tc.name, ok, tc.ok, got)
		}
		for _, want := range tc.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: the result lacks %q:\n%s", tc.name, want, got)
			}
		}
		t.Logf("%s: screenshot %s", tc.name, tab.Screenshot(tc.name+"-"+testSuite.Name()))
		tab.CheckLabels("/verify, " + tc.name)
	}

	// An opening that gives a key twice (in another case) could be read
	// one way here and another by Go: it is refused, naming the key,
	// before anything is verified.
	meta, err := os.ReadFile(photo + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	twice := filepath.Join(dir, "twice.meta.json")
	if err := os.WriteFile(twice, append([]byte(`{"TITLE":"another title",`), bytes.TrimPrefix(bytes.TrimSpace(meta), []byte("{"))...), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Eval[bool](tab, "clear the result", `document.getElementById("result").replaceChildren() === undefined`)
	tab.Run("verify with an opening that repeats a key",
		chromedp.SetUploadFiles(chromedp.CSS("#evidence-file"), []string{photo}),
		chromedp.SetUploadFiles(chromedp.CSS("#proof-file"), []string{receiptFile}),
		chromedp.SetUploadFiles(chromedp.CSS("#opening-file"), []string{twice}),
		chromedp.Click(chromedp.CSS("#verify-button")),
		chromedp.WaitVisible(chromedp.CSS("#result .notice.error")))
	if got := tab.Text("read the refusal", "#result"); !strings.Contains(got, `"TITLE" / "title"`) || !strings.Contains(got, "more than once") || strings.Contains(got, "VERIFIED") {
		t.Errorf("an opening with a repeated key reads:\n%s", got)
	}

	// A policy file saved with a byte order mark is refused, as Go refuses
	// it, rather than read as the text a browser would decode.
	policyText, err := os.ReadFile(n.policyFile())
	if err != nil {
		t.Fatal(err)
	}
	bom := filepath.Join(dir, "bom.policy")
	if err := os.WriteFile(bom, append([]byte("\xef\xbb\xbf"), policyText...), 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Run("load a policy file with a BOM", chromedp.SetUploadFiles(chromedp.CSS("#policy-file"), []string{bom}), chromedp.WaitVisible(chromedp.CSS("#policy-view .notice.error")))
	if got := tab.Text("read the policy's refusal", "#policy-view .notice.error"); !strings.Contains(got, "bom.policy") || !strings.Contains(got, "policy line 1: unknown keyword") {
		t.Errorf("a policy with a BOM reads %q", got)
	}
	if got := tab.Text("read the policy's source", "#policy-source"); !strings.Contains(got, "This node") {
		t.Errorf("after a refused policy file the policy in use is %q", got)
	}
}
