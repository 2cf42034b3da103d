package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/upstream"
)

const platformOrigin = "platform.example/log"

// env is a platform log, a court on loopback and a store of the
// platform node's own.
type env struct {
	t        *testing.T
	platform *network
	court    *court
	st       *store.Store
	pin      string
	// log is the platform's log as this node sees it; the platform's
	// own when nil.
	log upstream.Log
}

func newEnv(t *testing.T, cs, courtSuite *suite.Suite) *env {
	t.Helper()
	p := newNetwork(t, cs, platformOrigin)
	st, err := store.Open(filepath.Join(t.TempDir(), "state"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, platform: p, court: newCourt(t, courtSuite, p.pol), st: st, pin: filepath.Join(t.TempDir(), "upstreams", "court.policy")}
}

// start runs a worker for the court until the test ends or stop.
func (e *env) start(tune func(*upstream.Target)) (*upstream.Worker, func()) {
	e.t.Helper()
	tgt := upstream.Target{URL: e.court.srv.URL, PinFile: e.pin, Every: time.Hour, Entries: 1000}
	if tune != nil {
		tune(&tgt)
	}
	var lg upstream.Log = e.platform
	if e.log != nil {
		lg = e.log
	}
	w, err := upstream.New(upstream.Options{Origin: platformOrigin, Log: lg, Store: e.st, Targets: []upstream.Target{tgt},
		Poll: 5 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 150 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	stop := func() { cancel(); <-done }
	e.t.Cleanup(stop)
	return w, stop
}

// stored is the anchor this node stored of the court, its size 0 when
// none.
func (e *env) stored() (count, size uint64) {
	count, size, _, err := e.st.LatestOutboundAnchor(e.court.origin)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.t.Fatal(err)
	}
	return count, size
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func attempts(t *testing.T, w *upstream.Worker, result string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(w)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "jurichain_anchor_attempts_total" {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "result" && l.GetValue() == result {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

func suites(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

// TestAnchorsOnEntriesAndTime: the first final checkpoint is anchored at
// once, the next when enough entries arrived or enough time passed,
// never when nothing changed; each anchor is stored with its receipt,
// and the upstream's policy is fetched once and pinned.
func TestAnchorsOnEntriesAndTime(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		e.platform.grow(t, 3)
		w, _ := e.start(func(tg *upstream.Target) { tg.Entries = 5 })
		eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 3 })
		if pinned, err := os.ReadFile(e.pin); err != nil || !bytes.Equal(pinned, e.court.policyText) {
			t.Fatalf("the court's policy is not pinned: %v", err)
		}
		e.platform.grow(t, 2) // 5: two new entries, the hour not passed
		time.Sleep(150 * time.Millisecond)
		if _, s := e.stored(); s != 3 || len(e.court.anchored()) != 1 {
			t.Fatalf("anchored at %d after 2 of 5 entries", s)
		}
		e.platform.grow(t, 3) // 8: five new
		eventually(t, "the anchor after 5 entries", func() bool { _, s := e.stored(); return s == 8 })
		if olds := e.court.olds; olds[len(olds)-1] != 3 {
			t.Errorf("anchored 8 with old %d, want the previous anchor's 3", olds[len(olds)-1])
		}
		posts := e.court.posts.Load()
		time.Sleep(100 * time.Millisecond)
		if e.court.posts.Load() != posts {
			t.Error("the worker posted again though nothing changed")
		}
		if n := e.court.policyFetches.Load(); n != 1 {
			t.Errorf("the court's policy was fetched %d times", n)
		}
		ups := w.Upstreams()
		if len(ups) != 1 || ups[0].Origin != e.court.origin || ups[0].AnchoredSize != 8 || ups[0].Anchors != 2 || ups[0].LastSuccess == nil || ups[0].LastError != "" {
			t.Errorf("upstream state %+v", ups)
		}
		if n := attempts(t, w, "anchored"); n != 2 {
			t.Errorf("%v anchored attempts counted, want 2", n)
		}
		var a api.Anchor
		_, _, rec, _ := e.st.LatestOutboundAnchor(e.court.origin)
		if err := json.Unmarshal(rec, &a); err != nil || a.Size != 8 || a.Receipt == "" || a.CourtOrigin != e.court.origin {
			t.Errorf("stored anchor %+v %v", a, err)
		}
	})
	t.Run("every", func(t *testing.T) {
		e := newEnv(t, suite.International(), suite.International())
		e.platform.grow(t, 1)
		e.start(func(tg *upstream.Target) { tg.Every = 200 * time.Millisecond })
		eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 1 })
		start := time.Now()
		e.platform.grow(t, 1)
		eventually(t, "the anchor after every", func() bool { _, s := e.stored(); return s == 2 })
		if time.Since(start) < 100*time.Millisecond {
			t.Errorf("anchored %v after the previous, every is 200ms", time.Since(start))
		}
	})
}

// TestCourtOfTheOtherSuite: a GM platform anchors into an international
// court and the reverse; each checks the court's receipt in the court's
// suite.
func TestCourtOfTheOtherSuite(t *testing.T) {
	for _, pair := range [][2]*suite.Suite{{suite.GM(), suite.International()}, {suite.International(), suite.GM()}} {
		t.Run(pair[0].Name()+"-into-"+pair[1].Name(), func(t *testing.T) {
			e := newEnv(t, pair[0], pair[1])
			e.platform.grow(t, 2)
			e.start(nil)
			eventually(t, "the anchor", func() bool { _, s := e.stored(); return s == 2 })
		})
	}
}

// TestUpstreamDown: while the court answers 503 the worker keeps trying
// with backoff; when it is back, one anchor of the newest checkpoint
// catches up.
func TestUpstreamDown(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		e.platform.grow(t, 2)
		w, _ := e.start(func(tg *upstream.Target) { tg.Entries = 1 })
		eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 2 })
		e.court.down.Store(true)
		posts := e.court.posts.Load()
		for range 3 {
			e.platform.grow(t, 2)
			time.Sleep(60 * time.Millisecond)
		}
		eventually(t, "a few retries", func() bool { return e.court.posts.Load() >= posts+3 })
		time.Sleep(300 * time.Millisecond)
		// Backoff: 20ms doubling to 150ms, in well under a second.
		if n := e.court.posts.Load() - posts; n > 15 {
			t.Errorf("%d attempts while down: no backoff", n)
		}
		ups := w.Upstreams()
		if !strings.Contains(ups[0].LastError, "unavailable") || ups[0].NextAttempt == nil || ups[0].AnchoredSize != 2 {
			t.Errorf("while down: %+v", ups[0])
		}
		if attempts(t, w, "unavailable") == 0 {
			t.Error("no unavailable attempt counted")
		}
		e.court.down.Store(false)
		eventually(t, "the catch-up anchor", func() bool { _, s := e.stored(); return s == 8 })
		if as := e.court.anchored(); len(as) != 2 || as[1].Size != 8 {
			t.Errorf("the court anchored %d checkpoints, want 2 (2, then the newest 8)", len(as))
		}
		// The anchor is stored before the state says so.
		eventually(t, "the error cleared after success", func() bool { return w.Upstreams()[0].LastError == "" })
	})
}

