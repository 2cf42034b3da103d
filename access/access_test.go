package access

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/office"
)

// The institutions of the tests: this node's, a court the deposit is
// granted to, and another court.
const (
	here       = "xuhui-notary"
	court      = "hangzhou-internet-court"
	otherCourt = "beijing-internet-court"
)

func account(id, inst string, role identity.Role, status identity.Status, keys ...[]byte) *identity.Account {
	acc := &identity.Account{ID: id, Institution: inst, Role: role, Status: status}
	for _, k := range keys {
		acc.Keys = append(acc.Keys, identity.Key{Alg: "ed25519", Public: k, Added: 1})
	}
	return acc
}

func principalOf(acc *identity.Account) *Principal {
	return &Principal{Account: acc, Institution: acc.Institution, Role: acc.Role}
}

// principals are every kind of caller the rules tell apart; nil is
// anonymous.
func principals() map[string]*Principal {
	ps := map[string]*Principal{
		"anonymous":  nil,
		"node":       {Institution: here, Role: identity.Admin},
		"other node": {Institution: otherCourt, Role: identity.Admin},
	}
	for name, acc := range map[string]*identity.Account{
		"owner":           account("acct-owner", here, identity.Depositor, identity.Approved, []byte("owner key")),
		"other":           account("acct-other", here, identity.Depositor, identity.Approved, []byte("other key")),
		"pending":         account("acct-pending", here, identity.Depositor, identity.Pending),
		"suspended":       account("acct-suspended", here, identity.Depositor, identity.Suspended),
		"reviewer":        account("acct-reviewer", here, identity.Reviewer, identity.Approved),
		"admin":           account("acct-admin", here, identity.Admin, identity.Approved),
		"auditor":         account("acct-auditor", here, identity.Auditor, identity.Approved),
		"judge":           account("acct-judge", court, identity.Judge, identity.Approved),
		"clerk":           account("acct-clerk", court, identity.Clerk, identity.Approved),
		"other judge":     account("acct-judge-2", otherCourt, identity.Judge, identity.Approved),
		"other admin":     account("acct-admin-2", otherCourt, identity.Admin, identity.Approved),
		"other auditor":   account("acct-auditor-2", otherCourt, identity.Auditor, identity.Approved),
		"suspended judge": account("acct-judge-3", court, identity.Judge, identity.Suspended),
	} {
		ps[name] = principalOf(acc)
	}
	return ps
}

