package ledger_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

const origin = "ledger.test/log"

// validator is one member's keys.
type validator struct {
	consortium.Member
	logSigner, cosigner, governance note.Signer
	// logKey signs as the log; logVKey is its verifier key for origin.
	logKey  suite.PrivateKey
	logVKey string
	address []byte
}

// newValidator makes a member's keys in the suite cs. The validator key
// is CometBFT's Ed25519 whatever the suite.
func newValidator(t testing.TB, cs *suite.Suite, name string) *validator {
	t.Helper()
	return newValidatorOf(t, cs, name, origin, rand.Reader, time.Now)
}

// newValidatorOf makes a member's keys for the network logOrigin from
// random bytes r, cosigning at the times now gives: a fixed r and now
// make the same keys and signatures every run (in the international
// suite, whose signatures are deterministic).
func newValidatorOf(t testing.TB, cs *suite.Suite, name, logOrigin string, r io.Reader, now func() time.Time) *validator {
	t.Helper()
	vpub, _, _ := ed25519.GenerateKey(r)
	lk, err := cs.Signature().GenerateKey(r)
	if err != nil {
		t.Fatal(err)
	}
	lvkey, err := cs.VerifierKey(logOrigin, lk.Public())
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, _ := cs.GenerateNoteKey(r, name)
	gskey, gvkey, _ := cs.GenerateNoteKey(r, name)
	cvkey, err := cs.CosignatureVerifierKey(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{Member: consortium.Member{Power: 1, Card: consortium.Card{
		Suite: cs.Name(), Institution: name, Kind: identity.Court, ValidatorKey: base64.StdEncoding.EncodeToString(vpub), LogKey: base64.StdEncoding.EncodeToString(lk.Public()),
		CosignKey: cvkey, GovernanceKey: gvkey, NodeID: strings.Repeat("0", 39) + name[len(name)-1:], P2PAddress: "127.0.0.1:1",
	}}, logKey: lk, logVKey: lvkey}
	v.logSigner = cs.Signer(logOrigin, lk)
	if v.cosigner, err = cs.NewCosigner(wskey, now); err != nil {
		t.Fatal(err)
	}
	if v.governance, err = cs.NewSigner(gskey); err != nil {
		t.Fatal(err)
	}
	v.address = cmted25519.PubKey(vpub).Address()
	return v
}

// env is a network of validators, each with its own store.
type env struct {
	t          testing.TB
	cs         *suite.Suite
	validators []*validator
	dirs       []string
	pol        *policy.Policy
	// dep is the key deposits are made with; key is the same key as an
	// Ed25519 key, in the international suite only (for the identity
	// tests).
	dep suite.PrivateKey
	key ed25519.PrivateKey
}

func newEnv(t *testing.T) *env { return newNetwork(t, 1) }

// newNetwork is a network of n validators of the international suite.
func newNetwork(t testing.TB, n int) *env { return newNetworkIn(t, suite.International(), n) }

// newNetworkIn is a network of n validators of the suite cs.
func newNetworkIn(t testing.TB, cs *suite.Suite, n int) *env {
	e := &env{t: t, cs: cs}
	for i := range n {
		e.validators = append(e.validators, newValidator(t, cs, fmt.Sprint("validator", i)))
		e.dirs = append(e.dirs, t.TempDir())
	}
	var err error
	if e.pol, err = e.membership().Policy(origin); err != nil {
		t.Fatal(err)
	}
	// Deposits are made with validator 0's log key, which its node uses
	// for its own records; accounts are tested in identity_test.go.
	e.dep = e.validators[0].logKey
	if cs.Name() == suite.NameInternational {
		e.key = ed25519.NewKeyFromSeed(e.dep.Bytes())
	}
	return e
}

// forEachSuite runs f as a subtest for each suite.
func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

func (e *env) membership() *consortium.Membership {
	ms := &consortium.Membership{}
	for _, v := range e.validators {
		ms.Members = append(ms.Members, v.Member)
	}
	return ms
}

// open opens validator 0's ledger; the returned func closes it.
func (e *env) open() (*ledger.App, func()) { return e.openValidator(0, nil) }

func (e *env) openValidator(i int, report func([]byte)) (*ledger.App, func()) {
	e.t.Helper()
	st, err := store.Open(e.dirs[i], slog.New(slog.DiscardHandler))
	if err != nil {
		e.t.Fatal(err)
	}
	v := e.validators[i]
	app, err := ledger.New(ledger.Config{Suite: e.cs, Store: st, Origin: origin,
		CheckpointSigner: v.logSigner, Cosigner: v.cosigner, Genesis: e.membership(), ReportEvidence: report})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := app.InitChain(context.Background(), &abci.RequestInitChain{ChainId: origin, InitialHeight: 1}); err != nil {
		e.t.Fatal(err)
	}
	return app, func() { st.Close() }
}

func (e *env) signed(idem string, content string) []byte {
	return e.signedBy(e.dep, idem, content)
}

// signedWith is signed with an Ed25519 key, in the international suite.
func (e *env) signedWith(key ed25519.PrivateKey, idem, content string) []byte {
	k, err := suite.International().Signature().NewPrivateKey(key.Seed())
	if err != nil {
		e.t.Fatal(err)
	}
	return e.signedBy(k, idem, content)
}

// digests are the digests a deposit of content carries: the suite's
// content digest, and in the GM suite SHA-256 too, which deposits carried
// before SM3 could replace it.
func (e *env) digests(content string) []deposit.Digest {
	algs := []string{e.cs.ContentDigest()}
	if e.cs.Name() != suite.NameInternational {
		algs = append(algs, e.cs.SecondDigest())
	}
	ds, err := receipt.ContentDigests(strings.NewReader(content), algs...)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.SortFunc(ds, func(a, b deposit.Digest) int { return int(a.Algorithm) - int(b.Algorithm) })
	return ds
}

// contentDigest is the suite's content digest of content.
func (e *env) contentDigest(content string) []byte {
	h := e.cs.NewHash()
	h.Write([]byte(content))
	return h.Sum(nil)
}

func (e *env) signedBy(key suite.PrivateKey, idem, content string) []byte {
	s := deposit.Signed{Statement: deposit.Statement{
		Digests: e.digests(content), Size: uint64(len(content)),
		Depositor: key.Public(), IdempotencyKey: idem,
	}}
	var err error
	if s.Signature, err = key.Sign(s.SigningMessage(origin)); err != nil {
		e.t.Fatal(err)
	}
	return s.AppendBinary(nil)
}

var genesis = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// block runs one block through validator 0's app as CometBFT would.
func (e *env) block(app *ledger.App, height int64, txs ...[]byte) *abci.ResponseFinalizeBlock {
	e.t.Helper()
	return consensus(e.t, []*ledger.App{app}, e.validators[:1], height, txs...)[0]
}

// consensus runs one height through every validator's app as CometBFT
// would: each extends its vote (cosigning its latest checkpoint), every
// app verifies every extension, apps[0] proposes, all process the
// proposal, execute it and commit; their app hashes must agree. Apps and
// validators match by position.
func consensus(t testing.TB, apps []*ledger.App, validators []*validator, height int64, txs ...[]byte) []*abci.ResponseFinalizeBlock {
	t.Helper()
	ctx := context.Background()
	votes := make([]abci.ExtendedVoteInfo, len(apps))
	for i, app := range apps {
		ext, err := app.ExtendVote(ctx, &abci.RequestExtendVote{Height: height})
		if err != nil {
			t.Fatal(err)
		}
		votes[i] = abci.ExtendedVoteInfo{Validator: abci.Validator{Address: validators[i].address, Power: validators[i].Power}, VoteExtension: ext.VoteExtension, BlockIdFlag: cmtproto.BlockIDFlagCommit}
	}
	for _, app := range apps {
		for i, v := range votes {
			r, err := app.VerifyVoteExtension(ctx, &abci.RequestVerifyVoteExtension{ValidatorAddress: v.Validator.Address, Height: height, VoteExtension: v.VoteExtension})
			if err != nil || r.Status != abci.ResponseVerifyVoteExtension_ACCEPT {
				t.Fatalf("height %d: validator %d's extension refused", height, i)
			}
		}
	}
	prep, err := apps[0].PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: height, Txs: txs, MaxTxBytes: 64 << 20, LocalLastCommit: abci.ExtendedCommitInfo{Votes: votes}})
	if err != nil {
		t.Fatal(err)
	}
	var infos []abci.VoteInfo
	for _, v := range votes {
		infos = append(infos, abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag})
	}
	var out []*abci.ResponseFinalizeBlock
	for i, app := range apps {
		pr, err := app.ProcessProposal(ctx, &abci.RequestProcessProposal{Height: height, Txs: prep.Txs, ProposedLastCommit: abci.CommitInfo{Votes: infos}})
		if err != nil || pr.Status != abci.ResponseProcessProposal_ACCEPT {
			t.Fatalf("height %d: validator %d refused the proposal", height, i)
		}
		res, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: height, Time: genesis.Add(time.Duration(height) * time.Second), Txs: prep.Txs, DecidedLastCommit: abci.CommitInfo{Votes: infos}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		if i > 0 && !bytes.Equal(res.AppHash, out[0].AppHash) {
			t.Fatalf("height %d: app hashes differ between validators", height)
		}
		out = append(out, res)
	}
	return out
}

