package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jurichain/jurichain/ledger"
)

// recorder collects submitted transactions; it answers ErrRetry a given
// number of times first, or a fixed error.
type recorder struct {
	mu      sync.Mutex
	txs     [][]byte
	retries int
	fail    error
}

func (r *recorder) Submit(_ context.Context, tx []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retries > 0 {
		r.retries--
		return fmt.Errorf("%w: mempool full", ErrRetry)
	}
	if r.fail != nil {
		return r.fail
	}
	r.txs = append(r.txs, tx)
	return nil
}

func (r *recorder) deposits() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, tx := range r.txs {
		n += int(binary.BigEndian.Uint32(tx[1:]))
	}
	return n
}

type nothingCommitted struct{}

func (nothingCommitted) HasDeposit(string) bool { return false }

func items(n int, prefix string) []Item {
	out := make([]Item, n)
	for i := range out {
		out[i] = Item{ID: fmt.Sprintf("%s-%d", prefix, i), Statement: []byte(fmt.Sprint("statement ", i)), Signed: []byte{byte(i)}}
	}
	return out
}

func run(t *testing.T, r *recorder) *Pipeline {
	p := New(Config{Linger: 20 * time.Millisecond, Resubmit: time.Hour}, r, nothingCommitted{}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGroupCommitPacksDeposits(t *testing.T) {
	r := &recorder{}
	p := run(t, r)
	// Many small submissions within the linger share transactions.
	for i := range 50 {
		if err := p.Enqueue(items(3, fmt.Sprint("req", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Enqueue(items(ledger.MaxDepositsPerTx+10, "big")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.deposits() == 150+ledger.MaxDepositsPerTx+10 })
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.txs) > 3 {
		t.Fatalf("%d transactions for %d deposits: group commit is not grouping", len(r.txs), 150+ledger.MaxDepositsPerTx+10)
	}
}

func TestEnqueueDeduplicatesAndDetectsConflicts(t *testing.T) {
	r := &recorder{}
	p := run(t, r)
	first := items(2, "a")
	if err := p.Enqueue(first); err != nil {
		t.Fatal(err)
	}
	if err := p.Enqueue(first); err != nil { // a retry of the same deposits
		t.Fatal(err)
	}
	conflict := items(1, "a")
	conflict[0].Statement = []byte("another statement")
	fresh := items(1, "b")
	var ce *ConflictError
	if err := p.Enqueue(append(fresh, conflict...)); !errors.As(err, &ce) || ce.ID != conflict[0].ID {
		t.Fatalf("reused idempotency key: %v", err)
	}
	if ok, _, _ := p.Pending(fresh[0].ID); ok {
		t.Fatal("a request with a conflict queued some of its deposits")
	}
	waitFor(t, func() bool { return r.deposits() == 2 })
	time.Sleep(50 * time.Millisecond)
	if got := r.deposits(); got != 2 {
		t.Fatalf("%d deposits submitted, want 2 (no duplicates)", got)
	}
}

func TestRetriesAndRefusals(t *testing.T) {
	r := &recorder{retries: 3}
	p := run(t, r)
	if err := p.Enqueue(items(1, "x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.deposits() == 1 })

	r2 := &recorder{fail: errors.New("transaction refused (code 2): bad signature")}
	p2 := run(t, r2)
	it := items(1, "y")
	if err := p2.Enqueue(it); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, _, why := p2.Pending(it[0].ID); return why != "" })
}
