// Package ingest is the node's group commit: deposits accepted by the API
// are queued here and packed many to a transaction before they enter the
// mempool, so throughput does not hinge on one transaction per deposit.
// It also remembers which deposits are on their way (pending) until the
// ledger commits them.
package ingest

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jurichain/jurichain/ledger"
)

// Submitter hands a transaction to consensus.
type Submitter interface {
	Submit(ctx context.Context, tx []byte) error
}

// Committed reports whether a deposit id is in the log.
type Committed interface {
	HasDeposit(id string) bool
}

// Item is one verified deposit to order.
type Item struct {
	ID string
	// Statement is the canonical statement encoding, which decides whether a
	// resubmission is the same deposit.
	Statement []byte
	// Signed is the canonical signed-deposit encoding the transaction carries.
	Signed []byte
}

// ConflictError is returned for a deposit whose id is pending with a
// different statement: the depositor reused an idempotency key.
type ConflictError struct {
	ID string
}

func (e *ConflictError) Error() string {
	return "the idempotency key is already in use by this depositor for a different deposit (" + e.ID + ")"
}

// Config tunes the pipeline.
type Config struct {
	// Linger is how long the first queued deposit waits for others to share
	// its transaction.
	Linger time.Duration
	// Resubmit is how long a pending deposit may stay uncommitted before a
	// resubmission of it is queued again (its transaction may have been
	// dropped, for example by a restart).
	Resubmit time.Duration
}

// DefaultConfig is what a node uses.
func DefaultConfig() Config {
	return Config{Linger: 5 * time.Millisecond, Resubmit: 30 * time.Second}
}

// Pipeline batches deposits into transactions.
type Pipeline struct {
	cfg       Config
	submit    Submitter
	committed Committed
	logger    *slog.Logger

	mu      sync.Mutex
	queue   []Item
	wake    chan struct{}
	pending map[string]*pending
}

// pending is a deposit on its way. Its hashes are SHA-256 whatever the
// network's suite: they are local lookup keys, never committed to the
// ledger nor shown as proof, and signed must equal the hash by which the
// ledger remembers a refused transaction (ledger.Rejection.Signed, the
// SHA-256 CometBFT names transactions by).
type pending struct {
	statement [sha256.Size]byte // hash of the statement, enough to tell two apart
	signed    [sha256.Size]byte // hash of the signed deposit
	since     time.Time
	rejected  string
}

// New returns a pipeline; call Run to start it.
func New(cfg Config, s Submitter, c Committed, logger *slog.Logger) *Pipeline {
	return &Pipeline{cfg: cfg, submit: s, committed: c, logger: logger, wake: make(chan struct{}, 1), pending: map[string]*pending{}}
}

// Enqueue queues deposits that are not yet in the log. A deposit already
// pending with the same statement is not queued twice; one pending with a
// different statement fails with a *ConflictError. The first error is returned
// before anything is queued.
func (p *Pipeline) Enqueue(items []Item) error {
	now := time.Now()
	entries := make([]pending, len(items))
	for i, it := range items {
		entries[i] = pending{statement: sha256.Sum256(it.Statement), signed: sha256.Sum256(it.Signed), since: now}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fresh := make([]bool, len(items))
	for i, it := range items {
		pd, ok := p.pending[it.ID]
		switch {
		case !ok || pd.rejected != "":
			fresh[i] = true
		case pd.statement != entries[i].statement:
			return &ConflictError{ID: it.ID}
		case now.Sub(pd.since) > p.cfg.Resubmit:
			fresh[i] = true
		}
	}
	n := 0
	for i, it := range items {
		if fresh[i] {
			p.pending[it.ID] = &entries[i]
			p.queue = append(p.queue, it)
			n++
		}
	}
	if n > 0 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Pending reports whether a deposit is on its way, the SHA-256 of the
// signed deposit this node sent, and the reason if its transaction was
// refused.
func (p *Pipeline) Pending(id string) (ok bool, signed [sha256.Size]byte, rejected string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pd, ok := p.pending[id]
	if !ok {
		return false, signed, ""
	}
	return true, pd.signed, pd.rejected
}

// Run packs queued deposits into transactions and submits them until ctx
// ends.
func (p *Pipeline) Run(ctx context.Context) error {
	sweep := time.NewTicker(2 * time.Second)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sweep.C:
			p.sweep()
		case <-p.wake:
			// Let others join the first deposit's transaction.
			select {
			case <-time.After(p.cfg.Linger):
			case <-ctx.Done():
				return ctx.Err()
			}
			for p.flush(ctx) {
			}
		}
	}
}

// flush submits one transaction's worth of the queue and reports whether
// more is queued.
func (p *Pipeline) flush(ctx context.Context) bool {
	p.mu.Lock()
	n := min(len(p.queue), ledger.MaxDepositsPerTx)
	batch := p.queue[:n:n]
	p.queue = p.queue[n:]
	more := len(p.queue) > 0
	p.mu.Unlock()
	if n == 0 {
		return false
	}
	signed := make([][]byte, n)
	for i, it := range batch {
		signed[i] = it.Signed
	}
	tx := ledger.EncodeDepositTx(signed)
	for {
		err := p.submit.Submit(ctx, tx)
		if err == nil {
			return more
		}
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, ErrRetry) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.logger.Error("transaction refused", "deposits", n, "err", err)
		p.mu.Lock()
		for _, it := range batch {
			if pd := p.pending[it.ID]; pd != nil {
				pd.rejected = err.Error()
			}
		}
		p.mu.Unlock()
		return more
	}
}

// ErrRetry marks a Submit error after which the same transaction should
// be submitted again, such as a full mempool.
var ErrRetry = errors.New("retry later")

// forgetAfter is how long a pending deposit is remembered at most. By then
// it has committed, been rejected, or its transaction was lost (a restart
// empties the mempool), and a retry queues it again.
const forgetAfter = 10 * time.Minute

// sweep forgets pending deposits that have committed or are too old.
func (p *Pipeline) sweep() {
	p.mu.Lock()
	ids := make([]string, 0, len(p.pending))
	var stale []string
	now := time.Now()
	for id, pd := range p.pending {
		switch age := now.Sub(pd.since); {
		case age > forgetAfter:
			stale = append(stale, id)
		case age > time.Second: // most deposits commit within a second; check each about once
			ids = append(ids, id)
		}
	}
	p.mu.Unlock()
	done := stale
	for _, id := range ids {
		if p.committed.HasDeposit(id) {
			done = append(done, id)
		}
	}
	p.mu.Lock()
	for _, id := range done {
		delete(p.pending, id)
	}
	p.mu.Unlock()
}