// TestNotRegistered: a court that does not know this log answers 404;
// the worker says what to ask for and retries slowly, and anchors once
// the log is registered.
func TestNotRegistered(t *testing.T) {
	e := newEnv(t, suite.International(), suite.International())
	pol := e.court.registered.Swap(nil)
	e.platform.grow(t, 1)
	w, _ := e.start(nil)
	eventually(t, "the refusal", func() bool {
		ups := w.Upstreams()
		return strings.Contains(ups[0].LastError, "--register-log")
	})
	time.Sleep(400 * time.Millisecond)
	if n := e.court.posts.Load(); n > 5 {
		t.Errorf("%d posts in 400ms while refused: not the slow pace (150ms here)", n)
	}
	if attempts(t, w, "refused") == 0 {
		t.Error("no refused attempt counted")
	}
	e.court.registered.Store(pol)
	eventually(t, "the anchor once registered", func() bool { _, s := e.stored(); return s == 1 })
}

// TestConflict: another node of the platform anchored meanwhile; the
// 409 teaches the upstream's size and the worker proves consistency
// from it. An anchor of the newest checkpoint made by another node is
// adopted: checked and stored, nothing posted.
func TestConflict(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		e.platform.grow(t, 2)
		w, stop := e.start(func(tg *upstream.Target) { tg.Entries = 2 })
		eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 2 })
		stop()
		// Another node anchors 4.
		cp4 := e.platform.grow(t, 2)
		pc, _ := e.platform.pol.Verify(cp4)
		e.court.amu.Lock()
		e.court.deposit(pc.Checkpoint, cp4)
		e.court.amu.Unlock()
		e.platform.grow(t, 2)
		w, stop = e.start(func(tg *upstream.Target) { tg.Entries = 2 })
		eventually(t, "the anchor of 6", func() bool { _, s := e.stored(); return s == 6 })
		olds := e.court.olds
		if len(olds) < 2 || olds[len(olds)-2] != 2 || olds[len(olds)-1] != 4 {
			t.Errorf("olds sent %v: want 2 refused, then 4", olds)
		}
		if attempts(t, w, "conflict") != 1 {
			t.Error("the conflict is not counted")
		}
		stop()
		// Another node anchors 8, the newest: adopted.
		cp8 := e.platform.grow(t, 2)
		pc, _ = e.platform.pol.Verify(cp8)
		e.court.amu.Lock()
		e.court.deposit(pc.Checkpoint, cp8)
		e.court.amu.Unlock()
		// A fresh node that never anchored learns the size from GET.
		st, err := store.Open(filepath.Join(t.TempDir(), "fresh"), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		e.st = st
		posts := e.court.posts.Load()
		e.start(nil)
		eventually(t, "the adopted anchor", func() bool { _, s := e.stored(); return s == 8 })
		if e.court.posts.Load() != posts {
			t.Error("posted a checkpoint the court anchored already")
		}
	})
}

