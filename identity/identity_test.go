package identity_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"filippo.io/edwards25519"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

const origin = "identity.test"

// ledger is an in-memory Directory that applies operations as the ledger does.
type ledger struct {
	t        testing.TB
	cs       *suite.Suite
	accounts map[string]*identity.Account
	keys     map[string]string
	nodes    identity.Nodes
	signers  map[string]note.Signer // institution -> node signer
	height   uint64
}

// newLedger makes a ledger of the international suite whose members are
// the given institutions; the kind of each is the end of its name
// (xuhui-notary is a notary office).
func newLedger(t testing.TB, institutions ...string) *ledger {
	return newLedgerIn(t, suite.International(), institutions...)
}

// newLedgerIn makes a ledger of the suite cs, as newLedger.
func newLedgerIn(t testing.TB, cs *suite.Suite, institutions ...string) *ledger {
	l := &ledger{t: t, cs: cs, accounts: map[string]*identity.Account{}, keys: map[string]string{}, nodes: identity.Nodes{}, signers: map[string]note.Signer{}, height: 10}
	for _, inst := range institutions {
		skey, vkey, err := cs.GenerateNoteKey(rand.Reader, origin)
		if err != nil {
			t.Fatal(err)
		}
		v, err := cs.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		s, err := cs.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		kind := identity.InstitutionKind(inst[strings.LastIndex(inst, "-")+1:])
		if !identity.ValidInstitutionKind(kind) {
			t.Fatalf("institution %s: its name does not end in a kind", inst)
		}
		l.nodes[inst] = identity.Institution{Kind: kind, NodeKey: v}
		l.signers[inst] = s
	}
	return l
}

func (l *ledger) Account(id string) (*identity.Account, error) { return l.accounts[id], nil }
func (l *ledger) KeyOwner(pub []byte) (string, error)          { return l.keys[string(pub)], nil }

// apply applies a signed operation in a new block.
func (l *ledger) apply(signed []byte) (*identity.Account, error) {
	l.height++
	a, _, err := identity.Apply(l.cs, l, l.nodes, origin, signed, l.height)
	if err != nil {
		return nil, err
	}
	l.accounts[a.ID] = a
	for _, k := range a.Keys {
		l.keys[string(k.Public)] = a.ID
	}
	return a, nil
}

// person is a key pair that may become an account.
type person struct {
	cs   *suite.Suite
	inst string
	key  suite.PrivateKey
	id   string
}

// newPerson makes a person with a key of the international suite.
func newPerson(inst string) *person { return newPersonIn(suite.International(), inst) }

// newPersonIn makes a person with a key of the suite cs.
func newPersonIn(cs *suite.Suite, inst string) *person {
	k, _ := cs.Signature().GenerateKey(rand.Reader)
	return &person{cs: cs, inst: inst, key: k, id: identity.AccountID(cs, inst, k.Public())}
}

func (p *person) signer(t testing.TB) note.Signer {
	s, err := identity.NewSigner(p.id, p.key, p.cs.Signature().Name())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t testing.TB, op *identity.Op, signers ...note.Signer) []byte {
	t.Helper()
	text, err := op.Text()
	if err != nil {
		t.Fatal(err)
	}
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func register(p *person, role identity.Role) *identity.Op {
	kind := identity.Staff
	if role == identity.Depositor {
		kind = identity.Individual
	}
	return &identity.Op{Origin: origin, Account: p.id, Action: identity.Register, Institution: p.inst, Role: role, Kind: kind,
		Alg: p.cs.Signature().Name(), Public: p.key.Public(), Commitment: bytes.Repeat([]byte{1}, 32)}
}

func (l *ledger) version(p *person) uint64 { return l.accounts[p.id].Version }

// put writes an account of p with role and status straight into the
// directory, at version 1, for tests of a single operation.
func (l *ledger) put(p *person, role identity.Role, status identity.Status) {
	kind := identity.Staff
	if role == identity.Depositor {
		kind = identity.Individual
	}
	l.accounts[p.id] = &identity.Account{ID: p.id, Institution: p.inst, Role: role, Kind: kind, Status: status,
		Commitment: bytes.Repeat([]byte{1}, 32), Keys: []identity.Key{{Alg: p.cs.Signature().Name(), Public: p.key.Public(), Added: 1}}, Version: 1}
	l.keys[string(p.key.Public())] = p.id
}

// TestRegistrationReviewAndKeys runs an account's life, from its
// registration through review, suspension and key rotation, on a network
// of each suite.
func TestRegistrationReviewAndKeys(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testRegistrationReviewAndKeys(t, cs) })
	}
}

