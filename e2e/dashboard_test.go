package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// enrollEnterprise makes key an approved enterprise depositor of the
// node's institution and returns a client that signs as it.
func (n *node) enrollEnterprise() (suite.PrivateKey, *client.Client) {
	n.t.Helper()
	key, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	st := n.status()
	approver, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := n.operator().Enroll(ctx, testSuite, st.Origin, st.Institution, key, identity.Enterprise,
		identity.RealName{Name: "Test Company", CreditCode: "91110000100000000X", LegalRepresentative: "Test Person", Agent: "Test Agent"}, approver); err != nil {
		n.t.Fatalf("enrolling an enterprise: %v", err)
	}
	return key, n.as(key)
}

// TestDashboardFigures deposits as an individual and an enterprise on a
// running node, then reads the dashboard as an auditor: the counts, the
// blocks, checkpoints and growth of the tree agree with each other and
// with the deposits, the latest checkpoint carries the node's RFC 3161
// time-stamp, and the validator is healthy.
func TestDashboardFigures(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	st := n.status()
	personKey, person := n.newDepositor()
	companyKey, company := n.enrollEnterprise()
	_, auditor := n.staff(identity.Auditor)
	made := []struct {
		key       suite.PrivateKey
		c         *client.Client
		mediaType string
	}{
		{personKey, person, "image/jpeg"}, {personKey, person, "image/jpeg"}, {personKey, person, "video/mp4"},
		{companyKey, company, "application/pdf"}, {companyKey, company, "application/pdf"},
	}
	for i, m := range made {
		content := fmt.Sprint("evidence ", i)
		sum := digestOf([]byte(content))
		d, _, err := client.Prepare(testSuite, st.Origin, m.key, client.Content{Digest: sum[:], Size: uint64(len(content)),
			Metadata: deposit.Metadata{Title: content, MediaType: m.mediaType}})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := m.c.Submit(ctx, []api.Deposit{d}, 30*time.Second); err != nil || res[0].Status != api.StatusCommitted {
			t.Fatalf("deposit %d: %+v %v", i, res, err)
		}
	}
	total := uint64(len(made))

	var stats api.Stats
	if status := doAs(t, auditor, "GET", "/v1/stats", "", &stats); status != http.StatusOK {
		t.Fatalf("stats: %d", status)
	}
	if stats.Total != total || stats.TreeSize != total || stats.MediaTypesUnknown != 0 {
		t.Fatalf("stats: %+v", stats)
	}
	if want := []api.Count{{Key: "application/pdf", Count: 2}, {Key: "image/jpeg", Count: 2}, {Key: "video/mp4", Count: 1}}; !slices.Equal(stats.MediaTypes, want) {
		t.Fatalf("media types %+v, want %+v", stats.MediaTypes, want)
	}
	if want := []api.Count{{Key: "individual", Count: 3}, {Key: "enterprise", Count: 2}}; !slices.Equal(stats.AccountKinds, want) {
		t.Fatalf("account kinds %+v, want %+v", stats.AccountKinds, want)
	}
	if want := []api.Count{{Key: st.Institution, Count: total}}; !slices.Equal(stats.Institutions, want) {
		t.Fatalf("institutions %+v, want %+v", stats.Institutions, want)
	}
	var csv []byte
	if status := doAs(t, auditor, "GET", "/v1/stats?format=csv", "", &csv); status != http.StatusOK || !strings.Contains(string(csv), "\naccount_kind,enterprise,2\n") {
		t.Fatalf("stats as CSV: %d\n%s", status, csv)
	}

	var blocks api.BlockList
	if status := doAs(t, auditor, "GET", "/v1/explorer/blocks?limit=100", "", &blocks); status != http.StatusOK || len(blocks.Blocks) == 0 {
		t.Fatalf("blocks: %d %+v", status, blocks)
	}
	var entered int
	for _, b := range blocks.Blocks {
		entered += b.Deposits
	}
	if blocks.More || uint64(entered) != total || blocks.Blocks[0].TreeSize != total {
		t.Fatalf("the blocks carried %d deposits into a tree of %d, want %d: %+v", entered, blocks.Blocks[0].TreeSize, total, blocks)
	}

	// The node stamps each final checkpoint as it commits; the latest is
	// stamped within moments.
	pki, err := n.client().PKI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tsaSerial string
	for _, c := range pki.Credentials {
		if c.Role == "tsa" && c.Retired == nil && c.Revoked == nil {
			tsaSerial = c.Serial
		}
	}
	var cps api.CheckpointList
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if status := doAs(t, auditor, "GET", "/v1/explorer/checkpoints?limit=5", "", &cps); status != http.StatusOK || len(cps.Checkpoints) == 0 {
			t.Fatalf("checkpoints: %d %+v", status, cps)
		}
		if cps.Checkpoints[0].Timestamped || time.Now().After(deadline) {
			break
		}
	}
	latest := cps.Checkpoints[0]
	if latest.Size != stats.Total || len(latest.Cosignatures) != 1 || latest.Cosignatures[0].Institution != st.Institution {
		t.Fatalf("latest checkpoint %+v, want size %d cosigned by %s", latest, stats.Total, st.Institution)
	}
	if ts := latest.TimeStamp; !latest.Timestamped || ts == nil || ts.TSASerial != tsaSerial || ts.GenTime.Before(latest.Time.Add(-time.Second)) || time.Since(ts.GenTime) > time.Minute {
		t.Fatalf("the latest checkpoint's time-stamp: %+v (checkpoint cosigned at %v, authority's serial %s)", ts, latest.Time, tsaSerial)
	}

	var growth api.Growth
	if status := doAs(t, auditor, "GET", "/v1/explorer/growth", "", &growth); status != http.StatusOK || len(growth.Points) == 0 ||
		growth.Points[len(growth.Points)-1].TreeSize != total || growth.TreeSize != total {
		t.Fatalf("growth: %d %+v", status, growth)
	}

	var vs api.ValidatorList
	if status := doAs(t, auditor, "GET", "/v1/validators", "", &vs); status != http.StatusOK || len(vs.Validators) != 1 {
		t.Fatalf("validators: %d %+v", status, vs)
	}
	v := vs.Validators[0]
	if v.Institution != st.Institution || v.Health.Status != api.HealthOK || v.SignedLastBlock == nil || !*v.SignedLastBlock || v.CosignedSize != total || v.API != n.URL {
		t.Fatalf("the validator: %+v", v)
	}
}

