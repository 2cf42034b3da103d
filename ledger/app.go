// Package ledger is Jurichain's deterministic state machine: the ABCI 2.0
// application that CometBFT drives. Each committed block appends its valid
// deposits to the RFC 6962 log, the app hash commits to the tree root, and
// after every block that grows the log the node signs a C2SP checkpoint.
//
// FinalizeBlock only stages; Commit writes the whole block in one synced
// batch, so after a crash Info reports exactly the last block the store
// holds and CometBFT replays the rest.
package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

var _ abci.Application = (*App)(nil)

// Result codes of CheckTx and FinalizeBlock transaction results.
const (
	CodeOK           uint32 = 0
	CodeMalformedTx  uint32 = 1
	CodeBadSignature uint32 = 2
)

// Config is what an App needs.
type Config struct {
	Suite *suite.Suite
	Store *store.Store
	// Origin is the log's checkpoint origin: the chain ID.
	Origin string
	// CheckpointSigner signs checkpoints as the log; its name is Origin.
	CheckpointSigner note.Signer
	// Cosigner adds this validator's tlog-cosignature to each checkpoint.
	Cosigner note.Signer
	// RetainBlocks, when non-zero, lets CometBFT prune blocks older than
	// this many heights: the log keeps every deposit, so old blocks are
	// needed only by peers catching up.
	RetainBlocks uint64
	Logger       *slog.Logger
}

// App is the ABCI application. Its ABCI methods are called by CometBFT;
// its query methods are safe for concurrent use from any goroutine.
type App struct {
	abci.BaseApplication
	cfg      Config
	rf       compact.RangeFactory
	verified txCache
	recent   *recentSet
	ids      idFilter

	mu        sync.Mutex // serialises block execution
	state     store.State
	pending   *pendingSet // the deposits state.Pending describes, once loaded
	staged    *stagedBlock
	committed atomic.Pointer[Snapshot]

	rejectedMu sync.Mutex
	rejected   map[string]Rejection // by deposit id, recent rejections only
}

// Snapshot is the committed state as readers see it.
type Snapshot struct {
	Height     uint64
	Size       uint64
	Root       []byte
	Checkpoint []byte
	// Done is closed when a later block commits.
	Done chan struct{}
}

type stagedBlock struct {
	batch    *store.Batch
	state    store.State
	root     []byte
	txs      [][sha256.Size]byte // hashes of the block's transactions
	rejected map[string]Rejection
	// appended are the ids of the deposits entering the log, from index
	// first, with height and time.
	appended              [][suite.HashSize]byte
	first, appendedHeight uint64
	appendedTime          time.Time
	// pending are the deposits this block ordered.
	pending *pendingSet
}

// New opens the ledger on its store.
func New(cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{
		cfg:      cfg,
		rf:       compact.RangeFactory{Hash: cfg.Suite.LogHasher().HashChildren},
		recent:   newRecentSet(),
		rejected: map[string]Rejection{},
	}
	st, err := cfg.Store.LoadState()
	if err != nil {
		return nil, err
	}
	a.state = st
	if err := cfg.Store.DepositIDs(func(id []byte) { a.ids.add([suite.HashSize]byte(id)) }); err != nil {
		return nil, err
	}
	root, err := a.root(st)
	if err != nil {
		return nil, err
	}
	cp, err := cfg.Store.LatestCheckpoint()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	a.committed.Store(&Snapshot{Height: st.Height, Size: st.Size, Root: root, Checkpoint: cp, Done: make(chan struct{})})
	return a, nil
}

func (a *App) root(st store.State) ([]byte, error) {
	r, err := a.rf.NewRange(0, st.Size, st.Range)
	if err != nil {
		return nil, fmt.Errorf("stored tree state is corrupt: %w", err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if root == nil {
		root = a.cfg.Suite.LogHasher().EmptyRoot()
	}
	return root, nil
}

// appHash commits to the tree and to the deposits waiting to enter it
// (pendingDigest): every other piece of state is derived from those.
func (a *App) appHash(size uint64, root []byte, pendingDigest [suite.HashSize]byte) []byte {
	h := a.cfg.Suite.Hash([]byte("jurichain/apphash/v1\n"), binary.BigEndian.AppendUint64(nil, size), root, pendingDigest[:])
	return h[:]
}

// Info tells CometBFT where the application is, so it replays exactly the
// blocks the store lacks.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.ResponseInfo{
		Data:             "jurichain",
		AppVersion:       1,
		LastBlockHeight:  int64(a.state.Height),
		LastBlockAppHash: a.state.AppHash,
	}, nil
}

// InitChain checks that the genesis names the log this node was set up for.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if req.ChainId != a.cfg.Origin {
		return nil, fmt.Errorf("genesis chain ID %q differs from this node's log origin %q", req.ChainId, a.cfg.Origin)
	}
	return &abci.ResponseInitChain{AppHash: a.appHash(0, a.cfg.Suite.LogHasher().EmptyRoot(), a.cfg.Suite.Hash())}, nil
}

