package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// Cosignatures keeps, durably and node-locally, what witnesses cosigned
// (a *store.Store does).
type Cosignatures interface {
	// PutWitnessCosignature records witness's lines on the final
	// checkpoint of size; all says every configured witness now has.
	PutWitnessCosignature(size uint64, witness string, lines []byte, all bool) error
	// WitnessCosignatures returns the lines on the checkpoint of size by
	// witness name.
	WitnessCosignatures(size uint64) (map[string][]byte, error)
	// LatestWitnessCosignature returns the size of the latest checkpoint
	// witness cosigned, or an error wrapping store.ErrNotFound.
	LatestWitnessCosignature(witness string) (uint64, error)
	// LatestAllWitnessed returns the size of the latest checkpoint every
	// configured witness cosigned, or an error wrapping store.ErrNotFound.
	LatestAllWitnessed() (uint64, error)
}

// Proofs computes consistency proofs of the network's log (the ledger
// does).
type Proofs interface {
	ConsistencyProof(size1, size2 uint64) ([][]byte, error)
}

// ClientConfig is what a client needs.
type ClientConfig struct {
	// Suite is the network's: the witnesses' keys are of it.
	Suite     *suite.Suite
	Witnesses []Witness
	Store     Cosignatures
	Proofs    Proofs
	// HTTP sends the requests; a client with a 30 s timeout when nil.
	HTTP   *http.Client
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait after a failed request,
	// which doubles from the first to the second (with jitter); 1 s and 5
	// min when zero.
	MinBackoff, MaxBackoff time.Duration
}

// Client asks outside witnesses to cosign the network's final
// checkpoints. Notify hands it each new final checkpoint; Run sends them.
//
// Requests go out in rounds: each round asks every witness that is due
// (not waiting out a backoff, and not already past the checkpoint) to
// cosign the newest final checkpoint, and the next round starts when
// every request of this one has finished. Checkpoints that become final
// during a round are coalesced into the newest. The healthy witnesses
// thus cosign the same checkpoints, which is what a receipt that needs
// all of them rests on (GET /v1/deposits/{id}?witnessed=1); a witness
// that is down waits out its backoff and joins the next round at the
// newest checkpoint, without holding the others up.
type Client struct {
	cfg       ClientConfig
	witnesses []*remote
	wake      chan struct{}

	// recordMu makes each witness's record and the check whether all
	// have cosigned one step, as a round records several at once.
	recordMu sync.Mutex
	mu       sync.Mutex
	newest   *final
	counts   map[[2]string]uint64
}

// final is a final checkpoint of the network.
type final struct {
	size   uint64
	text   []byte // the note's text
	signed []byte
}

// remote is the client's view of one witness. Only the round that asks
// it touches it, so its fields need no lock.
type remote struct {
	Witness
	verifier note.Verifier
	// known is the size the witness last cosigned, as far as this node
	// knows (it learns other nodes' progress from a 409).
	known uint64
	// cosigned is the size of the latest checkpoint it cosigned for this
	// node.
	cosigned uint64
	has      bool
	failures int
	next     time.Time
}

// NewClient checks the configuration and loads what each witness
// cosigned before.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Suite == nil || cfg.Store == nil || cfg.Proofs == nil {
		return nil, errors.New("witness client: suite, store and proofs are required")
	}
	if err := CheckWitnesses(cfg.Suite, cfg.Witnesses); err != nil {
		return nil, err
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	c := &Client{cfg: cfg, wake: make(chan struct{}, 1), counts: map[[2]string]uint64{}}
	for _, w := range cfg.Witnesses {
		v, err := cfg.Suite.NewCosignatureVerifier(w.VKey)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", w.Name, err)
		}
		r := &remote{Witness: w, verifier: v}
		size, err := cfg.Store.LatestWitnessCosignature(w.Name)
		switch {
		case err == nil:
			r.known, r.cosigned, r.has = size, size, true
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		c.witnesses = append(c.witnesses, r)
	}
	return c, nil
}

