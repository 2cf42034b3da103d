package web_test

// Tests of the review desk's signed decisions (src/lib/identityop.js)
// against package identity: golden vectors Go makes (the note text of
// each decision, the key hash, the whole signed note where the signature
// is deterministic, the reasons the ledger refuses, the MayDecide table),
// which the Node test compares with byte for byte; and decisions the
// JavaScript signs with a fresh key, which identity.Apply must accept and
// apply.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

const identityDir = "testdata/identity"

// Fixed inputs of the identity vectors.
const (
	identityOrigin      = "example.org/jurichain-test"
	identityInstitution = "court-a"
)

// identityVectors is what testdata/identity/SUITE.json holds.
type identityVectors struct {
	Suite  string `json:"suite"`
	Origin string `json:"origin"`
	// PrivateKeyPEM is the deciding reviewer's key as `jurichain keygen`
	// writes it; PublicKey its public key (hex).
	PrivateKeyPEM string `json:"private_key_pem"`
	PublicKey     string `json:"public_key"`
	// Signer is the reviewer's account id, the name its signatures carry,
	// and KeyHash their key hash.
	Signer    string              `json:"signer"`
	KeyHash   uint32              `json:"key_hash"`
	Decisions []decisionVector    `json:"decisions"`
	Refused   []refusedVector     `json:"refused"`
	MayDecide []mayDecideVector   `json:"may_decide"`
	Statuses  map[string][]string `json:"transitions"`
	// Registrations are registrations by the vectors' key, as
	// `jurichain register` makes them (registration.js).
	Registrations []registrationVector `json:"registrations"`
}

