package e2e

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/suite"
)

// TestDepositThroughAnyMember enrolls a depositor at node 0 of a 4-node
// testnet with the CLI, then deposits through every node with --server
// naming that node alone and no --account, as the README's consortium
// walkthrough does: accounts are on the ledger, so every member serves
// every depositor. The depositor then adds a key through node 2 and
// revokes the first one through node 3, still without --account: the
// revoked key is refused at node 1 and the new one deposits there.
func TestDepositThroughAnyMember(t *testing.T) {
	nw := startNetwork(t, 4, false)
	dir := t.TempDir()
	key := filepath.Join(dir, "depositor.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	out, errOut, code := run(t, nil, "account", "enroll", "--home", nw.nodes[0].home, "--server", nw.servers[0], "--depositor-key", key,
		"--name", "Zhang San", "--id-type", "resident-id", "--id-number", "110101199003071234")
	if code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("enroll at node 0: exit %d\n%s%s", code, out, errOut)
	}
	for i, server := range nw.servers {
		t.Run(fmt.Sprint("node", i), func(t *testing.T) {
			f := filepath.Join(dir, fmt.Sprintf("evidence-%d.txt", i))
			if err := os.WriteFile(f, []byte(fmt.Sprintf("evidence deposited through node %d", i)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := run(t, nil, "deposit", "--server", server, "--key", key, f)
			if code != 0 || !strings.Contains(out, "deposit #") {
				t.Fatalf("deposit through node %d: exit %d\n%s%s", i, code, out, errOut)
			}
			if out, errOut, code := run(t, nil, "verify", "--policy", nw.nodes[i].policyFile(), f); code != 0 || !strings.Contains(out, "VERIFIED") {
				t.Fatalf("verify the receipt made through node %d: exit %d\n%s%s", i, code, out, errOut)
			}
		})
	}

	// catchUp waits until node i has every block node j has.
	catchUp := func(i, j int) {
		t.Helper()
		want := nw.nodes[j].status().Height
		deadline := time.Now().Add(20 * time.Second)
		for nw.nodes[i].status().Height < want {
			if time.Now().After(deadline) {
				t.Fatalf("node %d did not reach height %d of node %d in 20 s", i, want, j)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	newKey := filepath.Join(dir, "new.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", newKey); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	if out, errOut, code := run(t, nil, "account", "add-key", "--server", nw.servers[2], "--key", key, "--new-key", newKey); code != 0 {
		t.Fatalf("add-key through node 2: exit %d\n%s%s", code, out, errOut)
	}
	catchUp(3, 2)
	if out, errOut, code := run(t, nil, "account", "revoke-key", "--server", nw.servers[3], "--key", newKey, "--revoke", key, "--reason", "phone lost"); code != 0 {
		t.Fatalf("revoke-key through node 3: exit %d\n%s%s", code, out, errOut)
	}
	catchUp(1, 3)
	old := filepath.Join(dir, "with-revoked-key.txt")
	os.WriteFile(old, []byte("signed with a revoked key"), 0o644)
	if out, errOut, code := run(t, nil, "deposit", "--server", nw.servers[1], "--key", key, old); code == 0 || !strings.Contains(errOut, "revoked") {
		t.Fatalf("a revoked key through node 1: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(old + ".tlog-proof"); err == nil {
		t.Fatal("a receipt was written for a deposit with a revoked key")
	}
	rotated := filepath.Join(dir, "with-new-key.txt")
	os.WriteFile(rotated, []byte("signed with the new key"), 0o644)
	if out, errOut, code := run(t, nil, "deposit", "--server", nw.servers[1], "--key", newKey, rotated); code != 0 {
		t.Fatalf("deposit with the added key through node 1: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := run(t, nil, "verify", "--policy", nw.nodes[1].policyFile(), rotated); code != 0 || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("verify the deposit with the added key: exit %d\n%s%s", code, out, errOut)
	}

	// A keyid naming a key is verified with that key only.
	a, _ := testSuite.Signature().GenerateKey(rand.Reader)
	b, _ := testSuite.Signature().GenerateKey(rand.Reader)
	id := nw.nodes[0].enroll(a)
	catchUp(2, 0)
	for _, tc := range []struct {
		name  string
		keyID string
		key   suite.PrivateKey
		want  int
	}{
		{"own key", httpapi.AccountKeyID(a.Public()), a, http.StatusOK},
		{"another account's key named, signed with a stranger's", httpapi.AccountKeyID(a.Public()), b, http.StatusUnauthorized},
		{"a key of no account", httpapi.AccountKeyID(b.Public()), b, http.StatusUnauthorized},
		{"not base64url", "key:%%%", a, http.StatusUnauthorized},
		{"empty key", "key:", a, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := nw.nodes[2].client().WithAuth(client.KeyAuth{KeyID: tc.keyID, Alg: testSuite.Signature().Name(), Key: tc.key})
			var info api.AccountInfo
			if got := doAs(t, c, "GET", "/v1/account", "", &info); got != tc.want {
				t.Fatalf("GET /v1/account: %d, want %d", got, tc.want)
			}
			if tc.want == http.StatusOK && info.ID != id {
				t.Fatalf("the key resolved to account %s, want %s", info.ID, id)
			}
		})
	}
}
