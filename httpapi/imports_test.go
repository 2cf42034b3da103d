package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// packageItem is one deposit of a test package: its receipt and original.
type packageItem struct {
	deposit  string
	receipt  []byte
	original []byte
}

// packageSource serves test items and one network's policy to
// evidencepack.Build, as a node's source does.
type packageSource struct {
	items  []packageItem
	policy []byte
}

func (s *packageSource) Items(context.Context) ([]string, error) {
	ids := make([]string, len(s.items))
	for i, it := range s.items {
		ids[i] = it.deposit
	}
	return ids, nil
}

func (s *packageSource) Item(_ context.Context, id string) (*evidencepack.Item, error) {
	for _, it := range s.items {
		if it.deposit == id {
			return &evidencepack.Item{Deposit: id, Receipt: it.receipt}, nil
		}
	}
	return nil, fmt.Errorf("no item %s", id)
}

func (s *packageSource) Original(_ context.Context, id string) (string, io.ReadCloser, error) {
	for _, it := range s.items {
		if it.deposit == id {
			return "evidence.txt", io.NopCloser(bytes.NewReader(it.original)), nil
		}
	}
	return "", nil, evidencepack.ErrNoOriginal
}

func (s *packageSource) Policies(context.Context) ([]evidencepack.PolicyVersion, error) {
	return []evidencepack.PolicyVersion{{Current: true, Text: s.policy}}, nil
}

// makePackage builds an evidence package of the items with
// evidencepack.Build, carrying policyText, its manifest signed by signer
// for the network signer names.
func makePackage(t *testing.T, caseNo string, signer note.Signer, policyText []byte, items []packageItem) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := evidencepack.Header{Network: signer.Name(), Institution: "test", Court: "court", Case: caseNo, Created: time.Now()}
	if err := evidencepack.Build(context.Background(), &buf, h, &packageSource{items: items, policy: policyText}, signer); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// evidenceItems deposits n contents as who and returns each as a package
// item.
func (d *dashNode) evidenceItems(who client.KeyAuth, n int) []packageItem {
	d.t.Helper()
	var out []packageItem
	for i := range n {
		content := fmt.Sprintf("evidence %d of %s", i, d.t.Name())
		sum := d.cs.Hash([]byte(content))
		dep, _, err := client.Prepare(d.cs, d.origin, who.Key, client.Content{Digest: sum[:], Size: uint64(len(content)),
			Metadata: deposit.Metadata{Title: content, MediaType: "text/plain"}})
		if err != nil {
			d.t.Fatal(err)
		}
		res, err := d.client(who).SubmitForReceipts(context.Background(), []api.Deposit{dep}, 30*time.Second)
		if err != nil || len(res) != 1 || res[0].Receipt == "" {
			d.t.Fatalf("deposit: %+v %v", res, err)
		}
		out = append(out, packageItem{deposit: res[0].ID, receipt: []byte(res[0].Receipt), original: []byte(content)})
	}
	return out
}

// depositItem appends a deposit of content to the outside log and returns
// it as a package item, its receipt on a checkpoint the log's policy
// accepts.
func (o *outsideLog) depositItem(cs *suite.Suite, content []byte) packageItem {
	o.t.Helper()
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		o.t.Fatal(err)
	}
	alg, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		o.t.Fatal(err)
	}
	sum := cs.Hash(content)
	sd := deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{{Algorithm: alg, Value: sum[:]}}, Size: uint64(len(content)),
		MetadataCommitment: cs.Hash([]byte("metadata")), Depositor: key.Public(), IdempotencyKey: "outside",
	}}
	if sd.Signature, err = key.Sign(sd.SigningMessage(platformOrigin)); err != nil {
		o.t.Fatal(err)
	}
	index := o.tree.Size()
	leaf := deposit.Leaf{Signed: sd, Index: index, Height: index + 1, Time: time.Now().UTC().Truncate(time.Second)}
	lb := leaf.AppendBinary(nil)
	o.tree.AppendData(lb)
	size := o.tree.Size()
	proof, err := o.tree.InclusionProof(index, size)
	if err != nil {
		o.t.Fatal(err)
	}
	rc := &receipt.Receipt{Index: index, Proof: proof, Checkpoint: o.sign(size, o.tree.HashAt(size), o.signer, o.cosigner), Leaf: lb}
	return packageItem{deposit: sd.ID(cs), receipt: rc.Format(), original: content}
}