// Notify tells the client that a checkpoint became final; it is asked for
// in the next round unless a newer one comes first.
func (c *Client) Notify(signed []byte) error {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return errors.New("witness client: the final checkpoint has no signatures")
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(signed[:i+1]); err != nil {
		return fmt.Errorf("witness client: reading the final checkpoint: %w", err)
	}
	c.mu.Lock()
	if c.newest == nil || cp.Size > c.newest.size {
		c.newest = &final{size: cp.Size, text: signed[:i+1], signed: signed}
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run sends rounds of requests until ctx ends.
func (c *Client) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		cp := c.newest
		c.mu.Unlock()
		now := time.Now()
		var due []*remote
		var wait time.Duration = -1
		for _, r := range c.witnesses {
			if cp == nil || (r.has && r.cosigned >= cp.size) || r.known > cp.size {
				continue
			}
			if d := r.next.Sub(now); d > 0 {
				if wait < 0 || d < wait {
					wait = d
				}
				continue
			}
			due = append(due, r)
		}
		if len(due) > 0 {
			c.round(ctx, cp, due)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-tc:
		}
		timer.Stop()
	}
}

// round asks each due witness to cosign cp, in parallel, and records
// every cosignature.
func (c *Client) round(ctx context.Context, cp *final, due []*remote) {
	var wg sync.WaitGroup
	for _, r := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines, result, err := c.ask(ctx, r, cp)
			c.count(r.Name, result)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.failures++
				r.next = time.Now().Add(c.backoff(r.failures))
				c.cfg.Logger.Warn("witness did not cosign", "witness", r.Name, "url", r.URL, "size", cp.size, "result", result, "err", err, "retry_in", time.Until(r.next).Round(time.Millisecond))
				return
			}
			r.failures, r.next = 0, time.Time{}
			if lines == nil {
				return
			}
			if err := c.record(cp.size, r, lines); err != nil {
				c.cfg.Logger.Error("keeping a witness cosignature", "witness", r.Name, "size", cp.size, "err", err)
				r.failures++
				r.next = time.Now().Add(c.backoff(r.failures))
				return
			}
			c.cfg.Logger.Debug("witness cosigned", "witness", r.Name, "size", cp.size)
		}()
	}
	wg.Wait()
}

// record stores a witness's lines and whether all witnesses have now
// cosigned that size.
func (c *Client) record(size uint64, r *remote, lines []byte) error {
	c.recordMu.Lock()
	defer c.recordMu.Unlock()
	have, err := c.cfg.Store.WitnessCosignatures(size)
	if err != nil {
		return err
	}
	all := true
	for _, o := range c.witnesses {
		if _, ok := have[o.Name]; !ok && o != r {
			all = false
		}
	}
	if err := c.cfg.Store.PutWitnessCosignature(size, r.Name, lines, all); err != nil {
		return err
	}
	r.known, r.cosigned, r.has = size, size, true
	return nil
}

// maxConflicts bounds the 409s one request follows: a witness that keeps
// naming a new size is misbehaving or racing many clients.
const maxConflicts = 3

// ask sends one add-checkpoint request (following up to maxConflicts 409
// answers naming the witness's size) and returns the verified
// cosignature lines; nil lines and no error mean the witness is ahead of
// cp, which is asked again once a newer checkpoint is final.
func (c *Client) ask(ctx context.Context, r *remote, cp *final) ([]byte, string, error) {
	for range maxConflicts + 1 {
		var p [][]byte
		if r.known > 0 && r.known < cp.size {
			var err error
			if p, err = c.cfg.Proofs.ConsistencyProof(r.known, cp.size); err != nil {
				return nil, "error", fmt.Errorf("consistency proof from %d to %d: %w", r.known, cp.size, err)
			}
		}
		body := (&Request{Old: r.known, Proof: p, Checkpoint: cp.signed}).Format()
		status, ctype, resp, err := c.post(ctx, r.URL+"/add-checkpoint", body)
		if err != nil {
			return nil, "unreachable", err
		}
		switch {
		case status == http.StatusOK:
			lines, err := verifyLines(cp.text, resp, r.verifier)
			if err != nil {
				return nil, "bad_cosignature", err
			}
			return lines, "ok", nil
		case status == http.StatusConflict && ctype == ContentTypeSize:
			size, err := strconv.ParseUint(strings.TrimSuffix(string(resp), "\n"), 10, 64)
			if err != nil || !strings.HasSuffix(string(resp), "\n") {
				return nil, "error", fmt.Errorf("409 with a malformed size %q", truncate(resp))
			}
			r.known = size
			if size > cp.size {
				// Another node of the network got it further; wait for a
				// newer final checkpoint.
				return nil, "ahead", nil
			}
		case status == http.StatusConflict:
			return nil, "fork", fmt.Errorf("the witness holds a checkpoint of size %d with another root: %s", r.known, truncate(resp))
		default:
			return nil, "refused", fmt.Errorf("HTTP %d: %s", status, truncate(bytes.TrimSpace(resp)))
		}
	}
	return nil, "error", fmt.Errorf("the witness answered %d conflicts in a row", maxConflicts+1)
}

