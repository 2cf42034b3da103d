package httpapi

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestGuessesAreSlowed(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	g := newGuesses(c.now)
	steps := []struct {
		name     string
		advance  time.Duration
		key      string
		wrong    bool // the code tried is wrong (when the try is let through)
		wantWait time.Duration
	}{
		{"a right code", 0, "a", false, 0},
		{"another right code: right codes take nothing", 0, "a", false, 0},
		{"wrong 1", 0, "a", true, 0},
		{"wrong 2", 0, "a", true, 0},
		{"wrong 3", 0, "a", true, 0},
		{"wrong 4", 0, "a", true, 0},
		{"wrong 5", 0, "a", true, 0},
		{"out of tries, even with the right code", 0, "a", false, guessRefill},
		{"another key is not slowed", 0, "b", false, 0},
		{"half a refill later", guessRefill / 2, "a", false, guessRefill / 2},
		{"a refill later: one try, wrong", guessRefill / 2, "a", true, 0},
		{"out again", 0, "a", false, guessRefill},
		{"a long pause restores every try", guessBurst * guessRefill, "a", false, 0},
	}
	for _, st := range steps {
		c.t = c.t.Add(st.advance)
		got := g.try(st.key)
		if got != st.wantWait {
			t.Fatalf("%s: wait %s, want %s", st.name, got, st.wantWait)
		}
		if got == 0 {
			if st.wrong {
				g.wrong()
			} else {
				g.refund(st.key)
			}
		}
	}
	if got := g.failed.Load(); got != 6 {
		t.Fatalf("failures counted: %d, want 6", got)
	}
	// A request waits for the most slowed of its keys, and then takes
	// nothing from the others.
	for range guessBurst {
		if g.try("c") != 0 {
			t.Fatal("a fresh key waits")
		}
	}
	if got := g.try("b", "c"); got != guessRefill {
		t.Fatalf("a slowed key among others: wait %s", got)
	}
	if got := g.buckets["b"].left(c.t); got != guessBurst {
		t.Fatalf("a refused request took tries from another key: %v left", got)
	}
}

// TestConcurrentGuessesStayWithinTheAllowance: many wrong guesses at once
// get exactly guessBurst tries. Right codes give their tries back: up to
// guessBurst at once go through, and leave every try for later.
func TestConcurrentGuessesStayWithinTheAllowance(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	g := newGuesses(c.now)
	for _, tc := range []struct {
		name     string
		n        int
		wrong    bool
		wantLets int64
	}{
		{"right codes", guessBurst, false, guessBurst},
		{"right codes again", guessBurst, false, guessBurst},
		{"wrong codes", 100, true, guessBurst},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var let atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range tc.n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if g.try("principal p", "address 192.0.2.1") > 0 {
						return
					}
					let.Add(1)
					time.Sleep(time.Millisecond) // the code's lookup, between the check and its outcome
					if tc.wrong {
						g.wrong()
					} else {
						g.refund("principal p", "address 192.0.2.1")
					}
				}()
			}
			close(start)
			wg.Wait()
			if got := let.Load(); got != tc.wantLets {
				t.Fatalf("%d of %d concurrent tries let through, want %d", got, tc.n, tc.wantLets)
			}
		})
	}
}

func TestGuessesAreBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	g := newGuesses(c.now)
	for i := range maxGuessers + 100 {
		g.try(fmt.Sprint("key ", i))
	}
	if n := len(g.buckets); n != maxGuessers {
		t.Fatalf("%d keys remembered, at most %d", n, maxGuessers)
	}
	// While the table is full of live entries, a newcomer waits.
	if got := g.try("newcomer"); got != guessRefill {
		t.Fatalf("a newcomer with the table full: wait %s", got)
	}
	// Once the entries have regained their tries, they are forgotten.
	c.t = c.t.Add(guessRefill)
	if got := g.try("newcomer"); got != 0 {
		t.Fatalf("a newcomer after the sweep: wait %s", got)
	}
	if n := len(g.buckets); n != 1 {
		t.Fatalf("%d keys remembered after the sweep, want only the newcomer", n)
	}
}