func names(ps map[string]*Principal) []string {
	var out []string
	for n := range ps {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestEndpointMatrix checks the rule of every endpoint for every kind of
// principal, anonymous included: the endpoint × role matrix.
func TestEndpointMatrix(t *testing.T) {
	all := []string{"anonymous", "node", "other node", "owner", "other", "pending", "suspended", "reviewer", "admin", "auditor",
		"judge", "clerk", "other judge", "other admin", "other auditor", "suspended judge"}
	authenticated := all[1:]
	approved := []string{"node", "other node", "owner", "other", "reviewer", "admin", "auditor", "judge", "clerk", "other judge", "other admin", "other auditor"}
	depositors := []string{"owner", "other"}
	admins := []string{"node", "other node", "admin", "other admin"}
	staff := []string{"node", "other node", "admin", "auditor", "other admin", "other auditor"}
	want := map[string][]string{
		"GET /v1/deposits":                        all,
		"GET /v1/proofs/inclusion":                all,
		"GET /v1/proofs/consistency":              all,
		"GET /v1/misbehaviour":                    all,
		"GET /checkpoint":                         all,
		"GET /tile/":                              all,
		"GET /policy":                             all,
		"GET /v1/membership":                      all,
		"GET /openapi.json":                       all,
		"GET /v1/status":                          all,
		"GET /metrics":                            all,
		"GET /healthz":                            all,
		"POST /v1/registrations":                  all,
		"GET /v1/account":                         authenticated,
		"POST /v1/tokens":                         approved,
		"GET /v1/tokens":                          approved,
		"DELETE /v1/tokens/{id}":                  approved,
		"POST /v1/identity":                       approved,
		"POST /v1/invitations":                    {"node", "other node", "reviewer", "admin", "other admin"},
		"GET /v1/accounts":                        {"node", "other node", "reviewer", "admin", "auditor", "other admin", "other auditor"},
		"POST /v1/deposits":                       depositors,
		"GET /v1/account/deposits":                depositors,
		"GET /v1/deposits/{id}":                   approved,
		"GET /v1/deposits/{id}/opening":           approved,
		"GET /v1/deposits/{id}/certificate.pdf":   approved,
		"POST /v1/tsa":                            all,
		"GET /v1/pki":                             all,
		"GET /v1/pki/crl":                         all,
		"GET /v1/certificates/{number}":           all,
		"POST /v1/certificates/check":             all,
		"POST /witness/add-checkpoint":            all,
		"GET /v1/anchors/outbound":                all,
		"POST /v1/receipts/upgrade":               all,
		"PUT /v1/deposits/{id}/original":          depositors,
		"GET /v1/deposits/{id}/original":          approved,
		"POST /v1/deposits/{id}/shares":           depositors,
		"DELETE /v1/deposits/{id}/shares/{share}": depositors,
		"GET /v1/deposits/{id}/shares":            approved,
		"POST /v1/deposits/{id}/grants":           depositors,
		"DELETE /v1/deposits/{id}/grants":         depositors,
		"GET /v1/deposits/{id}/trail":             approved,
		"GET /v1/cases/{court}/{case}":            {"judge", "clerk", "other judge"},
		"POST /v1/packages":                       {"owner", "other", "judge", "clerk", "other judge"},
		"POST /v1/packages/import":                {"judge", "clerk", "other judge"},
		"GET /v1/packages/imports":                {"judge", "clerk", "other judge"},
		"GET /v1/packages/imports/{id}":           {"judge", "clerk", "other judge"},
		"GET /v1/stats":                           staff,
		"GET /v1/explorer/blocks":                 staff,
		"GET /v1/explorer/checkpoints":            staff,
		"GET /v1/explorer/growth":                 staff,
		"GET /v1/validators":                      staff,
		"POST /v1/misbehaviour":                   admins,
		"POST /v1/membership":                     admins,
		"POST /v1/anchors":                        all,
		"GET /v1/anchors/logs":                    all,
		"GET /v1/anchors/{origin...}":             all,
		"POST /v1/anchors/logs":                   admins,
	}
	ps := principals()
	if len(ps) != len(all) {
		t.Fatalf("the matrix names %d principals, the test has %d", len(all), len(ps))
	}
	seen := map[string]bool{}
	for _, ep := range Endpoints() {
		key := ep.Method + " " + ep.Path
		if seen[key] {
			t.Errorf("%s is listed twice", key)
		}
		seen[key] = true
		allowed, ok := want[key]
		if !ok {
			t.Errorf("%s is not in the matrix", key)
			continue
		}
		for _, name := range names(ps) {
			t.Run(key+" as "+name, func(t *testing.T) {
				p := ps[name]
				got := ep.Rule.Public || (p != nil && ep.Rule.Allow(p))
				if got != slices.Contains(allowed, name) {
					t.Fatalf("rule %q allows %s: %v, want %v", ep.Rule.Name, name, got, !got)
				}
				if !got && p != nil {
					e := ep.Rule.Refusal(key, p)
					if e.Code != api.CodeForbidden || !strings.Contains(e.Message, ep.Rule.Name) {
						t.Fatalf("refusal %v does not name the rule", e)
					}
				}
			})
		}
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("%s is in the matrix but not an endpoint", key)
		}
	}
}

// outcome is what a decision answers: allowed, forbidden (403), or
// not found (404).
type outcome string

const (
	allow  outcome = "allow"
	deny   outcome = "forbidden"
	absent outcome = "not found"
)

func outcomeOf(t *testing.T, err error) outcome {
	t.Helper()
	var e *api.Error
	switch {
	case err == nil:
		return allow
	case errors.As(err, &e) && e.Code == api.CodeForbidden:
		return deny
	case errors.As(err, &e) && e.Code == api.CodeNotFound:
		return absent
	}
	t.Fatalf("unexpected error %v", err)
	return ""
}

// TestObjectDecisions checks the decisions that depend on the deposit:
// every decision for every principal, on the owner's deposit granted to a
// case at the court, with and without an uploaded original.
func TestObjectDecisions(t *testing.T) {
	ps := principals()
	owner := ps["owner"].Account
	uploaded := &Deposit{ID: "d1", Owner: owner, Uploaded: true, Grants: []office.Grant{{Deposit: "d1", Owner: owner.ID, Court: court, Case: "c1"}}}
	bare := &Deposit{ID: "d2", Owner: owner, Grants: []office.Grant{{Deposit: "d2", Owner: owner.ID, Court: court, Case: "c1"}}}
	share := func(d *Deposit) *office.Share { return &office.Share{ID: "s1", Deposit: d.ID, Owner: owner.ID} }
	otherShare := &office.Share{ID: "s2", Deposit: "d9", Owner: owner.ID}
	decisions := map[string]func(p *Principal, d *Deposit) error{
		"describe":             func(p *Principal, d *Deposit) error { return Describe(p, d, here) },
		"describe with code":   func(p *Principal, d *Deposit) error { return DescribeShared(p, d, here, share(d)) },
		"describe, wrong code": func(p *Principal, d *Deposit) error { return DescribeShared(p, d, here, otherShare) },
		"read as owner":        func(p *Principal, d *Deposit) error { _, err := ReadOriginal(p, d, "", nil); return err },
		"read by case c1":      func(p *Principal, d *Deposit) error { _, err := ReadOriginal(p, d, "c1", nil); return err },
		"read by case c2":      func(p *Principal, d *Deposit) error { _, err := ReadOriginal(p, d, "c2", nil); return err },
		"read with code":       func(p *Principal, d *Deposit) error { _, err := ReadOriginal(p, d, "", share(d)); return err },
		"read, wrong code":     func(p *Principal, d *Deposit) error { _, err := ReadOriginal(p, d, "", otherShare); return err },
		"upload":               Upload,
		"share":                Share,
		"grant":                Grant,
		"revoke grant":         RevokeGrant,
		"revoke share": func(p *Principal, d *Deposit) error {
			return RevokeShare(p, d, &office.Share{Deposit: d.ID, Owner: owner.ID})
		},
		"trail":       func(p *Principal, d *Deposit) error { return Trail(p, d, here) },
		"list shares": func(p *Principal, d *Deposit) error { return ListShares(p, d, here) },
	}
	describers := []string{"owner", "node", "admin", "auditor", "judge", "clerk"}
	everyone := names(ps)
	// Each row: who is allowed; everyone else is forbidden. On a deposit
	// with no upload, reading, sharing and granting the original are not
	// found for those allowed.
	want := map[string][]string{
		"describe":             describers,
		"describe with code":   everyone,
		"describe, wrong code": describers,
		"read as owner":        {"owner"},
		"read by case c1":      {"judge", "clerk"},
		"read by case c2":      {},
		"read with code":       everyone,
		"read, wrong code":     {},
		"upload":               {"owner"},
		"share":                {"owner"},
		"grant":                {"owner"},
		"revoke grant":         {"owner"},
		"revoke share":         {"owner"},
		"trail":                describers,
		"list shares":          {"owner", "node", "admin", "auditor"},
	}
	needsUpload := map[string]bool{"read as owner": true, "read by case c1": true, "read with code": true, "share": true}
	for dname, decide := range decisions {
		for _, pname := range everyone {
			if pname == "anonymous" {
				continue // object decisions follow an endpoint rule that needs an account
			}
			t.Run(dname+" as "+pname, func(t *testing.T) {
				p := ps[pname]
				wantUp := deny
				if slices.Contains(want[dname], pname) {
					wantUp = allow
				}
				if got := outcomeOf(t, decide(p, uploaded)); got != wantUp {
					t.Fatalf("with an upload: %s, want %s", got, wantUp)
				}
				wantBare := wantUp
				if wantUp == allow && needsUpload[dname] {
					wantBare = absent
				}
				if got := outcomeOf(t, decide(p, bare)); got != wantBare {
					t.Fatalf("without an upload: %s, want %s", got, wantBare)
				}
			})
		}
	}
	// A share code of another deposit, or none, is not found even for
	// the owner.
	for _, sh := range []*office.Share{otherShare, nil} {
		if got := outcomeOf(t, RevokeShare(ps["owner"], uploaded, sh)); got != absent {
			t.Errorf("revoking share %+v: %s, want %s", sh, got, absent)
		}
	}
	for name := range want {
		if decisions[name] == nil {
			t.Errorf("decision %q has no test", name)
		}
	}
}

// TestReadGround checks what the trail records of a read.
func TestReadGround(t *testing.T) {
	ps := principals()
	owner := ps["owner"].Account
	d := &Deposit{ID: "d1", Owner: owner, Uploaded: true, Grants: []office.Grant{{Deposit: "d1", Court: court, Case: "c1"}}}
	for _, tc := range []struct {
		name, who, caseNo string
		share             *office.Share
		want              Ground
	}{
		{"owner", "owner", "", nil, Ground{Via: "owner"}},
		{"clerk", "clerk", "c1", nil, Ground{Via: "grant", Court: court, Case: "c1"}},
		{"share code", "other", "", &office.Share{Deposit: "d1"}, Ground{Via: "share code"}},
		{"the owner with a code", "owner", "", &office.Share{Deposit: "d1"}, Ground{Via: "share code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ReadOriginal(ps[tc.who], d, tc.caseNo, tc.share)
			if err != nil || g != tc.want {
				t.Fatalf("got %+v %v, want %+v", g, err, tc.want)
			}
		})
	}
}

func TestOpeningOnTrail(t *testing.T) {
	ps := principals()
	d := &Deposit{ID: "d1", Owner: ps["owner"].Account}
	for _, name := range names(ps) {
		if name == "anonymous" {
			continue
		}
		if got, want := OpeningOnTrail(ps[name], d), name != "owner"; got != want {
			t.Errorf("%s reads the opening: on the trail %v, want %v", name, got, want)
		}
	}
	// A node's own trail record has no owner: every read is recorded.
	if !OpeningOnTrail(ps["node"], &Deposit{ID: "t1"}) {
		t.Error("a read of a trail record's opening is not recorded")
	}
}

// directory is the ledger's view of depositor keys, as a map.
type directory struct {
	accounts map[string]*identity.Account // by key
	refusals map[string]string            // by key
}

func (d directory) AccountByKey(pub []byte) *identity.Account { return d.accounts[string(pub)] }
func (d directory) DepositRefusal(pub []byte) string          { return d.refusals[string(pub)] }

func TestAuthorizeDeposits(t *testing.T) {
	ps := principals()
	dir := directory{
		accounts: map[string]*identity.Account{"owner key": ps["owner"].Account, "other key": ps["other"].Account, "old owner key": ps["owner"].Account},
		refusals: map[string]string{"old owner key": "the depositor key is not an active key of account acct-owner (revoked or rotated)"},
	}
	for _, tc := range []struct {
		name string
		keys []string
		want string // "" allowed, else a substring of the refusal
	}{
		{"own key", []string{"owner key"}, ""},
		{"own keys in a batch", []string{"owner key", "owner key"}, ""},
		{"another's key", []string{"other key"}, "deposits[0].depositor_key: not a key of account acct-owner"},
		{"another's key late in a batch", []string{"owner key", "owner key", "other key"}, "deposits[2].depositor_key: not a key of account"},
		{"unknown key", []string{"stranger key"}, "not a key of account"},
		{"own revoked key", []string{"old owner key"}, "deposits[0].depositor_key: the depositor key is not an active key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signers := make([]Signer, len(tc.keys))
			for i, k := range tc.keys {
				signers[i] = Signer{Field: "deposits[" + string(rune('0'+i)) + "].", Key: []byte(k)}
			}
			err := AuthorizeDeposits(ps["owner"], signers, dir)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || outcomeOf(t, err) != deny || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal with %q", err, tc.want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	ps := principals()
	key, rotated := []byte("owner key"), []byte("owner key 2")
	acc := account("acct-owner", here, identity.Depositor, identity.Approved, key, rotated)
	acc.Keys[0].Revoked = 10 // the first key was revoked at height 10
	suspended := *acc
	suspended.Status = identity.Suspended
	tok := &office.Token{ID: "t1", Account: acc.ID, Key: key}
	tok2 := &office.Token{ID: "t2", Account: acc.ID, Key: rotated}
	for _, tc := range []struct {
		name   string
		tok    *office.Token
		acc    *identity.Account
		height uint64
		want   string
	}{
		{"key active", tok, acc, 9, ""},
		{"key revoked", tok, acc, 10, "was revoked"},
		{"key revoked long ago", tok, acc, 1000, "was revoked"},
		{"the other key", tok2, acc, 1000, ""},
		{"account suspended", tok2, &suspended, 1000, "is suspended"},
		{"account gone", tok2, nil, 1000, "not on the ledger"},
		{"a key of no account", &office.Token{Account: acc.ID, Key: []byte("forged")}, acc, 5, "was revoked"},
		{"bound to no key (an earlier version's)", &office.Token{Account: acc.ID}, acc, 5, "issue a new one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := TokenUsable(tc.tok, tc.acc, tc.height)
			var e *api.Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &e) || e.Code != api.CodeUnauthenticated || !strings.Contains(e.Message, tc.want)):
				t.Fatalf("got %v, want a 401 with %q", err, tc.want)
			}
		})
	}

	// Revoking: the owner, and the admins and node of its institution.
	for _, name := range names(ps) {
		if name == "anonymous" {
			continue
		}
		t.Run("revoke as "+name, func(t *testing.T) {
			want := slices.Contains([]string{"owner", "admin", "node"}, name)
			if got := RevokeToken(ps[name], tok, ps["owner"].Account) == nil; got != want {
				t.Fatalf("allowed %v, want %v", got, want)
			}
		})
	}
	// Listing an account's tokens: the account, and the admins and node
	// of its institution; an admin of another institution, or of none
	// when the account is not on the ledger, is refused.
	for _, name := range names(ps) {
		if name == "anonymous" {
			continue
		}
		t.Run("list as "+name, func(t *testing.T) {
			want := slices.Contains([]string{"owner", "admin", "node"}, name)
			if got := ListTokens(ps[name], ps["owner"].Account.ID, ps["owner"].Account) == nil; got != want {
				t.Fatalf("allowed %v, want %v", got, want)
			}
		})
	}
	if ListTokens(ps["admin"], "acct-gone", nil) == nil {
		t.Error("an admin lists the tokens of an account not on the ledger")
	}
	if ListTokens(ps["admin"], "acct-gone", ps["owner"].Account) == nil {
		t.Error("an admin lists the tokens of one account by showing another")
	}
	// Minting needs a signed request by an account.
	byToken := *ps["owner"]
	byToken.ByToken = true
	for _, tc := range []struct {
		name string
		p    *Principal
		ok   bool
	}{{"signed", ps["owner"], true}, {"by token", &byToken, false}, {"node", ps["node"], false}} {
		if got := MintToken(tc.p) == nil; got != tc.ok {
			t.Errorf("mint %s: %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// TestSharesDieWithWhatIssuedThem: a share code stops working when the
// key or the API token that issued it is revoked, or its depositor is no
// longer approved, as a token does.
func TestSharesDieWithWhatIssuedThem(t *testing.T) {
	key, rotated := []byte("owner key"), []byte("owner key 2")
	acc := account("acct-owner", here, identity.Depositor, identity.Approved, key, rotated)
	acc.Keys[0].Revoked = 10
	suspended := *acc
	suspended.Status = identity.Suspended
	byKey := &office.Share{ID: "s1", Deposit: "d1", Owner: acc.ID, Key: key}
	byToken := &office.Share{ID: "s2", Deposit: "d1", Owner: acc.ID, Key: rotated, Token: "t1"}
	for _, tc := range []struct {
		name         string
		share        *office.Share
		owner        *identity.Account
		height       uint64
		tokenRevoked bool
		want         string
	}{
		{"key active", byKey, acc, 9, false, ""},
		{"key revoked", byKey, acc, 10, false, "key that issued this share code was revoked"},
		{"token live", byToken, acc, 1000, false, ""},
		{"token revoked", byToken, acc, 1000, true, "API token that issued this share code was revoked"},
		{"account suspended", byToken, &suspended, 1000, false, "is suspended"},
		{"account gone", byToken, nil, 1000, false, "not on the ledger"},
		{"another account's key", &office.Share{Owner: acc.ID, Key: []byte("forged")}, acc, 5, false, "was revoked"},
		{"bound to no key", &office.Share{Owner: acc.ID}, acc, 5, false, "ask the depositor for a new one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ShareUsable(tc.share, tc.owner, tc.height, tc.tokenRevoked)
			var e *api.Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &e) || e.Code != api.CodeForbidden || !strings.Contains(e.Message, tc.want)):
				t.Fatalf("got %v, want a 403 with %q", err, tc.want)
			}
		})
	}
}