func id(t *testing.T, signed []byte) string {
	s, _, err := deposit.ParseSigned(signed)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID(suite.International())
}

// id is the deposit id of signed in the env's suite.
func (e *env) id(signed []byte) string {
	s, _, err := deposit.ParseSigned(signed)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.ID(e.cs)
}

func TestDepositsEnterTheLogInTheNextBlock(t *testing.T) { forEachSuite(t, testDepositsEnterTheLog) }

func testDepositsEnterTheLog(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 1)
	app, closeApp := e.open()
	defer closeApp()
	if _, err := app.InitChain(context.Background(), &abci.RequestInitChain{ChainId: origin}); err != nil {
		t.Fatal(err)
	}
	a, b := e.signed("a", "photo"), e.signed("b", "video")
	e.block(app, 1, ledger.EncodeDepositTx([][]byte{a, b}))
	if app.Committed().Size != 0 {
		t.Fatal("deposits entered the log in the block that ordered them")
	}
	if _, err := app.Placement(e.id(a)); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("placement before certification: %v", err)
	}
	e.block(app, 2)
	if snap := app.Committed(); snap.TreeSize != 2 || snap.Size != 0 {
		t.Fatalf("after the next block: tree size %d, final size %d; want 2 and 0 (not yet cosigned)", snap.TreeSize, snap.Size)
	}
	e.block(app, 3) // carries the cosignatures
	if snap := app.Committed(); snap.Size != 2 {
		t.Fatalf("final size %d once cosigned, want 2", snap.Size)
	}
	rec, err := app.DepositByID(e.id(b))
	if err != nil {
		t.Fatal(err)
	}
	// Ordered in block 1, certified by block 2's time: when block 1 was committed.
	if rec.Leaf.Index != 1 || rec.Leaf.Height != 1 || !rec.Leaf.Time.Equal(genesis.Add(2*time.Second)) {
		t.Fatalf("leaf placement %d/%d/%v", rec.Leaf.Index, rec.Leaf.Height, rec.Leaf.Time)
	}
	r, err := app.Receipt(rec)
	if err != nil {
		t.Fatal(err)
	}
	sum := e.contentDigest("video")
	if _, err := receipt.Verify(e.pol, r, receipt.Evidence{Digests: e.digests("video")}); err != nil {
		t.Fatalf("receipt does not verify: %v", err)
	}
	tx, err := app.TxHash(1)
	if err != nil || len(tx) != 32 {
		t.Fatalf("tx hash %x %v", tx, err)
	}
	recs, err := app.ByContent(sum[:], 0, 10)
	if err != nil || len(recs) != 1 || recs[0].Leaf.Index != 1 {
		t.Fatalf("by content: %v %v", recs, err)
	}
}

