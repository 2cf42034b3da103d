package httpapi

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jurichain/jurichain/access"
)

// Limits on guessing share codes. A principal or client address may fail
// guessBurst times in a row; after that it regains one try every
// guessRefill. With 80-bit codes that leaves an attacker no chance.
const (
	guessBurst  = 5
	guessRefill = 10 * time.Second
	// maxGuessers bounds the principals and addresses remembered. Those
	// that have regained all their tries are forgotten first; if the table
	// is still full, a newcomer's wrong guess is not remembered, but every
	// try of a newcomer waits until the table has room.
	maxGuessers = 10_000
)

// guesses counts wrong share codes per principal and per client address
// and slows down those that fail too often (a token bucket per key). It is
// safe for concurrent use.
type guesses struct {
	now    func() time.Time
	failed atomic.Uint64 // wrong codes, for the metrics

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket holds the tries left at a time.
type bucket struct {
	tries float64
	at    time.Time
}

func newGuesses(now func() time.Time) *guesses {
	return &guesses{now: now, buckets: map[string]*bucket{}}
}

// guessKeys are the keys a request's guesses count against: the
// principal, when the request has one, and the client's address.
func guessKeys(r *http.Request, p *access.Principal) []string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	keys := []string{"address " + host}
	if p != nil {
		keys = append(keys, "principal "+p.ID())
	}
	return keys
}

// left returns the tries left for a bucket now, refilled since its last
// failure.
func (b *bucket) left(now time.Time) float64 {
	return min(guessBurst, b.tries+now.Sub(b.at).Seconds()/guessRefill.Seconds())
}

// try reserves one try against every key of a request: it returns how
// long the caller must wait, having reserved nothing, or 0 with one try
// taken from each key. Checking and taking under one lock means that
// concurrent wrong guesses cannot exceed the allowance. A right code gives
// its try back (refund); a wrong one keeps it taken (wrong).
func (g *guesses) try(keys ...string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var wait time.Duration
	for _, k := range keys {
		b, ok := g.buckets[k]
		switch {
		case !ok && len(g.buckets) >= maxGuessers:
			g.sweep(now)
			if len(g.buckets) >= maxGuessers {
				wait = max(wait, guessRefill)
			}
		case ok:
			if l := b.left(now); l < 1 {
				wait = max(wait, time.Duration((1-l)*float64(guessRefill)))
			}
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		b, ok := g.buckets[k]
		if !ok {
			if len(g.buckets) >= maxGuessers {
				continue // no room left by an earlier key of this request
			}
			b = &bucket{tries: guessBurst, at: now}
			g.buckets[k] = b
		}
		b.tries, b.at = max(0, b.left(now)-1), now
	}
	return 0
}

// refund gives back the try a right code reserved.
func (g *guesses) refund(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for _, k := range keys {
		if b, ok := g.buckets[k]; ok {
			b.tries, b.at = min(guessBurst, b.left(now)+1), now
		}
	}
}

// wrong counts a wrong code in the metrics; its try stays taken.
func (g *guesses) wrong() { g.failed.Add(1) }

// sweep forgets the keys that have regained all their tries.
func (g *guesses) sweep(now time.Time) {
	for k, b := range g.buckets {
		if b.left(now) >= guessBurst {
			delete(g.buckets, k)
		}
	}
}
