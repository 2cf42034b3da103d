package ledger

// Anchoring in: a court network accepts the checkpoints of outside logs
// (usually other Jurichain networks) that its members registered by a
// governance note, checks each against the log's registered policy and,
// by a consistency proof, against the log's previous anchor, and records
// it as a deposit of one of its member nodes: the anchor entry, whose
// ledger index is the anchoring number.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
	"github.com/jurichain/jurichain/witness"
)

// Transaction type bytes of anchoring.
const (
	// txAnchor carries an outside log's checkpoint to anchor: the C2SP
	// tlog-witness add-checkpoint body (old size, consistency proof,
	// signed checkpoint) and a member node's signed deposit of the
	// checkpoint.
	txAnchor byte = 6
	// txOutsideLog carries an outside-log change: a signed note of an
	// anchor.LogChange, signed by members' governance keys.
	txOutsideLog byte = 7
)

// EncodeOutsideLogTx wraps a signed outside-log change.
func EncodeOutsideLogTx(signed []byte) []byte { return append([]byte{txOutsideLog}, signed...) }

// EncodeAnchorTx builds an anchor transaction from an add-checkpoint body
// (witness.Request) and the canonical encoding of the node's
// signed deposit of the checkpoint (deposit.Signed.AppendBinary).
func EncodeAnchorTx(body, signedDeposit []byte) []byte {
	tx := make([]byte, 0, 5+len(body)+len(signedDeposit))
	tx = append(tx, txAnchor)
	tx = binary.BigEndian.AppendUint32(tx, uint32(len(body)))
	tx = append(tx, body...)
	return append(tx, signedDeposit...)
}

// anchorTx is a parsed anchor transaction.
type anchorTx struct {
	body []byte
	dep  parsedDeposit
}

func parseAnchorTx(cs *suite.Suite, tx []byte) (*anchorTx, error) {
	if len(tx) < 5 || tx[0] != txAnchor {
		return nil, errors.New("not an anchor transaction")
	}
	n := binary.BigEndian.Uint32(tx[1:])
	if n > witness.MaxBody || uint64(n) > uint64(len(tx)-5) {
		return nil, errors.New("anchor transaction: bad add-checkpoint length")
	}
	body, rest := tx[5:5+n], tx[5+n:]
	s, next, err := deposit.ParseSigned(rest)
	if err != nil {
		return nil, fmt.Errorf("anchor transaction: the deposit: %w", err)
	}
	if len(next) != 0 {
		return nil, fmt.Errorf("anchor transaction: %d trailing bytes", len(next))
	}
	if err := s.CheckSuite(cs); err != nil {
		return nil, fmt.Errorf("anchor transaction: the deposit: %w", err)
	}
	return &anchorTx{body: body, dep: parsedDeposit{Signed: s, raw: rest}}, nil
}

// AnchorIdempotencyKey is the idempotency key of the anchor entry of a
// checkpoint: the same checkpoint bytes make the same deposit id.
func AnchorIdempotencyKey(cs *suite.Suite, checkpoint []byte) string {
	sum := cs.Hash(checkpoint)
	return "anchor-" + hex.EncodeToString(sum[:16])
}

// AnchorTitle is the metadata title of the anchor entry.
func AnchorTitle(origin string, size uint64) string {
	return fmt.Sprintf("anchor: %s size %d", origin, size)
}

// OutsideLog is an outside log registered at this network.
type OutsideLog struct {
	Origin string `json:"origin"`
	// Policy is the log's tlog-policy, as registered.
	Policy           []byte `json:"policy"`
	RegisteredHeight uint64 `json:"registered_height"`
	// Retired logs keep their anchors but take no more.
	Retired bool `json:"retired,omitempty"`
	// Latest is the latest anchored checkpoint, nil before the first.
	Latest  *AnchorRecord `json:"latest,omitempty"`
	Anchors uint64        `json:"anchors"`
}

// AnchorRecord is one anchored checkpoint of an outside log.
type AnchorRecord struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   []byte `json:"root"`
	// Checkpoint is the signed checkpoint exactly as received: the
	// content of the anchor entry.
	Checkpoint []byte `json:"checkpoint"`
	// Number is the ledger index of the anchor entry; Height the block
	// that ordered it (the entry enters the log in the next).
	Number uint64 `json:"number"`
	Height uint64 `json:"height"`
	// Deposit is the anchor entry's deposit id.
	Deposit string `json:"deposit"`
}

