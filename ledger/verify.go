package ledger

import (
	"runtime"
	"sync"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// sigCache remembers signed deposits whose signatures verified, keyed by the
// suite hash of their exact bytes, so a deposit is verified once on its way
// from the API through the mempool into a block. It only saves work:
// verification is a pure function of those bytes.
type sigCache struct {
	mu sync.Mutex
	m  map[[suite.HashSize]byte]struct{}
}

// maxCached bounds the cache; past it the cache starts over, which costs
// only re-verification.
const maxCached = 1 << 21

func newSigCache() *sigCache { return &sigCache{m: map[[suite.HashSize]byte]struct{}{}} }

func (c *sigCache) has(k [suite.HashSize]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	return ok
}

func (c *sigCache) add(ks [][suite.HashSize]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(ks) > maxCached {
		clear(c.m)
	}
	for _, k := range ks {
		c.m[k] = struct{}{}
	}
}

func (c *sigCache) forget(ks [][suite.HashSize]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range ks {
		delete(c.m, k)
	}
}

// VerifyDeposits checks the signatures of signed deposits (canonical
// encodings) for this log, remembering the good ones so consensus does not
// check them again. It reports one result per deposit.
func (a *App) VerifyDeposits(signed []*deposit.Signed, raw [][]byte) []bool {
	deps := make([]parsedDeposit, len(signed))
	for i := range signed {
		deps[i] = parsedDeposit{Signed: signed[i], raw: raw[i]}
	}
	oks, _ := a.verify(deps)
	return oks
}

// verify checks deposits' signatures, consulting and filling the cache,
// and returns the deposits' cache keys too. Uncached deposits are
// batch-verified in parallel chunks; a chunk that fails is re-checked one
// by one to find the bad signatures.
func (a *App) verify(deps []parsedDeposit) ([]bool, [][suite.HashSize]byte) {
	cs := a.cfg.Suite
	ok := make([]bool, len(deps))
	keys := make([][suite.HashSize]byte, len(deps))
	var todo []int
	for i, d := range deps {
		keys[i] = cs.Hash(d.raw)
		if a.cache.has(keys[i]) {
			ok[i] = true
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return ok, keys
	}
	chunks := runtime.GOMAXPROCS(0)
	if len(todo) < 64*chunks {
		chunks = 1
	}
	per := (len(todo) + chunks - 1) / chunks
	var wg sync.WaitGroup
	for start := 0; start < len(todo); start += per {
		part := todo[start:min(start+per, len(todo))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.verifyChunk(deps, part, ok)
		}()
	}
	wg.Wait()
	good := make([][suite.HashSize]byte, 0, len(todo))
	for _, i := range todo {
		if ok[i] {
			good = append(good, keys[i])
		}
	}
	a.cache.add(good)
	return ok, keys
}

func (a *App) verifyChunk(deps []parsedDeposit, idx []int, ok []bool) {
	sig := a.cfg.Suite.Signature()
	origin := a.cfg.Origin
	msgs := make([][]byte, len(idx))
	bv := sig.NewBatch(len(idx))
	for k, i := range idx {
		msgs[k] = deps[i].SigningMessage(origin)
		bv.Add(deps[i].Depositor, msgs[k], deps[i].Signature)
	}
	if bv.Verify() {
		for _, i := range idx {
			ok[i] = true
		}
		return
	}
	for k, i := range idx {
		ok[i] = sig.Verify(deps[i].Depositor, msgs[k], deps[i].Signature)
	}
}
