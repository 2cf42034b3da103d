package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// twoNetworks is a platform network (a copyright chain) that anchors its
// checkpoints into a court network, each with its own validators. The
// platform runs the suite under test and the court the other one, so the
// two CI runs cover both directions of cross-suite anchoring.
type twoNetworks struct {
	t        *testing.T
	platform *network
	court    *network
	// platformPolicy and courtPolicy are the networks' tlog-policy files.
	platformPolicy, courtPolicy string
}

// otherSuite is the suite that is not the run's.
func otherSuite() *suite.Suite {
	for _, cs := range suite.All() {
		if cs.Name() != testSuite.Name() {
			return cs
		}
	}
	panic("only one crypto suite")
}

// startTwoNetworks starts a two-validator platform network and a
// two-validator court network (institution0 of each is of court kind).
func startTwoNetworks(t *testing.T) *twoNetworks {
	t.Helper()
	tn := &twoNetworks{t: t}
	tn.platform = startNetworkWith(t, 2, networkOptions{Name: "copyright"})
	tn.court = startNetworkWith(t, 2, networkOptions{Name: "court", Suite: otherSuite()})
	if !strings.HasPrefix(tn.platform.origin, "copyright-") || !strings.HasPrefix(tn.court.origin, "court-") {
		t.Fatalf("the networks' origins are %s and %s; want them named copyright and court", tn.platform.origin, tn.court.origin)
	}
	if got := tn.court.pol.Suite(); got == nil || got.Name() != otherSuite().Name() || tn.platform.pol.Suite().Name() != testSuite.Name() {
		t.Fatalf("the court's policy is of suite %v, the platform's %v; want %v and %v", got, tn.platform.pol.Suite(), otherSuite(), testSuite)
	}
	tn.platformPolicy = tn.platform.nodes[0].policyFile()
	tn.courtPolicy = tn.court.nodes[0].policyFile()
	return tn
}