// TestRestart: anchors survive a restart, and the restarted worker
// continues from them: no repeated anchor, no repeated policy fetch.
func TestRestart(t *testing.T) {
	e := newEnv(t, suite.GM(), suite.GM())
	e.platform.grow(t, 3)
	_, stop := e.start(func(tg *upstream.Target) { tg.Entries = 1 })
	eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 3 })
	stop()
	posts := e.court.posts.Load()
	w, _ := e.start(func(tg *upstream.Target) { tg.Entries = 1 })
	time.Sleep(100 * time.Millisecond)
	if e.court.posts.Load() != posts {
		t.Error("the restarted worker anchored the same checkpoint again")
	}
	if ups := w.Upstreams(); ups[0].AnchoredSize != 3 || ups[0].Anchors != 1 {
		t.Errorf("after restart: %+v", ups[0])
	}
	e.platform.grow(t, 1)
	eventually(t, "the next anchor", func() bool { _, s := e.stored(); return s == 4 })
	if olds := e.court.olds; olds[len(olds)-1] != 3 {
		t.Errorf("old %d after restart, want 3", olds[len(olds)-1])
	}
	if n := e.court.policyFetches.Load(); n != 1 {
		t.Errorf("policy fetched %d times across a restart, pinned once", n)
	}
}

// TestBadAnswersAreNotStored: a huge answer, or an answer anchoring
// another checkpoint or under another court's policy, is refused and
// nothing is stored.
func TestBadAnswersAreNotStored(t *testing.T) {
	other := newNetwork(t, suite.International(), "court.example/ledger")
	cases := []struct {
		name   string
		huge   bool
		tamper func(*api.Anchor)
		want   string
	}{
		{"huge", true, nil, "larger than"},
		{"other checkpoint", false, func(a *api.Anchor) { a.Checkpoint = strings.Replace(a.Checkpoint, "\n2\n", "\n1\n", 1) }, "not the checkpoint sent"},
		{"receipt of another court with the same name", false, func(a *api.Anchor) {
			rc := []byte(a.Receipt)
			i := bytes.Index(rc, []byte("court.example/ledger\n"))
			cp := other.grow(t, 1)
			a.Receipt = string(rc[:i]) + string(cp)
		}, "checkpoint signatures"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, suite.International(), suite.International())
			e.platform.grow(t, 2)
			e.court.huge.Store(c.huge)
			if c.tamper != nil {
				e.court.tamper.Store(&c.tamper)
			}
			w, _ := e.start(nil)
			eventually(t, "the refusal", func() bool { return strings.Contains(w.Upstreams()[0].LastError, c.want) })
			if n, _ := e.stored(); n != 0 {
				t.Error("a bad answer was stored")
			}
			if attempts(t, w, "invalid") == 0 {
				t.Error("not counted as invalid")
			}
		})
	}
}

