package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ingest"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// dashNode is a single-validator network running in the test: CometBFT,
// the ledger and the API on a loopback port, which is also the API URL
// on its member card.
type dashNode struct {
	t                   *testing.T
	cs                  *suite.Suite
	url                 string
	origin, institution string
	home                node.Home
	nodeKey             suite.PrivateKey
	// st is the node's store, and out the anchoring worker the API
	// asks (nil unless set before the API starts: startDashNodeWith).
	st *store.Store
}

// submitter hands the pipeline's transactions to the node, as serve does.
type submitter struct{ n *node.Node }

func (s submitter) Submit(ctx context.Context, tx []byte) error {
	s.n.App.MarkVerified(tx)
	return s.n.Submit(ctx, tx)
}

func startDashNode(t *testing.T, cs *suite.Suite, configure ...func(*httpapi.Config)) *dashNode {
	t.Helper()
	return startDashNodeWith(t, cs, nil, configure...)
}

// startDashNodeWith starts the node with an anchoring worker for the API;
// configure adjusts the API's configuration before it starts.
func startDashNodeWith(t *testing.T, cs *suite.Suite, out httpapi.Outbound, configure ...func(*httpapi.Config)) *dashNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p2p, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p2pAddr := p2p.Addr().String()
	p2p.Close()
	home := node.Home(filepath.Join(t.TempDir(), "node"))
	if err := node.Init(home, node.InitOptions{InstitutionOptions: node.InstitutionOptions{P2PAddress: "tcp://" + p2pAddr, HTTP: ln.Addr().String(), Suite: cs.Name()}}); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Start(ctx, node.Options{Home: home, Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := n.Stop(); err != nil {
			t.Error(err)
		}
	})
	pipe := ingest.New(ingest.DefaultConfig(), submitter{n}, n.App, logger)
	pipeDone := make(chan struct{})
	go func() { defer close(pipeDone); pipe.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-pipeDone })
	off, err := office.Open(cs, home.OfficeDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { off.Close() })
	key, err := home.NodeKey(cs)
	if err != nil {
		t.Fatal(err)
	}
	vlt := newVault(t, cs)
	cfg := httpapi.Config{
		Suite: cs, Origin: n.Origin, Institution: n.Institution, Ledger: n.App, Store: n.Store, Pipeline: pipe,
		Office: off, Vault: vlt, NodeKey: key, NodeSigner: n.LogSigner, Submit: n.Submit, Logger: logger,
		PublicNames: []string{ln.Addr().String()}, Outbound: out, TempDir: home.ImportDir(),
	}
	for _, c := range configure {
		c(&cfg)
	}
	srv := httpapi.NewHTTPServer(httpapi.New(cfg), httpapi.Limits{})
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		srv.Shutdown(ctx)
		<-served
	})
	return &dashNode{t: t, cs: cs, url: "http://" + ln.Addr().String(), origin: n.Origin, institution: n.Institution, home: home, nodeKey: key, st: n.Store}
}

func (d *dashNode) client(auth client.Credentials) *client.Client {
	c, err := client.New([]string{d.url}, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if auth == nil {
		return c
	}
	return c.WithAuth(auth)
}

func (d *dashNode) keyAuth(id string, key suite.PrivateKey) client.KeyAuth {
	return client.KeyAuth{KeyID: id, Alg: d.cs.Signature().Name(), Key: key}
}

func (d *dashNode) operator() client.KeyAuth {
	return d.keyAuth(httpapi.NodeKeyID(d.institution), d.nodeKey)
}

// depositor enrolls an approved depositor account of a kind.
func (d *dashNode) depositor(kind identity.Kind) client.KeyAuth {
	d.t.Helper()
	key, err := d.cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		d.t.Fatal(err)
	}
	approver, err := d.home.LogSigner(d.origin)
	if err != nil {
		d.t.Fatal(err)
	}
	rn := identity.RealName{Name: "Test Person", IDType: "resident-id", IDNumber: "110101199003070000"}
	if kind == identity.Enterprise {
		rn = identity.RealName{Name: "Test Company", CreditCode: "91110000100000000X", LegalRepresentative: "Test Person", Agent: "Test Agent"}
	}
	id, err := d.client(d.operator()).Enroll(context.Background(), d.cs, d.origin, d.institution, key, kind, rn, approver)
	if err != nil {
		d.t.Fatalf("enrolling a depositor: %v", err)
	}
	return d.keyAuth(id, key)
}

