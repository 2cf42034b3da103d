// Package upstream anchors this network's final checkpoints into upstream
// networks (courts) that registered it as an outside log: per upstream it
// posts the latest final checkpoint, with a consistency proof from the
// size the upstream anchored last, to the upstream's POST /v1/anchors
// whenever enough time passed or enough entries arrived, keeps trying
// with backoff while the upstream is down, checks every anchor the
// upstream answers against the upstream's tlog-policy and only then
// stores it on this node. Stored anchors upgrade receipts to composed
// ones (httpapi's POST /v1/receipts/upgrade).
package upstream

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/transparency-dev/formats/log"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
	"github.com/jurichain/jurichain/witness"
)

// Defaults of a Target and of Options.
const (
	DefaultEvery   = 30 * time.Second
	DefaultEntries = 1000
	// MinBackoff and MaxBackoff bound the wait between attempts while an
	// upstream is down; an upstream that refuses the anchor for a reason
	// its operator or ours must fix is retried at MaxBackoff.
	MinBackoff = time.Second
	MaxBackoff = 5 * time.Minute
	// MaxAnswer bounds an upstream's answer: an anchor is a checkpoint
	// and a receipt, a few KiB; more is refused unread.
	MaxAnswer = 1 << 20
	// anchorWait is how long the upstream is asked to wait for its
	// anchor entry to commit, and how long a 202 (ordered, not final
	// yet) is followed up before the attempt is retried with backoff.
	anchorWait = 30 * time.Second
	// pendingPoll is how often a 202 is followed up.
	pendingPoll = 500 * time.Millisecond
)

// Target is one upstream network to anchor into.
type Target struct {
	// URL is the base URL of a node of the upstream network.
	URL string
	// Policy is the upstream's tlog-policy; nil to fetch it once from
	// URL/policy and pin it in PinFile.
	Policy []byte
	// PinFile is where a fetched policy is kept, and read from on the
	// next start.
	PinFile string
	// Every and Entries say when to anchor: once Every passed since the
	// last anchor, or once Entries entries arrived since, whichever is
	// first (and never when nothing did). Zero takes the default.
	Every   time.Duration
	Entries uint64
}

// Log is this network's log as the worker reads it.
type Log interface {
	// LatestFinal returns the latest final checkpoint (a signed note),
	// store.ErrNotFound before the first.
	LatestFinal() ([]byte, error)
	// Final returns the final checkpoint of a tree size.
	Final(size uint64) ([]byte, error)
	// ConsistencyProof proves the tree of size to an extension of from.
	ConsistencyProof(from, to uint64) ([][]byte, error)
}

// Store keeps the anchors (node-local); *store.Store is one.
type Store interface {
	PutOutboundAnchor(court string, size uint64, record []byte) error
	LatestOutboundAnchor(court string) (count, size uint64, record []byte, err error)
}

// Options configure a Worker.
type Options struct {
	// Origin is this network's log origin.
	Origin  string
	Log     Log
	Store   Store
	Targets []Target
	// Client sends the requests; a client with a 2-minute timeout when
	// nil.
	Client *http.Client
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Poll is how often the worker looks for a new final checkpoint; 1 s
	// when zero.
	Poll time.Duration
	// MinBackoff and MaxBackoff override the package's, for tests.
	MinBackoff, MaxBackoff time.Duration
}

// Worker anchors the log into every target. Its methods are safe for
// concurrent use.
type Worker struct {
	o         Options
	ups       []*upstream
	attempts  *prometheus.CounterVec
	startOnce sync.Once
}

// upstream is the state of one target. Fields below mu are read by the
// API while the loop runs.
type upstream struct {
	t    Target
	name string // the URL without credentials, for logs and metrics

	mu sync.Mutex
	// pol is the upstream's policy, nil until loaded; court its origin.
	pol   *policy.Policy
	court string
	// known says remoteSize is the upstream's latest anchored size as
	// last learned.
	known      bool
	remoteSize uint64
	// anchored is the size of the latest anchor stored here, at the time
	// of lastAt (the anchor's certified time), count how many.
	anchored    uint64
	lastAt      time.Time
	count       uint64
	loaded      bool
	lastSuccess time.Time
	lastError   string
	nextAttempt time.Time
}

