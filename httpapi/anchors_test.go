package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

const platformOrigin = "platform.example/log"

// outsideLog is a platform log with one log key and one witness, whose
// policy needs both: its checkpoints are real signed notes.
type outsideLog struct {
	t                testing.TB
	signer, cosigner note.Signer
	policy           []byte
	tree             *testonly.Tree
}

func newOutsideLog(t testing.TB, cs *suite.Suite) *outsideLog {
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, platformOrigin)
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := cs.GenerateNoteKey(rand.Reader, "platform-witness")
	if err != nil {
		t.Fatal(err)
	}
	cvkey, err := cs.CosignatureVerifierKey(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	o := &outsideLog{t: t, tree: testonly.New(cs.LogHasher())}
	if o.signer, err = cs.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if o.cosigner, err = cs.NewCosigner(wskey, time.Now); err != nil {
		t.Fatal(err)
	}
	o.policy = []byte(fmt.Sprintf("log %s\nwitness platform-witness %s\nquorum platform-witness\n", vkey, cvkey))
	if _, err := policy.Parse(o.policy); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *outsideLog) grow(size uint64) {
	for o.tree.Size() < size {
		o.tree.AppendData([]byte(fmt.Sprint("leaf ", o.tree.Size())))
	}
}

func (o *outsideLog) sign(size uint64, root []byte, signers ...note.Signer) []byte {
	o.t.Helper()
	n, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: platformOrigin, Size: size, Hash: root}.Marshal())}, signers...)
	if err != nil {
		o.t.Fatal(err)
	}
	return n
}

func (o *outsideLog) checkpoint(size uint64) []byte {
	return o.sign(size, o.tree.HashAt(size), o.signer, o.cosigner)
}

func (o *outsideLog) body(old, size uint64) []byte {
	o.t.Helper()
	var proof [][]byte
	if old > 0 {
		var err error
		if proof, err = o.tree.ConsistencyProof(old, size); err != nil {
			o.t.Fatal(err)
		}
	}
	return addCheckpoint(old, proof, o.checkpoint(size))
}