// CheckTx admits a transaction to the mempool when it parses and every
// deposit's signature verifies. Deposits that came through this node's API
// were verified on arrival and hit the cache.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	deps, err := parseDepositTx(req.Tx)
	if err != nil {
		return &abci.ResponseCheckTx{Code: CodeMalformedTx, Log: err.Error()}, nil
	}
	for i, ok := range a.verifyTx(sha256.Sum256(req.Tx), deps) {
		if !ok {
			return &abci.ResponseCheckTx{Code: CodeBadSignature, Log: fmt.Sprintf("deposit %d: signature does not verify", i)}, nil
		}
	}
	return &abci.ResponseCheckTx{Code: CodeOK}, nil
}

// ProcessProposal rejects a proposal carrying a transaction that does not
// parse; bad signatures are rejected deposit by deposit in FinalizeBlock.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	for _, tx := range req.Txs {
		if _, err := parseDepositTx(tx); err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock first appends the deposits ordered by the previous block
// to the log, certified at this block's time, then orders this block's
// deposits, which wait in the state for the next block.
//
// The deferral is what makes the certified time sound. In CometBFT 0.38 a
// block's time is the median of the validators' precommit times for the
// block before it, so it can be earlier than the arrival of the block's own
// transactions; the time of block H+1 is when the validators committed
// block H, which is after every deposit in H was proposed. The app hash
// covers the pending deposits, so CometBFT makes block H+1 promptly even
// when it creates no empty blocks.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged != nil { // a block executed but never committed: start over
		a.staged.batch.Discard()
		a.staged = nil
	}
	cs := a.cfg.Suite
	hasher := cs.LogHasher()
	rng, err := a.rf.NewRange(0, a.state.Size, cloneHashes(a.state.Range))
	if err != nil {
		return nil, fmt.Errorf("stored tree state is corrupt: %w", err)
	}
	b := &stagedBlock{batch: a.cfg.Store.NewBatch(), rejected: map[string]Rejection{}}
	size := a.state.Size
	storeHash := func(id compact.NodeID, h []byte) {
		if tl, ok := tlog.StoredLevel(id.Level); ok {
			b.batch.PutHash(tl, id.Index, h)
		}
	}
	inLog := map[string][]byte{} // deposit id -> statement, for deposits not yet in the store

	// 1. The previous block's deposits enter the log.
	prev, err := a.loadPending()
	if err != nil {
		return nil, fmt.Errorf("stored pending deposits are corrupt: %w", err)
	}
	b.first, b.appendedHeight, b.appendedTime = size, prev.height, req.Time
	for _, g := range prev.groups {
		for i, d := range g.deposits {
			leaf := deposit.Leaf{Signed: *d.Signed, Index: size, Height: prev.height, Time: req.Time}
			lb := leaf.AppendBinary(make([]byte, 0, len(d.raw)+24))
			b.batch.PutLeaf(size, lb)
			if err := rng.Append(hasher.HashLeaf(lb), storeHash); err != nil {
				return nil, fmt.Errorf("appending to tree: %w", err)
			}
			id := d.id
			if id == "" { // ordered before a restart
				id = d.ID(cs)
			}
			var idKey [suite.HashSize]byte
			hex.Decode(idKey[:], []byte(id))
			b.batch.PutDeposit(idKey[:], d.SHA256(), size)
			b.appended = append(b.appended, idKey)
			if i == 0 {
				b.batch.PutTx(size, g.txHash[:])
			}
			inLog[id] = d.StatementOf(d.raw)
			size++
		}
	}

	// 2. This block's deposits are checked and ordered; they wait in the
	// state for the next block.
	height := uint64(req.Height)
	b.pending = &pendingSet{height: height}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		// The ordered deposits outlive this call (they wait for the next
		// block), so they get their own copy of the transaction's bytes.
		tx = bytes.Clone(tx)
		deps, err := parseDepositTx(tx)
		if err != nil {
			results[i] = &abci.ExecTxResult{Code: CodeMalformedTx, Log: err.Error()}
			continue
		}
		g := pendingGroup{txHash: sha256.Sum256(tx)}
		b.txs = append(b.txs, g.txHash)
		oks := a.verifyTx(g.txHash, deps)
		for j, d := range deps {
			id := d.ID(cs)
			if !oks[j] {
				b.rejected[id] = Rejection{"the depositor's signature does not verify", sha256.Sum256(d.raw)}
				continue
			}
			stmt := d.StatementOf(d.raw)
			prev, err := a.existingStatement(id, inLog)
			if err != nil {
				return nil, err
			}
			if prev != nil {
				if !bytes.Equal(prev, stmt) {
					b.rejected[id] = Rejection{"the idempotency key was already used by this depositor for a different deposit", sha256.Sum256(d.raw)}
				}
				continue // the same deposit again: it already has its place
			}
			inLog[id] = stmt
			d.id = id
			g.deposits = append(g.deposits, d)
		}
		if len(g.deposits) > 0 {
			b.pending.groups = append(b.pending.groups, g)
		}
		results[i] = &abci.ExecTxResult{Code: CodeOK, Data: binary.BigEndian.AppendUint32(nil, uint32(len(g.deposits)))}
	}

	b.state = store.State{Height: height, Size: size, Range: rng.Hashes(), Pending: b.pending.encode()}
	if b.root, err = rng.GetRootHash(nil); err != nil {
		return nil, fmt.Errorf("computing tree root: %w", err)
	}
	if b.root == nil {
		b.root = hasher.EmptyRoot()
	}
	b.state.AppHash = a.appHash(size, b.root, cs.Hash(b.state.Pending))
	b.batch.PutState(b.state)
	a.staged = b
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: b.state.AppHash}, nil
}