func TestDuplicatesConflictsAndBadSignatures(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	a := e.signed("same-key", "photo")
	conflict := e.signed("same-key", "another photo")
	sameContentOther := e.signedWith(other, "same-key", "photo")
	bad := bytes.Clone(e.signed("bad", "x"))
	bad[len(bad)-1] ^= 1
	for _, garbage := range [][]byte{[]byte("garbage"), {1, 0, 0, 0, 1, 9}, {2, 0}} {
		pr, err := app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 1, Txs: [][]byte{garbage}})
		if err != nil || pr.Status != abci.ResponseProcessProposal_REJECT {
			t.Fatalf("a proposal carrying %x was not rejected", garbage)
		}
	}
	h := e.enroll(app, 1, other)
	e.block(app, h, ledger.EncodeDepositTx([][]byte{a, a, conflict, bad, sameContentOther}))
	e.block(app, h+1, ledger.EncodeDepositTx([][]byte{a})) // resubmitted after ordering
	e.block(app, h+2)
	e.block(app, h+3)
	if got := app.Committed().Size; got != 2 {
		t.Fatalf("log size %d, want 2 (one deposit per depositor)", got)
	}
	// The conflicting statement shares a's id; the log keeps a's.
	rec, err := app.DepositByID(id(t, conflict))
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256([]byte("photo")); !bytes.Equal(rec.Leaf.Digest(deposit.SHA256), want[:]) {
		t.Fatal("the idempotency key's second, different deposit replaced the first")
	}
	if r, ok := app.Rejected(id(t, conflict)); !ok || r.Reason == "" || r.Signed != sha256.Sum256(conflict) {
		t.Fatal("the conflicting deposit was not reported as rejected")
	}
	if r, ok := app.Rejected(id(t, bad)); !ok || r.Reason == "" || r.Signed != sha256.Sum256(bad) {
		t.Fatal("a bad signature was not reported as rejected")
	}
	if _, err := app.Placement(id(t, bad)); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatal("a badly signed deposit entered the log")
	}
	sum := sha256.Sum256([]byte("photo"))
	recs, err := app.ByContent(sum[:], 0, 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("same content from two depositors: %d records, %v", len(recs), err)
	}
}

