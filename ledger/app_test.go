package ledger_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	fnote "github.com/transparency-dev/formats/note"
	mproof "github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

const origin = "ledger.test/log"

type env struct {
	t        *testing.T
	dir      string
	signer   note.Signer
	cosigner note.Signer
	pol      *policy.Policy
	key      ed25519.PrivateKey
}

func newEnv(t *testing.T) *env {
	lskey, lvkey, _ := note.GenerateKey(rand.Reader, origin)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "validator0")
	e := &env{t: t, dir: t.TempDir()}
	e.signer, _ = note.NewSigner(lskey)
	e.cosigner, _ = fnote.NewSignerForCosignatureV1(wskey)
	wcv, _ := fnote.VKeyToCosignatureV1(wvkey)
	var err error
	if e.pol, err = policy.Parse([]byte(fmt.Sprintf("log %s\nwitness validator0 %s\nquorum validator0\n", lvkey, wcv))); err != nil {
		t.Fatal(err)
	}
	_, e.key, _ = ed25519.GenerateKey(rand.Reader)
	return e
}

// open opens the ledger on the env's store; the returned func closes it.
func (e *env) open() (*ledger.App, func()) {
	e.t.Helper()
	st, err := store.Open(e.dir, slog.New(slog.DiscardHandler))
	if err != nil {
		e.t.Fatal(err)
	}
	app, err := ledger.New(ledger.Config{Suite: suite.International(), Store: st, Origin: origin, CheckpointSigner: e.signer, Cosigner: e.cosigner})
	if err != nil {
		e.t.Fatal(err)
	}
	return app, func() { st.Close() }
}

func (e *env) signed(idem string, content string) []byte {
	return e.signedWith(e.key, idem, content)
}

func (e *env) signedWith(key ed25519.PrivateKey, idem, content string) []byte {
	sum := sha256.Sum256([]byte(content))
	s := deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{{Algorithm: deposit.SHA256, Value: sum[:]}}, Size: uint64(len(content)),
		Depositor: key.Public().(ed25519.PublicKey), IdempotencyKey: idem,
	}}
	s.Signature = ed25519.Sign(key, s.SigningMessage(origin))
	return s.AppendBinary(nil)
}

var genesis = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// block runs one block through the app as CometBFT would.
func block(t *testing.T, app *ledger.App, height int64, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	ctx := context.Background()
	res, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: height, Time: genesis.Add(time.Duration(height) * time.Second), Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	return res
}

func id(t *testing.T, signed []byte) string {
	s, _, err := deposit.ParseSigned(signed)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID(suite.International())
}

func TestDepositsEnterTheLogInTheNextBlock(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	defer closeApp()
	if _, err := app.InitChain(context.Background(), &abci.RequestInitChain{ChainId: origin}); err != nil {
		t.Fatal(err)
	}
	a, b := e.signed("a", "photo"), e.signed("b", "video")
	block(t, app, 1, ledger.EncodeDepositTx([][]byte{a, b}))
	if app.Committed().Size != 0 {
		t.Fatal("deposits entered the log in the block that ordered them")
	}
	if _, err := app.Placement(id(t, a)); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("placement before certification: %v", err)
	}
	block(t, app, 2)
	snap := app.Committed()
	if snap.Size != 2 {
		t.Fatalf("size %d after the next block, want 2", snap.Size)
	}
	rec, err := app.DepositByID(id(t, b))
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
	sum := sha256.Sum256([]byte("video"))
	if _, err := receipt.Verify(suite.International(), e.pol, r, receipt.Evidence{SHA256: sum[:]}); err != nil {
		t.Fatalf("receipt does not verify: %v", err)
	}
	tx, err := app.TxHash(1)
	if err != nil || len(tx) != 32 {
		t.Fatalf("tx hash %x %v", tx, err)
	}
	recs, err := app.ByContent(sum[:], 10)
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
	res := block(t, app, 1, ledger.EncodeDepositTx([][]byte{a, a, conflict, bad, sameContentOther}), []byte("garbage"))
	if res.TxResults[1].Code != ledger.CodeMalformedTx {
		t.Fatalf("garbage transaction code %d", res.TxResults[1].Code)
	}
	block(t, app, 2, ledger.EncodeDepositTx([][]byte{a})) // resubmitted after ordering
	block(t, app, 3)
	if got := app.Committed().Size; got != 2 {
		t.Fatalf("log size %d, want 2 (one deposit per depositor)", got)
	}
	// The conflicting statement shares a's id; the log keeps a's.
	rec, err := app.DepositByID(id(t, conflict))
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256([]byte("photo")); !bytes.Equal(rec.Leaf.SHA256(), want[:]) {
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
	recs, err := app.ByContent(sum[:], 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("same content from two depositors: %d records, %v", len(recs), err)
	}
}

func TestDeterministicAppHashAndRestart(t *testing.T) {
	e1, e2 := newEnv(t), newEnv(t)
	e2.key = e1.key
	app1, close1 := e1.open()
	app2, close2 := e2.open()
	defer close2()
	var txs [][]byte
	for i := range 5 {
		txs = append(txs, ledger.EncodeDepositTx([][]byte{e1.signed(fmt.Sprint("k", i), fmt.Sprint("c", i)), e1.signed(fmt.Sprint("j", i), fmt.Sprint("d", i))}))
	}
	var hashes [][]byte
	for h, tx := range txs {
		r1 := block(t, app1, int64(h+1), tx)
		r2 := block(t, app2, int64(h+1), tx)
		if !bytes.Equal(r1.AppHash, r2.AppHash) {
			t.Fatalf("height %d: app hashes differ between replicas", h+1)
		}
		hashes = append(hashes, r1.AppHash)
	}
	before := app1.Committed()
	close1()

	// Reopen, as after a crash: Info reports the last committed block.
	app1, close1 = e1.open()
	defer close1()
	info, err := app1.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != 5 || !bytes.Equal(info.LastBlockAppHash, hashes[4]) {
		t.Fatalf("after restart: height %d hash %x", info.LastBlockHeight, info.LastBlockAppHash)
	}
	r1 := block(t, app1, 6)
	r2 := block(t, app2, 6)
	if !bytes.Equal(r1.AppHash, r2.AppHash) {
		t.Fatal("the restarted replica diverged")
	}
	after := app1.Committed()
	if after.Size != 10 {
		t.Fatalf("size %d, want 10", after.Size)
	}
	p, err := app1.ConsistencyProof(before.Size, after.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := mproof.VerifyConsistency(suite.International().LogHasher(), before.Size, after.Size, p, before.Root, after.Root); err != nil {
		t.Fatalf("log after restart is not consistent with the checkpoint before: %v", err)
	}
	if _, err := e1.pol.Verify(after.Checkpoint); err != nil {
		t.Fatalf("checkpoint after restart: %v", err)
	}
}

func TestUncommittedBlockIsDiscarded(t *testing.T) {
	e := newEnv(t)
	app, closeApp := e.open()
	ctx := context.Background()
	block(t, app, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "a")}))
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
	block(t, app, 2) // replayed by CometBFT
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