func TestCaseListingAndStaff(t *testing.T) {
	ps := principals()
	for _, tc := range []struct {
		name    string
		decide  func(*Principal) error
		allowed []string
	}{
		{"list a case at the court", func(p *Principal) error { return ListCase(p, court) }, []string{"judge", "clerk"}},
		{"package a case at the court", func(p *Principal) error { return Package(p, court) }, []string{"owner", "other", "judge", "clerk"}},
		{"package a case at another court", func(p *Principal) error { return Package(p, otherCourt) }, []string{"owner", "other", "other judge"}},
		{"hold the deposit in a package", func(p *Principal) error {
			if PackageHolds(p, &Deposit{ID: "d1", Owner: ps["owner"].Account}) {
				return nil
			}
			return errors.New("no")
		}, []string{"owner", "judge", "clerk", "other judge"}},
		{"invite here", func(p *Principal) error { return Invite(p, here) }, []string{"node", "reviewer", "admin"}},
		{"list accounts here", func(p *Principal) error { return ListAccounts(p, here) }, []string{"node", "reviewer", "admin", "auditor"}},
		{"see real names", func(p *Principal) error {
			if SeesRealNames(p) {
				return nil
			}
			return errors.New("no")
		}, []string{"node", "other node", "reviewer", "admin", "other admin"}},
		{"follow a pending deposit", func(p *Principal) error { return Follow(p, "d1") }, []string{"owner", "other"}},
	} {
		for _, name := range names(ps) {
			if name == "anonymous" {
				continue
			}
			t.Run(tc.name+" as "+name, func(t *testing.T) {
				if got, want := tc.decide(ps[name]) == nil, slices.Contains(tc.allowed, name); got != want {
					t.Fatalf("allowed %v, want %v", got, want)
				}
			})
		}
	}
}

