// Package ledger is Jurichain's deterministic state machine: the ABCI 2.0
// application that CometBFT drives. Each committed block appends its valid
// deposits to the RFC 6962 log, the app hash commits to the tree root, and
// after every block that grows the log the node signs a C2SP checkpoint,
// which the validators cosign in their votes until a quorum makes it final
// (see cosign.go). Membership changes and evidence of misbehaviour are
// transactions too (see governance.go).
//
// FinalizeBlock only stages; Commit writes the whole block in one synced
// batch, so after a crash Info reports exactly the last block the store
// holds and CometBFT replays the rest.
package ledger

import (
	"bytes"
	"context"
	// SHA-256 here hashes CometBFT transactions and refused deposits for
	// this node's own bookkeeping (caches, the pipeline's match of a
	// rejection): never committed to the ledger nor shown as proof, so
	// it stays whatever the network's suite.
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
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
	// CodeRefused marks a governance, cosignature or evidence transaction
	// that does not hold.
	CodeRefused uint32 = 3
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
	// Genesis is the founding membership, recorded by InitChain.
	Genesis *consortium.Membership
	// ReportEvidence, when set, is handed an evidence transaction when a
	// vote extension shows a validator signing an inconsistent checkpoint;
	// the node submits it so the evidence is recorded on the ledger.
	ReportEvidence func(tx []byte)
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
	members  atomic.Pointer[memberIndex]
	// cosigners is copied on write at each final checkpoint.
	cosigners atomic.Pointer[map[string]Cosigned]
	// registry is the committed registry of outside logs.
	registry atomic.Pointer[registry]

	mu        sync.Mutex // serialises block execution
	state     store.State
	pending   *pendingSet // the deposits state.Pending describes, once loaded
	staged    *stagedBlock
	committed atomic.Pointer[Snapshot]

	rejectedMu sync.Mutex
	rejected   map[string]Rejection // by deposit id, recent rejections only

	accounts *accountBook

	// empty is this node's own signed checkpoint of the empty tree, served
	// until the network has a final checkpoint.
	empty []byte

	// Under mu: digests the app hash covers and evidence already recorded.
	finalDigest, membershipDigest, identityDigest [suite.HashSize]byte
	evidence                                      map[string]bool // institution, size, root
	evidenceSeq                                   uint64
}

