package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/transparency-dev/formats/log"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

// fakeOutbound stands for the anchoring worker: its upstreams' state and
// a counter.
type fakeOutbound struct {
	next    time.Time
	counter prometheus.Counter
}

func (f *fakeOutbound) Upstreams() []api.Upstream {
	return []api.Upstream{{URL: "http://court.example", Origin: "court.example/ledger", NextAttempt: &f.next, LastError: "HTTP 503"}}
}
func (f *fakeOutbound) Policies() [][]byte                  { return nil }
func (f *fakeOutbound) Describe(ch chan<- *prometheus.Desc) { f.counter.Describe(ch) }
func (f *fakeOutbound) Collect(ch chan<- prometheus.Metric) { f.counter.Collect(ch) }

// depositReceipt deposits content and returns its receipt.
func (d *dashNode) depositReceipt(who client.KeyAuth, content string) []byte {
	d.t.Helper()
	sum := d.cs.Hash([]byte(content))
	dep, _, err := client.Prepare(d.cs, d.origin, who.Key, client.Content{Digest: sum[:], Size: uint64(len(content)), Metadata: deposit.Metadata{Title: content, MediaType: "text/plain"}})
	if err != nil {
		d.t.Fatal(err)
	}
	res, err := d.client(who).SubmitForReceipts(context.Background(), []api.Deposit{dep}, 30*time.Second)
	if err != nil || len(res) != 1 || res[0].Receipt == "" {
		d.t.Fatalf("deposit of %q: %+v %v", content, res, err)
	}
	return []byte(res[0].Receipt)
}

func (d *dashNode) postRaw(path string, body []byte) (int, http.Header, []byte) {
	d.t.Helper()
	resp, err := http.Post(d.url+path, "text/plain", bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.Bytes()
}

func checkpointOf(t *testing.T, signed []byte) log.Checkpoint {
	t.Helper()
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	var c log.Checkpoint
	if _, err := c.Unmarshal(append(text, '\n')); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReceiptUpgrade: a receipt no anchor covers gets 409 not_anchored
// saying when the next anchor is due; once an anchor of a later
// checkpoint is stored, the receipt comes back composed: itself byte for
// byte, a consistency proof that holds, the anchored checkpoint and the
// court's receipt. Receipts of another log, altered or oversized bodies
// are refused. GET /v1/anchors/outbound lists the upstreams and the
// anchor; the worker's metrics are served.
func TestReceiptUpgrade(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testReceiptUpgrade(t, cs) })
	}
}

