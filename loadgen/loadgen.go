// Package loadgen drives a Jurichain node's HTTP API with signed deposits
// and measures what matters: sustained deposits per second, submit-to-
// committed latency, and the machine's Ed25519 verification rate, which is
// the physical limit of a node that checks every signature.
package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/suite"
)

// VerifyRate measures one-at-a-time signature verification on all cores
// for about d, in verifications per second.
func VerifyRate(cs *suite.Suite, d time.Duration) (float64, error) {
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		return 0, err
	}
	msg := make([]byte, 200)
	sig, err := key.Sign(msg)
	if err != nil {
		return 0, err
	}
	pub := key.Public()
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for time.Since(start) < d {
				for range 100 {
					if !cs.Signature().Verify(pub, msg, sig) {
						panic("loadgen: a valid signature failed to verify")
					}
				}
				n += 100
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds(), nil
}

// Batch is one pre-encoded POST /v1/deposits body and the depositor whose
// deposits it carries and who signs the request.
type Batch struct {
	Body []byte
	N    int
	Auth client.Credentials
}

// Depositor is an approved depositor account and its key.
type Depositor struct {
	Account string
	Key     suite.PrivateKey
}

// Generate signs n deposits of random content and encodes them into
// request bodies of batchSize, using all cores. Each batch is one
// depositor's, in turn, as a client sends its own deposits.
func Generate(cs *suite.Suite, origin string, n, batchSize int, depositors []Depositor) ([]Batch, error) {
	if len(depositors) == 0 {
		return nil, errors.New("no depositors")
	}
	var run [8]byte
	if _, err := rand.Read(run[:]); err != nil {
		return nil, err
	}
	batches := make([]Batch, (n+batchSize-1)/batchSize)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= len(batches) {
					return
				}
				who := depositors[b%len(depositors)]
				deps := make([]api.Deposit, 0, batchSize)
				for i := b * batchSize; i < min(n, (b+1)*batchSize); i++ {
					content := binary.BigEndian.AppendUint64(run[:], uint64(i))
					sum := cs.Hash(content)
					d, _, err := client.Prepare(cs, origin, who.Key, client.Content{
						Digest: sum[:], Size: uint64(1000 + i%100000),
						Metadata:       deposit.Metadata{Title: fmt.Sprintf("bench evidence %d", i), MediaType: "image/jpeg"},
						IdempotencyKey: fmt.Sprintf("bench-%x-%d", run, i),
					})
					if err != nil {
						errc <- err
						return
					}
					deps = append(deps, d)
				}
				body, err := json.Marshal(api.SubmitRequest{Deposits: deps})
				if err != nil {
					errc <- err
					return
				}
				batches[b] = Batch{Body: body, N: len(deps), Auth: client.KeyAuth{KeyID: who.Account, Alg: cs.Signature().Name(), Key: who.Key}}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return batches, nil
}

// Result summarises a run.
type Result struct {
	Deposits  int
	Elapsed   time.Duration
	PerSecond float64
	// Latencies of each request, submit to all-committed, sorted.
	Latencies []time.Duration
}

// Percentile returns the p-th percentile latency (0 < p <= 100).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[max(0, min(i, len(r.Latencies)-1))]
}

// post submits one batch, waiting for its deposits to commit, and checks
// every deposit committed.
func post(ctx context.Context, hc *http.Client, server string, b Batch) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/v1/deposits?wait=60s", bytes.NewReader(b.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := b.Auth.Authorize(req, b.Body); err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(data[:min(len(data), 300)]))
	}
	var sr api.SubmitResponse
	if err := json.Unmarshal(data, &sr); err != nil {
		return err
	}
	if len(sr.Results) != b.N {
		return fmt.Errorf("%d results for %d deposits", len(sr.Results), b.N)
	}
	for _, r := range sr.Results {
		if r.Status != api.StatusCommitted {
			return fmt.Errorf("deposit %s is %s %s", r.ID, r.Status, r.Reason)
		}
	}
	return nil
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// Saturate sends batches from clients concurrent clients as fast as the
// network commits them; client i sends to servers[i mod len(servers)].
func Saturate(ctx context.Context, servers []string, batches []Batch, clients int) (*Result, error) {
	hc := newHTTPClient(clients)
	var next atomic.Int64
	var mu sync.Mutex
	res := &Result{}
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		server := servers[c%len(servers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(batches) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := post(ctx, hc, server, batches[i])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				res.Deposits += batches[i].N
				res.Latencies = append(res.Latencies, time.Since(t))
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.PerSecond = float64(res.Deposits) / res.Elapsed.Seconds()
	slices.Sort(res.Latencies)
	return res, firstErr
}

// Paced sends batches open-loop at a fixed rate of deposits per second,
// each request on its own, round-robin over servers, and measures each
// request's latency.
func Paced(ctx context.Context, servers []string, batches []Batch, perSecond float64) (*Result, error) {
	if len(batches) == 0 || perSecond <= 0 {
		return nil, errors.New("nothing to send")
	}
	hc := newHTTPClient(1024)
	interval := time.Duration(float64(batches[0].N) / perSecond * float64(time.Second))
	var mu sync.Mutex
	res := &Result{}
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i, b := range batches {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			err := post(ctx, hc, servers[i%len(servers)], b)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			res.Deposits += b.N
			res.Latencies = append(res.Latencies, time.Since(t))
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.PerSecond = float64(res.Deposits) / res.Elapsed.Seconds()
	slices.Sort(res.Latencies)
	return res, firstErr
}

// AuthCost measures what authenticating one request of batch b costs a
// server: checking its RFC 9421 signature and its Content-Digest over the
// body, as the API does before it reads any deposit. It verifies n
// requests signed beforehand (signing is the client's cost) and returns
// the mean time per request.
func AuthCost(cs *suite.Suite, b Batch, pub []byte, n int) (time.Duration, error) {
	reqs := make([]*http.Request, n)
	for i := range reqs {
		req, err := http.NewRequest(http.MethodPost, "http://node.invalid/v1/deposits?wait=60s", bytes.NewReader(b.Body))
		if err != nil {
			return 0, err
		}
		if err := b.Auth.Authorize(req, b.Body); err != nil {
			return 0, err
		}
		reqs[i] = req
	}
	sig := cs.Signature()
	v := httpsig.NewVerifier(httpsig.Config{
		Suite: cs,
		Resolve: func(context.Context, string) (httpsig.Key, error) {
			return httpsig.Key{Alg: sig.Name(), Verify: func(msg, s []byte) bool { return sig.Verify(pub, msg, s) }}, nil
		},
		Authorities: []string{"node.invalid"}, Skew: 5 * time.Minute, MaxNoncesPerKey: n + 1,
	})
	start := time.Now()
	for _, req := range reqs {
		if _, err := v.Verify(req, b.Body); err != nil {
			return 0, fmt.Errorf("a signed request did not verify: %w", err)
		}
	}
	return time.Since(start) / time.Duration(n), nil
}