// post sends raw bytes to a public endpoint and returns the status and
// the decoded JSON answer.
func (d *dashNode) post(path string, body []byte, out any) int {
	d.t.Helper()
	resp, err := http.Post(d.url+path, "text/plain", bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		d.t.Fatalf("POST %s: %d, not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// registerLog registers o at the node's network with its governance key.
func (d *dashNode) registerLog(o *outsideLog, version uint64) {
	d.t.Helper()
	text, err := (&anchor.LogChange{Origin: d.origin, Version: version, Kind: anchor.ChangeRegister, Policy: o.policy}).Text()
	if err != nil {
		d.t.Fatal(err)
	}
	gov, err := node.LoadNoteSigner(d.cs, d.home.GovernanceKeyFile())
	if err != nil {
		d.t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: text}, gov)
	if err != nil {
		d.t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.client(nil).ChangeOutsideLog(ctx, signed); err == nil || !strings.Contains(err.Error(), "unauthenticated") {
		d.t.Fatalf("an anonymous outside-log change: %v", err)
	}
	if err := d.client(d.operator()).ChangeOutsideLog(ctx, []byte("jurichain outside log\nnot signed\n")); err == nil {
		d.t.Fatal("an unsigned change was taken")
	}
	if err := d.client(d.operator()).ChangeOutsideLog(ctx, signed); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		logs, err := d.client(nil).OutsideLogs(ctx)
		if err == nil && logs.Version > version {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the outside log was not registered: %+v %v", logs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAnchorsAPI runs a court node of each suite and anchors into it the
// checkpoints of a platform log of the other suite, through every answer
// of the anchoring endpoints.
func TestAnchorsAPI(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name()+"-court", func(t *testing.T) {
			other := suite.International()
			if cs.Name() == suite.NameInternational {
				other = suite.GM()
			}
			testAnchorsAPI(t, cs, other)
		})
	}
}

func testAnchorsAPI(t *testing.T, cs, platformSuite *suite.Suite) {
	d := startDashNode(t, cs)
	o := newOutsideLog(t, platformSuite)
	ctx := context.Background()
	var e api.Error
	logs, err := d.client(nil).OutsideLogs(ctx)
	if err != nil || logs.Version != 0 || len(logs.Logs) != 0 {
		t.Fatalf("registry at first: %+v %v", logs, err)
	}
	o.grow(3)
	if st := d.post("/v1/anchors", o.body(0, 3), &e); st != http.StatusNotFound || e.Code != api.CodeNotFound {
		t.Fatalf("unregistered: %d %+v", st, e)
	}
	d.registerLog(o, 0)
	logs, _ = d.client(nil).OutsideLogs(ctx)
	if len(logs.Logs) != 1 || logs.Logs[0].Origin != platformOrigin || logs.Logs[0].Policy != string(o.policy) || logs.Logs[0].Latest != nil {
		t.Fatalf("registry: %+v", logs)
	}

	// The first anchor: the court's receipt of an entry whose content is
	// the checkpoint, under the court's policy.
	var a api.Anchor
	if st := d.post("/v1/anchors?wait=30s", o.body(0, 3), &a); st != http.StatusOK {
		t.Fatalf("first anchor: %d %+v", st, a)
	}
	polText, err := d.client(nil).Policy(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	courtPolicy, err := policy.Parse(polText)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.Parse([]byte(a.Receipt))
	if err != nil {
		t.Fatal(err)
	}
	alg, _ := deposit.ParseAlgorithm(cs.ContentDigest())
	sum := cs.Hash([]byte(a.Checkpoint))
	proven, err := receipt.Verify(courtPolicy, rc, receipt.Evidence{Digests: []deposit.Digest{{Algorithm: alg, Value: sum[:]}}})
	if err != nil {
		t.Fatalf("the anchor's receipt: %v", err)
	}
	if a.Origin != platformOrigin || a.Size != 3 || !bytes.Equal(a.RootHash, o.tree.HashAt(3)) || a.CourtOrigin != d.origin ||
		proven.Leaf.Index != a.Number || !strings.HasPrefix(a.Checkpoint, platformOrigin+"\n3\n") || a.CertifiedTime.IsZero() {
		t.Fatalf("anchor %+v", a)
	}
	if !bytes.Equal(proven.Leaf.Depositor, d.nodeKey.Public()) {
		t.Fatal("the anchor entry is not the node's deposit")
	}

	// The same checkpoint again: the same anchor, nothing new.
	var again api.Anchor
	if st := d.post("/v1/anchors", o.body(0, 3), &again); st != http.StatusOK || again.Number != a.Number || again.Deposit != a.Deposit {
		t.Fatalf("retry: %d %+v", st, again)
	}

	// Refusals.
	o.grow(8)
	bad := o.body(3, 8)
	bad[len("old 3\n")+2] ^= 1 // a proof hash changed, still base64
	var conflict struct {
		api.Error
		Size *uint64 `json:"size"`
	}
	if st := d.post("/v1/anchors", o.body(0, 8), &conflict); st != http.StatusConflict || conflict.Code != api.CodeConflict || conflict.Size == nil || *conflict.Size != 3 {
		t.Fatalf("old 0: %d %+v", st, conflict)
	}
	for name, tc := range map[string]struct {
		body   []byte
		status int
		code   string
	}{
		"bad proof":     {bad, http.StatusUnprocessableEntity, api.CodeUnprocessable},
		"no witness":    {addCheckpoint(3, nil, o.sign(8, o.tree.HashAt(8), o.signer)), http.StatusForbidden, api.CodeForbidden},
		"garbage":       {[]byte("hello"), http.StatusBadRequest, api.CodeInvalid},
		"control chars": {[]byte("old 3\n\x00\x01\n\ncp"), http.StatusBadRequest, api.CodeInvalid},
		"oversized":     {append([]byte("old 0\n\n"), bytes.Repeat([]byte("x"), witness.MaxBody)...), http.StatusRequestEntityTooLarge, api.CodeTooLarge},
	} {
		e = api.Error{}
		if st := d.post("/v1/anchors", tc.body, &e); st != tc.status || e.Code != tc.code || e.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", name, st, e, tc.status, tc.code)
		}
	}

	// Reading anchors.
	var got api.Anchor
	d.getJSON(nil, "/v1/anchors/"+platformOrigin, &got)
	if got.Number != a.Number || got.Receipt != a.Receipt {
		t.Fatalf("GET latest: %+v", got)
	}
	d.getJSON(nil, "/v1/anchors/"+platformOrigin+"?size=2", &got)
	if got.Size != 3 {
		t.Fatalf("GET ?size=2: %+v", got)
	}
	for path, want := range map[string]int{
		"/v1/anchors/" + platformOrigin + "?size=4": http.StatusNotFound,
		"/v1/anchors/" + platformOrigin + "?size=x": http.StatusBadRequest,
		"/v1/anchors/unknown.example/log":           http.StatusNotFound,
	} {
		if st, _, body := d.get(nil, path); st != want {
			t.Errorf("GET %s: %d %s, want %d", path, st, body, want)
		}
	}

	// Concurrent submissions of the next checkpoint: one entry.
	var wg sync.WaitGroup
	answers := make([]api.Anchor, 3)
	statuses := make([]int, 3)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = d.post("/v1/anchors?wait=40s", o.body(3, 8), &answers[i])
		}()
	}
	wg.Wait()
	for i := range answers {
		if statuses[i] != http.StatusOK || answers[i].Number != answers[0].Number || answers[i].Size != 8 {
			t.Fatalf("concurrent answer %d: %d %+v", i, statuses[i], answers[i])
		}
	}
	logs, _ = d.client(nil).OutsideLogs(ctx)
	if l := logs.Logs[0]; l.Anchors != 2 || l.Latest == nil || l.Latest.Size != 8 || l.Latest.Number != answers[0].Number {
		t.Fatalf("after concurrent submissions: %+v", l)
	}
	if c, err := d.client(nil).Anchor(ctx, platformOrigin, 4); err != nil || c.Size != 8 {
		t.Fatalf("client anchor at 4: %+v %v", c, err)
	}

	// A fork: answered once consensus recorded it.
	e = api.Error{}
	fork := addCheckpoint(8, nil, o.sign(3, bytes.Repeat([]byte{1}, 32), o.signer, o.cosigner))
	if st := d.post("/v1/anchors", fork, &e); st != http.StatusConflict || e.Code != api.CodeFork {
		t.Fatalf("fork: %d %+v", st, e)
	}
	var mis []api.Misbehaviour
	d.getJSON(nil, "/v1/misbehaviour", &mis)
	if len(mis) != 1 || mis[0].Kind != "fork" || mis[0].Origin != platformOrigin || mis[0].Size != 3 || mis[0].Ours != a.Checkpoint {
		t.Fatalf("misbehaviour: %+v", mis)
	}
	logs, _ = d.client(nil).OutsideLogs(ctx)
	if logs.Logs[0].Anchors != 2 {
		t.Fatal("a fork was anchored")
	}
}

// TestForkReplayMakesNoTransactions: once a fork of a registered log is
// recorded, posting it again with other old sizes (other bytes each
// time, which the mempool cache does not catch) is answered 409 fork at
// once and hands the network no transaction.
func TestForkReplayMakesNoTransactions(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			d := startDashNode(t, cs)
			auditor := d.staff(identity.Auditor)
			o := newOutsideLog(t, cs)
			d.registerLog(o, 0)
			o.grow(3)
			var a api.Anchor
			if st := d.post("/v1/anchors?wait=30s", o.body(0, 3), &a); st != http.StatusOK {
				t.Fatalf("anchor: %d %+v", st, a)
			}
			cp := o.sign(3, bytes.Repeat([]byte{1}, 32), o.signer, o.cosigner)
			var e api.Error
			if st := d.post("/v1/anchors?wait=30s", addCheckpoint(3, nil, cp), &e); st != http.StatusConflict || e.Code != api.CodeFork || !strings.Contains(e.Message, "recorded as misbehaviour") {
				t.Fatalf("the first fork: %d %+v", st, e)
			}
			// The chain at rest: the blocks that recording made are in.
			tip := func() (height uint64, txs int) {
				var bl api.BlockList
				d.getJSON(auditor, "/v1/explorer/blocks?limit=100", &bl)
				for _, b := range bl.Blocks {
					height, txs = max(height, b.Height), txs+b.Txs
				}
				return height, txs
			}
			height, txs := tip()
			for deadline := time.Now().Add(10 * time.Second); ; {
				time.Sleep(500 * time.Millisecond)
				h, n := tip()
				if h == height && n == txs {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the chain does not come to rest")
				}
				height, txs = h, n
			}
			for old := uint64(100); old < 120; old++ {
				e = api.Error{}
				if st := d.post("/v1/anchors?wait=1ms", addCheckpoint(old, nil, cp), &e); st != http.StatusConflict || e.Code != api.CodeFork || !strings.Contains(e.Message, "recorded as misbehaviour already") {
					t.Fatalf("replay with old %d: %d %+v", old, st, e)
				}
			}
			time.Sleep(time.Second)
			if h, n := tip(); h != height || n != txs {
				t.Fatalf("the replays made blocks: height %d → %d, %d → %d transactions", height, h, txs, n)
			}
			var mis []api.Misbehaviour
			d.getJSON(nil, "/v1/misbehaviour", &mis)
			if len(mis) != 1 {
				t.Fatalf("%d misbehaviour records, want 1", len(mis))
			}
			// Another root of the same size: answered at once, not recorded.
			e = api.Error{}
			other := addCheckpoint(3, nil, o.sign(3, bytes.Repeat([]byte{2}, 32), o.signer, o.cosigner))
			if st := d.post("/v1/anchors?wait=1ms", other, &e); st != http.StatusConflict || e.Code != api.CodeFork || !strings.Contains(e.Message, "at most one a size") {
				t.Fatalf("another fork of the size: %d %+v", st, e)
			}
			// Genuine anchors keep working.
			o.grow(5)
			if st := d.post("/v1/anchors?wait=30s", o.body(3, 5), &a); st != http.StatusOK || a.Size != 5 {
				t.Fatalf("anchor after the forks: %d %+v", st, a)
			}
		})
	}
}

// addCheckpoint is a C2SP tlog-witness add-checkpoint body.
func addCheckpoint(old uint64, proof [][]byte, checkpoint []byte) []byte {
	return (&witness.Request{Old: old, Proof: proof, Checkpoint: checkpoint}).Format()
}