// TestCheck runs the answer checks one by one on a genuine answer
// altered.
func TestCheck(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		cp := e.platform.grow(t, 2)
		pc, _ := e.platform.pol.Verify(cp)
		e.court.amu.Lock()
		genuine := e.court.deposit(pc.Checkpoint, cp)
		cp3 := e.platform.grow(t, 1)
		pc3, _ := e.platform.pol.Verify(cp3)
		third := e.court.deposit(pc3.Checkpoint, cp3)
		e.court.amu.Unlock()
		other := newCourt(t, cs, e.platform.pol)
		other.origin = e.court.origin
		otherAnchor := other.deposit(pc.Checkpoint, cp)
		cases := []struct {
			name   string
			sent   []byte
			change func(a *api.Anchor)
			want   string
		}{
			{"genuine", cp, func(*api.Anchor) {}, ""},
			{"sent another checkpoint", cp3, func(*api.Anchor) {}, "not the checkpoint sent"},
			{"receipt of another anchor", cp, func(a *api.Anchor) { a.Receipt = third.Receipt }, "content digest"},
			{"receipt in another court", cp, func(a *api.Anchor) { a.Receipt = otherAnchor.Receipt }, "checkpoint signatures"},
			{"corrupted receipt", cp, func(a *api.Anchor) { a.Receipt = strings.Replace(a.Receipt, "index 0", "index 1", 1) }, "receipt"},
			{"other number", cp, func(a *api.Anchor) { a.Number++ }, "number"},
			{"other deposit id", cp, func(a *api.Anchor) { a.Deposit = third.Deposit }, "deposit id"},
			{"other time", cp, func(a *api.Anchor) { a.CertifiedTime = a.CertifiedTime.Add(time.Second) }, "certified time"},
			{"other size", cp, func(a *api.Anchor) { a.Size = 3 }, "size"},
			{"other root", cp, func(a *api.Anchor) { a.RootHash = pc3.Checkpoint.Hash }, "root"},
			{"other origin", cp, func(a *api.Anchor) { a.Origin = "elsewhere" }, "not of this log"},
			{"other court", cp, func(a *api.Anchor) { a.CourtOrigin = "another.court" }, "policy is of"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := genuine
				c.change(&a)
				b, _ := json.Marshal(a)
				got, err := upstream.Check(e.court.pol, platformOrigin, c.sent, b)
				if c.want == "" {
					if err != nil || got.Number != genuine.Number {
						t.Fatalf("genuine answer refused: %v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("got %v, want an error about %q", err, c.want)
				}
			})
		}
		if _, err := upstream.Check(e.court.pol, platformOrigin, cp, append(bytes.Repeat([]byte(" "), upstream.MaxAnswer), '{', '}')); err == nil {
			t.Error("an oversized answer was accepted")
		}
	})
}

