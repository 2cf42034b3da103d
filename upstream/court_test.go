package upstream_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
	"github.com/jurichain/jurichain/witness"
)

// network is a log signed by its node and cosigned by one member, with
// the policy that trusts exactly those: the platform's log in these
// tests, and the court's.
type network struct {
	cs         *suite.Suite
	origin     string
	pol        *policy.Policy
	policyText []byte
	logKey     suite.PrivateKey
	signers    []note.Signer

	mu     sync.Mutex
	tree   *testonly.Tree
	leaves [][]byte
	finals map[uint64][]byte
	latest []byte
}

func newNetwork(t testing.TB, cs *suite.Suite, origin string) *network {
	t.Helper()
	lskey, lvkey, err := cs.GenerateNoteKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, _ := cs.GenerateNoteKey(rand.Reader, "member")
	logSigner, _ := cs.NewSigner(lskey)
	cosigner, _ := cs.NewCosigner(wskey, time.Now)
	_, logKey, err := cs.ParseNoteKey(lskey)
	if err != nil {
		t.Fatal(err)
	}
	wcv, _ := cs.CosignatureVerifierKey(wvkey)
	text := []byte(fmt.Sprintf("log %s\nwitness member %s\ngroup validators 1 member\nquorum validators\n", lvkey, wcv))
	pol, err := policy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return &network{cs: cs, origin: origin, pol: pol, policyText: text, logKey: logKey, signers: []note.Signer{logSigner, cosigner},
		tree: testonly.New(cs.LogHasher()), finals: map[uint64][]byte{}}
}

// sign makes the tree's current checkpoint final.
func (n *network) sign(t testing.TB) []byte {
	cp := log.Checkpoint{Origin: n.origin, Size: n.tree.Size(), Hash: n.tree.Hash()}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, n.signers...)
	if err != nil {
		t.Fatal(err)
	}
	n.finals[n.tree.Size()], n.latest = signed, signed
	return signed
}

// grow appends k entries and makes the new tree final.
func (n *network) grow(t testing.TB, k int) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	for range k {
		leaf := fmt.Appendf(nil, "entry %d", n.tree.Size())
		n.leaves = append(n.leaves, leaf)
		n.tree.AppendData(leaf)
	}
	return n.sign(t)
}

func (n *network) size() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tree.Size()
}

// The network as the worker's Log.
func (n *network) LatestFinal() ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.latest == nil {
		return nil, store.ErrNotFound
	}
	return n.latest, nil
}

func (n *network) Final(size uint64) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if b, ok := n.finals[size]; ok {
		return b, nil
	}
	return nil, store.ErrNotFound
}

func (n *network) ConsistencyProof(from, to uint64) ([][]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tree.ConsistencyProof(from, to)
}

// court is a court network's node speaking the anchoring contract on
// loopback: POST /v1/anchors, GET /v1/anchors/{origin}, GET /policy.
type court struct {
	t testing.TB
	*network
	srv *httptest.Server
	// registered is the platform's policy, nil when not registered.
	registered atomic.Pointer[policy.Policy]
	down       atomic.Bool
	// tamper, when set, changes each answer before it is sent.
	tamper atomic.Pointer[func(*api.Anchor)]
	huge   atomic.Bool
	// pending is how many more answers of an anchor are 202 (ordered,
	// not final yet): the anchor without its receipt.
	pending atomic.Int32

	posts, gets, policyFetches atomic.Int32
	amu                        sync.Mutex
	anchors                    []api.Anchor // by size
	received                   []uint64     // sizes posted, with the old size
	olds                       []uint64
}