// Snapshot is the committed state as readers see it. Readers see the tree
// of the latest final checkpoint: deposits beyond it are in the replica
// but not yet cosigned by a quorum.
type Snapshot struct {
	Height uint64
	// Size, Root and Checkpoint are those of the latest final checkpoint.
	Size       uint64
	Root       []byte
	Checkpoint []byte
	// TreeSize and TreeRoot describe the replica's whole tree; Own is this
	// node's signed checkpoint of it.
	TreeSize uint64
	TreeRoot []byte
	Own      []byte
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
	// final is the checkpoint this block made final, if any.
	final *cosigned
	// membership is the membership after this block's changes, if any.
	membership *consortium.Membership
	updates    []abci.ValidatorUpdate
	evidence   []Evidence
	// accounts is the accounts as the block's identity operations
	// changed them, if it has any.
	accounts *blockAccounts
	// anchors is the registry of outside logs as the block's outside-log
	// changes and anchors changed it, if it has any.
	anchors *blockAnchors
	// finalDigest, membershipDigest and identityDigest are what the app
	// hash covers after this block.
	finalDigest, membershipDigest, identityDigest [suite.HashSize]byte
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
	a.cosigners.Store(&map[string]Cosigned{})
	st, err := cfg.Store.LoadState()
	if err != nil {
		return nil, err
	}
	a.state = st
	if err := cfg.Store.DepositIDs(func(id []byte) { a.ids.add([suite.HashSize]byte(id)) }); err != nil {
		return nil, err
	}
	if err := a.loadMembership(); err != nil {
		return nil, err
	}
	if err := a.loadAccounts(); err != nil {
		return nil, err
	}
	if err := a.loadRegistry(); err != nil {
		return nil, err
	}
	a.evidence = map[string]bool{}
	err = cfg.Store.Evidence(func(seq uint64, rec []byte) error {
		var e Evidence
		if err := json.Unmarshal(rec, &e); err != nil {
			return fmt.Errorf("stored evidence is corrupt: %w", err)
		}
		a.evidence[evidenceKey(e)] = true
		a.evidenceSeq = seq + 1
		return nil
	})
	if err != nil {
		return nil, err
	}
	root, err := a.root(st)
	if err != nil {
		return nil, err
	}
	own, err := cfg.Store.LatestCheckpoint()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	snap := &Snapshot{Height: st.Height, TreeSize: st.Size, TreeRoot: root, Own: own, Done: make(chan struct{})}
	final, err := cfg.Store.LatestFinal()
	switch {
	case err == nil:
		if err := snap.setFinal(final); err != nil {
			return nil, err
		}
		a.finalDigest = cfg.Suite.Hash(final)
		a.recordCosigners(snap.Size, final)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	a.committed.Store(snap)
	if a.empty, err = a.signCheckpoint(0, cfg.Suite.LogHasher().EmptyRoot()); err != nil {
		return nil, err
	}
	return a, nil
}

// needsFinal reports whether the replica holds a tree that no final
// checkpoint covers yet: a tree grown past the final one, or any tree
// (the empty one included) before the first final checkpoint.
func (s *Snapshot) needsFinal() bool {
	return s.Checkpoint == nil || s.TreeSize > s.Size
}

// finalizes reports whether a final checkpoint of this size would be new:
// larger than the latest final one, or the first.
func (s *Snapshot) finalizes(size uint64) bool {
	return s.Checkpoint == nil || size > s.Size
}

// setFinal makes a final checkpoint the one readers see.
func (s *Snapshot) setFinal(signed []byte) error {
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(body(signed)); err != nil {
		return fmt.Errorf("stored final checkpoint is corrupt: %w", err)
	}
	s.Size, s.Root, s.Checkpoint = cp.Size, cp.Hash, signed
	return nil
}

// loadMembership reads the membership in force, or takes the genesis one
// before InitChain has recorded it.
func (a *App) loadMembership() error {
	ms := a.cfg.Genesis
	rec, err := a.cfg.Store.Membership()
	switch {
	case err == nil:
		ms = &consortium.Membership{}
		if err := json.Unmarshal(rec, ms); err != nil {
			return fmt.Errorf("stored membership is corrupt: %w", err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	case ms == nil:
		return errors.New("ledger has no membership: the genesis names no members")
	}
	return a.setMembership(ms)
}

func (a *App) setMembership(ms *consortium.Membership) error {
	idx, err := newMemberIndex(a.cfg.Suite, a.cfg.Origin, ms)
	if err != nil {
		return err
	}
	rec, err := json.Marshal(ms)
	if err != nil {
		return err
	}
	a.membershipDigest = a.cfg.Suite.Hash(rec)
	a.members.Store(idx)
	return nil
}

func evidenceKey(e Evidence) string {
	body, _, _ := strings.Cut(e.Theirs, "\n\n")
	if e.Kind == EvidenceFork {
		return fmt.Sprintf("fork/%s/%d/%s", e.Origin, e.Size, body)
	}
	return fmt.Sprintf("%s/%d/%s", e.Institution, e.Size, body)
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

// appHash commits to the tree, the deposits waiting to enter it, the
// latest final checkpoint, the membership, the identity operations
// applied and, once there is any, the registry of outside logs with its
// anchors and forks: every other piece of state is derived from those.
// The registry's digest is zero until the first outside-log change and
// then left out, so that chains without outside logs keep their hashes. While the
// tree is ahead of the final checkpoint, or no checkpoint is final yet
// (not even the empty tree's), it also covers the height, so the state
// changes every block and CometBFT (which makes no empty blocks otherwise)
// keeps making blocks until the validators' cosignatures have made the
// tree final.
func (a *App) appHash(st store.State, root []byte, finalDigest, membershipDigest, identityDigest, anchorsDigest [suite.HashSize]byte) []byte {
	pendingDigest := a.cfg.Suite.Hash(st.Pending)
	var unfinal uint64
	if st.Size > st.FinalSize || finalDigest == ([suite.HashSize]byte{}) {
		unfinal = st.Height
	}
	parts := [][]byte{[]byte("jurichain/apphash/v3\n"), binary.BigEndian.AppendUint64(nil, st.Size), root, pendingDigest[:],
		binary.BigEndian.AppendUint64(nil, st.FinalSize), finalDigest[:], membershipDigest[:], identityDigest[:], binary.BigEndian.AppendUint64(nil, unfinal)}
	if anchorsDigest != ([suite.HashSize]byte{}) {
		parts = append(parts, anchorsDigest[:])
	}
	h := a.cfg.Suite.Hash(parts...)
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

// InitChain checks that the genesis names the log this node was set up
// for and records the founding membership and its policy.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.ChainId != a.cfg.Origin {
		return nil, fmt.Errorf("genesis chain ID %q differs from this node's log origin %q", req.ChainId, a.cfg.Origin)
	}
	ms := a.cfg.Genesis
	if ms == nil {
		return nil, errors.New("the genesis names no members")
	}
	b := a.cfg.Store.NewBatch()
	if _, err := a.stageMembership(b, ms, uint64(req.InitialHeight)); err != nil {
		b.Discard()
		return nil, err
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	if err := a.setMembership(ms); err != nil {
		return nil, err
	}
	return &abci.ResponseInitChain{AppHash: a.appHash(store.State{}, a.cfg.Suite.LogHasher().EmptyRoot(), a.finalDigest, a.membershipDigest, a.identityDigest, a.registry.Load().digest())}, nil
}

// stageMembership records a membership and the policy in force from a
// height, and returns the record's digest.
func (a *App) stageMembership(b *store.Batch, ms *consortium.Membership, from uint64) ([suite.HashSize]byte, error) {
	pol, err := ms.Policy(a.cfg.Origin)
	if err != nil {
		return [suite.HashSize]byte{}, fmt.Errorf("membership makes no valid policy: %w", err)
	}
	rec, err := json.Marshal(ms)
	if err != nil {
		return [suite.HashSize]byte{}, err
	}
	b.PutMembership(rec)
	b.PutPolicy(from, pol.Format())
	return a.cfg.Suite.Hash(rec), nil
}

// CheckTx admits a transaction to the mempool: deposits when they parse
// and every signature verifies (deposits that came through this node's API
// were verified on arrival and hit the cache), other transactions when
// they are of a kind clients may send.
//
// Identity operations, membership changes and evidence are valid or not
// depending on the committed state, which a peer may not have reached when
// the transaction arrives by gossip: an approval can reach a validator
// still finishing the block that registered the account. A validator that
// refused it then would never be sent it again, and since blocks are made
// only when some validator has work, the network could wait for ever on the
// one node holding it. So the node a client submits to judges them against
// its state first (Precheck), and FinalizeBlock judges them in order.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if len(req.Tx) > 0 && req.Tx[0] != txDeposits {
		switch req.Tx[0] {
		case txMembership, txEvidence, txIdentity, txOutsideLog:
			return &abci.ResponseCheckTx{Code: CodeOK}, nil
		case txAnchor:
			if _, err := parseAnchorTx(a.cfg.Suite, req.Tx); err != nil {
				return &abci.ResponseCheckTx{Code: CodeMalformedTx, Log: err.Error()}, nil
			}
			return &abci.ResponseCheckTx{Code: CodeOK}, nil
		}
		return &abci.ResponseCheckTx{Code: CodeRefused, Log: fmt.Sprintf("transaction type %d is not accepted from clients", req.Tx[0])}, nil
	}
	deps, err := parseDepositTx(a.cfg.Suite, req.Tx)
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

// Precheck judges a transaction a client submits to this node against the
// committed state, before it goes to the mempool: a membership change that
// a quorum signed, evidence that proves something, an identity operation
// that its signers may make. Deposits need nothing beyond CheckTx.
func (a *App) Precheck(tx []byte) *abci.ResponseCheckTx {
	if len(tx) == 0 || tx[0] == txDeposits {
		return &abci.ResponseCheckTx{Code: CodeOK}
	}
	var err error
	switch tx[0] {
	case txMembership:
		_, _, err = a.applyMembership(a.Membership(), tx[1:])
	case txEvidence:
		_, err = a.checkEvidence(tx[1:], a.committed.Load().TreeSize, 0)
	case txIdentity:
		_, _, err = a.applyIdentity(a.accounts, tx[1:], a.committed.Load().Height+1)
	case txOutsideLog:
		_, _, err = a.applyLogChange(a.registry.Load(), a.Membership(), tx[1:], a.committed.Load().Height+1)
	case txAnchor:
		err = a.precheckAnchor(tx)
	default:
		err = fmt.Errorf("transaction type %d is not accepted from clients", tx[0])
	}
	if err != nil {
		return &abci.ResponseCheckTx{Code: CodeRefused, Log: err.Error()}
	}
	return &abci.ResponseCheckTx{Code: CodeOK}
}

// ProcessProposal rejects a proposal carrying a transaction that does not
// parse, or cosignatures that do not make a quorum over this replica's
// checkpoint; bad deposit signatures, membership changes and evidence are
// judged transaction by transaction in FinalizeBlock.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	reject := &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
	for i, tx := range req.Txs {
		var err error
		switch {
		case len(tx) == 0:
			err = errors.New("empty transaction")
		case tx[0] == txDeposits:
			_, err = parseDepositTx(a.cfg.Suite, tx)
		case tx[0] == txCosignatures && i == 0:
			_, err = a.finalCheckpoint(tx, req.ProposedLastCommit.Votes)
		case tx[0] == txMembership || tx[0] == txEvidence || tx[0] == txIdentity || tx[0] == txOutsideLog || tx[0] == txAnchor:
		default:
			err = fmt.Errorf("transaction type %d at position %d", tx[0], i)
		}
		if err != nil {
			a.cfg.Logger.Warn("proposal rejected", "height", req.Height, "tx", i, "err", err)
			return reject, nil
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
			b.batch.PutDeposit(idKey[:], d.ContentDigest(cs), d.Depositor, size)
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
		if len(tx) > 0 && tx[0] == txAnchor {
			// Its deposit is ordered with the block's deposits, after
			// those before it.
			if results[i], err = a.executeAnchorTx(b, tx, i, height, size+uint64(b.pending.count()), inLog); err != nil {
				return nil, err
			}
			continue
		}
		if len(tx) > 0 && tx[0] != txDeposits {
			results[i] = a.executeOtherTx(b, tx, i, height, size, req.DecidedLastCommit.Votes)
			continue
		}
		// The ordered deposits outlive this call (they wait for the next
		// block), so they get their own copy of the transaction's bytes.
		tx = bytes.Clone(tx)
		deps, err := parseDepositTx(cs, tx)
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
			if why := a.depositRefusal(b.accountsView(a), d.Depositor, height); why != "" {
				b.rejected[id] = Rejection{why, sha256.Sum256(d.raw)}
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

	b.state = store.State{Height: height, Size: size, Range: rng.Hashes(), Pending: b.pending.encode(), FinalSize: a.state.FinalSize}
	if b.root, err = rng.GetRootHash(nil); err != nil {
		return nil, fmt.Errorf("computing tree root: %w", err)
	}
	if b.root == nil {
		b.root = hasher.EmptyRoot()
	}
	b.finalDigest, b.membershipDigest = a.finalDigest, a.membershipDigest
	if b.final != nil {
		b.state.FinalSize = b.final.size
		b.batch.PutFinal(b.final.size, b.final.note)
		b.finalDigest = cs.Hash(b.final.note)
	}
	if b.membership != nil {
		if b.membershipDigest, err = a.stageMembership(b.batch, b.membership, height+2); err != nil {
			return nil, err
		}
	}
	for i, e := range b.evidence {
		rec, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		b.batch.PutEvidence(a.evidenceSeq+uint64(i), rec)
	}
	if err := b.stageAccounts(); err != nil {
		return nil, err
	}
	b.identityDigest = a.identityDigest
	if b.accounts != nil {
		b.identityDigest = b.accounts.digest
	}
	if err := b.stageAnchors(); err != nil {
		return nil, err
	}
	anchorsDigest := a.registry.Load().digest()
	if b.anchors != nil {
		anchorsDigest = b.anchors.reg.digest()
	}
	b.state.AppHash = a.appHash(b.state, b.root, b.finalDigest, b.membershipDigest, b.identityDigest, anchorsDigest)
	a.stageBlockRecord(req, b)
	b.batch.PutState(b.state)
	a.staged = b
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: b.state.AppHash, ValidatorUpdates: b.updates}, nil
}

// executeOtherTx executes a cosignatures, membership, evidence or identity
// transaction. None of them can fail the block: a transaction that does
// not hold is recorded as refused, the same way on every node.
func (a *App) executeOtherTx(b *stagedBlock, tx []byte, i int, height, treeSize uint64, votes []abci.VoteInfo) *abci.ExecTxResult {
	refused := func(err error) *abci.ExecTxResult {
		a.cfg.Logger.Warn("transaction refused", "height", height, "tx", i, "err", err)
		return &abci.ExecTxResult{Code: CodeRefused, Log: err.Error()}
	}
	switch tx[0] {
	case txCosignatures:
		if i != 0 {
			return refused(errors.New("cosignatures must open the block"))
		}
		c, err := a.finalCheckpoint(tx, votes)
		if err != nil {
			return refused(err)
		}
		if !a.committed.Load().finalizes(c.size) {
			return refused(fmt.Errorf("tree size %d is already final", c.size))
		}
		b.final = c
	case txMembership:
		cur := b.membership
		if cur == nil {
			cur = a.Membership()
		}
		next, c, err := a.applyMembership(cur, tx[1:])
		if err != nil {
			return refused(err)
		}
		b.membership = next
		b.updates = append(b.updates, validatorUpdate(next, c))
		a.cfg.Logger.Info("membership changed", "height", height, "change", c.Kind, "institution", c.Institution, "power", c.Power, "version", next.Version)
	case txIdentity:
		if err := a.executeIdentity(b, tx[1:], height); err != nil {
			return refused(err)
		}
	case txOutsideLog:
		ms := b.membership
		if ms == nil {
			ms = a.Membership()
		}
		ba := b.anchorsView(a)
		next, c, err := a.applyLogChange(ba.reg, ms, tx[1:], height)
		if err != nil {
			return refused(err)
		}
		ba.reg = next
		a.cfg.Logger.Info("outside log changed", "height", height, "change", c.Kind, "log", c.Log, "version", next.Version)
	case txEvidence:
		recs, err := a.checkEvidence(tx[1:], treeSize, height)
		if err != nil {
			return refused(err)
		}
		for _, e := range recs {
			if a.evidence[evidenceKey(e)] || slices.ContainsFunc(b.evidence, func(o Evidence) bool { return evidenceKey(o) == evidenceKey(e) }) {
				continue
			}
			b.evidence = append(b.evidence, e)
			a.cfg.Logger.Error("misbehaviour recorded: a member signed a checkpoint inconsistent with the ledger", "institution", e.Institution, "size", e.Size, "height", height)
		}
	default:
		return refused(fmt.Errorf("unknown transaction type %d", tx[0]))
	}
	return &abci.ExecTxResult{Code: CodeOK}
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
	own := prev.Own
	if b.state.Size != a.state.Size || own == nil {
		var err error
		if own, err = a.signCheckpoint(b.state.Size, b.root); err != nil {
			b.batch.Discard()
			return nil, err
		}
		b.batch.PutCheckpoint(b.state.Size, own)
	}
	if err := b.batch.Commit(); err != nil {
		return nil, err
	}
	if b.membership != nil {
		if err := a.setMembership(b.membership); err != nil {
			return nil, err
		}
	}
	a.finalDigest, a.identityDigest = b.finalDigest, b.identityDigest
	a.commitAccounts(b)
	if b.anchors != nil {
		a.registry.Store(b.anchors.reg)
	}
	for _, e := range b.evidence {
		a.evidence[evidenceKey(e)] = true
		a.evidenceSeq++
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
	snap := &Snapshot{Height: b.state.Height, Size: prev.Size, Root: prev.Root, Checkpoint: prev.Checkpoint,
		TreeSize: b.state.Size, TreeRoot: b.root, Own: own, Done: make(chan struct{})}
	if b.final != nil {
		if err := snap.setFinal(b.final.note); err != nil {
			return nil, err
		}
		a.recordCosigners(b.final.size, b.final.note)
	}
	a.committed.Store(snap)
	close(prev.Done)
	a.cfg.Logger.Debug("block committed", "height", b.state.Height, "tree_size", b.state.Size,
		"final_size", b.state.FinalSize, "appended", len(b.appended), "ordered", b.pending.count(), "rejected", len(b.rejected))
	for id, r := range b.rejected {
		a.cfg.Logger.Info("deposit rejected by consensus", "id", id, "height", b.state.Height, "reason", r.Reason)
	}
	resp := &abci.ResponseCommit{}
	if r := a.cfg.RetainBlocks; r > 0 && b.state.Height > r {
		resp.RetainHeight = int64(b.state.Height - r)
	}
	return resp, nil
}

// RefusedError is a transaction the ledger would not admit.
type RefusedError struct {
	Code   uint32
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("transaction refused (code %d): %s", e.Code, e.Reason)
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

// LatestCheckpoint returns the checkpoint a tlog-tiles client is served:
// the latest final checkpoint, which carries the log signature and the
// cosignature of every member that signed it. Before the network has made
// any checkpoint final (its first few blocks make the empty tree's final,
// deposits or not), it is this node's own checkpoint of the empty tree,
// signed with its log key and cosigned by it alone: a client that trusts
// this member verifies it, one that needs another member's signature or a
// quorum of cosignatures waits for the final one.
//
// A final checkpoint carries, after the members' signatures, the outside
// witnesses' cosignatures this node holds on it (package witness).
func (a *App) LatestCheckpoint() []byte {
	snap := a.Committed()
	if snap.Checkpoint == nil {
		return a.empty
	}
	cp, err := a.withWitnesses(snap.Size, snap.Checkpoint)
	if err != nil {
		// The checkpoint is valid without them; a reader that needs a
		// witness asks again.
		a.cfg.Logger.Error("reading witness cosignatures", "size", snap.Size, "err", err)
		return snap.Checkpoint
	}
	return cp
}

// Committed returns the latest committed state.
func (a *App) Committed() *Snapshot { return a.committed.Load() }

// Rejection records a deposit consensus refused.
type Rejection struct {
	Reason string
	// Signed is the SHA-256 of the refused signed deposit: anyone can send
	// a bad deposit under someone else's id, so the node's pipeline checks
	// that the rejection concerns the deposit it carries. It is a local
	// match key, the same in every suite.
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
