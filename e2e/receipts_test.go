package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/receipt"
)

// tamperingProxy forwards requests to a node and passes every receipt in
// an answer about deposits through tamper first, as a compromised or
// broken node would send it.
// The proxy listens on addr, a name the node was told it is reached by
// (public_names): the CLI signs its requests for the proxy.
func tamperingProxy(t *testing.T, n *node, addr string, tamper func(string) string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasPrefix(resp.Request.URL.Path, "/v1/deposits") || resp.StatusCode >= 300 {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var doc map[string]json.RawMessage
		if json.Unmarshal(body, &doc) == nil {
			if raw, ok := doc["results"]; ok {
				var results []map[string]any
				if err := json.Unmarshal(raw, &results); err != nil {
					return err
				}
				for _, r := range results {
					if rc, ok := r["receipt"].(string); ok {
						r["receipt"] = tamper(rc)
					}
				}
				doc["results"], _ = json.Marshal(results)
			}
			if raw, ok := doc["receipt"]; ok {
				var rc string
				json.Unmarshal(raw, &rc)
				doc["receipt"], _ = json.Marshal(tamper(rc))
			}
			body, _ = json.Marshal(doc)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewUnstartedServer(p)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// editReceipt parses a receipt, lets edit change it and formats it again,
// so the result is a well-formed receipt that proves something else.
func editReceipt(t *testing.T, edit func(*receipt.Receipt)) func(string) string {
	return func(text string) string {
		rc, err := receipt.Parse([]byte(text))
		if err != nil {
			t.Errorf("the node sent a receipt that does not parse: %v", err)
			return text
		}
		edit(rc)
		return string(rc.Format())
	}
}

// TestDepositKeepsOnlyCheckedReceipts deposits through a proxy that alters
// the receipts the node sends: the CLI must refuse to write each one, say
// which check failed and give the deposit's id; through the node itself
// the same command then writes a receipt that verifies.
func TestDepositKeepsOnlyCheckedReceipts(t *testing.T) {
	n := initNode(t)
	proxyAddr := freePorts(t, 1)[0]
	settings := filepath.Join(n.home, "config", "jurichain.json")
	if err := os.WriteFile(settings, []byte(fmt.Sprintf(`{"http":%q,"public_names":[%q]}`, n.http, proxyAddr)), 0o644); err != nil {
		t.Fatal(err)
	}
	n.start()
	key, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n.enroll(key)
	kf := keyFile(t, key)
	pol := n.policyFile()
	dir := t.TempDir()

	// A valid receipt of another deposit, to be swapped in.
	first := filepath.Join(dir, "first.txt")
	os.WriteFile(first, []byte("an earlier deposit"), 0o644)
	if out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", kf, "--policy", pol, first); code != 0 {
		t.Fatalf("deposit: exit %d\n%s%s", code, out, errOut)
	}
	other, err := os.ReadFile(first + receipt.FileExtension)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		tamper func(string) string
		check  string
	}{
		{"a flipped byte in the leaf", editReceipt(t, func(rc *receipt.Receipt) { rc.Leaf[len(rc.Leaf)-1] ^= 1 }), "inclusion proof"},
		{"another root hash in the checkpoint", editReceipt(t, func(rc *receipt.Receipt) {
			lines := bytes.SplitN(rc.Checkpoint, []byte("\n"), 4) // origin, size, root hash, rest
			lines[2][0] = map[bool]byte{true: 'B', false: 'A'}[lines[2][0] == 'A']
		}), "checkpoint signatures"},
		{"another deposit's valid receipt", func(string) string { return string(other) }, "content digest"},
		{"a flipped byte of the text", func(s string) string { return strings.Replace(s, "index ", "index 1", 1) }, "receipt"},
		{"no receipt at all", func(string) string { return "" }, "receipt"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proxy := tamperingProxy(t, n, proxyAddr, tc.tamper)
			f := filepath.Join(dir, "evidence"+strconv.Itoa(i)+".txt")
			os.WriteFile(f, []byte("evidence "+tc.name), 0o644)
			out, errOut, code := run(t, nil, "deposit", "--server", proxy.URL, "--key", kf, "--policy", pol, f)
			if code == 0 {
				t.Fatalf("deposit kept a tampered receipt: exit 0\n%s%s", out, errOut)
			}
			id := regexp.MustCompile(`deposit ([0-9a-f]{64}) may still be committed`).FindStringSubmatch(errOut)
			if !strings.Contains(errOut, "receipt NOT written") || !strings.Contains(errOut, tc.check) || id == nil {
				t.Fatalf("the error does not say the receipt was not written, which check (%s) failed, and the deposit id:\n%s", tc.check, errOut)
			}
			for _, ext := range []string{receipt.FileExtension, ".meta.json"} {
				if _, err := os.Stat(f + ext); err == nil {
					t.Fatalf("%s was written", f+ext)
				}
			}
			// The deposit did commit: through the node itself the same
			// command keeps its receipt, which verifies.
			out, errOut, code = run(t, nil, "deposit", "--server", n.URL, "--key", kf, "--policy", pol, f)
			if code != 0 || !strings.Contains(out, id[1]) {
				t.Fatalf("deposit through the node: exit %d\n%s%s", code, out, errOut)
			}
			if out, errOut, code := run(t, nil, "verify", "--policy", pol, f); code != 0 {
				t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
			}
		})
	}

	// A policy of another network is refused before anything is sent.
	stranger := initNode(t)
	f := filepath.Join(dir, "unsent.txt")
	os.WriteFile(f, []byte("not sent"), 0o644)
	_, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", kf, "--policy", stranger.policyFile(), f)
	if code == 0 || !strings.Contains(errOut, "is for the network") {
		t.Fatalf("deposit with another network's policy: exit %d\n%s", code, errOut)
	}
}