// registry is the outside logs, sorted by origin. It is replaced, never
// modified, once committed: readers hold it without locks.
type registry struct {
	// Version counts the outside-log changes applied.
	Version uint64 `json:"version"`
	// Digest is the running digest of every outside-log change, anchor
	// and fork recorded; zero (and left out of the app hash) before the
	// first.
	Digest []byte       `json:"digest"`
	Logs   []OutsideLog `json:"logs"`
}

func (r *registry) digest() [suite.HashSize]byte {
	var d [suite.HashSize]byte
	copy(d[:], r.Digest)
	return d
}

// find returns the index of the log with this origin, or -1.
func (r *registry) find(origin string) int {
	i, ok := slices.BinarySearchFunc(r.Logs, origin, func(l OutsideLog, o string) int { return strings.Compare(l.Origin, o) })
	if !ok {
		return -1
	}
	return i
}

// clone copies the registry for a block to change.
func (r *registry) clone() *registry {
	c := &registry{Version: r.Version, Digest: bytes.Clone(r.Digest), Logs: slices.Clone(r.Logs)}
	return c
}

// record folds an event into the running digest.
func (r *registry) record(cs *suite.Suite, kind string, event []byte) {
	prev := r.digest()
	ev := cs.Hash(event)
	d := cs.Hash([]byte("jurichain/anchors/v1\n"), prev[:], []byte(kind+"\n"), ev[:])
	r.Digest = d[:]
}

// loadRegistry reads the committed registry.
func (a *App) loadRegistry() error {
	reg := &registry{}
	rec, err := a.cfg.Store.OutsideLogs()
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(rec, reg); err != nil {
			return fmt.Errorf("stored registry of outside logs is corrupt: %w", err)
		}
	}
	a.registry.Store(reg)
	return nil
}

// blockAnchors is the registry as a block being executed changes it.
type blockAnchors struct {
	reg *registry
	// added are the anchors the block recorded, in order.
	added []AnchorRecord
}

// anchorsView returns the block's registry, starting from the committed
// one.
func (b *stagedBlock) anchorsView(a *App) *blockAnchors {
	if b.anchors == nil {
		b.anchors = &blockAnchors{reg: a.registry.Load().clone()}
	}
	return b.anchors
}

// anchorLookup finds the anchored checkpoint of an origin and size.
type anchorLookup func(origin string, size uint64) (*AnchorRecord, error)

