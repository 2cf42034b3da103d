package httpsig

import (
	"sync"
	"time"

	"github.com/jurichain/jurichain/suite"
)

// nonceSize is the size of a remembered nonce: a hash of the nonce the
// client chose (8 to 128 characters), so every entry costs the same.
const nonceSize = 16

// nonceHash is the remembered form of a nonce, by the suite's hash (on an
// international network the SHA-256 a node's NonceLog has always held).
func nonceHash(cs *suite.Suite, nonce string) []byte {
	h := cs.Hash([]byte(nonce))
	return h[:nonceSize]
}

// nonceTable remembers, per keyid, the nonces of accepted requests until
// they expire. Each key has its own bound, so that one account's requests
// cannot crowd out another's; the total bound caps memory.
type nonceTable struct {
	perKey, total int

	mu    sync.Mutex
	keys  map[string]map[[nonceSize]byte]int64 // keyid -> nonce -> expiry (Unix seconds)
	count int
	sweep time.Time
}

func newNonceTable(perKey, total int) *nonceTable {
	return &nonceTable{perKey: perKey, total: total, keys: map[string]map[[nonceSize]byte]int64{}}
}

// seen reports whether keyID used nonce in a request that has not expired.
func (t *nonceTable) seen(keyID string, nonce []byte, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.keys[keyID][[nonceSize]byte(nonce)]
	return ok && now.Unix() <= exp
}

// add records a nonce of keyID until expiry, or refuses it as a replay or
// over a bound. Every window/4 it first drops the expired nonces, and
// then reports prune, so that the caller prunes the durable log as well.
func (t *nonceTable) add(keyID string, nonce []byte, expiry, now time.Time, window time.Duration) (prune bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.After(t.sweep) {
		for id, ns := range t.keys {
			for n, exp := range ns {
				if now.Unix() > exp {
					delete(ns, n)
					t.count--
				}
			}
			if len(ns) == 0 {
				delete(t.keys, id)
			}
		}
		t.sweep, prune = now.Add(window/4), true
	}
	ns := t.keys[keyID]
	if exp, ok := ns[[nonceSize]byte(nonce)]; ok && now.Unix() <= exp {
		return prune, fail("the nonce was used before: a replayed request")
	}
	switch {
	case len(ns) >= t.perKey:
		return prune, fail("key %q made more than %d signed requests in the last %s; retry in a few minutes, or use an API token", keyID, t.perKey, window)
	case t.count >= t.total:
		return prune, fail("this node took more than %d signed requests in the last %s; retry shortly", t.total, window)
	}
	if ns == nil {
		ns = map[[nonceSize]byte]int64{}
		t.keys[keyID] = ns
	}
	ns[[nonceSize]byte(nonce)] = expiry.Unix()
	t.count++
	return prune, nil
}

// restore puts back a nonce read from the durable log.
func (t *nonceTable) restore(keyID string, nonce []byte, expiry time.Time) {
	if len(nonce) != nonceSize {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ns := t.keys[keyID]
	if ns == nil {
		ns = map[[nonceSize]byte]int64{}
		t.keys[keyID] = ns
	}
	if _, ok := ns[[nonceSize]byte(nonce)]; !ok {
		t.count++
	}
	ns[[nonceSize]byte(nonce)] = expiry.Unix()
}

// remove forgets a nonce whose durable record failed.
func (t *nonceTable) remove(keyID string, nonce []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ns, ok := t.keys[keyID]; ok {
		if _, ok := ns[[nonceSize]byte(nonce)]; ok {
			delete(ns, [nonceSize]byte(nonce))
			t.count--
		}
	}
}
