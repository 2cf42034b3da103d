package ledger

import (
	// The cache is keyed by SHA-256 of CometBFT transactions, as CometBFT
	// hashes them: a local cache key, never committed nor shown as proof.
	"crypto/sha256"
	"runtime"
	"sync"

	"github.com/jurichain/jurichain/deposit"
)

// txCache remembers the transactions whose every deposit signature this
// node has already verified, keyed by transaction hash, so a deposit is
// verified once on its way from the API (or from a peer, through CheckTx)
// into a block. It only saves work: verification is a pure function of the
// transaction's bytes.
type txCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]struct{}
}

// maxCachedTxs bounds the cache; past it the cache starts over, which costs
// only re-verification.
const maxCachedTxs = 1 << 16

func (c *txCache) has(h [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[h]
	return ok
}

func (c *txCache) add(h [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTxs {
		c.m = map[[sha256.Size]byte]struct{}{}
	}
	c.m[h] = struct{}{}
}

func (c *txCache) forget(hs [][sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hs {
		delete(c.m, h)
	}
}

// VerifyDeposits checks the signatures of signed deposits (with their
// canonical encodings) for this log and reports one result per deposit.
func (a *App) VerifyDeposits(signed []*deposit.Signed, raw [][]byte) []bool {
	deps := make([]parsedDeposit, len(signed))
	for i := range signed {
		deps[i] = parsedDeposit{Signed: signed[i], raw: raw[i]}
	}
	return a.verifySignatures(deps)
}

// MarkVerified records that every deposit in tx passed VerifyDeposits, so
// CheckTx and FinalizeBlock do not check them again. Only a transaction
// built from deposits VerifyDeposits accepted may be passed.
func (a *App) MarkVerified(tx []byte) { a.verified.add(sha256.Sum256(tx)) }

// verifyTx reports which deposits of the transaction with hash h carry a
// valid signature, from the cache when this node has seen it before.
func (a *App) verifyTx(h [sha256.Size]byte, deps []parsedDeposit) []bool {
	if a.verified.has(h) {
		oks := make([]bool, len(deps))
		for i := range oks {
			oks[i] = true
		}
		return oks
	}
	oks := a.verifySignatures(deps)
	for _, ok := range oks {
		if !ok {
			return oks
		}
	}
	a.verified.add(h)
	return oks
}

// verifySignatures batch-verifies deposits in parallel chunks; a chunk that
// fails is re-checked one by one to find the bad signatures.
func (a *App) verifySignatures(deps []parsedDeposit) []bool {
	ok := make([]bool, len(deps))
	if len(deps) == 0 {
		return ok
	}
	chunks := runtime.GOMAXPROCS(0)
	if len(deps) < 64*chunks {
		chunks = 1
	}
	per := (len(deps) + chunks - 1) / chunks
	var wg sync.WaitGroup
	for start := 0; start < len(deps); start += per {
		end := min(start+per, len(deps))
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.verifyChunk(deps[start:end], ok[start:end])
		}()
	}
	wg.Wait()
	return ok
}

func (a *App) verifyChunk(deps []parsedDeposit, ok []bool) {
	sig := a.cfg.Suite.Signature()
	origin := a.cfg.Origin
	msgs := make([][]byte, len(deps))
	bv := sig.NewBatch(len(deps))
	for i, d := range deps {
		msgs[i] = d.SigningMessage(origin)
		bv.Add(d.Depositor, msgs[i], d.Signature)
	}
	if bv.Verify() {
		for i := range ok {
			ok[i] = true
		}
		return
	}
	for i, d := range deps {
		ok[i] = sig.Verify(d.Depositor, msgs[i], d.Signature)
	}
}
