package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	mproof "github.com/transparency-dev/merkle/proof"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

func prepare(t testing.TB, origin string, key suite.PrivateKey, content, idem string) api.Deposit {
	t.Helper()
	sum := digestOf([]byte(content))
	d, _, err := client.Prepare(testSuite, origin, key, client.Content{
		Digest: sum[:], Size: uint64(len(content)), IdempotencyKey: idem,
		Metadata: deposit.Metadata{Title: "t " + content, MediaType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestBadInputChangesNothing sends malformed and invalid requests and checks
// each gets a 4xx JSON error naming the problem, and that the log does not
// move.
func TestBadInputChangesNothing(t *testing.T) {
	n := initNode(t)
	n.start()
	st := n.status()
	key, c := n.newDepositor()
	st = n.status()
	good := prepare(t, st.Origin, key, "content", "idem-1")
	cd := testSuite.ContentDigest()
	edit := func(f func(d *api.Deposit)) string {
		d := good
		d.Digests = map[string]string{cd: good.Digests[cd]}
		f(&d)
		return mustJSON(d)
	}
	otherKey, _ := testSuite.Signature().GenerateKey(rand.Reader)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, mention            string
	}{
		{"malformed JSON", "POST", "/v1/deposits", `{"digests":`, 400, api.CodeInvalid, "malformed"},
		{"empty body", "POST", "/v1/deposits", ``, 400, api.CodeInvalid, "empty"},
		{"unknown field", "POST", "/v1/deposits", `{"foo":1}`, 400, api.CodeInvalid, "foo"},
		{"wrong type", "POST", "/v1/deposits", `{"size":"big"}`, 400, api.CodeInvalid, "size"},
		{"trailing data", "POST", "/v1/deposits", mustJSON(good) + `{}`, 400, api.CodeInvalid, "after"},
		{"short digest", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Digests[cd] = "abcd" }), 400, api.CodeInvalid, "digests." + cd},
		{"uppercase digest", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Digests[cd] = strings.ToUpper(good.Digests[cd]) }), 400, api.CodeInvalid, "digests." + cd},
		{"unknown algorithm", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Digests["md5"] = "00" }), 400, api.CodeInvalid, "digests.md5"},
		{"no content digest", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Digests = map[string]string{testSuite.SecondDigest(): good.Digests[cd]} }), 400, api.CodeInvalid, "digests." + cd},
		{"no title", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Title = "" }), 400, api.CodeInvalid, "title"},
		{"bad media type", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.MediaType = "jpeg" }), 400, api.CodeInvalid, "media_type"},
		{"short salt", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Salt = d.Salt[:5] }), 400, api.CodeInvalid, "salt"},
		{"short key", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.DepositorKey = d.DepositorKey[:31] }), 400, api.CodeInvalid, "depositor_key"},
		{"bad idempotency key", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.IdempotencyKey = "has space" }), 400, api.CodeInvalid, "idempotency_key"},
		{"bad signature", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Signature = append([]byte(nil), d.Signature...); d.Signature[0] ^= 1 }), 400, api.CodeSignature, "signature"},
		{"another account's depositor key", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.DepositorKey = otherKey.Public() }), 403, api.CodeForbidden, "depositor_key"},
		{"changed title after signing", "POST", "/v1/deposits", edit(func(d *api.Deposit) { d.Title = "forged" }), 400, api.CodeSignature, "signature"},
		{"bad item in batch", "POST", "/v1/deposits", mustJSON(api.SubmitRequest{Deposits: []api.Deposit{good, withIdempotencyKey(prepare(t, st.Origin, key, "x", "x"), "bad key")}}), 400, api.CodeInvalid, "deposits[1].idempotency_key"},
		{"empty batch", "POST", "/v1/deposits", `{"deposits":[]}`, 400, api.CodeInvalid, "empty"},
		{"oversized batch", "POST", "/v1/deposits", `{"deposits":[` + strings.Repeat(`{},`, api.MaxBatch) + `{}]}`, 413, api.CodeTooLarge, "10000"},
		{"oversized body", "POST", "/v1/deposits", `{"title":"` + strings.Repeat("x", httpapi.MaxBody) + `"}`, 413, api.CodeTooLarge, "larger"},
		{"bad wait", "POST", "/v1/deposits?wait=soon", mustJSON(good), 400, api.CodeInvalid, "wait"},
		{"unknown id", "GET", "/v1/deposits/" + strings.Repeat("ab", 32), "", 404, api.CodeNotFound, "no deposit"},
		{"malformed id", "GET", "/v1/deposits/xyz", "", 400, api.CodeInvalid, "id"},
		{"unknown number", "GET", "/v1/deposits/99", "", 404, api.CodeNotFound, "99"},
		{"bad digest query", "GET", "/v1/deposits?" + cd + "=zz", "", 400, api.CodeInvalid, cd},
		{"proof beyond tree", "GET", "/v1/proofs/inclusion?index=0&size=99", "", 400, api.CodeInvalid, "size"},
		{"proof bad params", "GET", "/v1/proofs/consistency?from=x&to=1", "", 400, api.CodeInvalid, "from"},
		{"tile beyond tree", "GET", "/tile/0/000", "", 404, api.CodeNotFound, "beyond"},
		{"bad tile path", "GET", "/tile/0/1", "", 404, api.CodeNotFound, "tlog-tiles"},
		{"unknown endpoint", "GET", "/v2/everything", "", 404, api.CodeNotFound, "no such endpoint"},
		{"wrong method", "DELETE", "/v1/deposits", "", 405, api.CodeNotAllowed, "POST"},
		{"wrong method on a deposit", "PUT", "/v1/deposits/1", "", 405, api.CodeNotAllowed, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e api.Error
			status := doAs(t, c, tc.method, tc.path, tc.body, &e)
			if status != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.mention) {
				t.Fatalf("got %d %+v, want %d %s mentioning %q", status, e, tc.status, tc.code, tc.mention)
			}
		})
	}
	time.Sleep(500 * time.Millisecond) // let any wrongly accepted deposit commit
	if after := n.status(); after.TreeSize != st.TreeSize {
		t.Fatalf("bad input changed the log: size %d -> %d", st.TreeSize, after.TreeSize)
	}
	// The good deposit from the bad batch was not accepted either.
	var e api.Error
	if status := doAs(t, c, "GET", "/v1/deposits/"+depositID(t, good), "", &e); status != 404 {
		t.Fatalf("a deposit from a rejected batch is known: %d", status)
	}
}