// New checks the targets and builds the worker; Run starts it.
func New(o Options) (*Worker, error) {
	if o.Log == nil || o.Store == nil || o.Origin == "" {
		return nil, errors.New("upstream: the worker needs the log, its origin and the store")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = MinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = MaxBackoff
	}
	w := &Worker{o: o, attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jurichain", Name: "anchor_attempts_total",
		Help: "Attempts to anchor this network's checkpoints into upstream networks, by upstream and result.",
	}, []string{"upstream", "result"})}
	seen := map[string]bool{}
	for i, t := range o.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("upstream %d: %q is not an http:// or https:// base URL", i+1, t.URL)
		}
		t.URL = strings.TrimSuffix(t.URL, "/")
		if seen[t.URL] {
			return nil, fmt.Errorf("upstream %s is named twice", t.URL)
		}
		seen[t.URL] = true
		if t.Every <= 0 {
			t.Every = DefaultEvery
		}
		if t.Entries == 0 {
			t.Entries = DefaultEntries
		}
		up := &upstream{t: t, name: u.Redacted()}
		if t.Policy != nil {
			if err := up.setPolicy(t.Policy); err != nil {
				return nil, fmt.Errorf("upstream %s: its policy: %w", up.name, err)
			}
		} else if t.PinFile == "" {
			return nil, fmt.Errorf("upstream %s: give its policy or a file to pin it in", up.name)
		}
		w.ups = append(w.ups, up)
	}
	return w, nil
}

func (u *upstream) setPolicy(text []byte) error {
	pol, err := policy.Parse(text)
	if err != nil {
		return err
	}
	if pol.Origin() == "" || pol.Suite() == nil {
		return errors.New("the policy names no log of a known suite")
	}
	u.mu.Lock()
	u.pol, u.court = pol, pol.Origin()
	u.mu.Unlock()
	return nil
}

// Run anchors until ctx is done, then returns once every upstream's loop
// stopped.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, u := range w.ups {
		wg.Go(func() { w.loop(ctx, u) })
	}
	wg.Wait()
}

