package httpapi

import (
	"fmt"
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
		fail     bool
		key      string
		wantWait time.Duration
	}{
		{"first try", 0, false, "a", 0},
		{"fail 1", 0, true, "a", 0},
		{"fail 2", 0, true, "a", 0},
		{"fail 3", 0, true, "a", 0},
		{"fail 4", 0, true, "a", 0},
		{"fail 5: out of tries", 0, true, "a", guessRefill},
		{"another key is not slowed", 0, false, "b", 0},
		{"half a refill later", guessRefill / 2, false, "a", guessRefill / 2},
		{"a refill later: one try", guessRefill / 2, false, "a", 0},
		{"which fails", 0, true, "a", guessRefill},
		{"a long pause restores every try", guessBurst * guessRefill, false, "a", 0},
	}
	for _, st := range steps {
		c.t = c.t.Add(st.advance)
		if st.fail {
			g.fail(st.key)
		}
		if got := g.wait(st.key); got != st.wantWait {
			t.Fatalf("%s: wait %s, want %s", st.name, got, st.wantWait)
		}
	}
	if got := g.failed.Load(); got != 6 {
		t.Fatalf("failures counted: %d, want 6", got)
	}
	// A request waits for the most slowed of its keys.
	if got := g.wait("b", "a"); got != 0 {
		t.Fatalf("two fresh keys wait %s", got)
	}
	for range guessBurst {
		g.fail("c")
	}
	if got := g.wait("b", "c"); got != guessRefill {
		t.Fatalf("a slowed key among others: wait %s", got)
	}
}

func TestGuessesAreBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	g := newGuesses(c.now)
	for i := range maxGuessers + 100 {
		g.fail(fmt.Sprint("key ", i))
	}
	if n := len(g.buckets); n != maxGuessers {
		t.Fatalf("%d keys remembered, at most %d", n, maxGuessers)
	}
	// While the table is full of live entries, a newcomer waits.
	if got := g.wait("newcomer"); got != guessRefill {
		t.Fatalf("a newcomer with the table full: wait %s", got)
	}
	// Once the entries have regained their tries, they are forgotten.
	c.t = c.t.Add(guessRefill)
	if got := g.wait("newcomer"); got != 0 {
		t.Fatalf("a newcomer after the sweep: wait %s", got)
	}
	if n := len(g.buckets); n != 0 {
		t.Fatalf("%d recovered keys still remembered", n)
	}
}