// TestValidatorsOfFour asks one node of four, as an auditor of another
// member, after a third member's node was killed: the killed one is
// unreachable, did not sign the last block and cosigned no later
// checkpoint; the three others, a quorum, did.
func TestValidatorsOfFour(t *testing.T) {
	nw := startNetwork(t, 4, false)
	ctx := context.Background()
	n0 := nw.nodes[0]
	depKey, dep := n0.newDepositor()
	auditorKey, _ := nw.nodes[1].staff(identity.Auditor)
	auditorOfAnother := n0.client().WithAuth(client.KeyAuth{KeyID: identity.AccountID(testSuite, nw.nodes[1].status().Institution, auditorKey.Public()),
		Alg: testSuite.Signature().Name(), Key: auditorKey})
	killed := nw.nodes[3].status().Institution
	nw.nodes[3].kill()
	d := prepare(t, nw.origin, depKey, "after the kill", "after-kill")
	if res, err := dep.Submit(ctx, []api.Deposit{d}, time.Minute); err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("a deposit with three of four: %+v %v", res, err)
	}
	var vs api.ValidatorList
	if status := doAs(t, auditorOfAnother, "GET", "/v1/validators", "", &vs); status != http.StatusOK || len(vs.Validators) != 4 {
		t.Fatalf("validators: %d %+v", status, vs)
	}
	final := n0.status().TreeSize
	for _, v := range vs.Validators {
		dead := v.Institution == killed
		wantHealth := api.HealthOK
		if dead {
			wantHealth = api.HealthUnreachable
		}
		if v.Health.Status != wantHealth || v.SignedLastBlock == nil || *v.SignedLastBlock == dead || (v.CosignedSize == final) == dead || v.Power != 1 {
			t.Errorf("%s (killed: %v): %+v", v.Institution, dead, v)
		}
	}
	var cps api.CheckpointList
	if status := doAs(t, auditorOfAnother, "GET", "/v1/explorer/checkpoints?limit=1", "", &cps); status != http.StatusOK || len(cps.Checkpoints) != 1 {
		t.Fatalf("checkpoints: %d %+v", status, cps)
	}
	var names []string
	for _, c := range cps.Checkpoints[0].Cosignatures {
		names = append(names, c.Institution)
	}
	if len(names) != 3 || slices.Contains(names, killed) || cps.Checkpoints[0].Size != final {
		t.Fatalf("the latest checkpoint, of size %d, is cosigned by %v", cps.Checkpoints[0].Size, names)
	}
	// Media types come from the openings n0's institution keeps: its own
	// auditor sees them, another member's auditor only the counts.
	_, ownAuditor := n0.staff(identity.Auditor)
	var own, other api.Stats
	if status := doAs(t, ownAuditor, "GET", "/v1/stats", "", &own); status != http.StatusOK || len(own.MediaTypes) == 0 || own.MediaTypesScope != api.MediaTypesScope {
		t.Fatalf("stats for the node's own auditor: %d %+v", status, own)
	}
	if status := doAs(t, auditorOfAnother, "GET", "/v1/stats", "", &other); status != http.StatusOK || len(other.MediaTypes) != 0 ||
		other.MediaTypesScope != api.MediaTypesHidden || other.MediaTypesUnknown != other.Total || other.Total != own.Total {
		t.Fatalf("stats for another member's auditor: %d %+v (the node's own: %+v)", status, other, own)
	}
}