func newCourt(t *testing.T, cs *suite.Suite, platform *policy.Policy) *court {
	c := &court{t: t, network: newNetwork(t, cs, "court.example/ledger")}
	if platform != nil {
		c.registered.Store(platform)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/anchors", c.post)
	mux.HandleFunc("GET /v1/anchors/{origin...}", c.get)
	mux.HandleFunc("GET /policy", func(w http.ResponseWriter, r *http.Request) {
		c.policyFetches.Add(1)
		w.Write(c.policyText)
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

func fail(w http.ResponseWriter, status int, code, msg string, extra ...any) {
	e := map[string]any{"code": code, "message": msg}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i].(string)] = extra[i+1]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

func (c *court) post(w http.ResponseWriter, r *http.Request) {
	c.posts.Add(1)
	if c.down.Load() {
		fail(w, 503, api.CodeUnavailable, "down for maintenance")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, witness.MaxBody+1))
	req, err := witness.ParseRequest(body)
	if err != nil {
		fail(w, 400, api.CodeInvalid, err.Error())
		return
	}
	old, prf, cp := req.Old, req.Proof, req.Checkpoint
	pp := c.registered.Load()
	if pp == nil {
		fail(w, 404, api.CodeNotFound, "no outside log of that origin is registered")
		return
	}
	res, err := pp.Verify(cp)
	if err != nil {
		fail(w, 403, api.CodeForbidden, err.Error())
		return
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	c.received, c.olds = append(c.received, res.Checkpoint.Size), append(c.olds, old)
	var latest *api.Anchor
	if len(c.anchors) > 0 {
		latest = &c.anchors[len(c.anchors)-1]
	}
	if latest != nil && latest.Size == res.Checkpoint.Size {
		if !bytes.Equal(latest.RootHash, res.Checkpoint.Hash) {
			fail(w, 409, "fork", "a proven fork")
			return
		}
		c.answer(w, *latest)
		return
	}
	var latestSize uint64
	if latest != nil {
		latestSize = latest.Size
	}
	if old != latestSize {
		fail(w, 409, api.CodeConflict, "old: the latest anchored size is "+strconv.FormatUint(latestSize, 10), "size", latestSize)
		return
	}
	if old > 0 {
		if err := tlog.VerifyConsistency(pp.Suite().LogHasher(), old, res.Checkpoint.Size, prf, latest.RootHash, res.Checkpoint.Hash); err != nil {
			fail(w, 422, api.CodeInvalid, "proof: "+err.Error())
			return
		}
	}
	c.answer(w, c.deposit(res.Checkpoint, cp))
}

// deposit appends the anchor entry to the court's log and returns the
// anchor with its receipt.
func (c *court) deposit(pc log.Checkpoint, cp []byte) api.Anchor {
	cs := c.cs
	c.mu.Lock()
	defer c.mu.Unlock()
	alg, _ := deposit.ParseAlgorithm(cs.ContentDigest())
	digest := cs.Hash(cp)
	op := &deposit.Opening{Metadata: deposit.Metadata{Title: fmt.Sprintf("anchor: %s size %d", pc.Origin, pc.Size)}, Salt: make([]byte, 32)}
	s := deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{{Algorithm: alg, Value: digest[:]}}, Size: uint64(len(cp)),
		MetadataCommitment: op.Commitment(cs), Depositor: c.logKey.Public(), IdempotencyKey: "anchor-" + hex.EncodeToString(digest[:16]),
	}}
	sig, err := c.logKey.Sign(s.SigningMessage(c.origin))
	if err != nil {
		c.t.Error(err)
	}
	s.Signature = sig
	index := c.tree.Size()
	leaf := deposit.Leaf{Signed: s, Index: index, Height: 9, Time: time.Now().UTC().Truncate(time.Millisecond)}
	lb, _ := leaf.MarshalBinary()
	c.leaves = append(c.leaves, lb)
	c.tree.AppendData(lb)
	signed := c.sign(c.t)
	p, _ := c.tree.InclusionProof(index, c.tree.Size())
	rc := (&receipt.Receipt{Index: index, Proof: p, Checkpoint: signed, Leaf: lb}).Format()
	a := api.Anchor{Origin: pc.Origin, Size: pc.Size, RootHash: pc.Hash, Number: index, Deposit: s.ID(cs), CertifiedTime: leaf.Time,
		CourtOrigin: c.origin, Checkpoint: string(cp), Receipt: string(rc)}
	c.anchors = append(c.anchors, a)
	return a
}

// answerPending answers 202 with the anchor without its receipt while
// answers are to be pending, and reports whether it did.
func (c *court) answerPending(w http.ResponseWriter, a api.Anchor) bool {
	for {
		n := c.pending.Load()
		if n <= 0 {
			return false
		}
		if c.pending.CompareAndSwap(n, n-1) {
			break
		}
	}
	a.Receipt, a.CertifiedTime = "", time.Time{}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(a)
	return true
}

func (c *court) answer(w http.ResponseWriter, a api.Anchor) {
	if c.answerPending(w, a) {
		return
	}
	if c.huge.Load() {
		w.Write(bytes.Repeat([]byte(" "), 2<<20))
		return
	}
	if f := c.tamper.Load(); f != nil {
		(*f)(&a)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

func (c *court) get(w http.ResponseWriter, r *http.Request) {
	c.gets.Add(1)
	if c.down.Load() {
		fail(w, 503, api.CodeUnavailable, "down for maintenance")
		return
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	var min uint64
	if v := r.URL.Query().Get("size"); v != "" {
		min, _ = strconv.ParseUint(v, 10, 64)
	} else if len(c.anchors) > 0 {
		min = c.anchors[len(c.anchors)-1].Size
	}
	for _, a := range c.anchors {
		if a.Origin == r.PathValue("origin") && a.Size >= min {
			if !c.answerPending(w, a) {
				json.NewEncoder(w).Encode(a)
			}
			return
		}
	}
	fail(w, 404, api.CodeNotFound, "no anchor covers that size")
}

func (c *court) anchored() []api.Anchor {
	c.amu.Lock()
	defer c.amu.Unlock()
	return append([]api.Anchor(nil), c.anchors...)
}
