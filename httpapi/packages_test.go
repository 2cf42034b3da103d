package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
)

func newVault(t *testing.T, cs *suite.Suite) *vault.Vault {
	t.Helper()
	key, err := vault.NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	disk, err := vault.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(cs, key, disk)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// depositFile makes a committed deposit of content titled title and
// returns its id.
func (d *dashNode) depositFile(who client.KeyAuth, title, content string) string {
	d.t.Helper()
	sum := d.cs.Hash([]byte(content))
	dep, _, err := client.Prepare(d.cs, d.origin, who.Key, client.Content{Digest: sum[:], Size: uint64(len(content)),
		Metadata: deposit.Metadata{Title: title, MediaType: "text/plain"}})
	if err != nil {
		d.t.Fatal(err)
	}
	res, err := d.client(who).Submit(context.Background(), []api.Deposit{dep}, 30*time.Second)
	if err != nil || len(res) != 1 || res[0].Status != api.StatusCommitted {
		d.t.Fatalf("deposit of %q: %+v %v", content, res, err)
	}
	return res[0].ID
}

// TestPackages packages a case on a running node, in each suite, as its
// clerk and as a depositor, verifies both packages offline under the
// node's policy, and checks who may ask and what a bad request gets.
func TestPackages(t *testing.T) {
	for _, cs := range []*suite.Suite{suite.International(), suite.GM()} {
		t.Run(cs.Name(), func(t *testing.T) { testPackages(t, cs) })
	}
}

func testPackages(t *testing.T, cs *suite.Suite) {
	d := startDashNode(t, cs)
	ctx := context.Background()
	owner, other := d.depositor(identity.Individual), d.depositor(identity.Individual)
	clerk, auditor := d.staff(identity.Clerk), d.staff(identity.Auditor)
	const caseNo = "(2026)京0491民初123号 第二卷"
	contract := "the contract signed on 20 November"
	a := d.depositFile(owner, "合同 contract.pdf", contract)
	b := d.depositFile(owner, "photo.jpg", "a photo of the scene")
	c := d.depositFile(other, "video.mp4", "a video of the scene")
	d.depositFile(other, "not granted", "evidence of nothing")
	if err := d.client(owner).UploadOriginal(ctx, a, strings.NewReader(contract), int64(len(contract))); err != nil {
		t.Fatal(err)
	}
	for who, ids := range map[*client.KeyAuth][]string{&owner: {a, b}, &other: {c}} {
		for _, id := range ids {
			if _, err := d.client(*who).Grant(ctx, id, d.institution, caseNo); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _, polText := d.get(nil, "/policy")
	pol, err := policy.Parse(polText)
	if err != nil {
		t.Fatal(err)
	}
	trusted := evidencepack.Options{Policies: map[string]*policy.Policy{d.origin: pol}}

	fetch := func(who client.KeyAuth) []byte {
		t.Helper()
		body, err := d.client(who).Package(ctx, d.institution, caseNo)
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		zb, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return zb
	}
	check := func(zb []byte, want []string) *evidencepack.Report {
		t.Helper()
		rep, err := evidencepack.Verify(ctx, bytes.NewReader(zb), int64(len(zb)), trusted)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Origin != d.origin || rep.Institution != d.institution || rep.Case != caseNo || len(rep.Items) != len(want) {
			t.Fatalf("report: %+v", rep)
		}
		for i, it := range rep.Items {
			if it.Deposit != want[i] || it.Verdict != evidencepack.Verified {
				t.Errorf("item %d: %+v, want deposit %s", i, it, want[i])
			}
		}
		return rep
	}
	// The clerk gets every granted deposit, the original it may read, and
	// each read is on the trail before the package is served.
	zb := fetch(clerk)
	rep := check(zb, []string{a, b, c})
	if n := strings.Join(rep.Items[0].Notes, ";"); strings.Contains(n, "content not checked") {
		t.Errorf("the original of %s was not checked: %q", a, n)
	}
	files := map[string][]byte{}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if got := string(files["items/1/original/合同_contract.pdf"]); got != contract {
		t.Errorf("the original: %q; files %v", got, keys(files))
	}
	for _, want := range []string{"items/1/opening.json", "items/1/trail/1.json", "items/2/receipt.tlog-proof", "index.html", "items.json", "manifest.txt"} {
		if files[want] == nil {
			t.Errorf("no %s in %v", want, keys(files))
		}
	}
	trail, err := d.client(owner).Trail(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail.Entries {
		var rec api.TrailRecord
		json.Unmarshal(e.Record, &rec)
		actions = append(actions, rec.Action+" "+rec.Via)
	}
	if !strings.Contains(strings.Join(actions, ","), "read-original grant") || !strings.Contains(strings.Join(actions, ","), "read-metadata") {
		t.Errorf("the trail of %s after packaging: %q", a, actions)
	}

	// A depositor packages only its own deposits granted to the case.
	check(fetch(owner), []string{a, b})

	// One byte of the original changed: refused naming the item.
	i := bytes.Index(zb, []byte(contract))
	zb[i] ^= 1
	rep, err = evidencepack.Verify(ctx, bytes.NewReader(zb), int64(len(zb)), trusted)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Items[0].Verdict != evidencepack.Failed || !strings.Contains(rep.Items[0].Reason, "items/1/original/") {
		t.Fatalf("a tampered original: %+v", rep.Items[0])
	}

	for _, tc := range []struct {
		name   string
		who    client.Credentials
		body   string
		status int
	}{
		{"anonymous", nil, `{"court":"` + d.institution + `","case":"x"}`, http.StatusUnauthorized},
		{"auditor", auditor, `{"court":"` + d.institution + `","case":"x"}`, http.StatusForbidden},
		{"no such case", clerk, `{"court":"` + d.institution + `","case":"no such case"}`, http.StatusNotFound},
		{"not a member", clerk, `{"court":"elsewhere","case":"x"}`, http.StatusBadRequest},
		{"no case", clerk, `{"court":"` + d.institution + `"}`, http.StatusBadRequest},
		{"control character", clerk, `{"court":"` + d.institution + `","case":"x\u001b"}`, http.StatusBadRequest},
		{"unknown field", clerk, `{"court":"` + d.institution + `","case":"x","all":true}`, http.StatusBadRequest},
		{"another depositor's case", d.depositor(identity.Individual), `{"court":"` + d.institution + `","case":"` + caseNo + `"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := d.client(tc.who).Raw(ctx, http.MethodPost, "/v1/packages", []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var e api.Error
			if status != tc.status || json.Unmarshal(body, &e) != nil || e.Message == "" {
				t.Fatalf("%d %s, want %d and a JSON error", status, body, tc.status)
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