// existingStatement returns the statement bytes of the deposit with this id
// if it is already in the log, or entering it or ordered in this block.
func (a *App) existingStatement(id string, inLog map[string][]byte) ([]byte, error) {
	if s, ok := inLog[id]; ok {
		return s, nil
	}
	var key [suite.HashSize]byte
	hex.Decode(key[:], []byte(id))
	if !a.ids.mayContain(key) {
		return nil, nil
	}
	idx, err := a.cfg.Store.DepositIndex(key[:])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lb, err := a.cfg.Store.Leaf(idx)
	if err != nil {
		return nil, err
	}
	l, err := deposit.ParseLeaf(lb)
	if err != nil {
		return nil, fmt.Errorf("stored leaf %d is corrupt: %w", idx, err)
	}
	return l.Statement.AppendBinary(nil), nil
}

// Commit persists the staged block with its signed checkpoint in one synced
// write, then wakes readers waiting for it.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.staged
	if b == nil {
		return nil, errors.New("commit without a finalized block")
	}
	a.staged = nil
	prev := a.committed.Load()
	cp := prev.Checkpoint
	if b.state.Size != a.state.Size || cp == nil {
		var err error
		if cp, err = a.signCheckpoint(b.state.Size, b.root); err != nil {
			b.batch.Discard()
			return nil, err
		}
		b.batch.PutCheckpoint(b.state.Size, cp)
	}
	if err := b.batch.Commit(); err != nil {
		return nil, err
	}
	a.state, a.pending = b.state, b.pending
	a.verified.forget(b.txs)
	a.recent.add(b.appended, b.first, b.appendedHeight, b.appendedTime)
	for _, id := range b.appended {
		a.ids.add(id)
	}
	if len(b.rejected) > 0 {
		a.rejectedMu.Lock()
		if len(a.rejected) > maxRemembered {
			clear(a.rejected)
		}
		for id, r := range b.rejected {
			a.rejected[id] = r
		}
		a.rejectedMu.Unlock()
	}
	a.committed.Store(&Snapshot{Height: b.state.Height, Size: b.state.Size, Root: b.root, Checkpoint: cp, Done: make(chan struct{})})
	close(prev.Done)
	a.cfg.Logger.Debug("block committed", "height", b.state.Height, "tree_size", b.state.Size,
		"appended", len(b.appended), "ordered", b.pending.count(), "rejected", len(b.rejected))
	for id, r := range b.rejected {
		a.cfg.Logger.Info("deposit rejected by consensus", "id", id, "height", b.state.Height, "reason", r.Reason)
	}
	resp := &abci.ResponseCommit{}
	if r := a.cfg.RetainBlocks; r > 0 && b.state.Height > r {
		resp.RetainHeight = int64(b.state.Height - r)
	}
	return resp, nil
}

// maxRemembered bounds the in-memory record of rejected deposits.
const maxRemembered = 100_000

func (a *App) signCheckpoint(size uint64, root []byte) ([]byte, error) {
	body := log.Checkpoint{Origin: a.cfg.Origin, Size: size, Hash: root}.Marshal()
	signers := []note.Signer{a.cfg.CheckpointSigner}
	if a.cfg.Cosigner != nil {
		signers = append(signers, a.cfg.Cosigner)
	}
	n, err := note.Sign(&note.Note{Text: string(body)}, signers...)
	if err != nil {
		return nil, fmt.Errorf("signing checkpoint: %w", err)
	}
	return n, nil
}

// Committed returns the latest committed state.
func (a *App) Committed() *Snapshot { return a.committed.Load() }

// Rejection records a deposit consensus refused.
type Rejection struct {
	Reason string
	// Signed is the SHA-256 of the refused signed deposit: anyone can send
	// a bad deposit under someone else's id, so a client checks that the
	// rejection concerns the deposit it sent.
	Signed [sha256.Size]byte
}

// Rejected returns the recent rejection of a deposit with this id, if any.
func (a *App) Rejected(id string) (Rejection, bool) {
	a.rejectedMu.Lock()
	defer a.rejectedMu.Unlock()
	r, ok := a.rejected[id]
	return r, ok
}

func cloneHashes(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = bytes.Clone(h)
	}
	return out
}
