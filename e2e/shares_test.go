package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
)

// trailRecords returns the access-trail records of a deposit, oldest
// first, as c reads them.
func trailRecords(t *testing.T, c *client.Client, id string) []api.TrailRecord {
	t.Helper()
	tr, err := c.Trail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]api.TrailRecord, len(tr.Entries))
	for i, en := range tr.Entries {
		if err := json.Unmarshal(en.Record, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSharesDieWithWhatIssuedThem: a share code issued with a stolen API
// token, or with a key later revoked, stops opening the original once the
// owner revokes that token or key; the owner finds every code of a deposit
// with GET /v1/deposits/{id}/shares, and the trail names each code.
func TestSharesDieWithWhatIssuedThem(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	owner := e.clients["owner"]
	account := identity.AccountID(testSuite, e.st.Institution, e.keys["owner"].Public())
	tok, err := owner.NewToken(ctx, "stolen", "1h")
	if err != nil {
		t.Fatal(err)
	}
	thief := e.n.client().WithAuth(client.TokenAuth(tok.Token))
	stolen, err := thief.Share(ctx, e.deposit, "720h")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := owner.Share(ctx, e.deposit, "1h")
	if err != nil {
		t.Fatal(err)
	}
	holder := e.clients["other"]
	opens := func(code string) error {
		body, _, err := holder.Original(ctx, e.deposit, "", code)
		if err == nil {
			body.Close()
		}
		return err
	}
	for _, code := range []string{stolen.Code, signed.Code} {
		if err := opens(code); err != nil {
			t.Fatalf("a fresh code: %v", err)
		}
	}

	// The owner lists both, with what issued each, never the codes.
	list, err := owner.Shares(ctx, e.deposit)
	if err != nil || len(list) != 2 {
		t.Fatalf("the deposit's share codes: %+v %v", list, err)
	}
	for _, l := range list {
		if js := mustJSON(l); strings.Contains(js, stolen.Code) || strings.Contains(js, signed.Code) {
			t.Fatalf("a listed share shows its code: %s", js)
		}
		wantToken := map[string]string{stolen.ID: tok.ID, signed.ID: ""}[l.ID]
		if l.Token != wantToken || !bytes.Equal(l.Key, e.keys["owner"].Public()) || l.Refused != "" {
			t.Fatalf("share %s: %+v, want token %q and the owner's key", l.ID, l, wantToken)
		}
	}
	// The trail names the code and the token that issued it.
	var issued []api.TrailRecord
	for _, rec := range trailRecords(t, owner, e.deposit) {
		if rec.Action == api.TrailShare {
			issued = append(issued, rec)
		}
	}
	if len(issued) != 2 || issued[0].Share != stolen.ID || issued[0].Token != tok.ID || issued[0].Key != hex.EncodeToString(e.keys["owner"].Public()) ||
		issued[1].Share != signed.ID || issued[1].Token != "" {
		t.Fatalf("share records on the trail: %+v", issued)
	}

	// Revoking the stolen token ends the code issued with it, not the other.
	if _, err := owner.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a code of a revoked token", opens(stolen.Code), api.CodeForbidden, "API token that issued this share code was revoked")
	if _, err := holder.SharedDeposit(ctx, e.deposit, stolen.Code); err == nil {
		t.Fatal("a code of a revoked token still shows the record")
	}
	if err := opens(signed.Code); err != nil {
		t.Fatalf("the code signed by an active key: %v", err)
	}

	// A second key, then the first revoked: the code it signed ends too.
	key2, _ := testSuite.Signature().GenerateKey(rand.Reader)
	add := &identity.Op{Origin: e.st.Origin, Account: account, Version: 2, Action: identity.AddKey, Alg: testSuite.Signature().Name(), Public: key2.Public()}
	self1, _ := identity.NewSigner(account, e.keys["owner"], testSuite.Signature().Name())
	self2, _ := identity.NewSigner(account, key2, testSuite.Signature().Name())
	note, err := add.Sign(self1, self2)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := e.n.operator().Identity(ctx, note); err != nil || info.Applied == nil || !*info.Applied {
		t.Fatalf("adding a key: %+v %v", info, err)
	}
	nodeSigner, err := jnode.Home(e.n.home).LogSigner(e.st.Origin)
	if err != nil {
		t.Fatal(err)
	}
	revoke := &identity.Op{Origin: e.st.Origin, Account: account, Version: 3, Action: identity.RevokeKey, Public: e.keys["owner"].Public(), Reason: "stolen"}
	if note, err = revoke.Sign(nodeSigner); err != nil {
		t.Fatal(err)
	}
	if info, err := e.n.operator().Identity(ctx, note); err != nil || info.Applied == nil || !*info.Applied {
		t.Fatalf("revoking key 1: %+v %v", info, err)
	}
	wantCode(t, "a code of a revoked key", opens(signed.Code), api.CodeForbidden, "key that issued this share code was revoked")

	// The owner, with its new key, sees why each code is refused and
	// revokes them; an auditor lists them too, another depositor cannot.
	byKey2 := e.n.client().WithAuth(client.KeyAuth{KeyID: account, Alg: testSuite.Signature().Name(), Key: key2})
	list, err = byKey2.Shares(ctx, e.deposit)
	if err != nil || len(list) != 2 {
		t.Fatalf("share codes after the revocations: %+v %v", list, err)
	}
	for _, l := range list {
		if !strings.Contains(l.Refused, "was revoked") {
			t.Fatalf("share %s is listed as working: %+v", l.ID, l)
		}
	}
	if _, err := e.clients["auditor"].Shares(ctx, e.deposit); err != nil {
		t.Fatalf("the auditor listing share codes: %v", err)
	}
	_, err = e.clients["other"].Shares(ctx, e.deposit)
	wantCode(t, "another depositor listing share codes", err, api.CodeForbidden, "share codes of")
	if err := byKey2.RevokeShare(ctx, e.deposit, stolen.ID); err != nil {
		t.Fatal(err)
	}
	recs := trailRecords(t, byKey2, e.deposit)
	if last := recs[len(recs)-1]; last.Action != api.TrailRevokeShare || last.Share != stolen.ID || last.Key != hex.EncodeToString(key2.Public()) {
		t.Fatalf("the revocation on the trail: %+v", last)
	}

	// The command line lists the codes left, with their ids.
	out, errOut, code := run(t, nil, "share", e.deposit, "--list", "--key", keyFile(t, key2), "--account", account, "--server", e.n.URL)
	if code != 0 || !strings.Contains(out, signed.ID) || strings.Contains(out, stolen.ID) || strings.Contains(out, signed.Code) || !strings.Contains(out, "refused") {
		t.Fatalf("share --list: exit %d\n%s%s", code, out, errOut)
	}
}

// TestConcurrentRevocationsAreNotFound: of two revocations of one token
// or share code at once, one succeeds and the other finds nothing (404),
// never a server error.
func TestConcurrentRevocationsAreNotFound(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	owner := e.clients["owner"]
	both := func(path string) []int {
		t.Helper()
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, err := owner.Raw(ctx, "DELETE", path, nil)
				if err != nil {
					t.Error(err)
				}
				if status != http.StatusOK && status != http.StatusNotFound {
					t.Errorf("DELETE %s: HTTP %d %s", path, status, body)
				}
				statuses[i] = status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		return statuses
	}
	for i := range 20 {
		tok, err := owner.NewToken(ctx, fmt.Sprint("token ", i), "1h")
		if err != nil {
			t.Fatal(err)
		}
		if got := both("/v1/tokens/" + tok.ID); !slices.Equal(got, []int{200, 404}) {
			t.Fatalf("two revocations of token %s: %v, want one 200 and one 404", tok.ID, got)
		}
	}
	for range 5 {
		sh, err := owner.Share(ctx, e.deposit, "1h")
		if err != nil {
			t.Fatal(err)
		}
		if got := both("/v1/deposits/" + e.deposit + "/shares/" + sh.ID); !slices.Equal(got, []int{200, 404}) {
			t.Fatalf("two revocations of share %s: %v, want one 200 and one 404", sh.ID, got)
		}
	}
}

// TestAdminsListAccountsTokens: the admins and the node of an account's
// institution list its API tokens (GET /v1/tokens?account=), nobody else.
func TestAdminsListAccountsTokens(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	account := identity.AccountID(testSuite, e.st.Institution, e.keys["owner"].Public())
	tok, err := e.clients["owner"].NewToken(ctx, "for the admin to see", "1h")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"owner", "admin", "node"} {
		list, err := e.clients[name].TokensOf(ctx, account)
		if err != nil || len(list) != 1 || list[0].ID != tok.ID || strings.Contains(mustJSON(list), tok.Token) {
			t.Fatalf("%s listing the owner's tokens: %+v %v", name, list, err)
		}
	}
	for _, name := range []string{"other", "reviewer", "auditor", "judge", "clerk"} {
		_, err := e.clients[name].TokensOf(ctx, account)
		wantCode(t, name+" listing another account's tokens", err, api.CodeForbidden, "account: ")
	}
	// The node names the account: it has none of its own.
	_, err = e.clients["node"].Tokens(ctx)
	wantCode(t, "the node listing its own tokens", err, api.CodeInvalid, "account: ")
	// The command line, as the admin.
	out, errOut, code := run(t, nil, "token", "list", "--for", account, "--key", keyFile(t, e.keys["admin"]), "--server", e.n.URL)
	if code != 0 || !strings.Contains(out, tok.ID) {
		t.Fatalf("token list --for: exit %d\n%s%s", code, out, errOut)
	}
}

// TestLiveTokensAreCapped: an account has at most 100 unexpired API
// tokens at a node; one more is refused with 409 until one is revoked.
func TestLiveTokensAreCapped(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	owner := e.clients["owner"]
	var last *api.Token
	for i := range 100 {
		tok, err := owner.NewToken(ctx, fmt.Sprint("token ", i), "1h")
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		last = tok
	}
	_, err := owner.NewToken(ctx, "one too many", "1h")
	wantCode(t, "the 101st token", err, api.CodeConflict, "100 unexpired API tokens at this node, the most")
	if list, err := owner.Tokens(ctx); err != nil || len(list) != 100 {
		t.Fatalf("listed tokens: %d %v", len(list), err)
	}
	if _, err := owner.RevokeToken(ctx, last.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.NewToken(ctx, "in the freed place", "1h"); err != nil {
		t.Fatalf("a token after revoking one: %v", err)
	}
}
