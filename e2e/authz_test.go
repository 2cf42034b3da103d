package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// accountsEnv is a node with one account of every kind the authorization
// rules tell apart, and a deposit with its original granted to a case.
type accountsEnv struct {
	n                *node
	st               *api.Status
	clients          map[string]*client.Client // principal name -> client
	keys             map[string]suite.PrivateKey
	deposit, content string
	caseNo           string
}

// staff creates an approved staff account of the node's institution.
func (n *node) staff(role identity.Role) (suite.PrivateKey, *client.Client) {
	n.t.Helper()
	st := n.status()
	key, _ := suite.International().Signature().GenerateKey(rand.Reader)
	op := identity.NewRegistration(st.Origin, st.Institution, role, identity.Staff, "ed25519", key.Public(), make([]byte, 32))
	self, err := identity.NewSigner(op.Account, key, "ed25519")
	if err != nil {
		n.t.Fatal(err)
	}
	nodeSigner, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		n.t.Fatal(err)
	}
	signed, err := op.Sign(self, nodeSigner)
	if err != nil {
		n.t.Fatal(err)
	}
	if info, err := n.operator().Identity(context.Background(), signed); err != nil || info.Status != identity.Approved {
		n.t.Fatalf("creating a %s: %+v %v", role, info, err)
	}
	return key, n.as(key)
}

// decide applies a decision to an account, signed by the node.
func (n *node) decide(account string, version uint64, action identity.Action, reason string) {
	n.t.Helper()
	st := n.status()
	nodeSigner, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		n.t.Fatal(err)
	}
	signed, err := (&identity.Op{Origin: st.Origin, Account: account, Version: version, Action: action, Reason: reason}).Sign(nodeSigner)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.operator().Identity(context.Background(), signed); err != nil {
		n.t.Fatalf("%s %s: %v", action, account, err)
	}
}

// register registers key as a depositor with an invitation code, leaving
// it pending; it returns the account id.
func (n *node) register(key suite.PrivateKey, code string) (string, error) {
	st := n.status()
	salt := bytes.Repeat([]byte{9}, 16)
	rn := identity.RealName{Name: "Pending Person", IDType: "passport", IDNumber: "E12345678"}
	commitment, _ := identity.Commit(salt, rn.Canonical())
	op := identity.NewRegistration(st.Origin, st.Institution, identity.Depositor, identity.Individual, "ed25519", key.Public(), commitment)
	self, _ := identity.NewSigner(op.Account, key, "ed25519")
	signed, err := op.Sign(self)
	if err != nil {
		return "", err
	}
	_, err = n.client().Register(context.Background(), api.RegistrationRequest{Invitation: code, RealName: rn, Salt: salt, Note: string(signed)})
	return op.Account, err
}