func testRegistrationReviewAndKeys(t *testing.T, cs *suite.Suite) {
	l := newLedgerIn(t, cs, "xuhui-notary", "internet-court", "shenzhen-arbitration", "acme-enterprise")
	node := l.signers["xuhui-notary"]
	newPerson := func(inst string) *person { return newPersonIn(cs, inst) }
	admin, reviewer, alice := newPerson("xuhui-notary"), newPerson("xuhui-notary"), newPerson("xuhui-notary")
	courtReviewer := newPerson("internet-court")
	mustApply := func(what string, signed []byte) *identity.Account {
		t.Helper()
		a, err := l.apply(signed)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return a
	}
	refuse := func(what string, signed []byte, want string) {
		t.Helper()
		if _, err := l.apply(signed); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", what, err, want)
		}
	}

	refuse("admin without node or admin", sign(t, register(admin, identity.Admin), admin.signer(t)), "created by an admin")
	if a := mustApply("admin by the node", sign(t, register(admin, identity.Admin), admin.signer(t), node)); a.Status != identity.Approved {
		t.Fatalf("admin is %s", a.Status)
	}
	mustApply("reviewer by the admin", sign(t, register(reviewer, identity.Reviewer), reviewer.signer(t), admin.signer(t)))
	mustApply("court reviewer", sign(t, register(courtReviewer, identity.Reviewer), courtReviewer.signer(t), l.signers["internet-court"]))

	refuse("depositor without the node", sign(t, register(alice, identity.Depositor), alice.signer(t)), "attests it")
	refuse("depositor attested by another institution's node", sign(t, register(alice, identity.Depositor), alice.signer(t), l.signers["internet-court"]), "attests it")
	refuse("depositor without its own key", sign(t, register(alice, identity.Depositor), node), "signed with the key it registers")
	if a := mustApply("depositor", sign(t, register(alice, identity.Depositor), alice.signer(t), node)); a.Status != identity.Pending {
		t.Fatalf("a new depositor is %s", a.Status)
	}
	refuse("the same registration again", sign(t, register(alice, identity.Depositor), alice.signer(t), node), "already registered")

	op := func(p *person, action identity.Action, reason string) *identity.Op {
		return &identity.Op{Origin: origin, Account: p.id, Version: l.version(p), Action: action, Reason: reason}
	}
	refuse("approval by the depositor", sign(t, op(alice, identity.Approve, ""), alice.signer(t)), "needs the signature")
	refuse("approval by another institution's reviewer", sign(t, op(alice, identity.Approve, ""), courtReviewer.signer(t)), "needs the signature")
	refuse("suspending a pending account", sign(t, op(alice, identity.Suspend, "fraud"), reviewer.signer(t)), "is pending")
	approval := sign(t, op(alice, identity.Approve, "identity documents checked"), reviewer.signer(t))
	if a := mustApply("approval", approval); a.Status != identity.Approved || !a.CanAct("xuhui-notary", identity.Depositor) {
		t.Fatalf("approved account: %+v", a)
	}
	refuse("the approval replayed", approval, "applies to version")
	suspension := sign(t, op(alice, identity.Suspend, "court order"), reviewer.signer(t))
	mustApply("suspension", suspension)
	mustApply("reinstatement", sign(t, op(alice, identity.Reinstate, "order lifted"), admin.signer(t)))
	refuse("the suspension replayed", suspension, "applies to version")

	// Key rotation: the new key signs too; the old one is revoked later.
	oldKey := alice.key.Public()
	newKey := newPerson("xuhui-notary")
	addOp := op(alice, identity.AddKey, "")
	addOp.Alg, addOp.Public = cs.Signature().Name(), newKey.key.Public()
	refuse("a key added without its own signature", sign(t, addOp, alice.signer(t)), "new key must sign")
	newSigner, _ := identity.NewSigner(alice.id, newKey.key, cs.Signature().Name())
	mustApply("key added", sign(t, addOp, alice.signer(t), newSigner))
	beforeRevocation := l.height
	revOp := op(alice, identity.RevokeKey, "phone lost")
	revOp.Public = oldKey
	a := mustApply("old key revoked", sign(t, revOp, newSigner))
	if _, ok := a.ActiveKey(oldKey, beforeRevocation); !ok {
		t.Error("the old key does not verify signatures made before its revocation")
	}
	if _, ok := a.ActiveKey(oldKey, l.height); ok {
		t.Error("the revoked key is still active")
	}
	revokeNew := op(alice, identity.RevokeKey, "stolen")
	revokeNew.Public = newKey.key.Public()
	refuse("the revoked key signs", sign(t, revokeNew, alice.signer(t)), "no signature by a key that may sign")
	sameKey := &person{cs: cs, inst: "internet-court", key: alice.key, id: identity.AccountID(cs, "internet-court", alice.key.Public())}
	refuse("a key already held by another account", sign(t, register(sameKey, identity.Depositor), sameKey.signer(t), l.signers["internet-court"]), "already used by account "+alice.id)
	if got := len(a.History); got != 6 {
		t.Errorf("history has %d events, want 6: %+v", got, a.History)
	}
}