// registerPlatform registers the platform's log at the court the way its
// members do: one proposes, the other signs (two of two are needed), one
// submits; then it waits until both court nodes list it.
func (tn *twoNetworks) registerPlatform() {
	t := tn.t
	t.Helper()
	c0, c1 := tn.court.nodes[0], tn.court.nodes[1]
	change := filepath.Join(t.TempDir(), "outside-log.note")
	if out, errOut, code := run(t, nil, "consortium", "propose", "--home", c0.home, "--server", c0.URL,
		"--register-log", tn.platformPolicy, "--out", change); code != 0 {
		t.Fatalf("consortium propose --register-log: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := run(t, nil, "consortium", "sign", "--home", c1.home, change); code != 0 {
		t.Fatalf("consortium sign: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := run(t, nil, "consortium", "submit", "--home", c0.home, "--server", c0.URL, change); code != 0 {
		t.Fatalf("consortium submit: exit %d\n%s%s", code, out, errOut)
	}
	for _, n := range tn.court.nodes {
		waitFor(t, 30*time.Second, "the court lists the platform's log", func() (bool, string) {
			l := tn.outsideLog(t, n)
			return l != nil, fmt.Sprintf("%s does not list %s", n.URL, tn.platform.origin)
		})
	}
}

// outsideLog returns the platform's entry in a court node's registry, nil
// when it is not registered.
func (tn *twoNetworks) outsideLog(t *testing.T, n *node) *api.AnchoredLog {
	t.Helper()
	var logs api.AnchoredLogs
	if code := do(t, "GET", n.URL+"/v1/anchors/logs", "", &logs); code != http.StatusOK {
		t.Fatalf("GET /v1/anchors/logs: %d", code)
	}
	for i := range logs.Logs {
		if logs.Logs[i].Origin == tn.platform.origin {
			return &logs.Logs[i]
		}
	}
	return nil
}

// anchorOut restarts platform node 0 anchoring into court node 0 every
// second (or every 10 entries) under the court's policy, and waits until
// it reports the upstream.
func (tn *twoNetworks) anchorOut() {
	t := tn.t
	t.Helper()
	p0 := tn.platform.nodes[0]
	p0.stop()
	p0.start("--anchor-to", tn.court.nodes[0].URL, "--anchor-every", "1s", "--anchor-entries", "10", "--anchor-policy", tn.courtPolicy)
	waitFor(t, 30*time.Second, "the platform reports its upstream", func() (bool, string) {
		out := tn.outbound(t)
		return len(out.Upstreams) == 1 && out.Upstreams[0].URL == tn.court.nodes[0].URL, fmt.Sprintf("%+v", out.Upstreams)
	})
}

// outbound is the anchoring platform node's GET /v1/anchors/outbound.
func (tn *twoNetworks) outbound(t *testing.T) api.OutboundAnchors {
	t.Helper()
	var out api.OutboundAnchors
	if code := do(t, "GET", tn.platform.nodes[0].URL+"/v1/anchors/outbound", "", &out); code != http.StatusOK {
		t.Fatalf("GET /v1/anchors/outbound: %d", code)
	}
	return out
}

// courtAnchor asks a court node for the anchor of the platform's log that
// covers size; it returns the HTTP status and the anchor.
func (tn *twoNetworks) courtAnchor(t *testing.T, n *node, size uint64) (int, api.Anchor) {
	t.Helper()
	var a api.Anchor
	var raw []byte
	u := n.URL + "/v1/anchors/" + url.PathEscape(tn.platform.origin)
	if size > 0 {
		u += fmt.Sprintf("?size=%d", size)
	}
	code := do(t, "GET", u, "", &raw)
	if code == http.StatusOK {
		decodeJSON(t, raw, &a)
	}
	return code, a
}

// waitAnchored waits until the court anchored a platform checkpoint of at
// least size and returns that anchor (the smallest such).
func (tn *twoNetworks) waitAnchored(t *testing.T, size uint64) api.Anchor {
	t.Helper()
	var a api.Anchor
	waitFor(t, 45*time.Second, fmt.Sprintf("an anchor covering size %d", size), func() (bool, string) {
		var code int
		code, a = tn.courtAnchor(t, tn.court.nodes[0], size)
		return code == http.StatusOK, fmt.Sprintf("GET /v1/anchors/{origin}?size=%d: %d; outbound: %+v", size, code, tn.outbound(t).Upstreams)
	})
	return a
}

// depositor is an enrolled account of the platform with a CLI key file.
type depositor struct {
	key     string // key file
	dir     string
	servers string
}

// newPlatformDepositor enrolls a depositor at platform node 0's counter.
func (tn *twoNetworks) newPlatformDepositor(t *testing.T, name string) *depositor {
	dir := t.TempDir()
	return &depositor{key: tn.platform.nodes[0].enrolledKeyFile(dir, name), dir: dir, servers: tn.platform.nodes[0].URL}
}

// deposited is one file deposited with the CLI.
type deposited struct {
	file, id string
	index    uint64
}

var depositLine = regexp.MustCompile(`(?m)^(.+)\tdeposit #(\d+) (\S+)\t`)

// deposit writes files with the given contents and deposits them with the
// CLI (extra flags such as --upload added), returning them in order.
func (d *depositor) deposit(t *testing.T, contents map[string]string, extra ...string) []deposited {
	t.Helper()
	var files []string
	for name, content := range contents {
		f := filepath.Join(d.dir, name)
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	args := append(append([]string{"deposit", "--server", d.servers, "--key", d.key}, extra...), files...)
	out, errOut, code := run(t, nil, args...)
	if code != 0 {
		t.Fatalf("deposit: exit %d\n%s%s", code, out, errOut)
	}
	var got []deposited
	for _, m := range depositLine.FindAllStringSubmatch(out, -1) {
		var idx uint64
		fmt.Sscan(m[2], &idx)
		got = append(got, deposited{file: m[1], id: m[3], index: idx})
	}
	if len(got) != len(files) {
		t.Fatalf("deposit reported %d deposits of %d files:\n%s", len(got), len(files), out)
	}
	return got
}

// maxIndex is the largest ledger index among ds.
func maxIndex(ds []deposited) uint64 {
	var m uint64
	for _, d := range ds {
		m = max(m, d.index)
	}
	return m
}

// courtStaff creates a staff account of the court's institution0 (a court)
// with the CLI and returns a client signing as it, in the court's suite.
func (tn *twoNetworks) courtStaff(t *testing.T, role identity.Role) (*client.Client, client.KeyAuth) {
	t.Helper()
	c0 := tn.court.nodes[0]
	cs := c0.suite()
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := key.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), string(role)+".key")
	if err := os.WriteFile(f, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, nil, "staff", "--home", c0.home, "--server", c0.URL, "--role", string(role), "--key", f); code != 0 {
		t.Fatalf("staff --role %s at the court: exit %d\n%s%s", role, code, out, errOut)
	}
	auth := client.KeyAuth{KeyID: identity.AccountID(cs, c0.status().Institution, key.Public()), Alg: cs.Signature().Name(), Key: key}
	return c0.client().WithAuth(auth), auth
}

// waitFor polls cond every 200 ms until it holds, failing the test with
// cond's last explanation after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %s", timeout, what, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// decodeJSON decodes b into v, failing the test with b if it is not JSON.
func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not the JSON expected: %v\n%s", err, b)
	}
}

// writeFile writes b to a new file in a temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// flipBase64 changes one base64 character of s at i to another valid one.
func flipBase64(s []byte, i int) []byte {
	b := bytes.Clone(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}