// staff creates an approved staff account in a role.
func (d *dashNode) staff(role identity.Role) client.KeyAuth {
	d.t.Helper()
	key, err := d.cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		d.t.Fatal(err)
	}
	op := identity.NewRegistration(d.cs, d.origin, d.institution, role, identity.Staff, key.Public(), make([]byte, 32))
	self, err := identity.NewSigner(op.Account, key, d.cs.Signature().Name())
	if err != nil {
		d.t.Fatal(err)
	}
	nodeSigner, err := d.home.LogSigner(d.origin)
	if err != nil {
		d.t.Fatal(err)
	}
	signed, err := op.Sign(self, nodeSigner)
	if err != nil {
		d.t.Fatal(err)
	}
	if info, err := d.client(d.operator()).Identity(context.Background(), signed); err != nil || info.Status != identity.Approved {
		d.t.Fatalf("creating a %s: %+v %v", role, info, err)
	}
	return d.keyAuth(op.Account, key)
}

// deposit makes a committed deposit and returns its certified time.
func (d *dashNode) deposit(who client.KeyAuth, content, mediaType string) time.Time {
	d.t.Helper()
	sum := d.cs.Hash([]byte(content))
	dep, _, err := client.Prepare(d.cs, d.origin, who.Key, client.Content{Digest: sum[:], Size: uint64(len(content)),
		Metadata: deposit.Metadata{Title: content, MediaType: mediaType}})
	if err != nil {
		d.t.Fatal(err)
	}
	res, err := d.client(who).Submit(context.Background(), []api.Deposit{dep}, 30*time.Second)
	if err != nil || len(res) != 1 || res[0].Status != api.StatusCommitted {
		d.t.Fatalf("deposit of %q: %+v %v", content, res, err)
	}
	return *res[0].Time
}