func TestDeterministicAppHashAndRestart(t *testing.T) {
	e := newNetwork(t, 2)
	app1, close1 := e.openValidator(0, nil)
	app2, close2 := e.openValidator(1, nil)
	defer close2()
	apps := []*ledger.App{app1, app2}
	var txs [][]byte
	for i := range 5 {
		txs = append(txs, ledger.EncodeDepositTx([][]byte{e.signed(fmt.Sprint("k", i), fmt.Sprint("c", i)), e.signed(fmt.Sprint("j", i), fmt.Sprint("d", i))}))
	}
	var hashes [][]byte
	for h, tx := range txs {
		hashes = append(hashes, consensus(t, apps, e.validators, int64(h+1), tx)[0].AppHash)
	}
	before := app1.Committed()
	if before.Size != 6 || before.TreeSize != 8 {
		t.Fatalf("final size %d, tree size %d; want 6 and 8", before.Size, before.TreeSize)
	}
	close1()

	// Reopen, as after a crash: Info reports the last committed block.
	app1, close1 = e.openValidator(0, nil)
	defer close1()
	info, err := app1.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != 5 || !bytes.Equal(info.LastBlockAppHash, hashes[4]) {
		t.Fatalf("after restart: height %d hash %x", info.LastBlockHeight, info.LastBlockAppHash)
	}
	apps[0] = app1
	consensus(t, apps, e.validators, 6)
	consensus(t, apps, e.validators, 7)
	after := app1.Committed()
	if after.Size != 10 {
		t.Fatalf("final size %d, want 10", after.Size)
	}
	p, err := app1.ConsistencyProof(before.Size, after.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.VerifyConsistency(suite.International().LogHasher(), before.Size, after.Size, p, before.Root, after.Root); err != nil {
		t.Fatalf("log after restart is not consistent with the checkpoint before: %v", err)
	}
	res, err := e.pol.Verify(after.Checkpoint)
	if err != nil {
		t.Fatalf("final checkpoint after restart: %v", err)
	}
	if len(res.Cosigners) != 2 {
		t.Fatalf("final checkpoint cosigned by %v, want both validators", res.Cosigners)
	}
	if !bytes.Equal(app2.Committed().Checkpoint, after.Checkpoint) {
		t.Fatal("the validators' final checkpoints differ")
	}
}

func TestUncommittedBlockIsDiscarded(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	ctx := context.Background()
	e.block(app, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "a")}))
	// Block 2 executes but the process dies before Commit.
	if _, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 2, Time: genesis}); err != nil {
		t.Fatal(err)
	}
	closeApp()
	app, closeApp = e.open()
	defer closeApp()
	info, _ := app.Info(ctx, &abci.RequestInfo{})
	if info.LastBlockHeight != 1 || app.Committed().Size != 0 {
		t.Fatalf("an uncommitted block survived: height %d size %d", info.LastBlockHeight, app.Committed().Size)
	}
	e.block(app, 2) // replayed by CometBFT
	e.block(app, 3)
	if app.Committed().Size != 1 {
		t.Fatal("the replayed block lost the pending deposit")
	}
}

