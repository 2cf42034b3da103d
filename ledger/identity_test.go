package ledger_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"filippo.io/edwards25519"
	abci "github.com/cometbft/cometbft/abci/types"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

const institution = "validator0"

// accountKey is an Ed25519 key as the note signer of the account it
// registers.
func accountKey(t testing.TB, key ed25519.PrivateKey) (string, note.Signer) {
	id := identity.AccountID(suite.International(), institution, key.Public().(ed25519.PublicKey))
	return id, signerAs(t, id, key)
}

// signerAs is an Ed25519 key as a note signer of account id.
func signerAs(t testing.TB, id string, key ed25519.PrivateKey) note.Signer {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := suite.International().Signature().ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := identity.NewSigner(id, sk, "ed25519")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func opTx(t testing.TB, op *identity.Op, signers ...note.Signer) []byte {
	t.Helper()
	b, err := op.Sign(signers...)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.EncodeIdentityTx(b)
}

func registration(key ed25519.PrivateKey, role identity.Role) *identity.Op {
	kind := identity.Staff
	if role == identity.Depositor {
		kind = identity.Individual
	}
	return identity.NewRegistration(suite.International(), origin, institution, role, kind, key.Public().(ed25519.PublicKey), bytes.Repeat([]byte{7}, 32))
}

// enroll makes depositor accounts of keys at validator 0, approved by a
// reviewer its node creates, in two blocks from height h; it returns the
// next height.
func (e *env) enroll(app *ledger.App, h int64, keys ...ed25519.PrivateKey) int64 {
	e.t.Helper()
	_, reviewer, _ := ed25519.GenerateKey(rand.Reader)
	_, rs := accountKey(e.t, reviewer)
	node := e.validators[0].logSigner
	txs := [][]byte{opTx(e.t, registration(reviewer, identity.Reviewer), rs, node)}
	var approvals [][]byte
	for _, k := range keys {
		id, s := accountKey(e.t, k)
		txs = append(txs, opTx(e.t, registration(k, identity.Depositor), s, node))
		approvals = append(approvals, opTx(e.t, &identity.Op{Origin: origin, Account: id, Version: 1, Action: identity.Approve}, rs))
	}
	e.requireOK(e.block(app, h, txs...))
	e.requireOK(e.block(app, h+1, approvals...))
	return h + 2
}

func (e *env) requireOK(res *abci.ResponseFinalizeBlock) {
	e.t.Helper()
	for i, r := range res.TxResults {
		if r.Code != ledger.CodeOK {
			e.t.Fatalf("tx %d refused: %s", i, r.Log)
		}
	}
}

func TestDepositsNeedAnApprovedDepositorAccount(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, reviewerKey, _ := ed25519.GenerateKey(rand.Reader)
	_, newKey, _ := ed25519.GenerateKey(rand.Reader)
	acct, self := accountKey(t, key)
	reviewerID, reviewer := accountKey(t, reviewerKey)
	next := signerAs(t, acct, newKey)
	node := e.validators[0].logSigner
	op := func(version uint64, action identity.Action, reason string) *identity.Op {
		return &identity.Op{Origin: origin, Account: acct, Version: version, Action: action, Reason: reason}
	}
	h := int64(0)
	// deposit runs a deposit by k through two blocks and returns the
	// reason it was refused, or "".
	n := 0
	deposit := func(k ed25519.PrivateKey) string {
		t.Helper()
		n++
		d := e.signedWith(k, strings.Repeat("k", n), "photo")
		h++
		e.requireOK(e.block(app, h, ledger.EncodeDepositTx([][]byte{d})))
		h += 2 // the deposit enters the log, then a quorum cosigns it
		e.block(app, h-1)
		e.block(app, h)
		if r, ok := app.Rejected(id(t, d)); ok {
			return r.Reason
		}
		if _, err := app.Placement(id(t, d)); err != nil {
			t.Fatalf("deposit %d neither rejected nor placed: %v", n, err)
		}
		return ""
	}
	step := func(tx []byte, wantRefused string) {
		t.Helper()
		h++
		res := e.block(app, h, tx)
		got := res.TxResults[0]
		switch {
		case wantRefused == "" && got.Code != ledger.CodeOK:
			t.Fatalf("height %d: refused: %s", h, got.Log)
		case wantRefused != "" && (got.Code != ledger.CodeRefused || !strings.Contains(got.Log, wantRefused)):
			t.Fatalf("height %d: got code %d %q, want refusal containing %q", h, got.Code, got.Log, wantRefused)
		}
	}
	wantRefusal := func(k ed25519.PrivateKey, want string) {
		t.Helper()
		if got := deposit(k); !strings.Contains(got, want) || (want == "" && got != "") {
			t.Fatalf("deposit refusal %q, want %q", got, want)
		}
	}

	wantRefusal(key, "belongs to no account")
	step(opTx(t, registration(key, identity.Depositor), self), "attests")
	step(opTx(t, registration(key, identity.Depositor), self, node), "")
	step(opTx(t, registration(reviewerKey, identity.Reviewer), reviewer, node), "")
	wantRefusal(key, "is pending")
	step(opTx(t, op(1, identity.Approve, ""), self), "needs the signature of an approved")
	step(opTx(t, op(1, identity.Approve, ""), reviewer), "")
	step(opTx(t, op(1, identity.Approve, ""), reviewer), "applies to version 1")
	wantRefusal(key, "")
	step(opTx(t, op(2, identity.Suspend, "documents expired"), reviewer), "")
	wantRefusal(key, "is suspended")
	step(opTx(t, op(3, identity.Reinstate, "documents renewed"), reviewer), "")
	wantRefusal(key, "")
	// Rotation: the new key deposits, the old one no longer does, and
	// deposits made with it stay in the log.
	before := app.Committed().Size
	step(opTx(t, &identity.Op{Origin: origin, Account: acct, Version: 4, Action: identity.AddKey, Alg: "ed25519", Public: newKey.Public().(ed25519.PublicKey)}, self, next), "")
	step(opTx(t, &identity.Op{Origin: origin, Account: acct, Version: 5, Action: identity.RevokeKey, Public: key.Public().(ed25519.PublicKey), Reason: "phone lost"}, next), "")
	wantRefusal(key, "not an active key")
	wantRefusal(newKey, "")
	if app.Committed().Size != before+1 {
		t.Fatalf("tree size %d, want %d", app.Committed().Size, before+1)
	}
	// A reviewer account cannot deposit.
	wantRefusal(reviewerKey, "only depositor accounts deposit")

	acc := app.Account(acct)
	if acc == nil || acc.Status != identity.Approved || acc.Version != 6 || len(acc.Keys) != 2 || acc.Keys[0].Revoked == 0 {
		t.Fatalf("account after the operations: %+v", acc)
	}
	if got := app.AccountByKey(key.Public().(ed25519.PublicKey)); got == nil || got.ID != acct {
		t.Fatal("the revoked key no longer names its account")
	}
	if got := app.Account(reviewerID); got == nil || got.Status != identity.Approved {
		t.Fatalf("reviewer: %+v", got)
	}
	hash := app.Committed()
	info, _ := app.Info(context.Background(), &abci.RequestInfo{})

	// The accounts survive a restart and are part of the app hash.
	closeApp()
	app, closeApp = e.open()
	defer closeApp()
	if got := app.Account(acct); got == nil || got.Version != 6 {
		t.Fatalf("after restart: %+v", got)
	}
	info2, _ := app.Info(context.Background(), &abci.RequestInfo{})
	if !bytes.Equal(info.LastBlockAppHash, info2.LastBlockAppHash) || hash.Height != app.Committed().Height {
		t.Fatal("app hash changed across a restart")
	}
	if got := deposit(newKey); got != "" {
		t.Fatalf("after restart the approved key was refused: %s", got)
	}
	// Precheck judges identity operations against the committed accounts.
	if r := app.Precheck(opTx(t, op(6, identity.Suspend, "x"), self)); r.Code != ledger.CodeRefused {
		t.Fatalf("Precheck of a self-suspension: %v", r)
	}
	if r := app.Precheck(opTx(t, op(6, identity.Suspend, "x"), reviewer)); r.Code != ledger.CodeOK {
		t.Fatalf("Precheck of a reviewer's suspension: %v", r)
	}
	// The mempool admits what a peer may not yet be able to judge: an
	// operation that depends on a block it has not committed yet.
	if r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: opTx(t, op(6, identity.Suspend, "x"), self)}); err != nil || r.Code != ledger.CodeOK {
		t.Fatalf("CheckTx of an identity operation: %v %v", r, err)
	}
}

