package witness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

// testLog is a log of a suite: a Merkle tree and a note key.
type testLog struct {
	cs     *suite.Suite
	origin string
	vkey   string
	signer note.Signer
	tree   *testonly.Tree
}

func newTestLog(t *testing.T, cs *suite.Suite, origin string) *testLog {
	t.Helper()
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cs.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{cs: cs, origin: origin, vkey: vkey, signer: s, tree: testonly.New(cs.LogHasher())}
}

func (l *testLog) grow(n int) {
	for range n {
		l.tree.AppendData(fmt.Appendf(nil, "leaf %d", l.tree.Size()))
	}
}

func (l *testLog) hash() string {
	if l.cs.Name() == suite.NameGM {
		return witness.HashSM3
	}
	return witness.HashSHA256
}

// checkpoint signs the checkpoint of the tree at size with signer (the
// log's when nil).
func (l *testLog) checkpoint(t *testing.T, size uint64, signer note.Signer) []byte {
	t.Helper()
	if signer == nil {
		signer = l.signer
	}
	root := l.tree.HashAt(size)
	if size == 0 {
		root = l.cs.LogHasher().EmptyRoot()
	}
	n, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: l.origin, Size: size, Hash: root}.Marshal())}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (l *testLog) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	return l.tree.ConsistencyProof(size1, size2)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// witnessNode is a witness server of suite cs on a real loopback
// listener, with its cosignature verifier key.
type witnessNode struct {
	url   string // the submission prefix
	vkey  string
	name  string
	state *store.Store
	down  atomic.Bool
}