func TestOpTextRoundTrip(t *testing.T) {
	p := newPerson("court")
	for _, op := range []*identity.Op{
		register(p, identity.Depositor),
		{Origin: origin, Account: p.id, Version: 3, Action: identity.Reject, Reason: "document expired, 请重新提交"},
		{Origin: origin, Account: p.id, Version: 1, Action: identity.Approve},
		{Origin: origin, Account: p.id, Version: 4, Action: identity.RevokeKey, Public: p.key.Public(), Reason: "lost"},
	} {
		text, err := op.Text()
		if err != nil {
			t.Fatal(err)
		}
		got, err := identity.ParseOp(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		again, _ := got.Text()
		if again != text {
			t.Fatalf("round trip changed the text:\n%s\n%s", text, again)
		}
	}
	for _, bad := range []string{
		"",
		"jurichain identity operation\nnetwork x\naccount acct-00 version 0\napprove\n",
		fmt.Sprintf("jurichain identity operation\nnetwork x\naccount %s version 01\napprove\n", p.id),
		fmt.Sprintf("jurichain identity operation\nnetwork x\naccount %s version 1\nreject\n", p.id),
		fmt.Sprintf("jurichain identity operation\nnetwork x\naccount %s version 1\nerase everything\n", p.id),
	} {
		if _, err := identity.ParseOp(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestRolesFollowTheInstitutionKind(t *testing.T) {
	l := newLedger(t, "beijing-court", "xuhui-notary", "shenzhen-arbitration", "forensic-appraisal", "acme-enterprise")
	allowed := map[string][]identity.Role{
		"beijing-court":        {identity.Admin, identity.Reviewer, identity.Judge, identity.Clerk, identity.Depositor, identity.Auditor},
		"xuhui-notary":         {identity.Admin, identity.Reviewer, identity.Depositor, identity.Auditor},
		"shenzhen-arbitration": {identity.Admin, identity.Reviewer, identity.Judge, identity.Clerk, identity.Depositor, identity.Auditor},
		"forensic-appraisal":   {identity.Admin, identity.Reviewer, identity.Depositor, identity.Auditor},
		"acme-enterprise":      {identity.Admin, identity.Depositor, identity.Auditor},
	}
	for inst, roles := range allowed {
		for _, role := range []identity.Role{identity.Admin, identity.Reviewer, identity.Judge, identity.Clerk, identity.Depositor, identity.Auditor} {
			t.Run(inst+"/"+string(role), func(t *testing.T) {
				p := newPerson(inst)
				_, err := l.apply(sign(t, register(p, role), p.signer(t), l.signers[inst]))
				if want := slices.Contains(roles, role); want != (err == nil) {
					t.Fatalf("registering a %s at %s: %v", role, inst, err)
				}
				if err != nil && !strings.Contains(err.Error(), "institution, which has no "+string(role)+" accounts") {
					t.Fatalf("the refusal does not say why: %v", err)
				}
				if err != nil && l.accounts[p.id] != nil {
					t.Fatal("a refused registration made an account")
				}
			})
		}
	}
}

// TestWhoDecides runs every action on an account of every role, signed by
// every kind of actor at the account's institution, through Apply, and
// compares the outcome with the table below: reviewers decide depositors
// only; staff accounts are decided by admins and the node.
func TestWhoDecides(t *testing.T) {
	actors := []identity.Actor{
		identity.ByRole(identity.Admin), identity.ByRole(identity.Reviewer), identity.ByRole(identity.Judge),
		identity.ByRole(identity.Clerk), identity.ByRole(identity.Auditor), identity.ByRole(identity.Depositor),
		identity.ByNode, identity.BySelf,
	}
	// Columns in the order of actors: admin reviewer judge clerk auditor
	// depositor node self; x allows, - refuses.
	const (
		nodeOnly      = "- - - - - - x -"
		adminNode     = "x - - - - - x -"
		reviewersToo  = "x x - - - - x -"
		adminNodeSelf = "x - - - - - x x"
	)
	table := map[identity.Action]map[identity.Role]string{
		identity.Register: {
			identity.Depositor: nodeOnly, identity.Admin: adminNode, identity.Reviewer: adminNode,
			identity.Judge: adminNode, identity.Clerk: adminNode, identity.Auditor: adminNode,
		},
		identity.Approve: {
			identity.Depositor: reviewersToo, identity.Admin: adminNode, identity.Reviewer: adminNode,
			identity.Judge: adminNode, identity.Clerk: adminNode, identity.Auditor: adminNode,
		},
		identity.Reject: {
			identity.Depositor: reviewersToo, identity.Admin: adminNode, identity.Reviewer: adminNode,
			identity.Judge: adminNode, identity.Clerk: adminNode, identity.Auditor: adminNode,
		},
		identity.Suspend: {
			identity.Depositor: reviewersToo, identity.Admin: adminNode, identity.Reviewer: adminNode,
			identity.Judge: adminNode, identity.Clerk: adminNode, identity.Auditor: adminNode,
		},
		identity.Reinstate: {
			identity.Depositor: reviewersToo, identity.Admin: adminNode, identity.Reviewer: adminNode,
			identity.Judge: adminNode, identity.Clerk: adminNode, identity.Auditor: adminNode,
		},
		identity.AddKey: {
			identity.Depositor: adminNodeSelf, identity.Admin: adminNodeSelf, identity.Reviewer: adminNodeSelf,
			identity.Judge: adminNodeSelf, identity.Clerk: adminNodeSelf, identity.Auditor: adminNodeSelf,
		},
		identity.RevokeKey: {
			identity.Depositor: adminNodeSelf, identity.Admin: adminNodeSelf, identity.Reviewer: adminNodeSelf,
			identity.Judge: adminNodeSelf, identity.Clerk: adminNodeSelf, identity.Auditor: adminNodeSelf,
		},
	}
	// The status an account must have for each action to apply.
	before := map[identity.Action]identity.Status{
		identity.Approve: identity.Pending, identity.Reject: identity.Pending, identity.Suspend: identity.Approved,
		identity.Reinstate: identity.Suspended, identity.AddKey: identity.Approved, identity.RevokeKey: identity.Approved,
	}
	const inst = "pudong-court"
	for action, byTarget := range table {
		for target, row := range byTarget {
			cols := strings.Fields(row)
			if len(cols) != len(actors) {
				t.Fatalf("%s %s: %d columns, want %d", action, target, len(cols), len(actors))
			}
			for i, actor := range actors {
				want := cols[i] == "x"
				t.Run(fmt.Sprintf("%s/%s/by-%s", action, target, actor), func(t *testing.T) {
					l := newLedger(t, inst)
					// One approved account of every role at the institution,
					// put straight into the directory.
					staff := map[identity.Actor]*person{}
					for _, a := range actors[:6] {
						p := newPerson(inst)
						l.put(p, identity.Role(a), identity.Approved)
						staff[a] = p
					}
					subject := newPerson(inst)
					op := register(subject, target)
					if action != identity.Register {
						l.put(subject, target, before[action])
						op = &identity.Op{Origin: origin, Account: subject.id, Version: l.version(subject), Action: action, Reason: "because"}
					}
					var signers []note.Signer
					switch action {
					case identity.Register:
						signers = append(signers, subject.signer(t))
					case identity.AddKey:
						added := newPerson(inst)
						op.Alg, op.Public, op.Reason = added.cs.Signature().Name(), added.key.Public(), ""
						s, err := identity.NewSigner(subject.id, added.key, added.cs.Signature().Name())
						if err != nil {
							t.Fatal(err)
						}
						signers = append(signers, s)
					case identity.RevokeKey:
						op.Public = subject.key.Public()
					}
					switch actor {
					case identity.ByNode:
						signers = append(signers, l.signers[inst])
					case identity.BySelf:
						if action != identity.Register { // a registration's own key already signs
							signers = append(signers, subject.signer(t))
						}
					default:
						signers = append(signers, staff[actor].signer(t))
					}
					_, err := l.apply(sign(t, op, signers...))
					if want != (err == nil) {
						t.Fatalf("%s of a %s signed by %s: err = %v, want allowed = %v", action, target, actor, err, want)
					}
					if err != nil && !strings.Contains(err.Error(), "needs the signature") && !strings.Contains(err.Error(), "attests it") &&
						!strings.Contains(err.Error(), "created by an admin") {
						t.Fatalf("the refusal does not say who may sign: %v", err)
					}
					got := l.accounts[subject.id]
					switch {
					case err != nil && action == identity.Register && got != nil:
						t.Fatal("a refused registration made an account")
					case err != nil && action != identity.Register && (got.Status != before[action] || got.Version != 1):
						t.Fatalf("a refused %s changed the account: %+v", action, got)
					}
				})
			}
		}
	}
}

// weakSigner signs as account name with a refused public key: under a key
// of small order, R = [s]B makes a signature of anything.
type weakSigner struct {
	name string
	hash uint32
}

func newWeakSigner(t testing.TB, name string, pub []byte) weakSigner {
	t.Helper()
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil { // a key of the wrong length has no key hash
		return weakSigner{name, 0}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return weakSigner{name, v.KeyHash()}
}

func (s weakSigner) Name() string    { return s.name }
func (s weakSigner) KeyHash() uint32 { return s.hash }
func (s weakSigner) Sign([]byte) ([]byte, error) {
	var b [64]byte
	rand.Read(b[:])
	sc, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
	return append(new(edwards25519.Point).ScalarBaseMult(sc).Bytes(), sc.Bytes()...), nil
}

// TestWeakKeysAreRefused registers every refused key of the golden vectors
// as a new account, and adds it to an approved one, through Apply with the
// node's signature: both are refused, and ParseOp refuses the text.
func TestWeakKeysAreRefused(t *testing.T) {
	const inst = "xuhui-notary"
	for _, k := range suitetest.BadEd25519Keys() {
		t.Run(k.Name, func(t *testing.T) {
			l := newLedger(t, inst)
			b64 := base64.StdEncoding.EncodeToString(k.Key)
			id := identity.AccountID(suite.International(), inst, k.Key)
			text := fmt.Sprintf("jurichain identity operation\nnetwork %s\naccount %s version 0\nregister %s depositor individual ed25519 %s %s\n",
				origin, id, inst, b64, strings.Repeat("01", 32))
			owner := newPerson(inst)
			l.put(owner, identity.Depositor, identity.Approved)
			addText := fmt.Sprintf("jurichain identity operation\nnetwork %s\naccount %s version 1\nadd-key ed25519 %s\n", origin, owner.id, b64)
			for _, c := range []struct {
				name, text string
				signers    []note.Signer
			}{
				{"register", text, []note.Signer{newWeakSigner(t, id, k.Key), l.signers[inst]}},
				{"add-key", addText, []note.Signer{owner.signer(t), newWeakSigner(t, owner.id, k.Key), l.signers[inst]}},
			} {
				if _, err := identity.ParseOp(c.text); err == nil || !strings.Contains(err.Error(), "unusable public key") {
					t.Errorf("%s: ParseOp: %v, want the key refused", c.name, err)
				}
				signed, err := note.Sign(&note.Note{Text: c.text}, c.signers...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := l.apply(signed); err == nil || !strings.Contains(err.Error(), "unusable public key") {
					t.Errorf("%s: Apply: %v, want the key refused", c.name, err)
				}
			}
			if l.accounts[id] != nil || len(l.accounts[owner.id].Keys) != 1 {
				t.Fatal("a refused key entered the directory")
			}
		})
	}
}

// TestUserTextInOperations checks that a reason with characters that
// steer a reader's screen is refused by Text, by ParseOp and by Apply, and
// that real-name data with them is refused by RealName.Check naming the
// field. Notes themselves refuse C0 controls, so DEL, C1 controls and
// bidirectional formatting are what could reach an operation.
func TestUserTextInOperations(t *testing.T) {
	l := newLedger(t, "xuhui-notary")
	p := newPerson("xuhui-notary")
	l.put(p, identity.Depositor, identity.Approved)
	for _, tc := range []struct{ reason, want string }{
		{"order\u202e", "reason: contains a bidirectional formatting character (U+202E) at byte 5"},
		{"x\u009b2J", "reason: contains a control character (U+009B) at byte 1"},
		{"x\x7f", "reason: contains a control character (U+007F) at byte 1"},
		{"bad\xff", "reason: is not valid UTF-8 at byte 3"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			op := &identity.Op{Origin: origin, Account: p.id, Version: 1, Action: identity.Suspend, Reason: tc.reason}
			if _, err := op.Text(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Text: %v, want %q", err, tc.want)
			}
			text := fmt.Sprintf("jurichain identity operation\nnetwork %s\naccount %s version 1\nsuspend %s\n", origin, p.id, tc.reason)
			if _, err := identity.ParseOp(text); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseOp: %v, want %q", err, tc.want)
			}
			signed, err := note.Sign(&note.Note{Text: text}, l.signers["xuhui-notary"])
			if err != nil {
				t.Skipf("a note cannot carry %q: %v", tc.reason, err)
			}
			// The note format itself refuses invalid UTF-8.
			if _, err := l.apply(signed); err == nil || !strings.Contains(err.Error(), tc.want) && !strings.Contains(err.Error(), "not a signed note") {
				t.Fatalf("Apply: %v, want %q", err, tc.want)
			}
			if a := l.accounts[p.id]; a.Status != identity.Approved || a.Version != 1 {
				t.Fatalf("a refused operation changed the account: %+v", a)
			}
		})
	}
	for _, tc := range []struct {
		rn   identity.RealName
		want string
	}{
		{identity.RealName{Name: "Mallory\x1b[2K\x1b[1Gacct-0 approved", IDType: "passport", IDNumber: "E1"}, "real_name.name: contains a control character (U+001B) at byte 7"},
		{identity.RealName{Name: "Mallory", IDType: "passport", IDNumber: "E1\u2066"}, "real_name.id_number: contains a bidirectional formatting character (U+2066) at byte 2"},
		{identity.RealName{Name: "Mallory", IDType: "pass\u0085port", IDNumber: "E1"}, "real_name.id_type: contains a control character (U+0085) at byte 4"},
	} {
		if err := tc.rn.Check(identity.Individual); err == nil || err.Error() != tc.want {
			t.Errorf("Check(%+v): %v, want %q", tc.rn, err, tc.want)
		}
	}
	if err := (&identity.RealName{Name: "张三", IDType: "resident-id", IDNumber: "110101199003070000"}).Check(identity.Individual); err != nil {
		t.Errorf("a Chinese name: %v", err)
	}
}