// importPackage posts a package as who; query is added to the path.
func (d *dashNode) importPackage(who client.Credentials, body []byte, contentType, query string, chunked bool) (int, []byte) {
	d.t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // no length known: sent chunked
	}
	req, err := http.NewRequest(http.MethodPost, d.url+"/v1/packages/import"+query, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// TestPackageImport imports evidence packages at a court node, in each
// suite: a genuine one is verified and its verdict recorded on the ledger
// with a receipt the court's policy verifies; a tampered one fails naming
// the item; a package signed for another network, one bringing its own
// policy, one too large, one that is no ZIP and one from a caller who is
// no judge or clerk of the court are refused and change nothing.
func TestPackageImport(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testPackageImport(t, cs) })
	}
}

func testPackageImport(t *testing.T, cs *suite.Suite) {
	const maxPackage = 64 << 10
	d := startDashNode(t, cs, func(c *httpapi.Config) { c.MaxPackageSize = maxPackage })
	depositor := d.depositor(identity.Individual)
	clerk, judge := d.staff(identity.Clerk), d.staff(identity.Judge)
	signer, err := d.home.LogSigner(d.origin)
	if err != nil {
		t.Fatal(err)
	}
	polText, err := d.client(nil).Policy(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(polText)
	if err != nil {
		t.Fatal(err)
	}
	items := d.evidenceItems(depositor, 2)
	genuine := makePackage(t, "(2026)京0491民初123号", signer, polText, items)

	imports := func(query string) []api.PackageImport {
		t.Helper()
		var list api.PackageImports
		d.getJSON(clerk, "/v1/packages/imports"+query, &list)
		return list.Imports
	}
	treeSize := func() uint64 {
		t.Helper()
		var st api.Status
		d.getJSON(nil, "/v1/status", &st)
		return st.TreeSize
	}

	// A genuine package: verified, recorded and answered with a receipt.
	sum := sha256.Sum256(genuine)
	status, body := d.importPackage(clerk, genuine, "application/zip", "?sha256="+hex.EncodeToString(sum[:]), false)
	if status != http.StatusOK {
		t.Fatalf("import: %d %s", status, body)
	}
	var got api.PackageImport
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Verdict != api.VerdictVerified || len(got.Items) != 2 || got.Deposit.Status != api.StatusCommitted || got.Deposit.Index == nil || got.Receipt == "" {
		t.Fatalf("import of a genuine package: %s", body)
	}
	for _, it := range got.Items {
		if it.Verdict != api.VerdictVerified || it.Deposit == "" {
			t.Fatalf("item %+v of a genuine package", it)
		}
	}
	var rec api.PackageVerdict
	if err := json.Unmarshal(got.Record, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Type != api.PackageVerdictType || rec.Network != d.origin || rec.Node != d.institution || rec.ActorRole != "clerk" ||
		rec.PackageNetwork != d.origin || rec.Items != 2 || rec.Verified != 2 || rec.Failed != 0 || rec.Verdict != api.VerdictVerified || len(rec.ManifestDigest) == 0 {
		t.Fatalf("verdict record: %s", got.Record)
	}
	// The verdict record is on the court's ledger: its receipt verifies
	// under the court's policy, for exactly the record's bytes.
	rc, err := receipt.Parse([]byte(got.Receipt))
	if err != nil {
		t.Fatal(err)
	}
	digests, err := receipt.ContentDigests(bytes.NewReader(got.Record), cs.ContentDigest())
	if err != nil {
		t.Fatal(err)
	}
	proven, err := receipt.Verify(pol, rc, receipt.Evidence{Digests: digests})
	if err != nil {
		t.Fatalf("the verdict record's receipt: %v", err)
	}
	if proven.Leaf.Index != *got.Deposit.Index {
		t.Fatalf("receipt of entry %d, answer says %d", proven.Leaf.Index, *got.Deposit.Index)
	}
	nodeKey, err := d.home.NodeKey(cs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(proven.Leaf.Depositor, nodeKey.Public()) {
		t.Fatal("the verdict record is not deposited with the node's log key")
	}

	// Another byte in one original: that item fails, naming its path;
	// the manifest is the genuine one, only the file changed.
	bad := replaceInZip(t, genuine, "items/2/original/", func(b []byte) []byte { return append([]byte("X"), b[1:]...) })
	status, body = d.importPackage(judge, bad, "application/zip", "", true)
	if status != http.StatusOK {
		t.Fatalf("import of a tampered package: %d %s", status, body)
	}
	var failed api.PackageImport
	if err := json.Unmarshal(body, &failed); err != nil {
		t.Fatal(err)
	}
	if failed.Verdict != api.VerdictFailed || len(failed.Items) != 2 || failed.Items[0].Verdict != api.VerdictVerified ||
		failed.Items[1].Verdict != api.VerdictFailed || !strings.Contains(failed.Items[1].Path+failed.Items[1].Reason, "items/2") || failed.Receipt == "" {
		t.Fatalf("import of a tampered package: %s", body)
	}

	// A file the manifest does not list: every item verifies, but the
	// package fails, and the record says why.
	extra := addToZip(t, genuine, "smuggled.txt", []byte("not in the manifest"))
	status, body = d.importPackage(clerk, extra, "application/zip", "", false)
	var unlisted api.PackageImport
	if status != http.StatusOK || json.Unmarshal(body, &unlisted) != nil {
		t.Fatalf("import of a package with an unlisted file: %d %s", status, body)
	}
	var unlistedRec api.PackageVerdict
	if err := json.Unmarshal(unlisted.Record, &unlistedRec); err != nil {
		t.Fatal(err)
	}
	if unlisted.Verdict != api.VerdictFailed || unlistedRec.Verdict != api.VerdictFailed || len(unlistedRec.Results) != 2 || unlistedRec.Verified != 2 || len(unlistedRec.Problems) != 1 ||
		!strings.Contains(string(unlisted.Record), "smuggled.txt") {
		t.Fatalf("import of a package with an unlisted file: %s", body)
	}

	// Refused, nothing recorded.
	foreignSkey, foreignVkey, err := cs.GenerateNoteKey(rand.Reader, "other-network.example")
	if err != nil {
		t.Fatal(err)
	}
	foreignSigner, err := cs.NewSigner(foreignSkey)
	if err != nil {
		t.Fatal(err)
	}
	foreignPolicy := []byte("log " + foreignVkey + "\nquorum none\n")
	if _, err := policy.Parse(foreignPolicy); err != nil {
		t.Fatalf("the foreign policy: %v", err)
	}
	ownSkey, ownVkey, err := cs.GenerateNoteKey(rand.Reader, d.origin)
	if err != nil {
		t.Fatal(err)
	}
	ownSigner, err := cs.NewSigner(ownSkey)
	if err != nil {
		t.Fatal(err)
	}
	ownPolicy := []byte("log " + ownVkey + "\nquorum none\n")
	big := make([]byte, maxPackage+1)
	before, count := treeSize(), len(imports(""))
	for _, c := range []struct {
		name        string
		who         client.Credentials
		body        []byte
		contentType string
		query       string
		chunked     bool
		status      int
		says        string
	}{
		{"another network's package, with its own policy", clerk, makePackage(t, "c", foreignSigner, foreignPolicy, items), "application/zip", "", false, 400, "other-network.example"},
		{"this network's name, another key, and a policy naming it", clerk, makePackage(t, "c", ownSigner, ownPolicy, items), "application/zip", "", false, 400, "manifest"},
		{"not a zip", clerk, []byte("not a zip at all"), "application/zip", "", false, 400, "ZIP"},
		{"empty", clerk, nil, "application/zip", "", false, 400, "empty"},
		{"too large", clerk, big, "application/zip", "", false, 413, "bytes"},
		{"too large, chunked", clerk, big, "application/zip", "", true, 413, "bytes"},
		{"another body than signed", clerk, genuine, "application/zip", "?sha256=" + strings.Repeat("00", 32), false, 400, "sha256"},
		{"a malformed digest", clerk, genuine, "application/zip", "?sha256=xyz", false, 400, "sha256"},
		{"not a zip type", clerk, genuine, "text/plain", "", false, 415, "Content-Type"},
		{"a depositor", depositor, genuine, "application/zip", "", false, 403, "judge or clerk"},
		{"the node's operator", d.operator(), genuine, "application/zip", "", false, 403, "judge or clerk"},
		{"anonymous", nil, genuine, "application/zip", "", false, 401, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := d.importPackage(c.who, c.body, c.contentType, c.query, c.chunked)
			var e api.Error
			if status != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Message, c.says) {
				t.Fatalf("%d %s, want %d naming %q", status, body, c.status, c.says)
			}
		})
	}
	if after := treeSize(); after != before {
		t.Fatalf("refused imports changed the log: %d -> %d entries", before, after)
	}
	if n := len(imports("")); n != count {
		t.Fatalf("refused imports were indexed: %d -> %d", count, n)
	}
	entries, err := os.ReadDir(d.home.ImportDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("imported packages left behind: %v", entries)
	}

	// The list, newest first, by case, and one import.
	list := imports("")
	if len(list) != 3 || list[0].Import != unlisted.Import || list[1].Import != failed.Import || list[2].Import != got.Import || list[2].Receipt == "" || list[2].Deposit.ID != got.Deposit.ID {
		t.Fatalf("imports: %d, first %s, then %s", len(list), list[0].Import, list[1].Import)
	}
	if byCase := imports("?case=" + url.QueryEscape(got.Case)); len(byCase) != 3 {
		t.Fatalf("imports of case %q: %+v", got.Case, byCase)
	}
	if byCase := imports("?case=other"); len(byCase) != 0 {
		t.Fatalf("imports of another case: %+v", byCase)
	}
	var one api.PackageImport
	d.getJSON(judge, "/v1/packages/imports/"+got.Import, &one)
	if one.Verdict != api.VerdictVerified || one.Receipt == "" || one.Deposit.ID != got.Deposit.ID || !bytes.Equal(one.Record, got.Record) {
		t.Fatalf("import %s: %s %s", got.Import, one.Verdict, one.Record)
	}
	if status, _, _ := d.get(clerk, "/v1/packages/imports/imp-0000"); status != http.StatusNotFound {
		t.Fatalf("an unknown import: %d", status)
	}
	for _, who := range []client.Credentials{depositor, d.operator()} {
		if status, _, body := d.get(who, "/v1/packages/imports"); status != http.StatusForbidden {
			t.Fatalf("the list for a non-court caller: %d %s", status, body)
		}
	}

	// A network registered at the court as an outside log is judged by
	// the policy registered, from the court's ledger: refused before it
	// is registered, taken after.
	o := newOutsideLog(t, cs)
	outside := makePackage(t, "c", o.signer, o.policy, []packageItem{o.depositItem(cs, []byte("platform evidence"))})
	if status, body := d.importPackage(clerk, outside, "application/zip", "", false); status != http.StatusBadRequest {
		t.Fatalf("a package of an unregistered network: %d %s", status, body)
	}
	d.registerLog(o, 0)
	status, body = d.importPackage(clerk, outside, "application/zip", "", false)
	var fromOutside api.PackageImport
	if status != http.StatusOK || json.Unmarshal(body, &fromOutside) != nil {
		t.Fatalf("a package of a registered outside log: %d %s", status, body)
	}
	var outsideRec api.PackageVerdict
	if err := json.Unmarshal(fromOutside.Record, &outsideRec); err != nil || outsideRec.PackageNetwork != platformOrigin || outsideRec.Verdict != api.VerdictVerified {
		t.Fatalf("the verdict on a registered outside log's package: %s", fromOutside.Record)
	}
}

// replaceInZip returns the ZIP with the content of the file whose name
// starts with prefix changed by change.
func replaceInZip(t *testing.T, zipBytes []byte, prefix string, change func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	changed := false
	for _, zf := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zf.Method, Modified: zf.Modified})
		if err != nil {
			t.Fatal(err)
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(zf.Name, prefix) {
			b, changed = change(b), true
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatalf("no file %s* in the package", prefix)
	}
	return buf.Bytes()
}

// addToZip returns the ZIP with one more file.
func addToZip(t *testing.T, zipBytes []byte, name string, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		if err := zw.Copy(zf); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
