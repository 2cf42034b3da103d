package ledger

import (
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// Placement is where a committed deposit sits in the log.
type Placement struct {
	Index  uint64
	Height uint64
	Time   time.Time
}

// recentSet remembers where the deposits of the last few blocks landed, so
// clients waiting for their deposits do not each read the store. It keeps
// two generations of up to recentGeneration entries: a few seconds of
// deposits at full load, the time in which waiting clients look.
type recentSet struct {
	mu        sync.RWMutex
	cur, prev map[[suite.HashSize]byte]Placement
}

const recentGeneration = 50_000

func newRecentSet() *recentSet {
	return &recentSet{cur: map[[suite.HashSize]byte]Placement{}}
}

func (r *recentSet) add(ids [][suite.HashSize]byte, first uint64, height uint64, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cur)+len(ids) > recentGeneration {
		r.prev, r.cur = r.cur, make(map[[suite.HashSize]byte]Placement, recentGeneration)
	}
	for i, id := range ids {
		r.cur[id] = Placement{Index: first + uint64(i), Height: height, Time: t}
	}
}

func (r *recentSet) get(id [suite.HashSize]byte) (Placement, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if p, ok := r.cur[id]; ok {
		return p, true
	}
	p, ok := r.prev[id]
	return p, ok
}

// Placement returns where the committed deposit with this id is, or
// ErrNotFound.
func (a *App) Placement(id string) (Placement, error) {
	var key [suite.HashSize]byte
	if n, err := hex.Decode(key[:], []byte(id)); err != nil || n != len(key) {
		return Placement{}, ErrNotFound
	}
	if p, ok := a.recent.get(key); ok {
		if p.Index >= a.Committed().Size {
			return Placement{}, ErrNotFound // not final yet
		}
		return p, nil
	}
	if !a.ids.mayContain(key) {
		return Placement{}, ErrNotFound
	}
	idx, err := a.cfg.Store.DepositIndex(key[:])
	if errors.Is(err, store.ErrNotFound) {
		return Placement{}, ErrNotFound
	}
	if err != nil {
		return Placement{}, err
	}
	if idx >= a.Committed().Size {
		return Placement{}, ErrNotFound // not final yet
	}
	lb, err := a.cfg.Store.Leaf(idx)
	if err != nil {
		return Placement{}, err
	}
	l, err := deposit.ParseLeaf(lb)
	if err != nil {
		return Placement{}, err
	}
	return Placement{Index: idx, Height: l.Height, Time: l.Time}, nil
}