// TestTrailShows checks which trail records each reader sees: the owner
// and this institution's staff all of them, a court's staff the upload and
// what concerns their court, never share codes or another court's case.
func TestTrailShows(t *testing.T) {
	ps := principals()
	owner := ps["owner"].Account
	d := &Deposit{ID: "d1", Owner: owner, Uploaded: true, Grants: []office.Grant{{Deposit: "d1", Owner: owner.ID, Court: court, Case: "c1"}}}
	records := map[string]api.TrailRecord{
		"upload":             {Action: api.TrailUpload, ActorInstitution: here},
		"grant to this":      {Action: api.TrailGrant, Court: court, Case: "c1", ActorInstitution: here},
		"grant to other":     {Action: api.TrailGrant, Court: otherCourt, Case: "x", ActorInstitution: here},
		"read by this court": {Action: api.TrailRead, Court: court, Case: "c1", Via: "grant", ActorRole: "clerk", ActorInstitution: court},
		"read by other":      {Action: api.TrailRead, Court: otherCourt, Case: "x", Via: "grant", ActorRole: "judge", ActorInstitution: otherCourt},
		"metadata by clerk":  {Action: api.TrailReadMetadata, ActorRole: "clerk", ActorInstitution: court},
		"share":              {Action: api.TrailShare, Share: "s1", ActorRole: "depositor", ActorInstitution: here},
		"share at the court": {Action: api.TrailShare, Share: "s2", ActorRole: "depositor", ActorInstitution: court},
		"read with a code":   {Action: api.TrailRead, Via: "share code", Share: "s1", ActorRole: "depositor", ActorInstitution: here},
	}
	courtSees := []string{"upload", "grant to this", "read by this court", "metadata by clerk"}
	for _, who := range []string{"owner", "auditor", "admin", "node", "judge", "clerk"} {
		for name, rec := range records {
			want := who != "judge" && who != "clerk" || slices.Contains(courtSees, name)
			if got := TrailShows(ps[who], d, here, rec); got != want {
				t.Errorf("%s sees %q: %v, want %v", who, name, got, want)
			}
		}
	}
}