// storedAnchor reads a committed anchor, nil when there is none.
func (a *App) storedAnchor(origin string, size uint64) (*AnchorRecord, error) {
	rec, err := a.cfg.Store.Anchor(origin, size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := &AnchorRecord{}
	if err := json.Unmarshal(rec, r); err != nil {
		return nil, fmt.Errorf("stored anchor of %s size %d is corrupt: %w", origin, size, err)
	}
	return r, nil
}

// lookup sees the block's anchors, then the committed ones.
func (ba *blockAnchors) lookup(a *App) anchorLookup {
	return func(origin string, size uint64) (*AnchorRecord, error) {
		for i := range ba.added {
			if r := &ba.added[i]; r.Origin == origin && r.Size == size {
				return r, nil
			}
		}
		return a.storedAnchor(origin, size)
	}
}

// Kinds of AnchorError.
const (
	AnchorNotFound  = "not_found"   // the origin is not registered (or retired)
	AnchorForbidden = "forbidden"   // the checkpoint does not satisfy the policy
	AnchorConflict  = "conflict"    // the old size is not the latest anchored size
	AnchorMalformed = "malformed"   // the body is not an add-checkpoint request
	AnchorInvalid   = "invalid"     // a consistency proof that does not hold
	AnchorDuplicate = "duplicate"   // this checkpoint is anchored already
	AnchorFork      = "fork"        // a checkpoint of an anchored size with another root
	AnchorDeposit   = "bad_deposit" // the node's deposit of it does not hold
)

// AnchorError says why an anchor is not taken. The same checks run when
// a node's API receives a checkpoint and in consensus.
type AnchorError struct {
	Kind   string
	Reason string
	// Size is the latest anchored size (AnchorConflict).
	Size uint64
	// Existing is the anchor already recorded (AnchorDuplicate) or the
	// one the checkpoint contradicts (AnchorFork).
	Existing *AnchorRecord
	// Evidence is the fork (AnchorFork).
	Evidence *Evidence
}

func (e *AnchorError) Error() string { return e.Reason }

func anchorErr(kind, format string, args ...any) *AnchorError {
	return &AnchorError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// anchorClaim is an add-checkpoint body that passed every check.
type anchorClaim struct {
	log  *OutsideLog
	size uint64
	root []byte
	cp   []byte
}

// judgeAnchor checks an add-checkpoint body against a registry, in the
// order the API answers: registered, policy, anchored already (duplicate
// or fork), old size, consistency proof. The result depends only on its
// arguments and the committed state: consensus runs it in every replica.
func judgeAnchor(reg *registry, lookup anchorLookup, body []byte, height uint64) (*anchorClaim, error) {
	req, err := witness.ParseRequest(body)
	if err != nil {
		return nil, anchorErr(AnchorMalformed, "%v", err)
	}
	old, prf, cpBytes := req.Old, req.Proof, req.Checkpoint
	origin, _, _ := strings.Cut(string(cpBytes), "\n")
	i := reg.find(origin)
	if i < 0 || reg.Logs[i].Retired {
		return nil, anchorErr(AnchorNotFound, "no outside log %q is registered at this network", origin)
	}
	ol := &reg.Logs[i]
	pol, err := policy.Parse(ol.Policy)
	if err != nil {
		return nil, fmt.Errorf("registered policy of %s is corrupt: %w", origin, err)
	}
	res, err := pol.Verify(cpBytes)
	if err != nil {
		return nil, anchorErr(AnchorForbidden, "the checkpoint does not satisfy the registered policy of %s: %v", origin, err)
	}
	cp := res.Checkpoint
	if cp.Origin != ol.Origin {
		return nil, anchorErr(AnchorForbidden, "the checkpoint is for %q, not %q", cp.Origin, ol.Origin)
	}
	prev, err := lookup(ol.Origin, cp.Size)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if bytes.Equal(prev.Root, cp.Hash) {
			return nil, &AnchorError{Kind: AnchorDuplicate, Reason: fmt.Sprintf("the checkpoint of %s size %d is anchored already (anchor #%d)", origin, cp.Size, prev.Number), Existing: prev}
		}
		ev := &Evidence{Kind: EvidenceFork, Origin: ol.Origin, Size: cp.Size, Height: height, Theirs: string(cpBytes), Ours: string(prev.Checkpoint)}
		return nil, &AnchorError{Kind: AnchorFork, Reason: fmt.Sprintf("fork: %s signed two trees of size %d; the anchored one (anchor #%d) has another root", origin, cp.Size, prev.Number), Existing: prev, Evidence: ev}
	}
	var latestSize uint64
	var latestRoot []byte
	if ol.Latest != nil {
		latestSize, latestRoot = ol.Latest.Size, ol.Latest.Root
	}
	if old != latestSize {
		return nil, &AnchorError{Kind: AnchorConflict, Reason: fmt.Sprintf("old size %d is not the latest anchored size of %s, %d", old, origin, latestSize), Size: latestSize}
	}
	if cp.Size < latestSize {
		return nil, &AnchorError{Kind: AnchorConflict, Reason: fmt.Sprintf("the checkpoint's size %d is below the latest anchored size of %s, %d", cp.Size, origin, latestSize), Size: latestSize}
	}
	if cp.Size == 0 {
		return nil, anchorErr(AnchorInvalid, "the checkpoint is of the empty tree: nothing to anchor")
	}
	if ol.Latest == nil {
		if len(prf) != 0 {
			return nil, anchorErr(AnchorInvalid, "the first anchor of %s takes no consistency proof (old 0)", origin)
		}
	} else if err := tlog.VerifyConsistency(pol.Suite().LogHasher(), latestSize, cp.Size, prf, latestRoot, cp.Hash); err != nil {
		return nil, anchorErr(AnchorInvalid, "the consistency proof from the anchored size %d to %d does not verify: %v", latestSize, cp.Size, err)
	}
	return &anchorClaim{log: ol, size: cp.Size, root: cp.Hash, cp: cpBytes}, nil
}

// checkAnchorDeposit checks the node's deposit that carries a claim: its
// content is the checkpoint bytes, it is signed by an active member's log
// key, under the anchor's idempotency key.
func (a *App) checkAnchorDeposit(c *anchorClaim, d parsedDeposit) error {
	cs := a.cfg.Suite
	if _, member := a.members.Load().byLogKey[string(d.Depositor)]; !member {
		return anchorErr(AnchorDeposit, "the anchor's deposit is not by a member node's log key")
	}
	want := cs.Hash(c.cp)
	if !bytes.Equal(d.ContentDigest(cs), want[:]) || d.Size != uint64(len(c.cp)) {
		return anchorErr(AnchorDeposit, "the anchor's deposit is not of the checkpoint's bytes")
	}
	if d.IdempotencyKey != AnchorIdempotencyKey(cs, c.cp) {
		return anchorErr(AnchorDeposit, "the anchor's deposit has idempotency key %q, want %q", d.IdempotencyKey, AnchorIdempotencyKey(cs, c.cp))
	}
	if !d.Verify(cs, a.cfg.Origin) {
		return anchorErr(AnchorDeposit, "the anchor's deposit signature does not verify")
	}
	return nil
}

// CheckAnchor judges an add-checkpoint body against the committed state,
// as consensus will. It returns the anchor it would make (without its
// number, height and deposit) or an *AnchorError (or an internal error).
func (a *App) CheckAnchor(body []byte) (*AnchorRecord, error) {
	c, err := judgeAnchor(a.registry.Load(), a.storedAnchor, body, a.Committed().Height+1)
	if err != nil {
		return nil, err
	}
	return &AnchorRecord{Origin: c.log.Origin, Size: c.size, Root: c.root, Checkpoint: c.cp}, nil
}

// MaxForksPerLog is how many forks of one outside log consensus records
// as misbehaviour. With at most one a size, it bounds what a log whose
// keys sign many histories makes every replica store; one fork already
// proves the log untrustworthy.
const MaxForksPerLog = 16

// recordedForks returns the committed fork records of an outside log,
// read from the store.
func (a *App) recordedForks(origin string) ([]Evidence, error) {
	var out []Evidence
	err := a.cfg.Store.Evidence(func(_ uint64, rec []byte) error {
		var e Evidence
		if err := json.Unmarshal(rec, &e); err != nil {
			return fmt.Errorf("stored evidence is corrupt: %w", err)
		}
		if e.Kind == EvidenceFork && e.Origin == origin {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// forkRefusal judges the fork of ae against the forks of its log already
// recorded: nil when consensus records it, else the refusal, which
// records nothing. It depends only on its arguments.
func forkRefusal(ae *AnchorError, recorded []Evidence) *AnchorError {
	e := ae.Evidence
	refuse := func(format string, args ...any) *AnchorError {
		r := *ae
		r.Reason = ae.Reason + "; " + fmt.Sprintf(format, args...)
		return &r
	}
	if slices.ContainsFunc(recorded, func(o Evidence) bool { return evidenceKey(o) == evidenceKey(*e) }) {
		return refuse("this fork is recorded as misbehaviour already")
	}
	if slices.ContainsFunc(recorded, func(o Evidence) bool { return o.Size == e.Size }) {
		return refuse("another fork of size %d is recorded as misbehaviour already, and at most one a size is recorded: this one is not", e.Size)
	}
	if len(recorded) >= MaxForksPerLog {
		return refuse("%d forks of %s are recorded as misbehaviour already, and at most %d of one outside log are recorded: this one is not", len(recorded), e.Origin, MaxForksPerLog)
	}
	return nil
}

// CheckFork judges the fork of an AnchorFork refusal from CheckAnchor
// against the committed fork records: nil when consensus would record it,
// else an *AnchorError (of kind AnchorFork) saying why it records
// nothing, because this fork or another of its size is recorded already,
// or MaxForksPerLog of its log are.
func (a *App) CheckFork(ae *AnchorError) error {
	if ae == nil || ae.Kind != AnchorFork || ae.Evidence == nil {
		return errors.New("not a fork")
	}
	recorded, err := a.recordedForks(ae.Evidence.Origin)
	if err != nil {
		return err
	}
	if r := forkRefusal(ae, recorded); r != nil {
		return r
	}
	return nil
}

// ForkRecorded reports whether a fork is recorded as misbehaviour.
func (a *App) ForkRecorded(e *Evidence) (bool, error) {
	recorded, err := a.recordedForks(e.Origin)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(recorded, func(o Evidence) bool { return evidenceKey(o) == evidenceKey(*e) }), nil
}

// precheckAnchor judges an anchor transaction against the committed
// state. A fork passes only when consensus would record it: replaying a
// recorded one would make every validator judge it for nothing.
func (a *App) precheckAnchor(tx []byte) error {
	at, err := parseAnchorTx(a.cfg.Suite, tx)
	if err != nil {
		return err
	}
	c, err := judgeAnchor(a.registry.Load(), a.storedAnchor, at.body, a.Committed().Height+1)
	var ae *AnchorError
	if errors.As(err, &ae) && ae.Kind == AnchorFork {
		return a.CheckFork(ae)
	}
	if err != nil {
		return err
	}
	return a.checkAnchorDeposit(c, at.dep)
}

// executeAnchor executes an anchor transaction in a block: on success its
// deposit is ordered like the block's deposits, at index, and the
// registry records the anchor. A proven fork is recorded as misbehaviour
// and the transaction refused.
func (a *App) executeAnchorTx(b *stagedBlock, tx []byte, i int, height, index uint64, inLog map[string][]byte) (*abci.ExecTxResult, error) {
	err := a.executeAnchor(b, tx, height, index, inLog)
	var ae *AnchorError
	if errors.As(err, &ae) {
		a.cfg.Logger.Warn("anchor refused", "height", height, "tx", i, "kind", ae.Kind, "err", ae.Reason)
		return &abci.ExecTxResult{Code: CodeRefused, Log: ae.Reason, Info: ae.Kind}, nil
	}
	if err != nil {
		return nil, err
	}
	return &abci.ExecTxResult{Code: CodeOK}, nil
}

// executeAnchor returns an *AnchorError when the transaction is refused,
// another error when the node cannot go on.
func (a *App) executeAnchor(b *stagedBlock, tx []byte, height, index uint64, inLog map[string][]byte) error {
	cs := a.cfg.Suite
	at, err := parseAnchorTx(cs, tx)
	if err != nil {
		return anchorErr(AnchorMalformed, "%v", err)
	}
	ba := b.anchorsView(a)
	c, err := judgeAnchor(ba.reg, ba.lookup(a), at.body, height)
	var ae *AnchorError
	if errors.As(err, &ae) && ae.Kind == AnchorFork {
		e := *ae.Evidence
		recorded, err := a.recordedForks(e.Origin)
		if err != nil {
			return err
		}
		for _, o := range b.evidence {
			if o.Kind == EvidenceFork && o.Origin == e.Origin {
				recorded = append(recorded, o)
			}
		}
		if r := forkRefusal(ae, recorded); r != nil {
			return r
		}
		b.evidence = append(b.evidence, e)
		rec, err := json.Marshal(e)
		if err != nil {
			return err
		}
		ba.reg.record(cs, "fork", rec)
		a.cfg.Logger.Error("misbehaviour recorded: an outside log signed a checkpoint contradicting its anchor", "origin", e.Origin, "size", e.Size, "height", height)
		refused := *ae
		refused.Reason += "; recorded as misbehaviour"
		return &refused
	}
	if err != nil {
		return err
	}
	if err := a.checkAnchorDeposit(c, at.dep); err != nil {
		return err
	}
	d := at.dep
	d.raw = bytes.Clone(d.raw)
	id := d.ID(cs)
	stmt := d.StatementOf(d.raw)
	prev, err := a.existingStatement(id, inLog)
	if err != nil {
		return err
	}
	if prev != nil {
		return anchorErr(AnchorDeposit, "the anchor's deposit %s is in the log already", id)
	}
	inLog[id] = stmt
	d.id = id
	b.pending.groups = append(b.pending.groups, pendingGroup{txHash: sha256.Sum256(tx), deposits: []parsedDeposit{d}})
	rec := AnchorRecord{Origin: c.log.Origin, Size: c.size, Root: bytes.Clone(c.root), Checkpoint: bytes.Clone(c.cp), Number: index, Height: height, Deposit: id}
	ba.added = append(ba.added, rec)
	i := ba.reg.find(c.log.Origin)
	ol := ba.reg.Logs[i]
	ol.Latest, ol.Anchors = &rec, ol.Anchors+1
	ba.reg.Logs[i] = ol
	j, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	ba.reg.record(cs, "anchor", j)
	a.cfg.Logger.Info("checkpoint anchored", "origin", rec.Origin, "size", rec.Size, "number", rec.Number, "height", height)
	return nil
}

// applyLogChange checks an outside-log change against the registry and
// the membership in force, and returns the registry after it.
func (a *App) applyLogChange(reg *registry, ms *consortium.Membership, signed []byte, height uint64) (*registry, *anchor.LogChange, error) {
	n, power, err := ms.GovernancePower(signed)
	if err != nil {
		return nil, nil, fmt.Errorf("outside-log change: %w", err)
	}
	c, err := anchor.ParseLogChange(n.Text)
	if err != nil {
		return nil, nil, err
	}
	if c.Origin != a.cfg.Origin {
		return nil, nil, fmt.Errorf("the change is for network %q, this is %q", c.Origin, a.cfg.Origin)
	}
	if c.Version != reg.Version {
		return nil, nil, fmt.Errorf("the change is for registry version %d, the registry is at version %d; propose it again", c.Version, reg.Version)
	}
	if c.Log == a.cfg.Origin {
		return nil, nil, errors.New("a network cannot anchor into itself")
	}
	if q := consortium.Quorum(ms.TotalPower()); power < q {
		return nil, nil, fmt.Errorf("the change is signed by members holding %d of %d voting power; it needs %d", power, ms.TotalPower(), q)
	}
	next := reg.clone()
	i := next.find(c.Log)
	switch c.Kind {
	case anchor.ChangeRegister:
		pol, err := policy.Parse(c.Policy)
		if err != nil {
			return nil, nil, fmt.Errorf("the registered policy: %w", err)
		}
		if pol.Suite() == nil {
			return nil, nil, errors.New("the registered policy's keys are of no known crypto suite")
		}
		if i >= 0 && !next.Logs[i].Retired {
			return nil, nil, fmt.Errorf("outside log %q is registered already; retire it first to change its policy", c.Log)
		}
		if i >= 0 {
			// Registered again: its anchors stay, and the next one
			// continues from the latest.
			ol := next.Logs[i]
			ol.Policy, ol.RegisteredHeight, ol.Retired = c.Policy, height, false
			next.Logs[i] = ol
		} else {
			next.Logs = append(next.Logs, OutsideLog{Origin: c.Log, Policy: c.Policy, RegisteredHeight: height})
			slices.SortFunc(next.Logs, func(x, y OutsideLog) int { return strings.Compare(x.Origin, y.Origin) })
		}
	case anchor.ChangeRetire:
		if i < 0 || next.Logs[i].Retired {
			return nil, nil, fmt.Errorf("no outside log %q is registered", c.Log)
		}
		next.Logs[i].Retired = true
	}
	next.Version++
	next.record(a.cfg.Suite, "change", signed)
	return next, c, nil
}

// stageAnchors writes the block's registry and anchors.
func (b *stagedBlock) stageAnchors() error {
	if b.anchors == nil {
		return nil
	}
	rec, err := json.Marshal(b.anchors.reg)
	if err != nil {
		return err
	}
	b.batch.PutOutsideLogs(rec)
	for _, r := range b.anchors.added {
		j, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b.batch.PutAnchor(r.Origin, r.Size, j)
	}
	return nil
}

// OutsideLogs returns the registry of outside logs after the last
// committed block: its version and the logs, sorted by origin. The
// records must not be modified.
func (a *App) OutsideLogs() (uint64, []OutsideLog) {
	reg := a.registry.Load()
	return reg.Version, reg.Logs
}

// AnchorAtLeast returns the anchor of an outside log with the smallest
// anchored size not below size, or ErrNotFound.
func (a *App) AnchorAtLeast(origin string, size uint64) (*AnchorRecord, error) {
	rec, err := a.cfg.Store.AnchorAtLeast(origin, size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r := &AnchorRecord{}
	if err := json.Unmarshal(rec, r); err != nil {
		return nil, fmt.Errorf("stored anchor of %s is corrupt: %w", origin, err)
	}
	// Written by a block that is committing right now: not yet
	// committed for readers.
	if r.Height > a.Committed().Height {
		return nil, ErrNotFound
	}
	return r, nil
}

// AnchorEntry returns the committed ledger entry of an anchor, or
// ErrNotFound while it is not yet covered by the final checkpoint.
func (a *App) AnchorEntry(r *AnchorRecord) (*Record, error) {
	return a.DepositByIndex(r.Number)
}