func TestCheckTx(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	bad := bytes.Clone(e.signed("bad", "x"))
	bad[len(bad)-2] ^= 1
	for name, tc := range map[string]struct {
		tx   []byte
		code uint32
	}{
		"good":      {ledger.EncodeDepositTx([][]byte{e.signed("a", "a")}), ledger.CodeOK},
		"bad sig":   {ledger.EncodeDepositTx([][]byte{bad}), ledger.CodeBadSignature},
		"malformed": {[]byte{1, 0, 0, 0, 1, 9}, ledger.CodeMalformedTx},
		"empty":     {nil, ledger.CodeMalformedTx},
	} {
		res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.tx})
		if err != nil || res.Code != tc.code {
			t.Errorf("%s: code %d err %v, want %d", name, res.Code, err, tc.code)
		}
	}
}

// TestDepositWithoutItsSuitesDigestIsMalformed puts, beside a good
// deposit, one that carries only the other suite's content digest: the
// whole transaction is malformed, in the mempool and in a proposal, as a
// deposit without SHA-256 always was on an international network, so
// validators of before and after the GM suite agree on it.
func TestDepositWithoutItsSuitesDigestIsMalformed(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 1)
		app, closeApp := e.open()
		defer closeApp()
		other, err := suite.NewContentHash(cs.SecondDigest())
		if err != nil {
			t.Fatal(err)
		}
		other.Write([]byte("x"))
		alg, _ := deposit.ParseAlgorithm(cs.SecondDigest())
		s := deposit.Signed{Statement: deposit.Statement{
			Digests: []deposit.Digest{{Algorithm: alg, Value: other.Sum(nil)}}, Size: 1,
			Depositor: e.dep.Public(), IdempotencyKey: "other-digest",
		}}
		if s.Signature, err = e.dep.Sign(s.SigningMessage(origin)); err != nil {
			t.Fatal(err)
		}
		tx := ledger.EncodeDepositTx([][]byte{e.signed("good", "good"), s.AppendBinary(nil)})
		r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
		if err != nil || r.Code != ledger.CodeMalformedTx || !strings.Contains(r.Log, "digests."+cs.ContentDigest()) {
			t.Fatalf("CheckTx: %v %v", r, err)
		}
		pp, err := app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 1, Txs: [][]byte{tx}})
		if err != nil || pp.Status != abci.ResponseProcessProposal_REJECT {
			t.Fatalf("ProcessProposal: %v %v", pp, err)
		}
	})
}