func startWitness(t *testing.T, cs *suite.Suite, name string, logs ...witness.Log) *witnessNode {
	t.Helper()
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := cs.NewCosigner(skey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cvkey, err := cs.CosignatureVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	wn := &witnessNode{vkey: cvkey, name: name, state: openStore(t)}
	srv, err := witness.NewServer(witness.ServerConfig{Logs: logs, Own: "own-network", Cosigner: cosigner, State: wn.state})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/witness/add-checkpoint", func(w http.ResponseWriter, r *http.Request) {
		if wn.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		srv.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	wn.url = hs.URL + "/witness"
	return wn
}

func post(t *testing.T, url string, body []byte) (int, string, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func forSuites(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

// TestServerAndClient has a node's client ask two Jurichain witnesses to
// cosign checkpoints as the log grows; both cosign the same checkpoints,
// and every kept line verifies under the witness's key.
func TestServerAndClient(t *testing.T) {
	forSuites(t, func(t *testing.T, cs *suite.Suite) {
		l := newTestLog(t, cs, "example.net/log-"+cs.Name())
		entry := witness.Log{Origin: l.origin, VKey: l.vkey, Hash: l.hash()}
		w1 := startWitness(t, cs, "w1.example", entry)
		w2 := startWitness(t, cs, "w2.example", entry)
		st := openStore(t)
		c, err := witness.NewClient(witness.ClientConfig{Suite: cs, Store: st, Proofs: l, MinBackoff: 10 * time.Millisecond,
			Witnesses: []witness.Witness{{Name: w1.name, VKey: w1.vkey, URL: w1.url}, {Name: w2.name, VKey: w2.vkey, URL: w2.url}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		for _, grow := range []int{0, 3, 7, 1, 40} {
			l.grow(grow)
			size := l.tree.Size()
			cp := l.checkpoint(t, size, nil)
			if err := c.Notify(cp); err != nil {
				t.Fatal(err)
			}
			waitWitnessed(t, c, size)
			lines, err := st.WitnessCosignatures(size)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []*witnessNode{w1, w2} {
				v, err := cs.NewCosignatureVerifier(w.vkey)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := note.Open(append(cp, lines[w.name]...), note.VerifierList(v)); err != nil {
					t.Fatalf("size %d: the kept cosignature of %s does not verify: %v", size, w.name, err)
				}
				// The witness keeps the checkpoint it cosigned.
				kept, err := w.state.WitnessedLog(l.origin)
				if err != nil || !bytes.Equal(kept, cp) {
					t.Fatalf("size %d: witness %s keeps %q, %v", size, w.name, kept, err)
				}
			}
		}
		ok := 0
		for _, n := range c.Requests() {
			if n.Result == "ok" {
				ok += int(n.N)
			}
		}
		if ok != 10 {
			t.Errorf("requests %+v, want 10 ok", c.Requests())
		}
	})
}

func waitWitnessed(t *testing.T, c *witness.Client, size uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, ok, err := c.Witnessed()
		if err != nil {
			t.Fatal(err)
		}
		if ok && got == size {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of size %d witnessed by all (latest %d, %v); requests %+v", size, got, ok, c.Requests())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClientCatchesUp: a witness that is down is retried with backoff
// and cosigns the newest checkpoint once it is back; a witness that
// another node of the network already took further answers 409 with its
// size, and the client continues from there.
func TestClientCatchesUp(t *testing.T) {
	forSuites(t, func(t *testing.T, cs *suite.Suite) {
		l := newTestLog(t, cs, "example.net/log")
		w := startWitness(t, cs, "w.example", witness.Log{Origin: l.origin, VKey: l.vkey, Hash: l.hash()})
		l.grow(10)
		// Another node took the witness to size 10.
		if status, _, body := post(t, w.url, (&witness.Request{Checkpoint: l.checkpoint(t, 10, nil)}).Format()); status != 200 {
			t.Fatalf("first request: %d %s", status, body)
		}
		w.down.Store(true)
		st := openStore(t)
		c, err := witness.NewClient(witness.ClientConfig{Suite: cs, Store: st, Proofs: l, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
			Witnesses: []witness.Witness{{Name: w.name, VKey: w.vkey, URL: w.url}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		l.grow(5)
		c.Notify(l.checkpoint(t, 15, nil))
		time.Sleep(150 * time.Millisecond)
		if _, ok, _ := c.Witnessed(); ok {
			t.Fatal("witnessed while the witness is down")
		}
		l.grow(5)
		c.Notify(l.checkpoint(t, 20, nil))
		time.Sleep(100 * time.Millisecond)
		w.down.Store(false)
		waitWitnessed(t, c, 20)
		counts := map[string]uint64{}
		for _, n := range c.Requests() {
			counts[n.Result] += n.N
		}
		if counts["unreachable"]+counts["refused"] == 0 || counts["ok"] != 1 {
			t.Errorf("requests %v: want failures while down, then one success", counts)
		}
		if got, _ := st.WitnessCosignatures(15); got != nil {
			t.Errorf("the coalesced checkpoint 15 was cosigned: %q", got)
		}
	})
}

// TestClientRefusesBadCosignature: lines not by the configured key are
// never kept.
func TestClientRefusesBadCosignature(t *testing.T) {
	cs := suite.International()
	l := newTestLog(t, cs, "example.net/log")
	w := startWitness(t, cs, "w.example", witness.Log{Origin: l.origin, VKey: l.vkey})
	other := startWitness(t, cs, "w.example", witness.Log{Origin: l.origin, VKey: l.vkey})
	st := openStore(t)
	// The configured key is other's; w answers.
	c, err := witness.NewClient(witness.ClientConfig{Suite: cs, Store: st, Proofs: l, MinBackoff: time.Hour,
		Witnesses: []witness.Witness{{Name: "w", VKey: other.vkey, URL: w.url}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	l.grow(4)
	c.Notify(l.checkpoint(t, 4, nil))
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if r := c.Requests(); len(r) != 1 || r[0].Result != "bad_cosignature" {
		t.Fatalf("requests %+v, want one bad_cosignature", r)
	}
	if got, _ := st.WitnessCosignatures(4); got != nil {
		t.Fatalf("kept %q", got)
	}
}

// TestServerAbuse: every refusal has the protocol's status and changes
// nothing; afterwards the log still continues from the size cosigned.
func TestServerAbuse(t *testing.T) {
	forSuites(t, func(t *testing.T, cs *suite.Suite) {
		l := newTestLog(t, cs, "example.net/log")
		w := startWitness(t, cs, "w.example", witness.Log{Origin: l.origin, VKey: l.vkey, Hash: l.hash()})
		l.grow(9)
		if status, _, body := post(t, w.url, (&witness.Request{Checkpoint: l.checkpoint(t, 5, nil)}).Format()); status != 200 {
			t.Fatalf("first request: %d %s", status, body)
		}
		before, _ := w.state.WitnessedLog(l.origin)

		stranger := newTestLog(t, cs, "example.net/other")
		stranger.grow(9)
		impostor := newTestLog(t, cs, l.origin) // same name, another key
		impostor.tree = l.tree
		proof, _ := l.tree.ConsistencyProof(5, 9)
		badProof := [][]byte{bytes.Clone(proof[0])}
		badProof[0][0] ^= 1
		badProof = append(badProof, proof[1:]...)
		cp9 := l.checkpoint(t, 9, nil)
		// A valid signature line of the trusted key's name and id whose
		// signature does not verify.
		forged := bytes.Replace(cp9, []byte("\n9\n"), []byte("\n8\n"), 1)
		var many [][]byte
		for range 64 {
			many = append(many, make([]byte, 32))
		}
		ctrl := bytes.Replace(cp9, []byte(l.origin), []byte(l.origin+"\x1b"), 1)

		for _, c := range []struct {
			name     string
			body     []byte
			status   int
			sizeBody string
		}{
			{"unknown origin", (&witness.Request{Checkpoint: stranger.checkpoint(t, 9, nil)}).Format(), 404, ""},
			{"signed by another key", (&witness.Request{Old: 5, Proof: proof, Checkpoint: impostor.checkpoint(t, 9, nil)}).Format(), 403, ""},
			{"bad signature", (&witness.Request{Old: 5, Proof: proof, Checkpoint: forged}).Format(), 403, ""},
			{"stale old size", (&witness.Request{Old: 3, Proof: proof, Checkpoint: cp9}).Format(), 409, "5\n"},
			{"old size zero", (&witness.Request{Checkpoint: cp9}).Format(), 409, "5\n"},
			{"old size above the checkpoint", (&witness.Request{Old: 10, Checkpoint: cp9}).Format(), 400, ""},
			{"smaller checkpoint", (&witness.Request{Old: 5, Checkpoint: l.checkpoint(t, 4, nil)}).Format(), 400, ""},
			{"bad proof", (&witness.Request{Old: 5, Proof: badProof, Checkpoint: cp9}).Format(), 422, ""},
			{"missing proof", (&witness.Request{Old: 5, Checkpoint: cp9}).Format(), 422, ""},
			{"proof for the same size", (&witness.Request{Old: 5, Proof: proof, Checkpoint: l.checkpoint(t, 5, nil)}).Format(), 422, ""},
			{"fork", (&witness.Request{Old: 5, Checkpoint: forkAt(t, l, 5)}).Format(), 409, ""},
			{"oversized body", append((&witness.Request{Old: 5, Proof: proof, Checkpoint: cp9}).Format(), bytes.Repeat([]byte("x"), witness.MaxBody)...), 413, ""},
			{"control character", (&witness.Request{Old: 5, Proof: proof, Checkpoint: ctrl}).Format(), 400, ""},
			{"64 proof lines", (&witness.Request{Old: 5, Proof: many, Checkpoint: cp9}).Format(), 400, ""},
			{"leading zero", []byte("old 05\n\n" + string(cp9)), 400, ""},
			{"no empty line", []byte("old 5\n"), 400, ""},
			{"not a checkpoint", (&witness.Request{Old: 5, Checkpoint: []byte("hello\n")}).Format(), 404, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, ctype, body := post(t, w.url, c.body)
				if status != c.status {
					t.Fatalf("status %d (%s), want %d", status, body, c.status)
				}
				if c.sizeBody != "" && (ctype != witness.ContentTypeSize || string(body) != c.sizeBody) {
					t.Fatalf("409 with %q %q, want %s %q", ctype, body, witness.ContentTypeSize, c.sizeBody)
				}
				if c.sizeBody == "" && ctype == witness.ContentTypeSize {
					t.Fatalf("a %d that is not about the size has Content-Type %s", status, ctype)
				}
				if after, _ := w.state.WitnessedLog(l.origin); !bytes.Equal(after, before) {
					t.Fatalf("the refused request changed the state to %q", after)
				}
			})
		}
		status, _, body := post(t, w.url, (&witness.Request{Old: 5, Proof: proof, Checkpoint: cp9}).Format())
		if status != 200 || !strings.HasPrefix(string(body), "— w.example ") {
			t.Fatalf("the valid request after the abuse: %d %q", status, body)
		}
		// The same checkpoint again is cosigned again, with no proof.
		if status, _, body := post(t, w.url, (&witness.Request{Old: 9, Checkpoint: cp9}).Format()); status != 200 {
			t.Fatalf("the same checkpoint again: %d %s", status, body)
		}
	})
}

// forkAt signs, with l's key, a checkpoint of size with another root.
func forkAt(t *testing.T, l *testLog, size uint64) []byte {
	t.Helper()
	root := l.cs.Hash([]byte("another tree"))
	n, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: l.origin, Size: size, Hash: root[:]}.Marshal())}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConfig checks the configuration and the --witness flag.
func TestConfig(t *testing.T) {
	cs := suite.International()
	_, vkey, _ := cs.GenerateNoteKey(rand.Reader, "w.example")
	cvkey, _ := cs.CosignatureVerifierKey(vkey)
	_, gmkey, _ := suite.GM().GenerateNoteKey(rand.Reader, "w.example")
	gmcvkey, _ := suite.GM().CosignatureVerifierKey(gmkey)
	for _, c := range []struct {
		flag, err string
	}{
		{"https://w.example/prefix=" + cvkey, ""},
		{"http://127.0.0.1:8080/witness/=" + cvkey, ""},
		{"https://w.example=" + vkey, "plain note key"},
		{"https://w.example=" + gmcvkey, "GM"},
		{"ftp://w.example=" + cvkey, "want http"},
		{"https://user:pw@w.example=" + cvkey, "credentials"},
		{"https://w.example/?q=" + cvkey, "without query"},
		{"https://w.example", "URL=VKEY"},
		{"=" + cvkey, "URL=VKEY"},
	} {
		w, err := witness.ParseWitnessFlag(cs, c.flag)
		if c.err == "" {
			if err != nil || w.Name != "w.example" || strings.HasSuffix(w.URL, "/") {
				t.Errorf("%q: %+v, %v", c.flag, w, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: error %v, want one mentioning %q", c.flag, err, c.err)
		}
	}
	_, lkey, _ := cs.GenerateNoteKey(rand.Reader, "example.net/log")
	for _, c := range []struct {
		log witness.Log
		err string
	}{
		{witness.Log{Origin: "example.net/log", VKey: lkey}, ""},
		{witness.Log{Origin: "example.net/log", VKey: lkey, Hash: "sm3"}, ""},
		{witness.Log{Origin: "own", VKey: lkey}, "own network"},
		{witness.Log{Origin: "example.net/log", VKey: lkey, Hash: "md5"}, "sha256 or sm3"},
		{witness.Log{Origin: "example.net/log", VKey: cvkey}, "cosignature key"},
		{witness.Log{Origin: "a b", VKey: lkey}, "no spaces"},
		{witness.Log{Origin: "a\x1bb", VKey: lkey}, "control"},
		{witness.Log{Origin: "", VKey: lkey}, "missing"},
		{witness.Log{Origin: "example.net/log", VKey: "garbage"}, "vkey"},
	} {
		err := c.log.Check("own")
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: %v, want %q", c.log, err, c.err)
		}
	}
	if err := witness.CheckLogs("own", []witness.Log{{Origin: "l", VKey: lkey}, {Origin: "l", VKey: lkey, Hash: "sm3"}}); err == nil {
		t.Error("two hashes for one log accepted")
	}
	ws := witness.Merge([]witness.Witness{{Name: "a", URL: "http://a"}, {Name: "b", URL: "http://b"}}, witness.Witness{Name: "a", URL: "http://c"})
	if len(ws) != 2 || ws[1].URL != "http://c" {
		t.Errorf("merge: %+v", ws)
	}
}