// TestDepositNeverOverwritesEvidence deposits a changed file under the same
// name, and standard input twice: the earlier receipts and openings stay
// byte for byte, the new ones are written beside them and say so, and each
// verifies. Depositing the same content again changes nothing.
func TestDepositNeverOverwritesEvidence(t *testing.T) {
	n := initNode(t)
	n.start()
	key, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n.enroll(key)
	kf := keyFile(t, key)
	pol := n.policyFile()
	dir := t.TempDir()

	snapshot := func(files ...string) map[string][]byte {
		m := map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m[f] = b
		}
		return m
	}
	unchanged := func(before map[string][]byte) {
		t.Helper()
		for f, b := range before {
			if now, err := os.ReadFile(f); err != nil || !bytes.Equal(now, b) {
				t.Errorf("%s changed", f)
			}
		}
	}
	deposit := func(stdin io.Reader, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := run(t, stdin, append([]string{"deposit", "--server", n.URL, "--key", kf, "--policy", pol}, args...)...)
		if code != 0 {
			t.Fatalf("deposit %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out, errOut
	}

	t.Run("a changed file under the same name", func(t *testing.T) {
		photo := filepath.Join(dir, "photo.jpg")
		os.WriteFile(photo, []byte("the scene at 9:30"), 0o644)
		deposit(nil, "--case-ref", "case one", photo)
		before := snapshot(photo+".tlog-proof", photo+".meta.json")

		_, errOut := deposit(nil, "--case-ref", "case one", photo)
		if strings.Contains(errOut, "in the way") {
			t.Errorf("the same deposit again was written under a new name:\n%s", errOut)
		}
		unchanged(before)
		if _, err := os.Stat(photo + ".2.tlog-proof"); err == nil {
			t.Error("the same deposit again wrote a second receipt")
		}

		os.WriteFile(photo, []byte("the scene at 9:31"), 0o644)
		out, errOut := deposit(nil, "--case-ref", "case two", photo)
		unchanged(before)
		if !strings.Contains(out, photo+".2.tlog-proof") || !strings.Contains(errOut, "in the way") || !strings.Contains(errOut, photo+".2.meta.json") {
			t.Fatalf("the new receipt's name is not reported:\n%s%s", out, errOut)
		}
		vout, verr, code := run(t, nil, "verify", "--policy", pol, photo, photo+".2.tlog-proof")
		if code != 0 || !strings.Contains(vout, "case two") {
			t.Fatalf("verify with the new receipt and its opening: exit %d\n%s%s", code, vout, verr)
		}
		// The first receipt still proves the first content.
		os.WriteFile(photo, []byte("the scene at 9:30"), 0o644)
		if vout, verr, code := run(t, nil, "verify", "--policy", pol, photo); code != 0 || !strings.Contains(vout, "case one") {
			t.Fatalf("verify with the first receipt: exit %d\n%s%s", code, vout, verr)
		}
	})

	t.Run("standard input twice", func(t *testing.T) {
		sub := filepath.Join(dir, "stdin")
		deposit(strings.NewReader("first message"), "--out", sub, "-")
		stdin := filepath.Join(sub, "stdin")
		before := snapshot(stdin+".tlog-proof", stdin+".meta.json")
		out, _ := deposit(strings.NewReader("second message"), "--out", sub, "-")
		unchanged(before)
		if !strings.Contains(out, stdin+".2.tlog-proof") {
			t.Fatalf("the second stdin deposit's receipt is not beside the first:\n%s", out)
		}
		for i, f := range []string{stdin, stdin + ".2"} {
			content := filepath.Join(dir, "content"+strconv.Itoa(i))
			os.WriteFile(content, []byte([]string{"first message", "second message"}[i]), 0o644)
			if vout, verr, code := run(t, nil, "verify", "--policy", pol, "--meta", f+".meta.json", content, f+".tlog-proof"); code != 0 {
				t.Fatalf("verify %s: exit %d\n%s%s", f, code, vout, verr)
			}
		}
	})
}

// TestSubmitAnswersWithReceipts checks that a submission asked for
// ?receipts=true answers each committed deposit with the receipt GET
// /v1/deposits/{id} gives, for a batch and for one deposit, that a
// submission without it stays as short as before, and that another value
// is refused naming the parameter.
func TestSubmitAnswersWithReceipts(t *testing.T) {
	n := initNode(t)
	n.start()
	key, c := n.newDepositor()
	ctx := t.Context()
	origin := n.status().Origin
	pol := n.policy()

	batch := []api.Deposit{prepare(t, origin, key, "receipt 0", "r-0"), prepare(t, origin, key, "receipt 1", "r-1")}
	res, err := c.SubmitForReceipts(ctx, batch, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != api.StatusCommitted || r.Receipt == "" {
			t.Fatalf("result %d: %s, receipt %q", i, r.Status, r.Receipt)
		}
		info, err := c.Deposit(ctx, r.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := receipt.Parse([]byte(r.Receipt))
		if err != nil {
			t.Fatal(err)
		}
		sum := digestOf([]byte(fmt.Sprintf("receipt %d", i)))
		if _, err := receipt.Verify(pol, rc, receipt.Evidence{Digests: []deposit.Digest{contentDigest(sum[:])}}); err != nil {
			t.Fatalf("result %d: the receipt does not verify: %v", i, err)
		}
		if info.Receipt != r.Receipt {
			t.Errorf("result %d: the submission's receipt is not the one GET gives", i)
		}
	}

	// One deposit, not a batch: the answer is the result itself.
	body := mustJSON(prepare(t, origin, key, "receipt single", "r-s"))
	code, data, err := c.Raw(ctx, "POST", "/v1/deposits?wait=10s&receipts=true", []byte(body))
	var one api.Result
	if err != nil || code != 200 || json.Unmarshal(data, &one) != nil || one.Receipt == "" {
		t.Fatalf("a single deposit with ?receipts=true: %d %v %s", code, err, data)
	}
	// Without ?receipts, none.
	again, err := c.Submit(ctx, batch, 10*time.Second)
	if err != nil || again[0].Receipt != "" {
		t.Fatalf("a submission without ?receipts carries receipts: %v %+v", err, again)
	}
	code, data, err = c.Raw(ctx, "POST", "/v1/deposits?receipts=yes", []byte(body))
	if err != nil || code != 400 || !strings.Contains(string(data), "receipts:") {
		t.Fatalf("?receipts=yes: %d %v %s", code, err, data)
	}
}

// TestUnknownAccountErrorNamesTheKeyOnce deposits with a key no account
// has: the error names its keyid once.
func TestUnknownAccountErrorNamesTheKeyOnce(t *testing.T) {
	n := initNode(t)
	n.start()
	key, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(f, []byte("x"), 0o644)
	_, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", keyFile(t, key), f)
	id := httpapi.AccountKeyID(key.Public())
	if code == 0 || strings.Count(errOut, id) != 1 || !strings.Contains(errOut, "no such account") {
		t.Fatalf("deposit with an unknown key: exit %d, want the keyid %s once:\n%s", code, id, errOut)
	}
}