type decisionVector struct {
	Account string `json:"account"`
	Version uint64 `json:"version"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	// Text is identity.Op.Text; Signed the note signed with the
	// reviewer's key, for a suite whose signatures are deterministic
	// (Ed25519) only.
	Text   string `json:"text"`
	Signed string `json:"signed,omitempty"`
}

type registrationVector struct {
	Institution string            `json:"institution"`
	Kind        string            `json:"kind"`
	RealName    identity.RealName `json:"real_name"`
	Salt        string            `json:"salt"`
	Account     string            `json:"account"`
	Canonical   string            `json:"canonical"`
	Commitment  string            `json:"commitment"`
	Text        string            `json:"text"`
	Signed      string            `json:"signed,omitempty"`
}

type refusedVector struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	// Problem is what reasonProblem must answer; Go is Go's refusal.
	Problem string `json:"problem"`
	Go      string `json:"go"`
}

type mayDecideVector struct {
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	May    bool   `json:"may"`
}

// identityKey is the fixed reviewer key of a suite's vectors.
func identityKey(t testing.TB, cs *suite.Suite) suite.PrivateKey {
	t.Helper()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(0x30 + i)
	}
	k, err := cs.Signature().NewPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// targetAccount is the id of the i-th decided account of the vectors.
func targetAccount(i int) string { return fmt.Sprintf("acct-%020x", 0xa0+i) }

func makeIdentityVectors(t *testing.T, cs *suite.Suite) identityVectors {
	t.Helper()
	key := identityKey(t, cs)
	pemBytes, err := key.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	signer := identity.AccountID(cs, identityInstitution, key.Public())
	ns, err := identity.NewSigner(signer, key, cs.Signature().Name())
	if err != nil {
		t.Fatal(err)
	}
	v := identityVectors{Suite: cs.Name(), Origin: identityOrigin, PrivateKeyPEM: string(pemBytes),
		PublicKey: hex.EncodeToString(key.Public()), Signer: signer, KeyHash: ns.KeyHash(), Statuses: map[string][]string{}}
	chinese500 := strings.Repeat("证", 166) + "ab" // 498 + 2 bytes
	for i, d := range []struct {
		version uint64
		action  identity.Action
		reason  string
	}{
		{1, identity.Approve, ""},
		{1, identity.Approve, "材料齐全"},
		{1, identity.Reject, "身份证号码与姓名不符，请重新提交"},
		{2, identity.Suspend, "court order (2026)京0491民初123号"},
		{3, identity.Reinstate, "suspension lifted — order withdrawn"},
		{1, identity.Reject, "📄 page 2 is missing"},
		{1, identity.Reject, chinese500},
		{12345678901, identity.Suspend, "a version beyond 2^32"},
	} {
		op := &identity.Op{Origin: identityOrigin, Account: targetAccount(i), Version: d.version, Action: d.action, Reason: d.reason}
		text, err := op.Text()
		if err != nil {
			t.Fatalf("decision %d: %v", i, err)
		}
		dv := decisionVector{Account: op.Account, Version: op.Version, Action: string(op.Action), Reason: op.Reason, Text: text}
		if cs.Name() == suite.NameInternational {
			signed, err := op.Sign(ns)
			if err != nil {
				t.Fatal(err)
			}
			dv.Signed = string(signed)
		}
		v.Decisions = append(v.Decisions, dv)
	}
	for _, r := range []struct {
		action  identity.Action
		reason  string
		problem string
	}{
		{identity.Reject, "", "missing"},
		{identity.Suspend, "", "missing"},
		{identity.Reject, chinese500 + "c", "long"},
		{identity.Reject, "two\nlines", "lines"},
		{identity.Reject, "carriage\rreturn", "lines"},
		{identity.Reject, " leading space", "spaces"},
		{identity.Reject, "trailing space ", "spaces"},
		{identity.Reject, "\u3000ideographic space", "spaces"},
		{identity.Reject, "tab\tinside", "character"},
		{identity.Reject, "escape \x1b[2J", "character"},
		{identity.Reject, "gpj.\u202eexe", "character"},
		{identity.Reject, "line\u2028separator", "character"},
		{identity.Reject, "C1 \u0085 control", "character"},
	} {
		op := &identity.Op{Origin: identityOrigin, Account: targetAccount(0), Version: 1, Action: r.action, Reason: r.reason}
		_, err := op.Text()
		if err == nil {
			t.Fatalf("Go accepts the reason %q for %s", r.reason, r.action)
		}
		v.Refused = append(v.Refused, refusedVector{Action: string(r.action), Reason: r.reason, Problem: r.problem, Go: err.Error()})
	}
	roles := []identity.Role{identity.Admin, identity.Reviewer, identity.Judge, identity.Clerk, identity.Depositor, identity.Auditor}
	for _, actor := range roles {
		for _, action := range []identity.Action{identity.Register, identity.Approve, identity.Reject, identity.Suspend, identity.Reinstate, identity.AddKey, identity.RevokeKey} {
			for _, target := range roles {
				v.MayDecide = append(v.MayDecide, mayDecideVector{Actor: string(actor), Action: string(action), Target: string(target),
					May: identity.MayDecide(identity.ByRole(actor), action, target)})
			}
		}
	}
	for i, r := range []struct {
		kind identity.Kind
		rn   identity.RealName
	}{
		{identity.Individual, identity.RealName{Name: "李四", IDType: "resident-id", IDNumber: "110101199001011234"}},
		{identity.Individual, identity.RealName{Name: "O'Brien <Tom> & \"Co\"\u2028", IDType: "passport", IDNumber: "E12345678"}},
		{identity.Enterprise, identity.RealName{Name: "北京某某科技有限公司", CreditCode: "91110108MA01ABCDEF", LegalRepresentative: "王五", Agent: "赵六"}},
	} {
		institution := fmt.Sprintf("notary-%d", i)
		salt := bytes.Repeat([]byte{byte(0x30 + i)}, 32)
		commitment, err := identity.Commit(cs, salt, r.rn.Canonical())
		if err != nil {
			t.Fatal(err)
		}
		op := identity.NewRegistration(cs, identityOrigin, institution, identity.Depositor, r.kind, key.Public(), commitment)
		text, err := op.Text()
		if err != nil {
			t.Fatal(err)
		}
		rv := registrationVector{Institution: institution, Kind: string(r.kind), RealName: r.rn, Salt: hex.EncodeToString(salt),
			Account: op.Account, Canonical: string(r.rn.Canonical()), Commitment: hex.EncodeToString(commitment), Text: text}
		if cs.Name() == suite.NameInternational {
			rs, err := identity.NewSigner(op.Account, key, cs.Signature().Name())
			if err != nil {
				t.Fatal(err)
			}
			signed, err := op.Sign(rs)
			if err != nil {
				t.Fatal(err)
			}
			rv.Signed = string(signed)
		}
		v.Registrations = append(v.Registrations, rv)
	}
	// Which status each decision applies to and leads to, read off the
	// ledger's own transition (applyDecision).
	for _, a := range []identity.Action{identity.Approve, identity.Reject, identity.Suspend, identity.Reinstate} {
		for _, from := range []identity.Status{identity.Pending, identity.Approved, identity.Rejected, identity.Suspended} {
			if to, err := applyDecisionOn(t, cs, from, a); err == nil {
				v.Statuses[string(a)] = []string{string(from), string(to)}
			}
		}
	}
	return v
}

// applyDecisionOn applies a decision, signed by the node, to a depositor
// account in status from, and returns the status after it.
func applyDecisionOn(t *testing.T, cs *suite.Suite, from identity.Status, action identity.Action) (identity.Status, error) {
	t.Helper()
	nodes, nodeSigner := identityNodes(t, cs)
	target := &identity.Account{ID: targetAccount(0), Institution: identityInstitution, Role: identity.Depositor, Kind: identity.Individual, Status: from, Version: 1}
	dir := fakeDirectory{target.ID: target}
	op := &identity.Op{Origin: identityOrigin, Account: target.ID, Version: 1, Action: action, Reason: "a reason"}
	signed, err := op.Sign(nodeSigner)
	if err != nil {
		t.Fatal(err)
	}
	acc, _, err := identity.Apply(cs, dir, nodes, identityOrigin, signed, 10)
	if err != nil {
		return "", err
	}
	return acc.Status, nil
}

// identityNodes is a network of one court whose node key is fresh.
func identityNodes(t *testing.T, cs *suite.Suite) (identity.Nodes, note.Signer) {
	t.Helper()
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, identityOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cs.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return identity.Nodes{identityInstitution: {Kind: identity.Court, NodeKey: v}}, s
}

// fakeDirectory is the ledger's accounts as identity.Apply reads them.
type fakeDirectory map[string]*identity.Account

func (d fakeDirectory) Account(id string) (*identity.Account, error) { return d[id], nil }

func (d fakeDirectory) KeyOwner(pub []byte) (string, error) {
	for _, a := range d {
		for _, k := range a.Keys {
			if bytes.Equal(k.Public, pub) {
				return a.ID, nil
			}
		}
	}
	return "", nil
}

// jsDecisions is what the Node test writes for each suite: the decisions
// of the vectors signed by JavaScript with the vectors' key (Fixed) and
// with a key it made itself (Random, whose public key is RandomKey).
type jsDecisions struct {
	Fixed        []string `json:"fixed"`
	RandomKey    string   `json:"random_key"`
	RandomSigner string   `json:"random_signer"`
	Random       []string `json:"random"`
}

// TestIdentityVectors checks the golden vectors against package identity
// (-update rewrites them), runs the Node test of identityop.js against
// them, and has identity.Apply take what the JavaScript signed.
func TestIdentityVectors(t *testing.T) {
	for _, cs := range suite.All() {
		v := makeIdentityVectors(t, cs)
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		path := filepath.Join(identityDir, cs.Name()+".json")
		if *update {
			if err := os.MkdirAll(identityDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./web -run TestIdentityVectors -update)", err)
		}
		if !bytes.Equal(have, b) {
			t.Errorf("%s differs from what package identity makes now; run go test ./web -run TestIdentityVectors -update and review the diff", path)
		}
	}

	node := nodeTool(t)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "testjs/lib/identityop.test.mjs")
	cmd.Env = append(os.Environ(), "JURICHAIN_IDENTITY_OUT="+out)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testjs/lib/identityop.test.mjs: %v\n%s", err, res)
	}
	if !bytes.Contains(res, []byte("# pass ")) || bytes.Contains(res, []byte("# pass 0\n")) {
		t.Fatalf("node --test ran no test:\n%s", res)
	}

	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			var v identityVectors
			var js jsDecisions
			readIdentityJSON(t, filepath.Join(identityDir, cs.Name()+".json"), &v)
			readIdentityJSON(t, filepath.Join(out, cs.Name()+".json"), &js)
			if len(js.Fixed) != len(v.Decisions) || len(js.Random) != len(v.Decisions) {
				t.Fatalf("the Node test signed %d and %d decisions, want %d", len(js.Fixed), len(js.Random), len(v.Decisions))
			}
			key := identityKey(t, cs)
			verifier, err := identity.KeyVerifier(v.Signer, cs.Signature().Name(), key.Public())
			if err != nil {
				t.Fatal(err)
			}
			for i, signed := range js.Fixed {
				n, err := note.Open([]byte(signed), note.VerifierList(verifier))
				if err != nil {
					t.Errorf("decision %d signed by JS with the vectors' key: %v\n%s", i, err, signed)
					continue
				}
				if n.Text != v.Decisions[i].Text {
					t.Errorf("decision %d: JS signed %q, want %q", i, n.Text, v.Decisions[i].Text)
				}
			}

			// The JS key, registered as an approved reviewer of the court:
			// the ledger applies what it signed.
			pub, err := hex.DecodeString(js.RandomKey)
			if err != nil {
				t.Fatal(err)
			}
			if want := identity.AccountID(cs, identityInstitution, pub); js.RandomSigner != want {
				t.Fatalf("JS signed as %s, the account of its key is %s", js.RandomSigner, want)
			}
			nodes, _ := identityNodes(t, cs)
			reviewer := &identity.Account{ID: js.RandomSigner, Institution: identityInstitution, Role: identity.Reviewer, Kind: identity.Staff,
				Status: identity.Approved, Version: 1, Keys: []identity.Key{{Alg: cs.Signature().Name(), Public: pub, Added: 1}}}
			for i, signed := range js.Random {
				d := v.Decisions[i]
				from := identity.Status(v.Statuses[d.Action][0])
				target := &identity.Account{ID: d.Account, Institution: identityInstitution, Role: identity.Depositor, Kind: identity.Individual,
					Status: from, Version: d.Version}
				dir := fakeDirectory{reviewer.ID: reviewer, target.ID: target}
				acc, _, err := identity.Apply(cs, dir, nodes, identityOrigin, []byte(signed), 10)
				if err != nil {
					t.Errorf("decision %d (%s) signed by JS: the ledger refuses it: %v\n%s", i, d.Action, err, signed)
					continue
				}
				if want := identity.Status(v.Statuses[d.Action][1]); acc.Status != want || acc.Version != d.Version+1 {
					t.Errorf("decision %d (%s): account %s at version %d, want %s at %d", i, d.Action, acc.Status, acc.Version, want, d.Version+1)
				}
				if last := acc.History[len(acc.History)-1]; last.Reason != d.Reason || len(last.By) != 1 || last.By[0] != reviewer.ID {
					t.Errorf("decision %d: history %+v, want the reason %q by %s", i, last, d.Reason, reviewer.ID)
				}
			}

			// A reviewer's decision on a staff account is the ledger's to
			// refuse, with a message the desk shows as it is.
			staff := &identity.Account{ID: targetAccount(99), Institution: identityInstitution, Role: identity.Judge, Kind: identity.Staff, Status: identity.Approved, Version: 1}
			op := &identity.Op{Origin: identityOrigin, Account: staff.ID, Version: 1, Action: identity.Suspend, Reason: "x"}
			rs, err := identity.NewSigner(reviewer.ID, key, cs.Signature().Name())
			if err != nil {
				t.Fatal(err)
			}
			signed, err := op.Sign(rs)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := identity.Apply(cs, fakeDirectory{staff.ID: staff}, nodes, identityOrigin, signed, 10); err == nil {
				t.Error("a reviewer suspended a judge")
			}
		})
	}
}

func readIdentityJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