func newAccountsEnv(t *testing.T) *accountsEnv {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	e := &accountsEnv{n: n, clients: map[string]*client.Client{"anonymous": n.client(), "node": n.operator()}, keys: map[string]suite.PrivateKey{}, caseNo: "(2026)沪0104民初1号"}
	for _, name := range []string{"owner", "other", "suspended"} {
		e.keys[name], e.clients[name] = n.newDepositor()
	}
	for _, role := range []identity.Role{identity.Reviewer, identity.Admin, identity.Judge, identity.Clerk, identity.Auditor} {
		e.keys[string(role)], e.clients[string(role)] = n.staff(role)
	}
	inv, err := e.clients["reviewer"].Invite(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	e.keys["pending"], _ = suite.International().Signature().GenerateKey(rand.Reader)
	if _, err := n.register(e.keys["pending"], inv.Code); err != nil {
		t.Fatal(err)
	}
	e.clients["pending"] = n.as(e.keys["pending"])
	n.decide(identity.AccountID(n.status().Institution, e.keys["suspended"].Public()), 2, identity.Suspend, "documents expired")
	e.st = n.status()

	e.content = "the original of a contract"
	d := prepare(t, e.st.Origin, e.keys["owner"], e.content, "contract-1")
	res, err := e.clients["owner"].Submit(ctx, []api.Deposit{d}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("owner's deposit: %+v %v", res, err)
	}
	e.deposit = res[0].ID
	if err := e.clients["owner"].UploadOriginal(ctx, e.deposit, strings.NewReader(e.content), int64(len(e.content))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients["owner"].Grant(ctx, e.deposit, e.st.Institution, e.caseNo); err != nil {
		t.Fatal(err)
	}
	return e
}

// principals in the order the matrix lists them.
var principals = []string{"anonymous", "owner", "other", "pending", "suspended", "reviewer", "admin", "judge", "clerk", "auditor", "node"}

// TestAuthorizationMatrix sends a request to every endpoint as every
// principal and checks it is allowed or denied as the rules say. Denied
// requests get a 401 (anonymous) or 403 JSON error naming the rule and
// change nothing.
func TestAuthorizationMatrix(t *testing.T) {
	e := newAccountsEnv(t)
	q := func(s string) string { return strings.ReplaceAll(s, " ", "%20") }
	dep := "/v1/deposits/" + e.deposit
	sum := sha256.Sum256([]byte(e.content))
	all := principals
	everyAccount := []string{"owner", "other", "pending", "suspended", "reviewer", "admin", "judge", "clerk", "auditor", "node"}
	approved := []string{"owner", "other", "reviewer", "admin", "judge", "clerk", "auditor", "node"}
	depositors := []string{"owner", "other"}
	describers := []string{"owner", "admin", "judge", "clerk", "auditor", "node"}
	cases := []struct {
		method, path, body string
		allowed            []string
	}{
		{"GET", "/v1/deposits?sha256=" + hex.EncodeToString(sum[:]), "", all},
		{"GET", "/v1/proofs/inclusion?index=0&size=1", "", all},
		{"GET", "/v1/proofs/consistency?from=0&to=1", "", all},
		{"GET", "/v1/misbehaviour", "", all},
		{"GET", "/checkpoint", "", all},
		{"GET", "/tile/0/000.p/1", "", all},
		{"GET", "/policy", "", all},
		{"GET", "/v1/membership", "", all},
		{"GET", "/openapi.json", "", all},
		{"GET", "/v1/status", "", all},
		{"GET", "/metrics", "", all},
		{"GET", "/healthz", "", all},
		{"POST", "/v1/registrations", `{"invitation":"X","note":"not a note"}`, all},
		{"GET", "/v1/account", "", everyAccount},
		{"POST", "/v1/tokens", `{"label":"matrix"}`, approved},
		{"GET", "/v1/tokens", "", approved},
		{"DELETE", "/v1/tokens/0123456789abcdef01234567", "", approved},
		{"POST", "/v1/identity", `{"note":"not a note"}`, approved},
		{"POST", "/v1/invitations", `{}`, []string{"reviewer", "admin", "node"}},
		{"GET", "/v1/accounts", "", []string{"reviewer", "admin", "auditor", "node"}},
		{"POST", "/v1/deposits", `{}`, depositors},
		{"GET", "/v1/account/deposits", "", depositors},
		{"GET", dep, "", describers},
		{"GET", dep + "/opening", "", describers},
		{"PUT", dep + "/original", e.content, []string{"owner"}},
		{"GET", dep + "/original?case=" + q(e.caseNo), "", []string{"judge", "clerk"}},
		{"GET", dep + "/original", "", []string{"owner"}},
		{"POST", dep + "/shares", `{}`, []string{"owner"}},
		{"DELETE", dep + "/shares/0123456789abcdef01234567", "", []string{"owner"}},
		{"POST", dep + "/grants", mustJSON(api.GrantRequest{Court: e.st.Institution, Case: e.caseNo}), []string{"owner"}},
		{"DELETE", dep + "/grants?court=" + e.st.Institution + "&case=other-case", "", []string{"owner"}},
		{"GET", dep + "/trail", "", []string{"owner", "admin", "auditor", "node"}},
		{"GET", "/v1/cases/" + e.st.Institution + "/" + q(e.caseNo), "", []string{"judge", "clerk"}},
		{"POST", "/v1/misbehaviour", `{"note":"x"}`, []string{"admin", "node"}},
		{"POST", "/v1/membership", `{"note":"x"}`, []string{"admin", "node"}},
	}

	// Every endpoint the API describes is in the matrix.
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if status := do(t, "GET", e.n.URL+"/openapi.json", "", &spec); status != 200 {
		t.Fatal("no OpenAPI description")
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+templatePath(c.path, e)] = true
	}
	for path, ops := range spec.Paths {
		for method := range ops {
			if key := strings.ToUpper(method) + " " + path; !covered[key] {
				t.Errorf("endpoint %s is not in the authorization matrix", key)
			}
		}
	}

	for _, c := range cases {
		allowed := map[string]bool{}
		for _, p := range c.allowed {
			allowed[p] = true
		}
		for _, p := range principals {
			t.Run(c.method+" "+c.path+" as "+p, func(t *testing.T) {
				before := e.n.status().TreeSize
				status, body, err := e.clients[p].Raw(context.Background(), c.method, c.path, []byte(c.body))
				if err != nil {
					t.Fatal(err)
				}
				denied := status == http.StatusUnauthorized || status == http.StatusForbidden
				if allowed[p] == denied {
					t.Fatalf("%s as %s: HTTP %d %s; want allowed=%v", c.method, c.path, status, body, allowed[p])
				}
				if !denied {
					return
				}
				var apiErr api.Error
				if err := json.Unmarshal(body, &apiErr); err != nil || apiErr.Message == "" {
					t.Fatalf("denial is not a JSON error: %s", body)
				}
				if want := http.StatusForbidden; p == "anonymous" {
					if status != http.StatusUnauthorized {
						t.Fatalf("anonymous denial: %d, want 401", status)
					}
				} else if status != want {
					t.Fatalf("%s denial: %d %s, want 403", p, status, body)
				}
				if after := e.n.status().TreeSize; after != before {
					t.Fatalf("a denied request changed the log: %d -> %d", before, after)
				}
			})
		}
	}
}

// templatePath turns a request path back into the OpenAPI path template.
func templatePath(path string, e *accountsEnv) string {
	path, _, _ = strings.Cut(path, "?")
	path = strings.Replace(path, "/"+e.deposit, "/{id}", 1)
	if p, ok := strings.CutPrefix(path, "/v1/tokens/"); ok && p != "" {
		return "/v1/tokens/{id}"
	}
	if p, _, ok := strings.Cut(path, "/shares/"); ok {
		return p + "/shares/{share}"
	}
	if strings.HasPrefix(path, "/v1/cases/") {
		return "/v1/cases/{court}/{case}"
	}
	if strings.HasPrefix(path, "/tile/") {
		return "/tile/{path}"
	}
	return path
}

// TestSignedRequestsCannotBeForged replays, backdates, re-keys and tampers
// with signed requests; each is refused with a 401 and changes nothing.
func TestSignedRequestsCannotBeForged(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	owner := identity.AccountID(e.st.Institution, e.keys["owner"].Public())
	send := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	signed := func(auth client.KeyAuth, method, path string, body []byte) *http.Request {
		t.Helper()
		req, _ := http.NewRequest(method, e.n.URL+path, bytes.NewReader(body))
		if err := auth.Authorize(req, body); err != nil {
			t.Fatal(err)
		}
		return req
	}
	ownerAuth := client.KeyAuth{KeyID: owner, Alg: "ed25519", Key: e.keys["owner"]}
	before := e.n.status().TreeSize

	// A replayed request: the same signature and nonce, sent again.
	req := signed(ownerAuth, "GET", "/v1/account", nil)
	again := req.Clone(ctx)
	if status, body := send(req); status != 200 {
		t.Fatalf("the original request: %d %s", status, body)
	}
	if status, body := send(again); status != 401 || !strings.Contains(body, "replay") {
		t.Fatalf("replayed: %d %s", status, body)
	}
	// Expired: created ten minutes ago.
	old := ownerAuth
	old.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	if status, body := send(signed(old, "GET", "/v1/account", nil)); status != 401 {
		t.Fatalf("expired: %d %s", status, body)
	}
	// The wrong key: the owner's account id, another's key.
	wrong := client.KeyAuth{KeyID: owner, Alg: "ed25519", Key: e.keys["other"]}
	if status, body := send(signed(wrong, "GET", "/v1/account", nil)); status != 401 {
		t.Fatalf("wrong key: %d %s", status, body)
	}
	// Tampered: a deposit body changed after signing.
	d := prepare(t, e.st.Origin, e.keys["owner"], "tampered content", "t-1")
	body := []byte(mustJSON(d))
	req = signed(ownerAuth, "POST", "/v1/deposits?wait=5s", body)
	d2 := prepare(t, e.st.Origin, e.keys["owner"], "other content", "t-2")
	req.Body = io.NopCloser(strings.NewReader(mustJSON(d2)))
	req.ContentLength = int64(len(mustJSON(d2)))
	if status, body := send(req); status != 401 || !strings.Contains(body, "Content-Digest") {
		t.Fatalf("tampered body: %d %s", status, body)
	}
	// Tampered: the path changed after signing.
	req = signed(ownerAuth, "GET", "/v1/deposits/"+e.deposit+"/opening", nil)
	req.URL.Path = "/v1/deposits/" + e.deposit
	if status, body := send(req); status != 401 {
		t.Fatalf("tampered path: %d %s", status, body)
	}
	time.Sleep(300 * time.Millisecond)
	if after := e.n.status().TreeSize; after != before {
		t.Fatalf("refused requests changed the log: %d -> %d", before, after)
	}

	// API tokens: they authenticate, cannot mint tokens, die with expiry.
	tok, err := e.clients["owner"].NewToken(ctx, "scanner", "1h")
	if err != nil {
		t.Fatal(err)
	}
	byToken := e.n.client().WithAuth(client.TokenAuth(tok.Token))
	if list, err := byToken.OwnDeposits(ctx); err != nil || len(list) != 1 || list[0].ID != e.deposit {
		t.Fatalf("own deposits by token: %+v %v", list, err)
	}
	if _, err := byToken.NewToken(ctx, "more", ""); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("a token minted a token: %v", err)
	}
	if _, err := e.n.client().WithAuth(client.TokenAuth("jct_" + strings.Repeat("a", 52))).OwnDeposits(ctx); err == nil || !strings.Contains(err.Error(), api.CodeUnauthenticated) {
		t.Fatalf("an unknown token: %v", err)
	}
}

