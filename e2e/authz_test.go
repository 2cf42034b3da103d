package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
	key, _ := testSuite.Signature().GenerateKey(rand.Reader)
	op := identity.NewRegistration(testSuite, st.Origin, st.Institution, role, identity.Staff, key.Public(), make([]byte, 32))
	self, err := identity.NewSigner(op.Account, key, testSuite.Signature().Name())
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
	commitment, _ := identity.Commit(testSuite, salt, rn.Canonical())
	op := identity.NewRegistration(testSuite, st.Origin, st.Institution, identity.Depositor, identity.Individual, key.Public(), commitment)
	self, _ := identity.NewSigner(op.Account, key, testSuite.Signature().Name())
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
	e.keys["pending"], _ = testSuite.Signature().GenerateKey(rand.Reader)
	if _, err := n.register(e.keys["pending"], inv.Code); err != nil {
		t.Fatal(err)
	}
	e.clients["pending"] = n.as(e.keys["pending"])
	n.decide(identity.AccountID(testSuite, n.status().Institution, e.keys["suspended"].Public()), 2, identity.Suspend, "documents expired")
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
	sum := digestOf([]byte(e.content))
	all := principals
	everyAccount := []string{"owner", "other", "pending", "suspended", "reviewer", "admin", "judge", "clerk", "auditor", "node"}
	approved := []string{"owner", "other", "reviewer", "admin", "judge", "clerk", "auditor", "node"}
	depositors := []string{"owner", "other"}
	describers := []string{"owner", "admin", "judge", "clerk", "auditor", "node"}
	cases := []struct {
		method, path, body string
		allowed            []string
	}{
		{"GET", "/v1/deposits?" + testSuite.ContentDigest() + "=" + hex.EncodeToString(sum[:]), "", all},
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
		{"GET", "/v1/tokens?account=" + identity.AccountID(testSuite, e.st.Institution, e.keys["owner"].Public()), "", []string{"owner", "admin", "node"}},
		{"DELETE", "/v1/tokens/0123456789abcdef01234567", "", approved},
		{"POST", "/v1/identity", `{"note":"not a note"}`, approved},
		{"POST", "/v1/invitations", `{}`, []string{"reviewer", "admin", "node"}},
		{"GET", "/v1/accounts", "", []string{"reviewer", "admin", "auditor", "node"}},
		{"POST", "/v1/deposits", `{}`, depositors},
		{"GET", "/v1/account/deposits", "", depositors},
		{"GET", dep, "", describers},
		{"GET", dep + "/opening", "", describers},
		{"GET", dep + "/certificate.pdf", "", describers},
		{"POST", "/v1/tsa", "not a query", all},
		{"GET", "/v1/pki", "", all},
		{"GET", "/v1/pki/crl", "", all},
		{"GET", "/v1/certificates/JC-AAAAA-AAAAA-AAAAA-AAAAA", "", all},
		{"POST", "/v1/certificates/check", "%PDF-1.7", all},
		{"POST", "/witness/add-checkpoint", "old 0\n\n", all},
		{"GET", "/v1/anchors/outbound", "", all},
		{"POST", "/v1/receipts/upgrade", "not a receipt", all},
		{"PUT", dep + "/original", e.content, []string{"owner"}},
		{"GET", dep + "/original?case=" + q(e.caseNo), "", []string{"judge", "clerk"}},
		{"GET", dep + "/original", "", []string{"owner"}},
		{"POST", dep + "/shares", `{}`, []string{"owner"}},
		{"DELETE", dep + "/shares/0123456789abcdef01234567", "", []string{"owner"}},
		{"GET", dep + "/shares", "", []string{"owner", "admin", "auditor", "node"}},
		{"POST", dep + "/grants", mustJSON(api.GrantRequest{Court: e.st.Institution, Case: e.caseNo}), []string{"owner"}},
		{"DELETE", dep + "/grants?court=" + e.st.Institution + "&case=other-case", "", []string{"owner"}},
		{"GET", dep + "/trail", "", describers},
		{"GET", "/v1/cases/" + e.st.Institution + "/" + q(e.caseNo), "", []string{"judge", "clerk"}},
		{"POST", "/v1/packages", mustJSON(api.PackageRequest{Court: e.st.Institution, Case: "no-such-case"}), []string{"owner", "other", "judge", "clerk"}},
		{"POST", "/v1/packages/import", "not a zip", []string{"judge", "clerk"}},
		{"GET", "/v1/packages/imports", "", []string{"judge", "clerk"}},
		{"GET", "/v1/packages/imports/imp-00000000000000000000", "", []string{"judge", "clerk"}},
		{"GET", "/v1/stats", "", []string{"admin", "auditor", "node"}},
		{"GET", "/v1/explorer/blocks", "", []string{"admin", "auditor", "node"}},
		{"GET", "/v1/explorer/checkpoints", "", []string{"admin", "auditor", "node"}},
		{"GET", "/v1/explorer/growth", "", []string{"admin", "auditor", "node"}},
		{"GET", "/v1/validators", "", []string{"admin", "auditor", "node"}},
		{"POST", "/v1/misbehaviour", `{"note":"x"}`, []string{"admin", "node"}},
		{"POST", "/v1/membership", `{"note":"x"}`, []string{"admin", "node"}},
		{"POST", "/v1/anchors", "old 0\n\nunknown.example/log\n1\nAAAA\n", all},
		{"GET", "/v1/anchors/logs", "", all},
		{"GET", "/v1/anchors/unknown.example/log", "", all},
		{"POST", "/v1/anchors/logs", `{"note":"x"}`, []string{"admin", "node"}},
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
	if p, ok := strings.CutPrefix(path, "/v1/packages/imports/"); ok && p != "" {
		return "/v1/packages/imports/{id}"
	}
	if strings.HasPrefix(path, "/tile/") {
		return "/tile/{path}"
	}
	if p, ok := strings.CutPrefix(path, "/v1/anchors/"); ok && p != "logs" && p != "outbound" {
		return "/v1/anchors/{origin...}"
	}
	if p, ok := strings.CutPrefix(path, "/v1/certificates/"); ok && p != "check" {
		return "/v1/certificates/{number}"
	}
	return path
}