// get sends a GET as who (nil: anonymous) with extra headers and returns
// the status, the headers and the body.
func (d *dashNode) get(who client.Credentials, path string, header ...string) (int, http.Header, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if who != nil {
		if err := who.Authorize(req, nil); err != nil {
			d.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// getJSON sends a GET as who and decodes its 200 answer into out.
func (d *dashNode) getJSON(who client.Credentials, path string, out any) {
	d.t.Helper()
	status, _, body := d.get(who, path)
	if status != http.StatusOK {
		d.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		d.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// dashboardPaths are the dashboard's endpoints.
var dashboardPaths = []string{"/v1/stats", "/v1/explorer/blocks", "/v1/explorer/checkpoints", "/v1/explorer/growth", "/v1/validators"}

// TestDashboard makes deposits of two kinds of accounts with known media
// types on a running single-validator network, in each suite, and checks
// every dashboard endpoint against them: the counts, the blocks and
// checkpoints that carried them, the growth of the tree and the one
// validator, with their bounds, their errors and who may ask.
func TestDashboard(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testDashboard(t, cs) })
	}
}

func testDashboard(t *testing.T, cs *suite.Suite) {
	d := startDashNode(t, cs)
	person, company := d.depositor(identity.Individual), d.depositor(identity.Enterprise)
	auditor, admin := d.staff(identity.Auditor), d.staff(identity.Admin)
	made := []struct {
		who       client.KeyAuth
		content   string
		mediaType string
	}{
		{person, "photo of the scene", "image/jpeg"},
		{person, "second photo", "image/jpeg"},
		{person, "witness statement", "text/plain; charset=utf-8"},
		{company, "the contract", "application/pdf"},
		{company, "the delivery note", "Image/JPEG"},
	}
	perDay := map[string]uint64{}
	for _, m := range made {
		perDay[d.deposit(m.who, m.content, m.mediaType).UTC().Format(time.DateOnly)]++
	}

	t.Run("stats", func(t *testing.T) {
		var st api.Stats
		d.getJSON(auditor, "/v1/stats", &st)
		want := []api.Count{{Key: "image/jpeg", Count: 3}, {Key: "application/pdf", Count: 1}, {Key: "text/plain", Count: 1}}
		if st.Total != 5 || st.TreeSize != 5 || !slices.Equal(st.MediaTypes, want) || st.MediaTypesUnknown != 0 || st.MediaTypesScope != api.MediaTypesScope {
			t.Fatalf("stats: %+v", st)
		}
		if want := []api.Count{{Key: d.institution, Count: 5}}; !slices.Equal(st.Institutions, want) {
			t.Fatalf("institutions %+v, want %+v", st.Institutions, want)
		}
		if want := []api.Count{{Key: "individual", Count: 3}, {Key: "enterprise", Count: 2}}; !slices.Equal(st.AccountKinds, want) {
			t.Fatalf("account kinds %+v, want %+v", st.AccountKinds, want)
		}
		days := map[string]uint64{}
		for _, dc := range st.PerDay {
			if dc.Count > 0 {
				days[dc.Date] = dc.Count
			}
		}
		if fmt.Sprint(days) != fmt.Sprint(perDay) || st.PerDay[0].Date != st.From || st.PerDay[len(st.PerDay)-1].Date != st.To {
			t.Fatalf("per day %+v from %s to %s, want %v", st.PerDay, st.From, st.To, perDay)
		}

		// A deposit after the first count is counted by the next.
		day := d.deposit(company, "a later deposit", "application/pdf").UTC().Format(time.DateOnly)
		d.getJSON(auditor, "/v1/stats?from="+day+"&to="+day, &st)
		if st.TreeSize != 6 || st.Total != perDay[day]+1 || len(st.PerDay) != 1 || st.From != day || st.To != day {
			t.Fatalf("stats of %s after one more deposit: %+v", day, st)
		}
		// A range without deposits.
		d.getJSON(auditor, "/v1/stats?from=2001-02-03&to=2001-02-05", &st)
		if st.Total != 0 || len(st.PerDay) != 3 || st.PerDay[2] != (api.DayCount{Date: "2001-02-05"}) || len(st.MediaTypes) != 0 {
			t.Fatalf("stats of three days without deposits: %+v", st)
		}
	})

	t.Run("csv", func(t *testing.T) {
		for _, ask := range [][]string{{"/v1/stats?format=csv"}, {"/v1/stats", "Accept", "text/html, text/csv;q=0.9"}} {
			status, h, body := d.get(admin, ask[0], ask[1:]...)
			if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
				t.Fatalf("%v: %d %s %s", ask, status, h.Get("Content-Type"), body)
			}
			if kind, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err != nil || kind != "attachment" ||
				!strings.HasPrefix(params["filename"], "jurichain-stats-") || !strings.HasSuffix(params["filename"], ".csv") {
				t.Fatalf("%v: Content-Disposition %q", ask, h.Get("Content-Disposition"))
			}
			rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r[0]+","+r[1]] = r[2]
			}
			for k, v := range map[string]string{"section,key": "count", "total,deposits": "6", "media_type,image/jpeg": "3", "media_type,application/pdf": "2",
				"account_kind,enterprise": "3", "institution," + d.institution: "6", "media_type_unknown,not deposited through this node": "0"} {
				if got[k] != v {
					t.Errorf("%v: row %s is %q, want %q\n%s", ask, k, got[k], v, body)
				}
			}
		}
	})

	t.Run("blocks", func(t *testing.T) {
		var all api.BlockList
		d.getJSON(auditor, "/v1/explorer/blocks?limit=100", &all)
		if len(all.Blocks) == 0 || all.More {
			t.Fatalf("blocks: %+v", all)
		}
		deposits, prev := 0, all.Blocks[0]
		for i, b := range all.Blocks {
			deposits += b.Deposits
			if i > 0 && (b.Height >= prev.Height || b.TreeSize > prev.TreeSize || b.Time.After(prev.Time)) {
				t.Fatalf("block %d listed after block %d: %+v then %+v", b.Height, prev.Height, prev, b)
			}
			if len(b.AppHash) != 64 || strings.ToUpper(b.AppHash) != b.AppHash {
				t.Fatalf("block %d: app hash %q", b.Height, b.AppHash)
			}
			prev = b
		}
		if deposits != 6 || all.Blocks[0].TreeSize != 6 {
			t.Fatalf("the blocks carried %d deposits into a tree of %d, want 6", deposits, all.Blocks[0].TreeSize)
		}
		// A block may commit between two requests (the one that proves
		// the previous block's app hash): then both are asked again.
		var page api.BlockList
		for range 10 {
			d.getJSON(auditor, "/v1/explorer/blocks?limit=2", &page)
			if len(page.Blocks) == 0 || page.Blocks[0].Height == all.Blocks[0].Height {
				break
			}
			d.getJSON(auditor, "/v1/explorer/blocks?limit=100", &all)
		}
		if len(page.Blocks) != 2 || !page.More || *page.Next != page.Blocks[1].Height || page.Blocks[0].Height != all.Blocks[0].Height {
			t.Fatalf("first page of 2: %+v", page)
		}
		d.getJSON(auditor, fmt.Sprintf("/v1/explorer/blocks?before=%d&limit=1", *page.Next), &page)
		if len(page.Blocks) != 1 || page.Blocks[0].Height != all.Blocks[2].Height {
			t.Fatalf("the page before block %d: %+v", all.Blocks[1].Height, page)
		}
	})

	t.Run("checkpoints", func(t *testing.T) {
		var cps api.CheckpointList
		d.getJSON(auditor, "/v1/explorer/checkpoints?limit=1", &cps)
		if len(cps.Checkpoints) != 1 || !cps.More {
			t.Fatalf("checkpoints: %+v", cps)
		}
		latest := cps.Checkpoints[0]
		var st api.Status
		d.getJSON(nil, "/v1/status", &st)
		if latest.Size != 6 || latest.Size != st.TreeSize || string(latest.RootHash) != string(st.RootHash) || latest.Checkpoint != st.Checkpoint {
			t.Fatalf("latest checkpoint %+v, status says size %d", latest, st.TreeSize)
		}
		if len(latest.Cosignatures) != 1 || latest.Cosignatures[0].Institution != d.institution || !latest.Time.Equal(latest.Cosignatures[0].Time) || time.Since(latest.Time) > time.Minute {
			t.Fatalf("cosignatures of the latest checkpoint: %+v at %v", latest.Cosignatures, latest.Time)
		}
		// This node runs no time-stamping authority in the test.
		if latest.Timestamped || latest.TimeStamp != nil {
			t.Fatalf("a time-stamp without an authority: %+v", latest)
		}
		d.getJSON(auditor, fmt.Sprintf("/v1/explorer/checkpoints?before=%d", *cps.Next), &cps)
		for i, c := range cps.Checkpoints {
			if c.Size >= latest.Size || (i > 0 && c.Size >= cps.Checkpoints[i-1].Size) {
				t.Fatalf("checkpoints below size %d: %+v", latest.Size, cps.Checkpoints)
			}
		}
		if n := len(cps.Checkpoints); n == 0 || cps.Checkpoints[n-1].Size != 0 || cps.More {
			t.Fatalf("the checkpoints below the latest do not end with the empty tree's: %+v", cps)
		}
	})

	t.Run("growth", func(t *testing.T) {
		var g api.Growth
		d.getJSON(auditor, "/v1/explorer/growth?points=10", &g)
		n := len(g.Points)
		if g.TreeSize != 6 || n == 0 || n > 10 || g.Points[n-1].TreeSize != 6 || g.Points[0].TreeSize == 0 {
			t.Fatalf("growth: %+v", g)
		}
		for i := 1; i < n; i++ {
			if g.Points[i].TreeSize < g.Points[i-1].TreeSize || !g.Points[i].Time.After(g.Points[i-1].Time) {
				t.Fatalf("growth goes back at point %d: %+v", i, g.Points)
			}
		}
	})

	t.Run("validators", func(t *testing.T) {
		var vs api.ValidatorList
		d.getJSON(auditor, "/v1/validators", &vs)
		if len(vs.Validators) != 1 || vs.LastBlock == 0 {
			t.Fatalf("validators: %+v", vs)
		}
		v := vs.Validators[0]
		if v.Institution != d.institution || v.Power != 1 || v.API != d.url || v.SignedLastBlock == nil || !*v.SignedLastBlock ||
			v.CosignedSize != 6 || v.Health.Status != api.HealthOK || v.Health.CheckedAt.IsZero() {
			t.Fatalf("the validator: %+v", v)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		tests := []struct{ path, param string }{
			{"/v1/stats?from=2026-13-01", "from"},
			{"/v1/stats?to=yesterday", "to"},
			{"/v1/stats?from=2026-02-01&to=2026-01-31", "to"},
			{"/v1/stats?from=2000-01-01&to=2026-01-01", "from"},
			{"/v1/stats?format=xml", "format"},
			{"/v1/explorer/blocks?limit=0", "limit"},
			{"/v1/explorer/blocks?limit=101", "limit"},
			{"/v1/explorer/blocks?before=0", "before"},
			{"/v1/explorer/blocks?before=tip", "before"},
			{"/v1/explorer/checkpoints?limit=many", "limit"},
			{"/v1/explorer/checkpoints?before=-1", "before"},
			{"/v1/explorer/growth?points=0", "points"},
			{"/v1/explorer/growth?points=501", "points"},
		}
		for _, tc := range tests {
			status, _, body := d.get(auditor, tc.path)
			var e api.Error
			if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadRequest || e.Code != api.CodeInvalid || !strings.HasPrefix(e.Message, tc.param+":") {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.path, status, body, tc.param)
			}
		}
	})

	t.Run("access", func(t *testing.T) {
		for _, path := range dashboardPaths {
			for _, tc := range []struct {
				name   string
				who    client.Credentials
				status int
			}{
				{"anonymous", nil, http.StatusUnauthorized},
				{"depositor", person, http.StatusForbidden},
				{"auditor", auditor, http.StatusOK},
				{"admin", admin, http.StatusOK},
				{"node", d.operator(), http.StatusOK},
			} {
				status, _, body := d.get(tc.who, path)
				if status != tc.status {
					t.Errorf("GET %s as %s: %d %s, want %d", path, tc.name, status, body, tc.status)
				}
				if status != http.StatusOK {
					var e api.Error
					if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
						t.Errorf("GET %s as %s: the refusal is not a JSON error: %s", path, tc.name, body)
					}
				}
			}
		}
	})
}