func TestIdentityOperationsChangeTheAppHash(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	e2 := &env{t: t, cs: e.cs, validators: e.validators, dirs: []string{t.TempDir()}, pol: e.pol, dep: e.dep, key: e.key}
	other, closeOther := e2.open()
	defer closeOther()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	e.enroll(app, 1, key)
	e2.block(other, 1)
	res := e2.block(other, 2)
	ia, _ := app.Info(context.Background(), &abci.RequestInfo{})
	if ia.LastBlockHeight != 2 || !bytes.Equal(app.Committed().TreeRoot, other.Committed().TreeRoot) {
		t.Fatal("the two ledgers should differ only in their accounts")
	}
	if bytes.Equal(ia.LastBlockAppHash, res.AppHash) {
		t.Fatal("the app hash does not cover the accounts")
	}
}

// BenchmarkDepositAuthorization is what the ledger and the API add per
// deposit to decide that its key may deposit: the key's account, its role
// and status, and the key's validity at the height.
func BenchmarkDepositAuthorization(b *testing.B) {
	e := newNetwork(b, 1)
	app, closeApp := e.open()
	defer closeApp()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	e.enroll(app, 1, key)
	pub := key.Public().(ed25519.PublicKey)
	for b.Loop() {
		if app.AccountByKey(pub) == nil || app.DepositRefusal(pub) != "" {
			b.Fatal("the enrolled key may not deposit")
		}
	}
}