// TestSignedRequestsCannotBeForged replays, backdates, re-keys and tampers
// with signed requests; each is refused with a 401 and changes nothing.
func TestSignedRequestsCannotBeForged(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	owner := identity.AccountID(testSuite, e.st.Institution, e.keys["owner"].Public())
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
	ownerAuth := client.KeyAuth{KeyID: owner, Alg: testSuite.Signature().Name(), Key: e.keys["owner"]}
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
	wrong := client.KeyAuth{KeyID: owner, Alg: testSuite.Signature().Name(), Key: e.keys["other"]}
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
		sum := digestOf(en.Record)
		if en.Status != api.StatusCommitted || en.Receipt == "" || en.Entry.Digests[testSuite.ContentDigest()] != hex.EncodeToString(sum[:]) {
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
	k1, _ := testSuite.Signature().GenerateKey(rand.Reader)
	k2, _ := testSuite.Signature().GenerateKey(rand.Reader)
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

// metric reads one unlabelled value from the node's /metrics.
func (n *node) metric(name string) float64 {
	n.t.Helper()
	var b []byte
	if status := do(n.t, "GET", n.URL+"/metrics", "", &b); status != 200 {
		n.t.Fatalf("/metrics: %d", status)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				n.t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	n.t.Fatalf("no metric %s", name)
	return 0
}

// trailActions lists the actions on a deposit's trail, as its owner sees it.
func (e *accountsEnv) trailActions(t *testing.T, id string) []string {
	t.Helper()
	tr, err := e.clients["owner"].Trail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range tr.Entries {
		var rec api.TrailRecord
		if err := json.Unmarshal(en.Record, &rec); err != nil {
			t.Fatal(err)
		}
		if en.Status != api.StatusCommitted {
			t.Fatalf("trail entry %s served before it committed: %s", rec.Action, en.Status)
		}
		out = append(out, rec.Action+"/"+rec.Actor)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code, text string) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) || e.Code != code || !strings.Contains(e.Message, text) {
		t.Fatalf("%s: got %v, want %s with %q", what, err, code, text)
	}
}

// TestOriginalsAreIsolated deposits the digest of another's original
// (digests are public in the tiles): the deposit does not open the
// original, to its depositor, by a share code or under a grant, while
// the original's owner still reads it through its own deposit.
func TestOriginalsAreIsolated(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	attacker := e.clients["other"]
	d := prepare(t, e.st.Origin, e.keys["other"], e.content, "steal-1")
	res, err := attacker.Submit(ctx, []api.Deposit{d}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("the attacker's deposit: %+v %v", res, err)
	}
	stolen := res[0].ID
	_, _, err = attacker.Original(ctx, stolen, "", "")
	wantCode(t, "downloading through the attacker's deposit", err, api.CodeNotFound, "no original uploaded for this deposit")
	_, err = attacker.Share(ctx, stolen, "1h")
	wantCode(t, "sharing it", err, api.CodeNotFound, "no original uploaded for this deposit")
	// A grant of the deposit gives a court its record, not the original.
	if _, err := attacker.Grant(ctx, stolen, e.st.Institution, "attacker's case"); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.clients["clerk"].Original(ctx, stolen, "attacker's case", "")
	wantCode(t, "a court reading through the attacker's grant", err, api.CodeNotFound, "no original uploaded for this deposit")
	// The victim still reads its original.
	rc, _, err := e.clients["owner"].Original(ctx, e.deposit, "", "")
	if err != nil {
		t.Fatalf("the owner's read: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != e.content {
		t.Fatalf("the owner's original: %q", got)
	}
	// The attacker's trail holds the grant and no read.
	tr, err := attacker.Trail(ctx, stolen)
	if err != nil || len(tr.Entries) != 1 || !strings.Contains(string(tr.Entries[0].Record), `"action":"grant"`) {
		t.Fatalf("the attacker's trail: %+v %v", tr, err)
	}
}

// TestTokensDieWithTheirKey binds API tokens to the key that minted them:
// revoking the key, suspending the account or revoking the token ends it,
// and no other account lists or revokes it.
func TestTokensDieWithTheirKey(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	account := identity.AccountID(testSuite, e.st.Institution, e.keys["owner"].Public())
	// A second key for the owner, signed by both keys.
	key2, _ := testSuite.Signature().GenerateKey(rand.Reader)
	add := &identity.Op{Origin: e.st.Origin, Account: account, Version: 2, Action: identity.AddKey, Alg: testSuite.Signature().Name(), Public: key2.Public()}
	self1, _ := identity.NewSigner(account, e.keys["owner"], testSuite.Signature().Name())
	self2, _ := identity.NewSigner(account, key2, testSuite.Signature().Name())
	signed, err := add.Sign(self1, self2)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := e.n.operator().Identity(ctx, signed); err != nil || info.Applied == nil || !*info.Applied {
		t.Fatalf("adding a key: %+v %v", info, err)
	}
	byKey2 := e.n.client().WithAuth(client.KeyAuth{KeyID: account, Alg: testSuite.Signature().Name(), Key: key2})
	tok1, err := e.clients["owner"].NewToken(ctx, "minted by key 1", "1h")
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := byKey2.NewToken(ctx, "minted by key 2", "1h")
	if err != nil {
		t.Fatal(err)
	}
	tok3, err := byKey2.NewToken(ctx, "to revoke", "1h")
	if err != nil {
		t.Fatal(err)
	}
	as := func(tok *api.Token) *client.Client { return e.n.client().WithAuth(client.TokenAuth(tok.Token)) }
	for _, tok := range []*api.Token{tok1, tok2, tok3} {
		if _, err := as(tok).OwnDeposits(ctx); err != nil {
			t.Fatalf("token %s: %v", tok.ID, err)
		}
	}
	list, err := byKey2.Tokens(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("the owner's tokens: %+v %v", list, err)
	}
	for _, l := range list {
		if strings.Contains(mustJSON(l), "jct_") {
			t.Fatalf("a listed token shows its secret: %+v", l)
		}
		wantKey := key2.Public()
		if l.ID == tok1.ID {
			wantKey = e.keys["owner"].Public()
		}
		if !bytes.Equal(l.Key, wantKey) {
			t.Fatalf("token %s lists key %x", l.ID, l.Key)
		}
	}

	// Another account neither sees nor revokes them.
	if other, err := e.clients["other"].Tokens(ctx); err != nil || len(other) != 0 {
		t.Fatalf("another account's token list: %+v %v", other, err)
	}
	_, err = e.clients["other"].RevokeToken(ctx, tok3.ID)
	wantCode(t, "another account revoking a token", err, api.CodeForbidden, "not yours")
	_, err = as(tok3).OwnDeposits(ctx)
	if err != nil {
		t.Fatalf("a token another account failed to revoke: %v", err)
	}
	// Its owner revokes it.
	if _, err := byKey2.RevokeToken(ctx, tok3.ID); err != nil {
		t.Fatal(err)
	}
	_, err = as(tok3).OwnDeposits(ctx)
	wantCode(t, "a revoked token", err, api.CodeUnauthenticated, "unknown API token")

	// Revoking key 1 ends the token it minted, not the one key 2 minted.
	nodeSigner, err := jnode.Home(e.n.home).LogSigner(e.st.Origin)
	if err != nil {
		t.Fatal(err)
	}
	revoke := &identity.Op{Origin: e.st.Origin, Account: account, Version: 3, Action: identity.RevokeKey, Public: e.keys["owner"].Public(), Reason: "lost"}
	if signed, err = revoke.Sign(nodeSigner); err != nil {
		t.Fatal(err)
	}
	if info, err := e.n.operator().Identity(ctx, signed); err != nil || info.Applied == nil || !*info.Applied {
		t.Fatalf("revoking key 1: %+v %v", info, err)
	}
	_, err = as(tok1).OwnDeposits(ctx)
	wantCode(t, "a token of a revoked key", err, api.CodeUnauthenticated, "was revoked")
	if _, err := as(tok2).OwnDeposits(ctx); err != nil {
		t.Fatalf("the token of the active key: %v", err)
	}

	// Suspending the account ends its tokens.
	e.n.decide(account, 4, identity.Suspend, "under investigation")
	_, err = as(tok2).OwnDeposits(ctx)
	wantCode(t, "a token of a suspended account", err, api.CodeUnauthenticated, "is suspended")
	// Reinstated, the token works again; the institution's admin revokes it.
	e.n.decide(account, 5, identity.Reinstate, "cleared")
	if _, err := as(tok2).OwnDeposits(ctx); err != nil {
		t.Fatalf("the token after reinstatement: %v", err)
	}
	if _, err := e.clients["admin"].RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatalf("the admin revoking a token: %v", err)
	}
	_, err = as(tok2).OwnDeposits(ctx)
	wantCode(t, "a token the admin revoked", err, api.CodeUnauthenticated, "unknown API token")

	// The command line: token, token list, token revoke.
	otherKey := keyFile(t, e.keys["other"])
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := run(t, nil, append(args, "--key", otherKey, "--server", e.n.URL)...)
		if code != 0 {
			t.Fatalf("jurichain %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	secret := strings.TrimSpace(cli("token", "--label", "cli token"))
	listed := cli("token", "list")
	id := regexp.MustCompile(`(?m)^([0-9a-f]{24})\s+"cli token"`).FindStringSubmatch(listed)
	if id == nil || strings.Contains(listed, secret) {
		t.Fatalf("token list:\n%s", listed)
	}
	if out := cli("token", "revoke", id[1]); !strings.Contains(out, "revoked token "+id[1]) {
		t.Fatalf("token revoke: %s", out)
	}
	if out := cli("token", "list"); strings.Contains(out, id[1]) {
		t.Fatalf("a revoked token is still listed:\n%s", out)
	}
	_, err = e.n.client().WithAuth(client.TokenAuth(secret)).OwnDeposits(ctx)
	wantCode(t, "a token revoked with the CLI", err, api.CodeUnauthenticated, "unknown API token")
}

// TestMetadataReadsAreOnTheTrail reads a deposit's metadata opening as
// everyone who may: every read but the depositor's is a committed trail
// entry by the time the opening is served.
func TestMetadataReadsAreOnTheTrail(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	before := e.trailActions(t, e.deposit)
	if _, err := e.clients["owner"].Opening(ctx, e.deposit); err != nil {
		t.Fatal(err)
	}
	if got := e.trailActions(t, e.deposit); len(got) != len(before) {
		t.Fatalf("the owner's own read is on the trail: %v", got[len(before):])
	}
	readers := []string{"clerk", "judge", "auditor", "admin", "node"}
	var want []string
	for _, who := range readers {
		if _, err := e.clients[who].Opening(ctx, e.deposit); err != nil {
			t.Fatalf("%s reads the opening: %v", who, err)
		}
		// The entry is committed as soon as the opening is served.
		got := e.trailActions(t, e.deposit)
		if len(got) != len(before)+len(want)+1 {
			t.Fatalf("after %s's read, the trail is %v", who, got[len(before):])
		}
		want = append(want, got[len(got)-1])
		if !strings.HasPrefix(got[len(got)-1], api.TrailReadMetadata+"/") {
			t.Fatalf("%s's read is recorded as %s", who, got[len(got)-1])
		}
	}
	// A refused read leaves nothing.
	if _, err := e.clients["other"].Opening(ctx, e.deposit); err == nil {
		t.Fatal("another depositor read the opening")
	}
	if got := e.trailActions(t, e.deposit); len(got) != len(before)+len(readers) {
		t.Fatalf("a refused read is on the trail: %v", got)
	}
}

// TestShareCodes issues a share code of 80 bits, counts and slows wrong
// codes, and revokes a code.
func TestShareCodes(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	sh, err := e.clients["owner"].Share(ctx, e.deposit, "1h")
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.Code) < 16 || sh.ID == "" || strings.Contains(sh.Code, sh.ID) {
		t.Fatalf("share code %q (id %q): want 16 base32 characters or more, and an id apart", sh.Code, sh.ID)
	}
	holder := e.clients["judge"] // any approved account may hold a code
	if _, err := holder.SharedDeposit(ctx, e.deposit, sh.Code); err != nil {
		t.Fatalf("the holder reads the record: %v", err)
	}
	failures := e.n.metric("jurichain_share_code_failures_total")
	// Five wrong codes are refused and counted; the sixth try waits, even
	// with the right code.
	for i := range 5 {
		_, _, err := holder.Original(ctx, e.deposit, "", fmt.Sprintf("WRONGCODE%07d", i))
		wantCode(t, "a wrong code", err, api.CodeForbidden, "not a share code")
	}
	if got := e.n.metric("jurichain_share_code_failures_total"); got != failures+5 {
		t.Fatalf("failures counted: %v, want %v", got, failures+5)
	}
	status, body, err := holder.Raw(ctx, "GET", "/v1/deposits/"+e.deposit+"/original?code="+sh.Code, nil)
	if err != nil || status != http.StatusTooManyRequests || !strings.Contains(string(body), "too many wrong share codes") {
		t.Fatalf("after five wrong codes: %d %s %v", status, body, err)
	}
	// Another account is not slowed by the first one's guesses... but it
	// shares the client address, which is: guesses count per principal
	// and per address.
	_, _, err = e.clients["clerk"].Original(ctx, e.deposit, "", sh.Code)
	wantCode(t, "a try from the same address", err, api.CodeTooManyRequests, "try again in")

	// Revoked, the code opens nothing; another account cannot revoke.
	sh2, err := e.clients["owner"].Share(ctx, e.deposit, "1h")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "another account revoking a code", e.clients["other"].RevokeShare(ctx, e.deposit, sh2.ID), api.CodeForbidden, "only the depositor")
	if err := e.clients["owner"].RevokeShare(ctx, e.deposit, sh2.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "revoking twice", e.clients["owner"].RevokeShare(ctx, e.deposit, sh2.ID), api.CodeNotFound, "no such share code")
	tr := e.trailActions(t, e.deposit)
	if last := tr[len(tr)-1]; !strings.HasPrefix(last, api.TrailRevokeShare+"/") {
		t.Fatalf("the revocation is not on the trail: %v", tr)
	}
}

// TestStrangersBatchIsRefusedFirst sends a batch of 10,000 deposits signed
// with another account's key: it is refused with 403 before a single
// deposit signature is verified.
func TestStrangersBatchIsRefusedFirst(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	deps := make([]api.Deposit, api.MaxBatch)
	for i := range deps {
		deps[i] = prepare(t, e.st.Origin, e.keys["owner"], fmt.Sprint("evidence ", i), fmt.Sprint("batch-", i))
	}
	verified := e.n.metric("jurichain_deposit_signatures_verified_total")
	_, err := e.clients["other"].Submit(ctx, deps, 0)
	wantCode(t, "a stranger's batch", err, api.CodeForbidden, "deposits[0].depositor_key: not a key of account")
	if got := e.n.metric("jurichain_deposit_signatures_verified_total"); got != verified {
		t.Fatalf("%v deposit signatures were verified for a refused batch", got-verified)
	}
	// The owner's own batch of one is verified (the counter is live).
	if _, err := e.clients["owner"].Submit(ctx, deps[:1], 0); err != nil {
		t.Fatal(err)
	}
	if got := e.n.metric("jurichain_deposit_signatures_verified_total"); got != verified+1 {
		t.Fatalf("signatures verified for one deposit: %v", got-verified)
	}
}

// TestFetchWithShareCode follows the README: the depositor shares a code,
// its holder fetches the original and its receipt with the CLI, and the
// trail holds exactly one read for the fetch.
func TestFetchWithShareCode(t *testing.T) {
	e := newAccountsEnv(t)
	ctx := context.Background()
	sh, err := e.clients["owner"].Share(ctx, e.deposit, "1h")
	if err != nil {
		t.Fatal(err)
	}
	before := e.trailActions(t, e.deposit)
	out := filepath.Join(t.TempDir(), "contract.txt")
	holderKey := keyFile(t, e.keys["other"])
	stdout, stderr, code := run(t, nil, "fetch", e.deposit, "--code", sh.Code, "--out", out, "--key", holderKey, "--server", e.n.URL)
	if code != 0 {
		t.Fatalf("fetch --code: exit %d\n%s%s", code, stdout, stderr)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != e.content {
		t.Fatalf("fetched original: %q %v", got, err)
	}
	if rc, err := os.ReadFile(out + ".tlog-proof"); err != nil || len(rc) == 0 {
		t.Fatalf("no receipt beside the original: %v", err)
	}
	// Fetching again to the same file keeps the earlier one and reads
	// nothing.
	if _, stderr, code := run(t, nil, "fetch", e.deposit, "--code", sh.Code, "--out", out, "--key", holderKey, "--server", e.n.URL); code == 0 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("fetch over an earlier original: exit %d\n%s", code, stderr)
	}
	after := e.trailActions(t, e.deposit)
	other := identity.AccountID(testSuite, e.st.Institution, e.keys["other"].Public())
	if got := after[len(before):]; len(got) != 1 || got[0] != api.TrailRead+"/"+other {
		t.Fatalf("trail records of one fetch: %v", got)
	}
	// A wrong code writes nothing and reads nothing.
	out2 := filepath.Join(t.TempDir(), "nothing.txt")
	if _, stderr, code := run(t, nil, "fetch", e.deposit, "--code", "AAAAAAAAAAAAAAAA", "--out", out2, "--key", holderKey, "--server", e.n.URL); code == 0 || !strings.Contains(stderr, "not a share code") {
		t.Fatalf("fetch with a wrong code: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Fatal("a failed fetch wrote the file")
	}
	if got := e.trailActions(t, e.deposit); len(got) != len(after) {
		t.Fatalf("a failed fetch left a read record: %v", got[len(after):])
	}
	// The depositor revokes the code with the CLI; it no longer fetches.
	ownerKey := keyFile(t, e.keys["owner"])
	if out, errOut, code := run(t, nil, "share", e.deposit, "--revoke", sh.ID, "--key", ownerKey, "--server", e.n.URL); code != 0 || !strings.Contains(out, "revoked share code "+sh.ID) {
		t.Fatalf("share --revoke: exit %d %s%s", code, out, errOut)
	}
	if _, stderr, code := run(t, nil, "fetch", e.deposit, "--code", sh.Code, "--out", out2, "--key", holderKey, "--server", e.n.URL); code == 0 || !strings.Contains(stderr, "not a share code") {
		t.Fatalf("fetch with a revoked code: exit %d %s", code, stderr)
	}
}
