package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWalkthrough follows the README: serve, keygen, deposit, verify, then
// change one byte and watch verify fail.
func TestWalkthrough(t *testing.T) {
	n := initNode(t)
	n.start()
	dir := t.TempDir()
	key := filepath.Join(dir, "alice.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code == 0 || !strings.Contains(errOut, "hint:") {
		t.Fatalf("keygen over an existing key: exit %d, %s", code, errOut)
	}
	if out, errOut, code := run(t, nil, "account", "enroll", "--home", n.home, "--server", n.URL, "--depositor-key", key,
		"--name", "Zhang San", "--id-type", "resident-id", "--id-number", "110101199003071234"); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("account enroll: exit %d\n%s%s", code, out, errOut)
	}
	photo := filepath.Join(dir, "photo.jpg")
	os.WriteFile(photo, []byte("\xff\xd8\xff a photo of the scene"), 0o644)
	sub := filepath.Join(dir, "case", "docs")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "contract.pdf"), []byte("%PDF-1.7 contract"), 0o644)
	os.WriteFile(filepath.Join(dir, "case", "chat.txt"), []byte("chat log"), 0o644)

	out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", key,
		"--case-ref", "(2026)京0491民初123号", "--capture-time", "2026-05-01T09:30:00+08:00",
		"--latitude", "39.9042", "--longitude", "116.4074", "--device", "Pixel 9",
		photo, filepath.Join(dir, "case"))
	if code != 0 {
		t.Fatalf("deposit: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := strings.Count(out, "deposit #"); got != 3 {
		t.Fatalf("deposit reported %d deposits, want 3:\n%s", got, out)
	}
	numbers := regexp.MustCompile(`photo.jpg\tdeposit #(\d+)`).FindStringSubmatch(out)
	for _, f := range []string{photo, filepath.Join(sub, "contract.pdf"), filepath.Join(dir, "case", "chat.txt")} {
		for _, ext := range []string{".tlog-proof", ".meta.json"} {
			if _, err := os.Stat(f + ext); err != nil {
				t.Fatalf("no %s beside %s", ext, f)
			}
		}
	}
	// Standard input, receipt into --out, the first server down.
	outDir := filepath.Join(dir, "receipts")
	servers := "http://" + freePorts(t, 1)[0] + "," + n.URL
	if out, errOut, code := run(t, strings.NewReader("streamed evidence"), "deposit", "--server", servers, "--key", key, "--out", outDir, "-"); code != 0 {
		t.Fatalf("deposit from stdin: %s %s", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(outDir, "stdin.tlog-proof")); err != nil {
		t.Fatal("no receipt for standard input in --out")
	}

	// Depositing again returns the same deposit, not a second one.
	again, _, code := run(t, nil, "deposit", "--server", n.URL, "--key", key,
		"--case-ref", "(2026)京0491民初123号", "--capture-time", "2026-05-01T09:30:00+08:00",
		"--latitude", "39.9042", "--longitude", "116.4074", "--device", "Pixel 9", photo)
	if code != 0 || !strings.Contains(again, "deposit #"+numbers[1]+" ") {
		t.Fatalf("re-depositing gave another deposit:\nfirst  %s\nsecond %s", out, again)
	}
	if st := n.status(); st.TreeSize != 4 {
		t.Fatalf("tree size %d, want 4", st.TreeSize)
	}

	pol := n.policyFile()
	out, errOut, code = run(t, nil, "verify", "--policy", pol, photo)
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"VERIFIED", "certified time:", "cosigned by:    validator0", "case:         (2026)京0491民初123号", "device:       Pixel 9", "location:     39.9042, 116.4074"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}

	// One changed byte in the file.
	data, _ := os.ReadFile(photo)
	data[len(data)-1] ^= 1
	os.WriteFile(photo, data, 0o644)
	_, errOut, code = run(t, nil, "verify", "--policy", pol, photo)
	if code != 1 || !strings.Contains(errOut, "content digest") {
		t.Fatalf("verify of a changed file: exit %d, %s", code, errOut)
	}
	data[len(data)-1] ^= 1
	os.WriteFile(photo, data, 0o644)

	// A changed metadata opening.
	meta, _ := os.ReadFile(photo + ".meta.json")
	os.WriteFile(photo+".meta.json", []byte(strings.Replace(string(meta), "Pixel 9", "Pixel 8", 1)), 0o644)
	_, errOut, code = run(t, nil, "verify", "--policy", pol, photo)
	if code != 1 || !strings.Contains(errOut, "metadata opening") {
		t.Fatalf("verify with changed metadata: exit %d, %s", code, errOut)
	}
	os.WriteFile(photo+".meta.json", meta, 0o644)

	// Another network's policy.
	other := initNode(t)
	_, errOut, code = run(t, nil, "verify", "--policy", other.policyFile(), photo)
	if code != 1 || !strings.Contains(errOut, "checkpoint signatures: the networks differ") || !strings.Contains(errOut, n.status().Origin) || !strings.Contains(errOut, other.policy().Origin()) {
		t.Fatalf("verify under another network's policy: exit %d, %s", code, errOut)
	}

	// A damaged receipt.
	proof, _ := os.ReadFile(photo + ".tlog-proof")
	os.WriteFile(photo+".tlog-proof", []byte(strings.Replace(string(proof), "index ", "index 9", 1)), 0o644)
	_, errOut, code = run(t, nil, "verify", "--policy", pol, photo)
	if code != 1 {
		t.Fatalf("verify of a damaged receipt: exit %d, %s", code, errOut)
	}
	os.WriteFile(photo+".tlog-proof", proof, 0o644)
	if _, errOut, code := run(t, nil, "verify", "--policy", pol, photo); code != 0 {
		t.Fatalf("restored files no longer verify: %s", errOut)
	}

	st, _, code := run(t, nil, "status", "--server", n.URL)
	if code != 0 || !strings.Contains(st, "final tree: 4 deposits") {
		t.Fatalf("status: %s", st)
	}
}

func TestCLIErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"deposit", "--key", filepath.Join(dir, "none.key"), f}, "jurichain keygen"},
		{[]string{"verify", f}, "--policy is required"},
		{[]string{"verify", "--policy", f, f}, "tlog-policy"},
		{[]string{"deposit", "--key", f, f}, "PEM PKCS #8"},
		{[]string{"serve", "--log-level", "loud"}, "debug, info, warn or error"},
		{[]string{"init", "--home", filepath.Join(dir, "home"), "--institution", "xuhui-notary"}, "--kind (court, notary, arbitration, appraisal, enterprise)"},
		{[]string{"init", "--home", filepath.Join(dir, "home"), "--institution", "xuhui-notary", "--kind", "ministry"}, "use one of court, notary"},
	}
	for _, tc := range tests {
		_, errOut, code := run(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and a short message mentioning %q", tc.args, code, errOut, tc.want)
		}
	}
}