// maxAnswer bounds what the client reads of a witness's answer.
const maxAnswer = 64 << 10

func (c *Client) post(ctx context.Context, url string, body []byte) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, "", nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b, nil
}

// verifyLines keeps the signature lines of an answer that are
// cosignatures by the witness's key on text and verify; it fails when
// none does. Lines by other keys are dropped, as the protocol says.
func verifyLines(text, answer []byte, v note.Verifier) ([]byte, error) {
	if len(answer) == 0 || answer[len(answer)-1] != '\n' {
		return nil, errors.New("the answer is not signature lines ending in a newline")
	}
	var kept []byte
	for line := range bytes.Lines(answer) {
		n, err := note.Open(slices.Concat(text, []byte("\n"), line), note.VerifierList(v))
		if err != nil {
			continue
		}
		if len(n.Sigs) == 1 && n.Sigs[0].Name == v.Name() && n.Sigs[0].Hash == v.KeyHash() {
			kept = append(kept, line...)
		}
	}
	if kept == nil {
		return nil, fmt.Errorf("no line of the answer is a valid cosignature by %s: %q", v.Name(), truncate(answer))
	}
	return kept, nil
}

// backoff is the wait after the n-th failure in a row: MinBackoff
// doubling up to MaxBackoff, less up to a quarter at random so that the
// nodes of a network do not retry in step.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return d - rand.N(d/4+1)
}

func (c *Client) count(witness, result string) {
	c.mu.Lock()
	c.counts[[2]string{witness, result}]++
	c.mu.Unlock()
}

// RequestCount is how many requests to a witness ended with a result.
type RequestCount struct {
	Witness, Result string
	N               uint64
}

// Requests returns the request counts, for jurichain_witness_requests_total.
// Results: ok, ahead (the witness had cosigned a newer checkpoint for
// another node), unreachable, refused (a 4xx or 5xx), fork (it holds a
// checkpoint of that size with another root), bad_cosignature, error.
func (c *Client) Requests() []RequestCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]RequestCount, 0, len(c.counts))
	for k, n := range c.counts {
		out = append(out, RequestCount{Witness: k[0], Result: k[1], N: n})
	}
	slices.SortFunc(out, func(a, b RequestCount) int {
		return strings.Compare(a.Witness+"\x00"+a.Result, b.Witness+"\x00"+b.Result)
	})
	return out
}

// Witnessed returns the size of the latest final checkpoint every
// configured witness cosigned for this node; ok is false when there is
// none (or no witness is configured).
func (c *Client) Witnessed() (size uint64, ok bool, err error) {
	if len(c.witnesses) == 0 {
		return 0, false, nil
	}
	size, err = c.cfg.Store.LatestAllWitnessed()
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	// The record says every witness configured when it was written; the
	// configuration may have grown since.
	have, err := c.cfg.Store.WitnessCosignatures(size)
	if err != nil {
		return 0, false, err
	}
	for _, r := range c.witnesses {
		if _, ok := have[r.Name]; !ok {
			return 0, false, nil
		}
	}
	return size, true, nil
}

// Names returns the configured witnesses' names.
func (c *Client) Names() []string {
	out := make([]string, len(c.witnesses))
	for i, r := range c.witnesses {
		out[i] = r.Name
	}
	return out
}