// TestNewRefusesBadTargets: bad URLs, duplicates, bad policies and no
// way to learn the policy are errors at start.
func TestNewRefusesBadTargets(t *testing.T) {
	p := newNetwork(t, suite.International(), platformOrigin)
	cases := []struct {
		name string
		ts   []upstream.Target
		want string
	}{
		{"not a URL", []upstream.Target{{URL: "court:8080", PinFile: "x"}}, "not an http"},
		{"query", []upstream.Target{{URL: "http://court/?a=b", PinFile: "x"}}, "not an http"},
		{"twice", []upstream.Target{{URL: "http://court", PinFile: "x"}, {URL: "http://court/", PinFile: "y"}}, "twice"},
		{"bad policy", []upstream.Target{{URL: "http://court", Policy: []byte("log nonsense\n")}}, "policy"},
		{"no policy", []upstream.Target{{URL: "http://court"}}, "pin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := upstream.New(upstream.Options{Origin: platformOrigin, Log: p, Store: &store.Store{}, Targets: c.ts})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestPendingAnswer: a court that answers 202 (the anchor ordered, its
// entry not final yet) is asked for the anchor until it is final: no
// refusal, no second post, nothing for an operator to do.
func TestPendingAnswer(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		e.platform.grow(t, 2)
		e.court.pending.Store(2) // the post and the first follow-up
		w, _ := e.start(func(tg *upstream.Target) { tg.Entries = 2 })
		eventually(t, "the anchor", func() bool { return w.Upstreams()[0].AnchoredSize == 2 })
		if n := attempts(t, w, "refused"); n != 0 {
			t.Errorf("a 202 counted as %v refusals", n)
		}
		if n := e.court.posts.Load(); n != 1 {
			t.Errorf("posted %d times, want once and then asked", n)
		}
		if e.court.pending.Load() != 0 {
			t.Error("the pending answers were not all asked for")
		}
		if ups := w.Upstreams(); ups[0].LastError != "" || ups[0].AnchoredSize != 2 {
			t.Errorf("after a pending answer: %+v", ups[0])
		}
	})
}

// lagging is the platform's log as a node that is behind sees it: no
// final checkpoint beyond limit (0: none hidden).
type lagging struct {
	*network
	limit atomic.Uint64
}

func (l *lagging) LatestFinal() ([]byte, error) {
	if lim := l.limit.Load(); lim != 0 {
		return l.network.Final(lim)
	}
	return l.network.LatestFinal()
}

func (l *lagging) Final(size uint64) ([]byte, error) {
	if lim := l.limit.Load(); lim != 0 && size > lim {
		return nil, store.ErrNotFound
	}
	return l.network.Final(size)
}

// TestAdoptWaitsWithBackoff: another node of the platform anchored a
// checkpoint this node has not made final yet; the worker asks for it
// with backoff, not every poll, shows why it waits, and adopts the
// anchor once the checkpoint is final here.
func TestAdoptWaitsWithBackoff(t *testing.T) {
	suites(t, func(t *testing.T, cs *suite.Suite) {
		e := newEnv(t, cs, cs)
		e.platform.grow(t, 2)
		_, stop := e.start(func(tg *upstream.Target) { tg.Entries = 1 })
		eventually(t, "the first anchor", func() bool { _, s := e.stored(); return s == 2 })
		stop()
		e.platform.grow(t, 1)
		cp4 := e.platform.grow(t, 1)
		pc, _ := e.platform.pol.Verify(cp4)
		e.court.amu.Lock()
		e.court.deposit(pc.Checkpoint, cp4) // by another node
		e.court.amu.Unlock()
		lag := &lagging{network: e.platform}
		lag.limit.Store(3)
		e.log = lag
		gets := e.court.gets.Load()
		w, _ := e.start(func(tg *upstream.Target) { tg.Entries = 1 })
		time.Sleep(600 * time.Millisecond)
		// Polling every 5 ms would ask about 120 times; the backoff
		// (20 ms doubling to 150 ms) about 8.
		if n := e.court.gets.Load() - gets; n > 20 {
			t.Errorf("asked for the anchor %d times in 600 ms", n)
		}
		ups := w.Upstreams()
		if !strings.Contains(ups[0].LastError, "not final here") || ups[0].NextAttempt == nil || ups[0].AnchoredSize != 2 {
			t.Errorf("while waiting: %+v", ups[0])
		}
		if n := attempts(t, w, "refused"); n != 0 {
			t.Errorf("waiting counted as %v refusals", n)
		}
		lag.limit.Store(0)
		eventually(t, "the adopted anchor", func() bool { _, s := e.stored(); return s == 4 })
		eventually(t, "the error cleared", func() bool { return w.Upstreams()[0].LastError == "" })
	})
}