// TestAccountsAreIsolated checks that one depositor never sees another's
// evidence, metadata or deposit list without a grant, that a suspended
// account cannot deposit, that an invitation code works once, and that a
// clerk sees exactly a case's evidence, with every read on the trail.
func TestAccountsAreIsolated(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	other := e.clients["other"]
	if _, err := other.Deposit(ctx, e.deposit, 0); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("another depositor read the deposit: %v", err)
	}
	if _, err := other.Opening(ctx, e.deposit); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("another depositor read the metadata: %v", err)
	}
	if _, _, err := other.Original(ctx, e.deposit, "", ""); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("another depositor read the original: %v", err)
	}
	if list, err := other.OwnDeposits(ctx); err != nil || len(list) != 0 {
		t.Fatalf("another depositor's deposit list: %+v %v", list, err)
	}
	// A share code opens the original to its holder, and only for it.
	sh, err := e.clients["owner"].Share(ctx, e.deposit, "1h")
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := other.Original(ctx, e.deposit, "", sh.Code)
	if err != nil {
		t.Fatalf("the share code holder: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != e.content {
		t.Fatalf("shared original: %q", got)
	}
	if _, _, err := other.Original(ctx, e.deposit, "", "WRONGCODE"); err == nil {
		t.Fatal("a wrong share code opened the original")
	}

	// The clerk sees exactly the case's evidence.
	otherDep := prepare(t, e.st.Origin, e.keys["other"], "someone else's evidence", "x-1")
	if _, err := other.Submit(ctx, []api.Deposit{otherDep}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ev, err := e.clients["clerk"].Case(ctx, e.st.Institution, e.caseNo)
	if err != nil || len(ev.Deposits) != 1 || ev.Deposits[0].ID != e.deposit {
		t.Fatalf("case evidence: %+v %v", ev, err)
	}
	if ev, err := e.clients["clerk"].Case(ctx, e.st.Institution, "another case"); err != nil || len(ev.Deposits) != 0 {
		t.Fatalf("another case's evidence: %+v %v", ev, err)
	}
	rc, _, err = e.clients["clerk"].Original(ctx, e.deposit, e.caseNo, "")
	if err != nil {
		t.Fatalf("clerk reads the granted original: %v", err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if string(got) != e.content {
		t.Fatalf("clerk's original: %q", got)
	}
	if _, _, err := e.clients["clerk"].Original(ctx, depositID(t, otherDep), e.caseNo, ""); err == nil {
		t.Fatal("the clerk read evidence not granted to the case")
	}
	// Revoked, the grant no longer opens it.
	if _, err := e.clients["owner"].RevokeGrant(ctx, e.deposit, e.st.Institution, e.caseNo); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.clients["clerk"].Original(ctx, e.deposit, e.caseNo, ""); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("a revoked grant still opens the original: %v", err)
	}
	// Every upload, share, grant, read and revocation is on the trail,
	// each a committed deposit with a receipt.
	tr, err := e.clients["owner"].Trail(ctx, e.deposit)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range tr.Entries {
		var rec api.TrailRecord
		if err := json.Unmarshal(en.Record, &rec); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, rec.Action+"/"+rec.Via)
		sum := sha256.Sum256(en.Record)
		if en.Status != api.StatusCommitted || en.Receipt == "" || en.Entry.Digests["sha256"] != hex.EncodeToString(sum[:]) {
			t.Fatalf("trail entry %s is not proven by its deposit: %+v", rec.Action, en.DepositInfo)
		}
	}
	want := "upload-original/ grant/ share/ read-original/share code read-original/grant revoke-grant/"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("trail:\n got %s\nwant %s", got, want)
	}

	// Suspended: no deposits.
	sd := prepare(t, e.st.Origin, e.keys["suspended"], "after suspension", "s-1")
	if _, err := e.clients["suspended"].Submit(ctx, []api.Deposit{sd}, 0); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("a suspended account deposited: %v", err)
	}
	// An invitation code works once.
	inv, err := e.clients["reviewer"].Invite(ctx, "1h")
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := suite.International().Signature().GenerateKey(rand.Reader)
	k2, _ := suite.International().Signature().GenerateKey(rand.Reader)
	if _, err := e.n.register(k1, inv.Code); err != nil {
		t.Fatal(err)
	}
	id2, err := e.n.register(k2, inv.Code)
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("an invitation code was used twice: %v", err)
	}
	accs, err := e.clients["reviewer"].Accounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accs {
		if a.ID == id2 {
			t.Fatal("the second registration with a used code made an account")
		}
	}
}