// Upstreams describes each upstream's anchoring, for GET
// /v1/anchors/outbound.
func (w *Worker) Upstreams() []api.Upstream {
	out := make([]api.Upstream, 0, len(w.ups))
	for _, u := range w.ups {
		u.mu.Lock()
		s := api.Upstream{URL: u.name, Origin: u.court, AnchoredSize: u.anchored, LastError: u.lastError, Anchors: u.count}
		if !u.lastSuccess.IsZero() {
			t := u.lastSuccess
			s.LastSuccess = &t
		}
		if !u.nextAttempt.IsZero() {
			t := u.nextAttempt
			s.NextAttempt = &t
		}
		u.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Policies are the tlog-policies of the upstreams the worker has
// reached, which prove the anchors it stores: an evidence package carries
// them beside its own network's.
func (w *Worker) Policies() [][]byte {
	var out [][]byte
	for _, u := range w.ups {
		u.mu.Lock()
		if u.pol != nil {
			out = append(out, u.pol.Format())
		}
		u.mu.Unlock()
	}
	return out
}

// Describe implements prometheus.Collector.
func (w *Worker) Describe(ch chan<- *prometheus.Desc) { w.attempts.Describe(ch) }

// Collect implements prometheus.Collector.
func (w *Worker) Collect(ch chan<- prometheus.Metric) { w.attempts.Collect(ch) }

// Results of an attempt, the "result" label of the metric.
const (
	resultAnchored    = "anchored"    // a new or the same anchor, checked and stored
	resultConflict    = "conflict"    // the upstream anchored another size; retried from it
	resultUnavailable = "unavailable" // unreachable or 5xx: retried with backoff
	resultRefused     = "refused"     // 4xx: the operators must act; retried slowly
	resultPending     = "pending"     // an anchor not final yet, there or here: retried with backoff
	resultInvalid     = "invalid"     // an answer that fails its checks: not stored
)

// attemptError is a failed attempt: transient ones are retried with
// backoff, the others at the slow pace.
type attemptError struct {
	result string
	err    error
}

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

func failed(result string, format string, args ...any) *attemptError {
	return &attemptError{result: result, err: fmt.Errorf(format, args...)}
}

// loop is one upstream's: wait until an anchor is due, attempt it, back
// off on failure.
func (w *Worker) loop(ctx context.Context, u *upstream) {
	failures := 0
	for ctx.Err() == nil {
		wait, err := w.step(ctx, u)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ae *attemptError
			if !errors.As(err, &ae) {
				ae = &attemptError{result: resultUnavailable, err: err}
			}
			if ae.result != resultConflict {
				w.attempts.WithLabelValues(u.name, ae.result).Inc()
			}
			switch ae.result {
			case resultPending:
				wait = w.backoff(failures)
				failures++
				w.o.Logger.Info("anchoring: waiting for an anchor to be final", "upstream", u.name, "retry_in", wait.Round(time.Millisecond), "reason", err)
			case resultUnavailable:
				wait = w.backoff(failures)
				failures++
				w.o.Logger.Warn("anchoring: the upstream is unavailable; retrying", "upstream", u.name, "retry_in", wait.Round(time.Millisecond), "err", err)
			default:
				wait = w.o.MaxBackoff
				w.o.Logger.Error("anchoring: the upstream refused this network's checkpoint; an operator must act", "upstream", u.name, "retry_in", wait, "err", err)
			}
			u.mu.Lock()
			u.lastError = err.Error()
			u.nextAttempt = w.o.Now().Add(wait)
			u.mu.Unlock()
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is the wait after the n-th failure in a row (from 0): MinBackoff
// doubling up to MaxBackoff, each drawn from its upper half so that the
// platform's nodes do not retry in step.
func (w *Worker) backoff(n int) time.Duration {
	d := w.o.MaxBackoff
	if n < 32 {
		d = min(w.o.MaxBackoff, w.o.MinBackoff<<n)
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// step does what is due now and returns how long to wait before the next
// step.
func (w *Worker) step(ctx context.Context, u *upstream) (time.Duration, error) {
	if err := w.load(ctx, u); err != nil {
		return 0, err
	}
	cp, err := w.o.Log.LatestFinal()
	if errors.Is(err, store.ErrNotFound) {
		return w.o.Poll, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading this network's latest final checkpoint: %w", err)
	}
	c, err := parseCheckpoint(cp)
	if err != nil {
		return 0, fmt.Errorf("this network's latest final checkpoint: %w", err)
	}
	now := w.o.Now()
	u.mu.Lock()
	anchored, lastAt, count := u.anchored, u.lastAt, u.count
	due := c.Size > anchored && (count == 0 || c.Size-anchored >= u.t.Entries || !now.Before(lastAt.Add(u.t.Every)))
	if !due {
		u.nextAttempt = time.Time{}
		wait := w.o.Poll
		if c.Size > anchored {
			u.nextAttempt = lastAt.Add(u.t.Every)
			wait = min(wait, u.nextAttempt.Sub(now))
		}
		u.mu.Unlock()
		return wait, nil
	}
	u.nextAttempt = now
	u.mu.Unlock()
	if err := w.anchor(ctx, u, cp, c); err != nil {
		return 0, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.anchored < c.Size {
		// Another node's anchor of it, not final here yet.
		return w.o.Poll, nil
	}
	return 0, nil
}

// load reads the upstream's policy (pinning it on first contact) and the
// latest anchor stored here.
func (w *Worker) load(ctx context.Context, u *upstream) error {
	u.mu.Lock()
	pol, loaded := u.pol, u.loaded
	u.mu.Unlock()
	if pol == nil {
		text, err := os.ReadFile(u.t.PinFile)
		if errors.Is(err, os.ErrNotExist) {
			if text, err = w.fetchPolicy(ctx, u); err != nil {
				return err
			}
		} else if err != nil {
			return failed(resultRefused, "reading the pinned policy of upstream %s: %w", u.name, err)
		}
		if err := u.setPolicy(text); err != nil {
			return failed(resultRefused, "the pinned policy %s of upstream %s: %w (remove it to fetch the upstream's policy again, or configure the policy)", u.t.PinFile, u.name, err)
		}
	}
	if loaded {
		return nil
	}
	u.mu.Lock()
	court := u.court
	u.mu.Unlock()
	count, size, record, err := w.o.Store.LatestOutboundAnchor(court)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("reading the anchors stored here: %w", err)
	}
	var a api.Anchor
	if err == nil {
		if err := json.Unmarshal(record, &a); err != nil {
			return fmt.Errorf("reading the anchors stored here: %w", err)
		}
	}
	u.mu.Lock()
	u.loaded, u.count, u.anchored, u.lastAt = true, count, size, a.CertifiedTime
	if count > 0 && !u.known {
		// The upstream anchored at least this much.
		u.known, u.remoteSize = true, size
	}
	u.mu.Unlock()
	return nil
}

// fetchPolicy asks the upstream for its policy and pins it: trusting it
// on first use is the operator's choice (no policy configured), so the
// log says so.
func (w *Worker) fetchPolicy(ctx context.Context, u *upstream) ([]byte, error) {
	status, body, err := w.do(ctx, http.MethodGet, u.t.URL+"/policy", nil, policy.MaxSize)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, statusError(status, body, "fetching the upstream's policy")
	}
	if _, err := policy.Parse(body); err != nil {
		return nil, failed(resultInvalid, "the policy served at %s/policy: %w", u.name, err)
	}
	if err := os.MkdirAll(filepath.Dir(u.t.PinFile), 0o755); err != nil {
		return nil, fmt.Errorf("pinning the upstream's policy: %w", err)
	}
	tmp := u.t.PinFile + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return nil, fmt.Errorf("pinning the upstream's policy: %w", err)
	}
	if err := os.Rename(tmp, u.t.PinFile); err != nil {
		return nil, fmt.Errorf("pinning the upstream's policy: %w", err)
	}
	w.o.Logger.Warn("anchoring: no policy configured for the upstream; pinned the one it serves, and its anchors are checked against it from now on (compare it with one its members gave you, or configure it with --anchor-policy)",
		"upstream", u.name, "policy", u.t.PinFile)
	return body, nil
}

// anchor anchors the checkpoint cp, parsed c, into the upstream.
func (w *Worker) anchor(ctx context.Context, u *upstream, cp []byte, c *log.Checkpoint) error {
	// A 409 teaches the upstream's size; the retry with it is the same
	// attempt. Another node of this network may anchor concurrently, so
	// a few rounds are allowed.
	for range 3 {
		u.mu.Lock()
		known, old, court := u.known, u.remoteSize, u.court
		u.mu.Unlock()
		if !known {
			var err error
			if old, err = w.remoteSize(ctx, u); err != nil {
				return err
			}
		}
		if old >= c.Size {
			// Upstream is already at or past this checkpoint (another
			// node of this network anchored it): take its anchor.
			return w.adopt(ctx, u, c.Size)
		}
		var proof [][]byte
		if old > 0 {
			var err error
			if proof, err = w.o.Log.ConsistencyProof(old, c.Size); err != nil {
				return fmt.Errorf("consistency proof from %d to %d: %w", old, c.Size, err)
			}
		}
		status, body, err := w.do(ctx, http.MethodPost, fmt.Sprintf("%s/v1/anchors?wait=%s", u.t.URL, anchorWait), (&witness.Request{Old: old, Proof: proof, Checkpoint: cp}).Format(), MaxAnswer)
		if err != nil {
			return err
		}
		switch status {
		case http.StatusOK:
			return w.accept(u, court, body, cp)
		case http.StatusAccepted:
			// Ordered, and final there a few blocks later.
			return w.awaitAnchor(ctx, u, court, cp, c.Size)
		case http.StatusConflict:
			var e struct {
				Code    string  `json:"code"`
				Message string  `json:"message"`
				Size    *uint64 `json:"size"`
			}
			if json.Unmarshal(body, &e) != nil || e.Code != api.CodeConflict || e.Size == nil {
				return statusError(status, body, "anchoring size "+fmt.Sprint(c.Size))
			}
			w.attempts.WithLabelValues(u.name, resultConflict).Inc()
			w.o.Logger.Info("anchoring: the upstream anchored another size; retrying from it", "upstream", u.name, "sent_old", old, "upstream_size", *e.Size)
			u.mu.Lock()
			u.known, u.remoteSize = true, *e.Size
			u.mu.Unlock()
		default:
			return statusError(status, body, "anchoring size "+fmt.Sprint(c.Size))
		}
	}
	return failed(resultUnavailable, "the upstream's anchored size kept changing; trying again later")
}

// remoteSize asks the upstream for the latest anchored size of this log.
func (w *Worker) remoteSize(ctx context.Context, u *upstream) (uint64, error) {
	status, body, err := w.do(ctx, http.MethodGet, u.t.URL+"/v1/anchors/"+url.PathEscape(w.o.Origin), nil, MaxAnswer)
	if err != nil {
		return 0, err
	}
	var size uint64
	switch status {
	case http.StatusNotFound:
		// Not registered or nothing anchored yet: the POST tells which.
	case http.StatusOK, http.StatusAccepted:
		// 202: the latest anchor is not final there yet; its size holds.
		var a api.Anchor
		if err := json.Unmarshal(body, &a); err != nil || a.Origin != w.o.Origin {
			return 0, failed(resultInvalid, "the upstream's latest anchor of %s is not an anchor of this log", w.o.Origin)
		}
		size = a.Size
	default:
		return 0, statusError(status, body, "asking for the latest anchor")
	}
	u.mu.Lock()
	u.known, u.remoteSize = true, size
	u.mu.Unlock()
	return size, nil
}

// adopt stores the upstream's anchor covering size, made by another node
// of this network, once it is a final checkpoint here too.
func (w *Worker) adopt(ctx context.Context, u *upstream, size uint64) error {
	status, body, err := w.do(ctx, http.MethodGet, fmt.Sprintf("%s/v1/anchors/%s?size=%d", u.t.URL, url.PathEscape(w.o.Origin), size), nil, MaxAnswer)
	if err != nil {
		return err
	}
	if status == http.StatusAccepted {
		return failed(resultPending, "the upstream's anchor covering size %d, made by another node of this network, is not final there yet", size)
	}
	if status != http.StatusOK {
		return statusError(status, body, fmt.Sprintf("asking for the anchor covering size %d", size))
	}
	var a api.Anchor
	if err := json.Unmarshal(body, &a); err != nil {
		return failed(resultInvalid, "the upstream's anchor covering size %d: %w", size, err)
	}
	ours, err := w.o.Log.Final(a.Size)
	if errors.Is(err, store.ErrNotFound) {
		// Another node of this network is ahead of this one: asked
		// again with backoff, not every poll.
		return failed(resultPending, "the upstream anchored size %d, made by another node of this network, which is not final here yet", a.Size)
	}
	if err != nil {
		return fmt.Errorf("reading this network's final checkpoint %d: %w", a.Size, err)
	}
	u.mu.Lock()
	court := u.court
	u.mu.Unlock()
	return w.accept(u, court, body, ours)
}

// awaitAnchor follows up a 202 to the anchor of the checkpoint cp of
// size: the upstream ordered it and answers it once its entry is final.
// Asked every pendingPoll for at most anchorWait; still not final, the
// attempt is retried with backoff, and posting again is idempotent.
func (w *Worker) awaitAnchor(ctx context.Context, u *upstream, court string, cp []byte, size uint64) error {
	deadline := time.Now().Add(anchorWait)
	for {
		t := time.NewTimer(pendingPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		status, body, err := w.do(ctx, http.MethodGet, fmt.Sprintf("%s/v1/anchors/%s?size=%d", u.t.URL, url.PathEscape(w.o.Origin), size), nil, MaxAnswer)
		if err != nil {
			return err
		}
		switch status {
		case http.StatusOK:
			return w.accept(u, court, body, cp)
		case http.StatusAccepted:
		default:
			return statusError(status, body, fmt.Sprintf("asking for the anchor of size %d", size))
		}
		if time.Now().After(deadline) {
			return failed(resultPending, "the upstream ordered the anchor of size %d and has not made it final in %s", size, anchorWait)
		}
	}
}

// accept checks an anchor the upstream answered and stores it: nothing
// is stored, or reported, before it holds.
func (w *Worker) accept(u *upstream, court string, body, sent []byte) error {
	u.mu.Lock()
	pol := u.pol
	u.mu.Unlock()
	a, err := Check(pol, w.o.Origin, sent, body)
	if err != nil {
		return &attemptError{result: resultInvalid, err: fmt.Errorf("the upstream's answer: %w", err)}
	}
	record, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := w.o.Store.PutOutboundAnchor(court, a.Size, record); err != nil {
		return fmt.Errorf("storing the anchor: %w", err)
	}
	count, _, _, err := w.o.Store.LatestOutboundAnchor(court)
	if err != nil {
		return fmt.Errorf("reading the anchors stored here: %w", err)
	}
	w.attempts.WithLabelValues(u.name, resultAnchored).Inc()
	u.mu.Lock()
	if a.Size >= u.anchored {
		u.anchored, u.lastAt = a.Size, a.CertifiedTime
	}
	if a.Size > u.remoteSize || !u.known {
		u.known, u.remoteSize = true, a.Size
	}
	u.count, u.lastSuccess, u.lastError, u.nextAttempt = count, w.o.Now(), "", time.Time{}
	u.mu.Unlock()
	w.o.Logger.Info("anchored", "upstream", u.name, "court", court, "size", a.Size, "anchor", a.Number, "certified", a.CertifiedTime)
	return nil
}

// Check reads an upstream's answer, an api.Anchor (at most MaxAnswer
// bytes), and checks that it anchors exactly the checkpoint sent, of the
// log origin, in the court network of the policy pol: the anchor record
// is sent byte for byte and its size and root are the answer's; the
// receipt verifies under pol, its entry's content is the court hash of
// the record, its depositor is a log key of the court's policy (a court
// node deposited it), under the idempotency key the court derives from
// the record; and the answer's number, deposit id, certified time and
// court origin are the receipt's.
func Check(pol *policy.Policy, origin string, sent, answer []byte) (*api.Anchor, error) {
	if len(answer) > MaxAnswer {
		return nil, fmt.Errorf("%d bytes, at most %d", len(answer), MaxAnswer)
	}
	var a api.Anchor
	dec := json.NewDecoder(bytes.NewReader(answer))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not an anchor: %w", err)
	}
	if a.Checkpoint != string(sent) {
		return nil, errors.New("the anchor record is not the checkpoint sent")
	}
	c, err := parseCheckpoint(sent)
	if err != nil {
		return nil, err
	}
	if a.Origin != origin || c.Origin != origin {
		return nil, fmt.Errorf("the anchor is of %q, not of this log %q", a.Origin, origin)
	}
	if a.Size != c.Size || !bytes.Equal(a.RootHash, c.Hash) {
		return nil, fmt.Errorf("the anchor says size %d, the checkpoint sent is of size %d or another root", a.Size, c.Size)
	}
	cs := pol.Suite()
	if a.CourtOrigin != pol.Origin() {
		return nil, fmt.Errorf("the anchor is in %q, the upstream's policy is of %q", a.CourtOrigin, pol.Origin())
	}
	r, err := receipt.Parse([]byte(a.Receipt))
	if err != nil {
		return nil, fmt.Errorf("the court receipt: %w", err)
	}
	p, err := anchor.VerifyEntry(pol, r, sent)
	if err != nil {
		return nil, fmt.Errorf("the court receipt under the upstream's policy: %w", err)
	}
	if p.Origin() != a.CourtOrigin {
		return nil, fmt.Errorf("the court receipt is of %q, the anchor says %q", p.Origin(), a.CourtOrigin)
	}
	digest := cs.Hash(sent)
	if want := "anchor-" + hex.EncodeToString(digest[:16]); p.Leaf.IdempotencyKey != want {
		return nil, fmt.Errorf("the court entry's idempotency key is %q, an anchor of this checkpoint has %q", p.Leaf.IdempotencyKey, want)
	}
	if a.Number != p.Leaf.Index || a.Deposit != p.Leaf.Statement.ID(cs) || !a.CertifiedTime.Equal(p.CertifiedTime()) {
		return nil, errors.New("the anchor's number, deposit id or certified time is not its receipt's")
	}
	return &a, nil
}

// parseCheckpoint reads the text of a signed checkpoint note; the
// signatures are this network's own and not checked here.
func parseCheckpoint(b []byte) (*log.Checkpoint, error) {
	text, _, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, errors.New("the checkpoint is not a signed note")
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal(append(text, '\n')); err != nil {
		return nil, fmt.Errorf("the checkpoint: %w", err)
	}
	return &c, nil
}

// do sends a request and reads at most limit bytes of the answer; an
// unreachable upstream is unavailable.
func (w *Worker) do(ctx context.Context, method, u string, body []byte, limit int64) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("request to %s: %w", u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	resp, err := w.o.Client.Do(req)
	if err != nil {
		return 0, nil, failed(resultUnavailable, "%s %s: %w", method, redact(u), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, failed(resultUnavailable, "%s %s: reading the answer: %w", method, redact(u), err)
	}
	if int64(len(b)) > limit {
		return 0, nil, failed(resultInvalid, "%s %s: the answer is larger than %d bytes: refused", method, redact(u), limit)
	}
	return resp.StatusCode, b, nil
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// statusError is the error of an answer other than the one expected: 5xx
// is transient, 4xx needs an operator.
func statusError(status int, body []byte, what string) error {
	var e api.Error
	msg := fmt.Sprintf("HTTP %d", status)
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		msg = fmt.Sprintf("HTTP %d %s: %s", status, e.Code, e.Message)
	}
	switch {
	case status >= 500:
		return failed(resultUnavailable, "%s: %s", what, msg)
	case status == http.StatusNotFound:
		return failed(resultRefused, "%s: %s; the upstream network does not accept anchors of this log: ask the upstream's members to register this log with jurichain consortium propose --register-log", what, msg)
	case status == http.StatusConflict && e.Code == "fork":
		return failed(resultRefused, "%s: %s; the upstream holds another checkpoint of this log's size: a fork of this network, see its GET /v1/misbehaviour", what, msg)
	case status == http.StatusForbidden:
		return failed(resultRefused, "%s: %s; the upstream's registered policy of this log does not accept its checkpoints: ask the upstream's members to register this network's current policy", what, msg)
	default:
		return failed(resultRefused, "%s: %s", what, msg)
	}
}

// storeLog is a node's log as its store holds it.
type storeLog struct {
	cs *suite.Suite
	st *store.Store
}

// StoreLog is the log of a node's store, whose suite is cs.
func StoreLog(cs *suite.Suite, st *store.Store) Log { return storeLog{cs, st} }

func (l storeLog) LatestFinal() ([]byte, error)      { return l.st.LatestFinal() }
func (l storeLog) Final(size uint64) ([]byte, error) { return l.st.Final(size) }
func (l storeLog) ConsistencyProof(from, to uint64) ([][]byte, error) {
	return tlog.ConsistencyProof(l.cs.LogHasher(), l.st, from, to)
}
