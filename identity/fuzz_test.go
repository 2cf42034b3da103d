package identity_test

import (
	"encoding/json"
	"testing"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// FuzzParseOp checks that an operation that parses formats back to the
// same text.
func FuzzParseOp(f *testing.F) {
	p := newPerson("court")
	for _, op := range []*identity.Op{
		register(p, identity.Depositor),
		{Origin: origin, Account: p.id, Version: 2, Action: identity.Suspend, Reason: "order"},
		{Origin: origin, Account: p.id, Version: 4, Action: identity.RevokeKey, Public: p.key.Public(), Reason: "lost"},
	} {
		text, err := op.Text()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		op, err := identity.ParseOp(text)
		if err != nil {
			return
		}
		again, err := op.Text()
		if err != nil || again != text {
			t.Fatalf("round trip: %v\n%q\n%q", err, text, again)
		}
	})
}

// FuzzApply feeds arbitrary signed notes to a ledger with a node, an
// admin and a pending depositor: nothing panics, and nothing applies
// without a signature the operation needs.
func FuzzApply(f *testing.F) {
	l := newLedger(f, "notary")
	admin, alice := newPerson("notary"), newPerson("notary")
	for _, signed := range [][]byte{
		sign(f, register(admin, identity.Admin), admin.signer(f), l.signers["notary"]),
		sign(f, register(alice, identity.Depositor), alice.signer(f), l.signers["notary"]),
	} {
		if _, err := l.apply(signed); err != nil {
			f.Fatal(err)
		}
	}
	approve := &identity.Op{Origin: origin, Account: alice.id, Version: 1, Action: identity.Approve}
	f.Add(sign(f, approve, admin.signer(f)))
	f.Add(sign(f, approve, alice.signer(f)))
	f.Fuzz(func(t *testing.T, signed []byte) {
		a, _, err := identity.Apply(l.cs, l, l.nodes, origin, signed, l.height+1)
		if err == nil && len(a.History[len(a.History)-1].By) == 0 {
			t.Fatalf("applied without any signer: %+v", a)
		}
	})
}

// FuzzRealName checks real-name data as a registration brings it: Check
// never panics, and data it accepts commits the same after a JSON round
// trip, so the node and the registrant compute the same commitment.
func FuzzRealName(f *testing.F) {
	f.Add(`{"name":"Zhang San","id_type":"resident-id","id_number":"110101199003071234"}`, "individual")
	f.Add(`{"name":"Hangzhou Evidence Co.","credit_code":"91330100MA2B3C4D5E","legal_representative":"Li Si","agent":"Wang Wu"}`, "enterprise")
	f.Add(`{"name":" x","id_type":"a\n"}`, "individual")
	f.Fuzz(func(t *testing.T, doc, kind string) {
		var rn identity.RealName
		if json.Unmarshal([]byte(doc), &rn) != nil {
			return
		}
		if rn.Check(identity.Kind(kind)) != nil {
			return
		}
		var again identity.RealName
		if err := json.Unmarshal(rn.Canonical(), &again); err != nil {
			t.Fatal(err)
		}
		salt := make([]byte, 16)
		a, _ := identity.Commit(suite.International(), salt, rn.Canonical())
		b, _ := identity.Commit(suite.International(), salt, again.Canonical())
		if string(a) != string(b) {
			t.Fatalf("%q: the commitment changes across a JSON round trip", doc)
		}
		if again.Check(identity.Kind(kind)) != nil {
			t.Fatalf("%q: accepted data fails its check after a round trip", doc)
		}
	})
}
