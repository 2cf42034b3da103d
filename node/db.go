package node

import (
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// openConsensusDB opens CometBFT's stores (blocks, state, evidence, index)
// so that reading one after it closed finds nothing instead of failing.
//
// CometBFT 0.38 closes its block store when the node stops, but the
// consensus reactor's per-peer goroutines are not waited for: one that
// wakes from its sleep after the close reads the store, and the block
// store panics on any read error ("panic: leveldb: closed" at shutdown
// with peers connected). Those goroutines only gossip to peers that are
// gone by then, so an empty answer is harmless.
func openConsensusDB(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	return &closeSafeDB{DB: db}, nil
}

// closeSafeDB is a store whose reads after Close find nothing.
type closeSafeDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// Get reads a key; after Close it finds nothing.
func (d *closeSafeDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

// Has reports whether a key exists; after Close, none does.
func (d *closeSafeDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

// Close waits for reads in progress, then closes the store.
func (d *closeSafeDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}