// TestReviewerCannotSuspendStaff checks through the ledger that a
// reviewer decides depositors only: its suspension of an admin is refused
// by CheckTx and in a block, and changes nothing; the node may.
func TestReviewerCannotSuspendStaff(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	_, adminKey, _ := ed25519.GenerateKey(rand.Reader)
	_, reviewerKey, _ := ed25519.GenerateKey(rand.Reader)
	adminID, admin := accountKey(t, adminKey)
	_, reviewer := accountKey(t, reviewerKey)
	node := e.validators[0].logSigner
	e.requireOK(e.block(app, 1, opTx(t, registration(adminKey, identity.Admin), admin, node),
		opTx(t, registration(reviewerKey, identity.Reviewer), reviewer, node)))
	suspend := opTx(t, &identity.Op{Origin: origin, Account: adminID, Version: 1, Action: identity.Suspend, Reason: "overruled"}, reviewer)
	if r := app.Precheck(suspend); r.Code != ledger.CodeRefused || !strings.Contains(r.Log, "needs the signature of an approved admin of "+institution) {
		t.Fatalf("Precheck of a reviewer's suspension of an admin: %v", r)
	}
	res := e.block(app, 2, suspend)
	// The suspension is the block's last transaction: early blocks start
	// with the validators' cosignatures of the empty tree.
	if got := res.TxResults[len(res.TxResults)-1]; got.Code != ledger.CodeRefused {
		t.Fatalf("a block applied a reviewer's suspension of an admin: %d %s", got.Code, got.Log)
	}
	if a := app.Account(adminID); a == nil || a.Status != identity.Approved || a.Version != 1 {
		t.Fatalf("the admin after the refused suspension: %+v", a)
	}
	e.requireOK(e.block(app, 3, opTx(t, &identity.Op{Origin: origin, Account: adminID, Version: 1, Action: identity.Suspend, Reason: "left"}, node)))
	if a := app.Account(adminID); a.Status != identity.Suspended {
		t.Fatalf("the node's suspension of the admin: %+v", a)
	}
}

// TestWeakKeysAreRefused checks the ledger with each refused key of the
// golden vectors: a registration of it, attested by the node, and a
// deposit under it with a signature ZIP-215 accepts for the keys of small
// order, are both refused by CheckTx.
func TestWeakKeysAreRefused(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	node := e.validators[0].logSigner
	forge := func() []byte {
		var b [64]byte
		rand.Read(b[:])
		s, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
		return append(new(edwards25519.Point).ScalarBaseMult(s).Bytes(), s.Bytes()...)
	}
	for _, k := range suitetest.BadEd25519Keys() {
		if k.Class == "length" {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			id := identity.AccountID(suite.International(), institution, k.Key)
			text := fmt.Sprintf("jurichain identity operation\nnetwork %s\naccount %s version 0\nregister %s depositor individual ed25519 %s %s\n",
				origin, id, institution, base64.StdEncoding.EncodeToString(k.Key), strings.Repeat("07", 32))
			vkey, _ := note.NewEd25519VerifierKey(id, k.Key)
			v, _ := note.NewVerifier(vkey)
			signed, err := note.Sign(&note.Note{Text: text}, forgedSigner{v, forge}, node)
			if err != nil {
				t.Fatal(err)
			}
			if r := app.Precheck(ledger.EncodeIdentityTx(signed)); r.Code != ledger.CodeRefused || !strings.Contains(r.Log, "unusable public key") {
				t.Fatalf("Precheck of the registration: %v", r)
			}
			s := deposit.Signed{Statement: deposit.Statement{
				Digests: []deposit.Digest{{Algorithm: deposit.SHA256, Value: make([]byte, 32)}}, Size: 1, Depositor: k.Key, IdempotencyKey: "weak",
			}, Signature: forge()}
			r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: ledger.EncodeDepositTx([][]byte{s.AppendBinary(nil)})})
			if err != nil || r.Code != ledger.CodeBadSignature {
				t.Fatalf("CheckTx of a deposit under the key: %v %v", r, err)
			}
		})
	}
}

// forgedSigner signs with a made-up signature, as anyone can under a key
// of small order.
type forgedSigner struct {
	note.Verifier
	forge func() []byte
}

func (s forgedSigner) Sign([]byte) ([]byte, error) { return s.forge(), nil }