func withIdempotencyKey(d api.Deposit, k string) api.Deposit {
	d.IdempotencyKey = k
	return d
}

func depositID(t testing.TB, d api.Deposit) string {
	t.Helper()
	s, _, err := d.Parse("")
	if err != nil {
		t.Fatal(err)
	}
	return s.ID(testSuite)
}

// TestAPI exercises the deposit, proof, tile and opening endpoints of a
// running node and checks their answers cryptographically.
func TestAPI(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	key, c := n.newDepositor()
	key2, c2 := n.newDepositor()
	st := n.status()

	// One deposit (not a batch), waiting for commit.
	single := prepare(t, st.Origin, key, "single", "s-1")
	var res api.Result
	if status := doAs(t, c, "POST", "/v1/deposits?wait=10s", mustJSON(single), &res); status != http.StatusOK || res.Status != api.StatusCommitted || res.Index == nil {
		t.Fatalf("single deposit: %d %+v", status, res)
	}
	// A batch of 300 without waiting, then long-poll the last.
	var deps []api.Deposit
	for i := range 300 {
		deps = append(deps, prepare(t, st.Origin, key, fmt.Sprint("batch content ", i%290), fmt.Sprint("b-", i)))
	}
	results, err := c.Submit(ctx, deps, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 300 || results[0].Status != api.StatusPending {
		t.Fatalf("batch results: %d, first %+v", len(results), results[0])
	}
	info, err := c.Deposit(ctx, results[299].ID, 10*time.Second)
	if err != nil || info.Status != api.StatusCommitted {
		t.Fatalf("long poll: %+v %v", info, err)
	}
	// Same key, same deposit: the same id and index, no new entry.
	again, err := c.Submit(ctx, deps[:1], 10*time.Second)
	if err != nil || again[0].ID != results[0].ID || again[0].Status != api.StatusCommitted {
		t.Fatalf("resubmission: %+v %v", again, err)
	}
	// Same idempotency key, different content: a conflict.
	var e api.Error
	if status := doAs(t, c, "POST", "/v1/deposits", mustJSON(prepare(t, st.Origin, key, "other", "b-0")), &e); status != http.StatusConflict || e.Code != api.CodeConflict {
		t.Fatalf("conflict: %d %+v", status, e)
	}
	// The same content from another depositor is a second entry.
	if _, err := c2.Submit(ctx, []api.Deposit{prepare(t, st.Origin, key2, "batch content 0", "b-0")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	sum := digestOf([]byte("batch content 0"))
	list, err := c.ByContent(ctx, testSuite.ContentDigest(), hex.EncodeToString(sum[:]))
	if err != nil || len(list) != 3 { // i=0, i=290 and key2
		t.Fatalf("by content: %d %v", len(list), err)
	}
	// The same list in pages of two: a page says whether more follow.
	var page api.DepositList
	byContent := "/v1/deposits?" + testSuite.ContentDigest() + "=" + hex.EncodeToString(sum[:])
	if status := do(t, "GET", n.URL+byContent+"&limit=2", "", &page); status != http.StatusOK || len(page.Deposits) != 2 || !page.More || page.Next == nil || *page.Next != *list[1].Index {
		t.Fatalf("first page: %d %+v", status, page)
	}
	page = api.DepositList{}
	if status := do(t, "GET", fmt.Sprintf("%s%s&limit=2&after=%d", n.URL, byContent, *list[1].Index), "", &page); status != http.StatusOK || len(page.Deposits) != 1 || page.More || page.Next != nil || page.Deposits[0].ID != list[2].ID {
		t.Fatalf("last page: %d %+v", status, page)
	}
	for _, bad := range []string{"&limit=0", "&limit=101", "&limit=x", "&after=-1", "&after=18446744073709551615"} {
		if status := do(t, "GET", n.URL+byContent+bad, "", nil); status != http.StatusBadRequest {
			t.Errorf("by content %s: %d, want 400", bad, status)
		}
	}
	// A tile past a 64-bit tree is not tile 0.
	if status := do(t, "GET", n.URL+"/tile/0/x072/x057/x594/x037/x927/936", "", nil); status != http.StatusNotFound {
		t.Errorf("tile 2**56: %d, want 404", status)
	}
	st = n.status()
	if st.TreeSize != 302 { // enrolments are identity operations, not log entries
		t.Fatalf("tree size %d, want 302", st.TreeSize)
	}

	// The checkpoint, and proofs against it.
	cpNote, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	verified, err := n.policy().Verify(cpNote)
	if err != nil {
		t.Fatalf("checkpoint does not verify under the policy: %v", err)
	}
	cp := verified.Checkpoint
	if cp.Size != 302 || cp.Origin != st.Origin {
		t.Fatalf("checkpoint %+v", cp)
	}
	h := testSuite.LogHasher()
	var incl api.Proof
	do(t, "GET", fmt.Sprintf("%s/v1/proofs/inclusion?index=%d&size=%d", n.URL, 17, cp.Size), "", &incl)
	leaves := fetchLeaves(t, n, cp.Size)
	if err := mproof.VerifyInclusion(h, 17, cp.Size, h.HashLeaf(leaves[17]), incl.Hashes, cp.Hash); err != nil {
		t.Fatalf("inclusion proof: %v", err)
	}
	var cons api.Proof
	do(t, "GET", fmt.Sprintf("%s/v1/proofs/consistency?from=1&to=%d", n.URL, cp.Size), "", &cons)
	oneRoot := h.HashLeaf(leaves[0])
	if err := tlog.VerifyConsistency(h, 1, cp.Size, cons.Hashes, oneRoot, cp.Hash); err != nil {
		t.Fatalf("consistency proof: %v", err)
	}
	// Level-0 tiles hold the leaf hashes.
	var tile []byte
	if status := do(t, "GET", n.URL+"/"+tlog.Tile{Level: 0, Index: 1, Width: 302 - 256}.Path(false), "", &tile); status != 200 || len(tile) != 46*32 {
		t.Fatalf("partial tile: %d, %d bytes", status, len(tile))
	}
	if string(tile[:32]) != string(h.HashLeaf(leaves[256])) {
		t.Fatal("tile hash differs from the entry's leaf hash")
	}

	// The metadata opening, only for the depositor.
	id := results[5].ID
	op, err := c.Opening(ctx, id)
	if err != nil || !strings.Contains(string(op), `"title":"t batch content 5"`) {
		t.Fatalf("opening for the depositor: %s %v", op, err)
	}
	if _, err := c2.Opening(ctx, id); err == nil || !strings.Contains(err.Error(), api.CodeForbidden) {
		t.Fatalf("opening for another depositor: %v", err)
	}
	if _, err := n.client().Opening(ctx, id); err == nil || !strings.Contains(err.Error(), api.CodeUnauthenticated) {
		t.Fatalf("opening for anyone: %v", err)
	}

	// Policy and OpenAPI.
	polText, err := os.ReadFile(n.policyFile())
	if err != nil {
		t.Fatal(err)
	}
	var served []byte
	do(t, "GET", n.URL+"/policy", "", &served)
	if string(served) != string(polText) {
		t.Fatalf("served policy differs from the node's:\n%s", served)
	}
	var spec map[string]any
	if status := do(t, "GET", n.URL+"/openapi.json", "", &spec); status != 200 || spec["openapi"] == nil {
		t.Fatalf("openapi: %d %v", status, spec["openapi"])
	}
}

// fetchLeaves reads the log's entries through the tile API.
func fetchLeaves(t *testing.T, n *node, size uint64) [][]byte {
	t.Helper()
	var leaves [][]byte
	for i := uint64(0); i*tlog.TileWidth < size; i++ {
		w := int(min(size-i*tlog.TileWidth, tlog.TileWidth))
		var bundle []byte
		if status := do(t, "GET", n.URL+"/"+tlog.Tile{Index: i, Width: w}.Path(true), "", &bundle); status != 200 {
			t.Fatalf("entry bundle %d: %d %s", i, status, bundle)
		}
		entries, err := tlog.ParseEntryBundle(bundle)
		if err != nil || len(entries) != w {
			t.Fatalf("entry bundle %d: %d entries %v", i, len(entries), err)
		}
		leaves = append(leaves, entries...)
	}
	return leaves
}
