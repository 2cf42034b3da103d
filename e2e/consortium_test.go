package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// network is a testnet of validators, each a 'jurichain serve' process.
// With proxies, every p2p connection between two nodes passes through a
// TCP relay of the test, so the test can cut a node off.
type network struct {
	t       *testing.T
	dir     string // holds genesis.json and the node homes
	nodes   []*node
	pol     *policy.Policy
	relays  map[[2]int]*relay // (dialer, dialed) -> relay
	origin  string
	servers []string
	// cs is the network's suite when it is not the run's.
	cs *suite.Suite
}

// networkOptions are the choices of startNetworkWith beyond the number
// of validators; the zero value is a network of the run's suite.
type networkOptions struct {
	// Relayed passes every p2p connection through a relay of the test.
	Relayed bool
	// Name is the network's name (testnet --name), so two networks of a
	// test have origins told apart at a glance.
	Name string
	// Suite is the network's crypto suite, the run's when nil.
	Suite *suite.Suite
}

func startNetwork(t *testing.T, n int, relayed bool) *network {
	t.Helper()
	return startNetworkWith(t, n, networkOptions{Relayed: relayed})
}

// startNetworkWith writes a testnet of n validators and starts them.
func startNetworkWith(t *testing.T, n int, o networkOptions) *network {
	t.Helper()
	relayed := o.Relayed
	dir := t.TempDir()
	nw := &network{t: t, dir: dir, relays: map[[2]int]*relay{}, cs: o.Suite}
	if relayed {
		// The relays listen before testnet picks the nodes' ports, so
		// none of them can take a port a node was given.
		for i := range n {
			for j := range n {
				if i != j {
					nw.relays[[2]int{i, j}] = newRelay(t)
				}
			}
		}
	}
	args := []string{"testnet", "--validators", fmt.Sprint(n), "--out", dir}
	if o.Name != "" {
		args = append(args, "--name", o.Name)
	}
	if o.Suite != nil {
		args = append(args, "--suite", o.Suite.Name())
	}
	if out, errOut, code := run(t, nil, args...); code != 0 {
		t.Fatalf("testnet: %s %s", out, errOut)
	}
	type card struct {
		NodeID     string `json:"node_id"`
		P2PAddress string `json:"p2p_address"`
	}
	cards := make([]card, n)
	for i := range n {
		home := filepath.Join(dir, fmt.Sprint("node", i))
		var settings struct{ HTTP string }
		readJSON(t, filepath.Join(home, "config", "jurichain.json"), &settings)
		readJSON(t, filepath.Join(home, "config", "card.json"), &cards[i])
		nw.nodes = append(nw.nodes, &node{t: t, home: home, http: settings.HTTP, URL: "http://" + settings.HTTP, cs: o.Suite})
		nw.servers = append(nw.servers, "http://"+settings.HTTP)
	}
	if relayed {
		for i := range n {
			var peers []string
			for j := range n {
				if i != j {
					r := nw.relays[[2]int{i, j}]
					r.setTarget(cards[j].P2PAddress)
					peers = append(peers, cards[j].NodeID+"@"+r.addr)
				}
			}
			cfgFile := filepath.Join(nw.nodes[i].home, "config", "config.toml")
			b, err := os.ReadFile(cfgFile)
			if err != nil {
				t.Fatal(err)
			}
			b = regexp.MustCompile(`(?m)^persistent_peers = ".*"$`).ReplaceAll(b, []byte(`persistent_peers = "`+strings.Join(peers, ",")+`"`))
			if err := os.WriteFile(cfgFile, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, nd := range nw.nodes {
		nd.start()
	}
	nw.pol = nw.nodes[0].policy()
	nw.origin = nw.nodes[0].status().Origin
	return nw
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// cut disconnects node i from every other node, or reconnects it.
func (nw *network) cut(i int, cut bool) {
	for k, r := range nw.relays {
		if k[0] == i || k[1] == i {
			r.setCut(cut)
		}
	}
}

// relay forwards TCP connections to a target until it is cut.
type relay struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

// newRelay listens on a free port; it forwards once it has a target.
func newRelay(t *testing.T) *relay {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{t: t, addr: l.Addr().String()}
	t.Cleanup(func() { l.Close(); r.setCut(true) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			if r.cut {
				r.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", r.target)
			if err != nil {
				r.mu.Unlock()
				c.Close()
				continue
			}
			r.conns = append(r.conns, c, up)
			r.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return r
}

func (r *relay) setTarget(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = target
}

func (r *relay) setCut(cut bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = cut
	if cut {
		for _, c := range r.conns {
			c.Close()
		}
		r.conns = nil
	}
}

// ledgerLoad submits deposits and remembers what was reported committed
// and which final checkpoints the nodes served.
type ledgerLoad struct {
	t           *testing.T
	origin      string
	key         suite.PrivateKey
	auth        client.Credentials
	pol         *policy.Policy
	mu          sync.Mutex
	seq         int
	committed   map[string]uint64 // deposit id -> index
	contents    map[string][]byte // deposit id -> content digest
	checkpoints map[uint64][]byte // size -> root, from any node
}

// newLoad makes a depositor, enrolled at the first node's institution;
// accounts are on the ledger, so it signs requests to any node.
func newLoad(t *testing.T, nw *network) *ledgerLoad {
	key, _ := testSuite.Signature().GenerateKey(rand.Reader)
	id := nw.nodes[0].enroll(key)
	auth := client.KeyAuth{KeyID: id, Alg: testSuite.Signature().Name(), Key: key}
	return &ledgerLoad{t: t, origin: nw.origin, key: key, auth: auth, pol: nw.pol,
		committed: map[string]uint64{}, contents: map[string][]byte{}, checkpoints: map[uint64][]byte{}}
}

// run submits batches through c and watches the checkpoints of the given
// nodes until the returned func is called (or the test ends), which waits
// for it all to stop.
func (l *ledgerLoad) run(c *client.Client, watch []*node) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	stop = func() { cancel(); wg.Wait() }
	l.t.Cleanup(stop)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				l.submit(ctx, c, 40, 5*time.Second)
			}
		}()
	}
	for _, n := range watch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := n.client()
			for ctx.Err() == nil {
				l.sawCheckpoint(ctx, c)
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	return stop
}

// waitCommitted waits until at least n deposits were reported committed.
func (l *ledgerLoad) waitCommitted(n int) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		l.mu.Lock()
		got := len(l.committed)
		l.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("only %d deposits committed in 30 s", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submit sends one batch and returns the ids reported committed.
func (l *ledgerLoad) submit(ctx context.Context, c *client.Client, n int, wait time.Duration) []string {
	var batch []api.Deposit
	sums := map[string][]byte{}
	for range n {
		l.mu.Lock()
		l.seq++
		i := l.seq
		l.mu.Unlock()
		content := fmt.Sprintf("consortium evidence %d", i)
		d := prepare(l.t, l.origin, l.key, content, fmt.Sprint("k-", i))
		sum := digestOf([]byte(content))
		batch = append(batch, d)
		sums[depositID(l.t, d)] = sum[:]
	}
	res, err := c.WithAuth(l.auth).Submit(ctx, batch, wait)
	if err != nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	for _, r := range res {
		if r.Status == api.StatusCommitted {
			l.committed[r.ID] = *r.Index
			l.contents[r.ID] = sums[r.ID]
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func (l *ledgerLoad) sawCheckpoint(ctx context.Context, c *client.Client) {
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return // none yet, or the node is down
	}
	v, err := l.pol.Verify(cp)
	if err != nil && bytes.HasPrefix(bytes.SplitN(cp, []byte("\n"), 2)[1], []byte("0\n")) {
		// Before the network's first final checkpoint a node serves its
		// own checkpoint of the empty tree, signed by it alone.
		return
	}
	if err != nil {
		l.t.Errorf("a node served a checkpoint the policy rejects: %v", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.checkpoints[v.Checkpoint.Size]; ok && string(old) != string(v.Checkpoint.Hash) {
		l.t.Errorf("fork: two final checkpoints of size %d with different roots", v.Checkpoint.Size)
	}
	l.checkpoints[v.Checkpoint.Size] = v.Checkpoint.Hash
}

// checkEveryNode waits until every node's final tree reaches size, then
// checks that all agree and that each node serves every committed deposit
// with a receipt valid under the policy, consistent with every checkpoint
// seen.
func (l *ledgerLoad) checkEveryNode(nw *network) {
	l.t.Helper()
	var size uint64
	for _, idx := range l.committed {
		size = max(size, idx+1)
	}
	for _, n := range nw.nodes {
		deadline := time.Now().Add(60 * time.Second)
		for n.status().TreeSize < size {
			if time.Now().After(deadline) {
				l.t.Fatalf("%s did not catch up to size %d (at %d)", n.home, size, n.status().TreeSize)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The operator reads every deposit; each node is checked at once.
	var g errgroup.Group
	for _, n := range nw.nodes {
		c := n.operator()
		g.Go(func() error { return checkAll(n, c, l.pol, l.committed, l.contents, l.checkpoints) })
	}
	if err := g.Wait(); err != nil {
		l.t.Fatal(err)
	}
	// With no load, the final trees converge to one size and root.
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := map[string]bool{}
		for _, n := range nw.nodes {
			st := n.status()
			seen[fmt.Sprint(st.TreeSize, st.RootHash)] = true
		}
		if len(seen) == 1 {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the nodes' final trees differ: %v", seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConsortiumOneOfFourKilled(t *testing.T) {
	nw := startNetwork(t, 4, false)
	l := newLoad(t, nw)
	c, _ := client.New(nw.servers, nil)
	stop := l.run(c, nw.nodes)
	l.waitCommitted(50)
	nw.nodes[3].kill()
	l.mu.Lock()
	before := len(l.committed)
	l.mu.Unlock()
	l.waitCommitted(before + 50) // fails unless three of four keep committing
	l.mu.Lock()
	after := len(l.committed)
	l.mu.Unlock()
	stop()
	t.Logf("%d deposits committed before the kill, %d after", before, after-before)
	nw.nodes[3].start()
	l.checkEveryNode(nw)
}

func TestConsortiumTwoOfFourKilled(t *testing.T) {
	nw := startNetwork(t, 4, false)
	l := newLoad(t, nw)
	ctx := context.Background()
	c, _ := client.New(nw.servers[:2], nil)
	if ids := l.submit(ctx, c, 20, 20*time.Second); len(ids) != 20 {
		t.Fatalf("%d of 20 deposits committed with every node up", len(ids))
	}
	l.sawCheckpoint(ctx, nw.nodes[0].client())
	nw.nodes[2].kill()
	nw.nodes[3].kill()
	if ids := l.submit(ctx, c, 10, 3*time.Second); len(ids) != 0 {
		t.Fatalf("%d deposits committed with two of four validators down", len(ids))
	}
	// Enrolling a depositor cannot succeed without a quorum: it must say
	// the registration was not applied, within its deadline. --home alone
	// names that node's API.
	key := filepath.Join(t.TempDir(), "depositor.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	start := time.Now()
	out, errOut, code := run(t, nil, "account", "enroll", "--home", nw.nodes[0].home, "--depositor-key", key, "--wait", "8s",
		"--name", "Zhang San", "--id-type", "resident-id", "--id-number", "110101199003071234")
	if code == 0 || !strings.Contains(errOut, "registration of account") || !strings.Contains(errOut, "not applied") || strings.Contains(errOut, "no account") {
		t.Fatalf("account enroll with two of four validators down: exit %d\n%s%s", code, out, errOut)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("account enroll with --wait 8s took %v", d)
	}
	final := nw.nodes[0].status().TreeSize
	time.Sleep(2 * time.Second)
	for _, n := range nw.nodes[:2] {
		if st := n.status(); st.TreeSize != final {
			t.Fatalf("the final tree grew from %d to %d without a quorum", final, st.TreeSize)
		}
	}
	nw.nodes[2].start()
	nw.nodes[3].start()
	// The deposits waiting in the mempools commit once the quorum is back.
	if ids := l.submit(ctx, c, 10, 60*time.Second); len(ids) != 10 {
		t.Fatalf("%d of 10 deposits committed after the restart", len(ids))
	}
	l.checkEveryNode(nw)
}

func TestConsortiumPartitionHeals(t *testing.T) {
	nw := startNetwork(t, 4, true)
	l := newLoad(t, nw)
	c, _ := client.New(nw.servers[:3], nil)
	stop := l.run(c, nw.nodes)
	l.waitCommitted(50)
	nw.cut(3, true)
	l.mu.Lock()
	before := len(l.committed)
	l.mu.Unlock()
	l.waitCommitted(before + 50) // the majority side keeps committing
	cutOff := nw.nodes[3].status().TreeSize
	if majority := nw.nodes[0].status().TreeSize; majority <= cutOff {
		t.Fatalf("the cut-off node's final tree kept up: %d vs %d", majority, cutOff)
	}
	nw.cut(3, false)
	time.Sleep(time.Second)
	stop()
	l.checkEveryNode(nw)
	t.Logf("%d deposits, %d checkpoints seen across the partition; node3 was cut off at %d", len(l.committed), len(l.checkpoints), cutOff)
}

func TestConsortiumEquivocationIsRecorded(t *testing.T) {
	nw := startNetwork(t, 4, false)
	l := newLoad(t, nw)
	ctx := context.Background()
	c, _ := client.New(nw.servers, nil)
	l.submit(ctx, c, 5, 20*time.Second)
	st := nw.nodes[0].status()
	// institution3 signs a checkpoint of the same size with another root.
	forged := log.Checkpoint{Origin: nw.origin, Size: st.TreeSize, Hash: make([]byte, 32)}.Marshal()
	b, err := os.ReadFile(filepath.Join(nw.nodes[3].home, "config", "cosign.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := testSuite.NewCosigner(strings.TrimSpace(string(b)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: string(forged)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := nw.nodes[0].operator().ReportMisbehaviour(ctx, signed); err != nil {
		t.Fatal(err)
	}
	// A checkpoint consistent with the ledger proves nothing.
	honest, _ := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: nw.origin, Size: st.TreeSize, Hash: st.RootHash}.Marshal())}, signer)
	var e api.Error
	if code := doAs(t, nw.nodes[1].operator(), "POST", "/v1/misbehaviour", mustJSON(api.SignedNote{Note: string(honest)}), &e); code != 400 || !strings.Contains(e.Message, "consistent") {
		t.Fatalf("honest checkpoint as evidence: %d %+v", code, e)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nw.nodes {
		for {
			ev, err := n.client().Misbehaviour(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ev) == 1 {
				if ev[0].Institution != "institution3" || ev[0].Theirs != string(signed) || ev[0].Size != st.TreeSize {
					t.Fatalf("recorded %+v", ev[0])
				}
				if _, err := nw.pol.Verify([]byte(ev[0].Ours)); err != nil {
					t.Fatalf("the ledger's checkpoint kept with the evidence does not verify: %v", err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lists %d misbehaviour records", n.home, len(ev))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !strings.Contains(nw.nodes[2].log.String(), "misbehaviour recorded") {
		t.Errorf("node2's log does not report the misbehaviour:\n%s", nw.nodes[2].log)
	}
}

// TestInstitutionKindsBoundRolesAndGrants runs a court (institution0) and
// a notary office (institution1): the notary office has no judges, and
// evidence is granted to cases at the court only.
func TestInstitutionKindsBoundRolesAndGrants(t *testing.T) {
	nw := startNetwork(t, 2, false)
	out, errOut, code := run(t, nil, "status", "--server", nw.servers[0])
	if code != 0 || !regexp.MustCompile(`(?m)^institution0\s+court\s`).MatchString(out) || !regexp.MustCompile(`(?m)^institution1\s+notary\s`).MatchString(out) {
		t.Fatalf("status does not show the institutions' kinds: exit %d\n%s%s", code, out, errOut)
	}
	staffKey := keyFile(t, must(testSuite.Signature().GenerateKey(rand.Reader)))
	if _, errOut, code := run(t, nil, "staff", "--home", nw.nodes[1].home, "--server", nw.servers[1], "--role", "judge", "--key", staffKey); code == 0 || !strings.Contains(errOut, "institution1 is a notary institution, which has no judge accounts") {
		t.Fatalf("a judge at the notary office: exit %d, %s", code, errOut)
	}
	if out, errOut, code := run(t, nil, "staff", "--home", nw.nodes[0].home, "--server", nw.servers[0], "--role", "judge", "--key", staffKey); code != 0 {
		t.Fatalf("a judge at the court: %s %s", out, errOut)
	}

	key, depositor := nw.nodes[1].newDepositor()
	d := prepare(t, nw.origin, key, "a notarised contract", "kinds-1")
	if res, err := depositor.Submit(context.Background(), []api.Deposit{d}, 20*time.Second); err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("deposit: %+v %v", res, err)
	}
	id := depositID(t, d)
	var e api.Error
	if code := doAs(t, depositor, "POST", "/v1/deposits/"+id+"/grants", mustJSON(api.GrantRequest{Court: "institution1", Case: "(2026)沪0104民初1号"}), &e); code != 400 || !strings.Contains(e.Message, "institution1 is a notary institution") {
		t.Fatalf("a grant to a case at the notary office: %d %+v", code, e)
	}
	if g, err := depositor.Grant(context.Background(), id, "institution0", "(2026)京0491民初1号"); err != nil || g.Court != "institution0" {
		t.Fatalf("a grant to a case at the court: %+v %v", g, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestNodeWithAnotherGenesisIsRefused(t *testing.T) {
	nw := startNetwork(t, 1, false)
	var card struct {
		NodeID     string `json:"node_id"`
		P2PAddress string `json:"p2p_address"`
	}
	readJSON(t, filepath.Join(nw.nodes[0].home, "config", "card.json"), &card)
	stranger := initNode(t)
	cfgFile := filepath.Join(stranger.home, "config", "config.toml")
	b, _ := os.ReadFile(cfgFile)
	b = regexp.MustCompile(`(?m)^persistent_peers = ".*"$`).ReplaceAll(b, []byte(`persistent_peers = "`+card.NodeID+"@"+card.P2PAddress+`"`))
	os.WriteFile(cfgFile, b, 0o644)
	stranger.start()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stranger.log.String(), "runs a different network") {
		if time.Now().After(deadline) {
			t.Fatalf("the stranger's log does not say why it cannot join:\n%s", stranger.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := stranger.status(); st.Peers != 0 {
		t.Fatalf("the stranger has %d peers", st.Peers)
	}
}

// TestConsortiumMembershipChange admits a fifth institution the way the
// README says: propose, sign, submit, join with --peers. Receipts made
// before the change verify under the policy of their height, and the
// newcomer really votes: with one old member down, commits need it.
func TestConsortiumMembershipChange(t *testing.T) {
	nw := startNetwork(t, 4, false)
	dir := t.TempDir()
	key := filepath.Join(dir, "depositor.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	out, errOut, code := run(t, nil, "account", "enroll", "--home", nw.nodes[0].home, "--server", nw.servers[0], "--depositor-key", key,
		"--kind", "enterprise", "--name", "Hangzhou Evidence Co.", "--credit-code", "91330100MA2B3C4D5E", "--legal-representative", "Li Si", "--agent", "Wang Wu")
	if code != 0 {
		t.Fatalf("enroll: %s %s", out, errOut)
	}
	account := strings.Fields(out)[1]
	deposit := func(name string, servers []string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte("evidence: "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, errOut, code := run(t, nil, "deposit", "--server", strings.Join(servers, ","), "--key", key, "--account", account, f); code != 0 {
			t.Fatalf("deposit %s: %s %s", name, out, errOut)
		}
		return f
	}
	verify := func(policyText, file string) (string, int) {
		t.Helper()
		pf := filepath.Join(t.TempDir(), "policy")
		if err := os.WriteFile(pf, []byte(policyText), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, nil, "verify", "--policy", pf, file)
		return out + errOut, code
	}
	policyAt := func(height uint64) string {
		t.Helper()
		args := []string{"policy", "--server", nw.servers[1]}
		if height > 0 {
			args = append(args, "--at", fmt.Sprint(height))
		}
		out, errOut, code := run(t, nil, args...)
		if code != 0 {
			t.Fatalf("policy %v: %s", args, errOut)
		}
		return out
	}

	before := deposit("before.txt", nw.servers)
	heightBefore := nw.nodes[0].status().Height
	genesisPolicy, err := os.ReadFile(filepath.Join(nw.nodes[0].home, "config", "policy"))
	if err != nil {
		t.Fatal(err)
	}

	addrs := freePorts(t, 2)
	newcomer := &node{t: t, home: filepath.Join(dir, "newcomer"), http: addrs[0]}
	newcomer.URL = "http://" + newcomer.http
	if out, errOut, code := run(t, nil, "init", "--home", newcomer.home, "--institution", "newcomer-court", "--kind", "court",
		"--p2p", "tcp://"+addrs[1], "--http", newcomer.http); code != 0 {
		t.Fatalf("init: %s %s", out, errOut)
	}
	change := filepath.Join(dir, "membership-change.note")
	if out, errOut, code := run(t, nil, "consortium", "propose", "--home", nw.nodes[0].home, "--server", nw.servers[0],
		"--add", filepath.Join(newcomer.home, "config", "card.json"), "--out", change); code != 0 {
		t.Fatalf("propose: %s %s", out, errOut)
	}
	// Two of four votes are not more than two thirds: refused, nothing changes.
	if out, errOut, code := run(t, nil, "consortium", "sign", "--home", nw.nodes[1].home, change); code != 0 {
		t.Fatalf("sign: %s %s", out, errOut)
	}
	if _, errOut, code := run(t, nil, "consortium", "submit", "--home", nw.nodes[0].home, "--server", nw.servers[0], change); code == 0 || !strings.Contains(errOut, "holding 2 of 4 voting power; it needs 3") {
		t.Fatalf("a change signed by two of four members: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, nil, "consortium", "sign", "--home", nw.nodes[2].home, change); code != 0 {
		t.Fatalf("sign: %s", errOut)
	}
	if out, errOut, code := run(t, nil, "consortium", "submit", "--home", nw.nodes[1].home, "--server", nw.servers[1], change); code != 0 || !strings.Contains(out, "applied: add newcomer-court; membership version 1, 5 members") {
		t.Fatalf("submit: exit %d\n%s %s", code, out, errOut)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(nw.nodes[3].status().Validators) != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("node3 lists %d validators after the change", len(nw.nodes[3].status().Validators))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The same change again is stale: its membership version has passed,
	// also for a node that has the transaction in its mempool's cache.
	if _, errOut, code := run(t, nil, "consortium", "submit", "--home", nw.nodes[0].home, "--server", nw.servers[0], change); code == 0 || !strings.Contains(errOut, "membership version 0, the current one is 1") {
		t.Fatalf("the change submitted twice: exit %d, %s", code, errOut)
	}
	signed, err := os.ReadFile(change)
	if err != nil {
		t.Fatal(err)
	}
	var e api.Error
	if code := doAs(t, nw.nodes[1].operator(), "POST", "/v1/membership", mustJSON(api.SignedNote{Note: string(signed)}), &e); code != 400 || !strings.Contains(e.Message, "membership version 0, the current one is 1") {
		t.Fatalf("the change posted twice to the node that took it: %d %+v", code, e)
	}

	var card struct {
		NodeID     string `json:"node_id"`
		P2PAddress string `json:"p2p_address"`
	}
	readJSON(t, filepath.Join(nw.nodes[0].home, "config", "card.json"), &card)
	if out, errOut, code := run(t, nil, "join", "--home", newcomer.home, "--genesis", filepath.Join(nw.dir, "genesis.json"),
		"--peers", card.NodeID+"@"+card.P2PAddress); code != 0 {
		t.Fatalf("join: %s %s", out, errOut)
	}
	newcomer.start()
	deadline = time.Now().Add(60 * time.Second)
	for st := newcomer.status(); st.Height < nw.nodes[0].status().Height || len(st.Validators) != 5; st = newcomer.status() {
		if time.Now().After(deadline) {
			t.Fatalf("the newcomer did not catch up: height %d, %d validators", st.Height, len(st.Validators))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// With five members the quorum is four: node3 down, the newcomer's vote
	// and cosignature are needed for anything to commit.
	nw.nodes[3].kill()
	after := deposit("after.txt", nw.servers[:3])
	newPolicy := policyAt(0)
	p, err := policy.Parse([]byte(newPolicy))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Witnesses) != 5 || !strings.Contains(newPolicy, "newcomer-court") {
		t.Fatalf("the policy after the change has %d witnesses:\n%s", len(p.Witnesses), newPolicy)
	}
	if out, code := verify(newPolicy, after); code != 0 || !strings.Contains(out, "newcomer-court") {
		t.Fatalf("a receipt made after the change: exit %d\n%s", code, out)
	}
	if got := policyAt(heightBefore); got != string(genesisPolicy) {
		t.Fatalf("policy --at %d is not the genesis policy:\n%s", heightBefore, got)
	}
	if out, code := verify(policyAt(heightBefore), before); code != 0 {
		t.Fatalf("a receipt made before the change, under the policy of its height: exit %d\n%s", code, out)
	}
}