// TestImportPackage checks who imports evidence packages at a node: only
// the approved judges and clerks of the node's own institution, and only
// when it holds cases (a court or an arbitration commission).
func TestImportPackage(t *testing.T) {
	ps := principals()
	cases := []struct {
		who   string
		here  string
		kind  identity.InstitutionKind
		allow bool
	}{
		{"judge", court, identity.Court, true},
		{"clerk", court, identity.Court, true},
		{"clerk", court, identity.Arbitration, true},
		{"other judge", court, identity.Court, false}, // another court's judge
		{"judge", court, identity.Notary, false},      // not a court
		{"clerk", court, identity.Company, false},
		{"judge", court, "", false}, // no longer a member
		{"suspended judge", court, identity.Court, false},
		{"node", here, identity.Court, false},
		{"admin", here, identity.Court, false},
		{"owner", here, identity.Court, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s at a %s", c.who, c.kind), func(t *testing.T) {
			err := ImportPackage(ps[c.who], c.here, c.kind)
			if (err == nil) != c.allow {
				t.Fatalf("ImportPackage: %v, want allowed=%v", err, c.allow)
			}
			var e *api.Error
			if err != nil && (!errors.As(err, &e) || e.Code != api.CodeForbidden || !strings.Contains(e.Message, c.here)) {
				t.Fatalf("refusal %v is not a 403 naming %s", err, c.here)
			}
		})
	}
}