func testReceiptUpgrade(t *testing.T, cs *suite.Suite) {
	out := &fakeOutbound{next: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC),
		counter: prometheus.NewCounter(prometheus.CounterOpts{Name: "jurichain_anchor_attempts_total", Help: "test"})}
	d := startDashNodeWith(t, cs, out)
	who := d.depositor("individual")
	r1 := d.depositReceipt(who, "first")
	status, _, body := d.postRaw("/v1/receipts/upgrade", r1)
	var e api.Error
	if json.Unmarshal(body, &e); status != http.StatusConflict || e.Code != api.CodeNotAnchored || !strings.Contains(e.Message, "2031-01-02T03:04:05Z") {
		t.Fatalf("upgrade before any anchor: %d %s", status, body)
	}
	d.depositReceipt(who, "second")
	r3 := d.depositReceipt(who, "third")
	rc1, _ := receipt.Parse(r1)
	rc3, _ := receipt.Parse(r3)
	c1, c3 := checkpointOf(t, rc1.Checkpoint), checkpointOf(t, rc3.Checkpoint)
	if c3.Size <= c1.Size {
		t.Fatalf("checkpoints %d then %d", c1.Size, c3.Size)
	}
	final3, err := d.st.Final(c3.Size)
	if err != nil {
		t.Fatal(err)
	}
	courtReceipt := "the court's receipt\n"
	a := api.Anchor{Origin: d.origin, Size: c3.Size, RootHash: c3.Hash, Number: 7, Deposit: "dd", CertifiedTime: time.Now().UTC(),
		CourtOrigin: "court.example/ledger", Checkpoint: string(final3), Receipt: courtReceipt}
	rec, _ := json.Marshal(a)
	if err := d.st.PutOutboundAnchor(a.CourtOrigin, a.Size, rec); err != nil {
		t.Fatal(err)
	}

	status, h, body := d.postRaw("/v1/receipts/upgrade", r1)
	if status != http.StatusOK || h.Get("Content-Type") != api.MediaAnchoredProof {
		t.Fatalf("upgrade: %d %s %s", status, h.Get("Content-Type"), body)
	}
	if !bytes.HasPrefix(body, append(append([]byte(nil), r1...), '\n')) {
		t.Fatal("the composed receipt does not start with the receipt byte for byte")
	}
	rest := string(body[len(r1)+1:])
	head, tail, _ := strings.Cut(rest, "\n\n")
	lines := strings.Split(head, "\n")
	if lines[0] != "jurichain.org/anchored@v1" || lines[1] != fmt.Sprintf("consistency %d %d", c1.Size, c3.Size) {
		t.Fatalf("composed head %q", lines[:2])
	}
	var prf [][]byte
	for _, l := range lines[2:] {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		prf = append(prf, b)
	}
	if err := tlog.VerifyConsistency(cs.LogHasher(), c1.Size, c3.Size, prf, c1.Hash, c3.Hash); err != nil {
		t.Errorf("the consistency proof: %v", err)
	}
	if tail != string(final3)+"\n"+courtReceipt {
		t.Errorf("the anchored checkpoint and the court receipt are not as stored:\n%s", tail)
	}
	// The anchored checkpoint's own receipt: no proof.
	if status, _, body = d.postRaw("/v1/receipts/upgrade", r3); status != 200 || !bytes.Contains(body, fmt.Appendf(nil, "\nconsistency %d %d\n\n", c3.Size, c3.Size)) {
		t.Errorf("upgrade at the anchored size: %d %s", status, body)
	}

	other := receipttest.New(t, cs, 2, -1)
	altered := *rc1
	altered.Leaf = bytes.Clone(rc1.Leaf)
	altered.Leaf[len(altered.Leaf)-1] ^= 1
	cases := []struct {
		name   string
		body   []byte
		status int
		want   string
	}{
		{"another log", other.Receipts[1].Format(), 400, "log"},
		{"altered", altered.Format(), 400, "altered"},
		{"not a receipt", []byte("hello\n"), 400, "tlog-proof"},
		{"composed", body, 400, "composed"},
		{"trailing text", append(bytes.Clone(r1), "x\n"...), 400, "signed checkpoint"},
		{"control characters", append(bytes.Clone(r1), 0x1b), 400, "tlog-proof"},
		{"oversized", bytes.Repeat([]byte("a"), 300<<10), 413, "larger"},
	}
	for _, c := range cases {
		status, _, b := d.postRaw("/v1/receipts/upgrade", c.body)
		var e api.Error
		json.Unmarshal(b, &e)
		if status != c.status || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, status, b, c.status, c.want)
		}
	}

	var list api.OutboundAnchors
	d.getJSON(nil, "/v1/anchors/outbound", &list)
	if len(list.Upstreams) != 1 || list.Upstreams[0].Origin != "court.example/ledger" || len(list.Anchors) != 1 || list.Anchors[0].Size != c3.Size || list.Anchors[0].Receipt != courtReceipt {
		t.Errorf("outbound: %+v", list)
	}
	d.getJSON(nil, fmt.Sprintf("/v1/anchors/outbound?before=%d", c3.Size), &list)
	if len(list.Anchors) != 0 {
		t.Errorf("before=%d lists %+v", c3.Size, list.Anchors)
	}
	if status, _, b := d.get(nil, "/v1/anchors/outbound?limit=0"); status != 400 || !strings.Contains(string(b), "limit") {
		t.Errorf("limit=0: %d %s", status, b)
	}
	if _, _, b := d.get(nil, "/metrics"); !strings.Contains(string(b), "jurichain_anchor_attempts_total") {
		t.Error("the worker's metrics are not served")
	}
}
