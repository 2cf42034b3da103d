package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// TestOriginalUploadIsBounded checks that an upload stops at the size its
// deposit declares, even chunked (no length announced), leaving nothing in
// the vault, and that a deposit may not declare more than the node's
// maximum.
func TestOriginalUploadIsBounded(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	key, c := n.newDepositor()
	st := n.status()

	dep := prepare(t, st.Origin, key, "x", "one-byte")
	res, err := c.Submit(ctx, []api.Deposit{dep}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("deposit: %+v %v", res, err)
	}
	id := res[0].ID
	// -1: no Content-Length, the body goes chunked.
	err = c.UploadOriginal(ctx, id, bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20)), -1)
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeTooLarge || !strings.Contains(e.Message, "nothing was stored") {
		t.Fatalf("a chunked upload of 1 MiB to a deposit of 1 byte: %v", err)
	}
	var left []string
	filepath.WalkDir(filepath.Join(n.home, "data", "vault"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("the refused upload left files in the vault: %v", left)
	}
	if _, _, err := c.Original(ctx, id, "", ""); !errors.As(err, &e) || e.Code != api.CodeNotFound {
		t.Fatalf("the original after a refused upload: %v", err)
	}
	// The right content, chunked, is stored.
	if err := c.UploadOriginal(ctx, id, strings.NewReader("x"), -1); err != nil {
		t.Fatalf("a chunked upload of the declared byte: %v", err)
	}

	// A deposit declaring more than the node stores is refused at intake.
	sum := digestOf([]byte("huge"))
	huge, _, err := client.Prepare(testSuite, st.Origin, key, client.Content{
		Digest: sum[:], Size: httpapi.DefaultMaxOriginalSize + 1, IdempotencyKey: "huge",
		Metadata: deposit.Metadata{Title: "too big", MediaType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if status := doAs(t, c, "POST", "/v1/deposits", mustJSON(huge), &e); status != http.StatusRequestEntityTooLarge || !strings.HasPrefix(e.Message, "size: ") {
		t.Fatalf("a deposit of 64 GiB + 1: %d %+v", status, e)
	}
}

// TestUploadMatchesEveryDigest deposits content with the suite's digest
// and a made-up second digest: the true original matches the first and
// not the second, so it is refused and nothing is stored, and an original
// whose both digests match is stored.
func TestUploadMatchesEveryDigest(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	key, c := n.newDepositor()
	st := n.status()
	content := []byte("the contract as signed")
	sum := digestOf(content)
	forged := bytes.Repeat([]byte{7}, 32)
	dep, _, err := client.Prepare(testSuite, st.Origin, key, client.Content{
		Digest: sum[:], Second: forged, Size: uint64(len(content)), IdempotencyKey: "forged-second",
		Metadata: deposit.Metadata{Title: "contract", MediaType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(ctx, []api.Deposit{dep}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("deposit: %+v %v", res, err)
	}
	err = c.UploadOriginal(ctx, res[0].ID, bytes.NewReader(content), int64(len(content)))
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeInvalid || !strings.Contains(e.Message, testSuite.SecondDigest()) || !strings.Contains(e.Message, "nothing was stored") {
		t.Fatalf("an original whose %s is not the deposit's: %v", testSuite.SecondDigest(), err)
	}
	if _, _, err := c.Original(ctx, res[0].ID, "", ""); !errors.As(err, &e) || e.Code != api.CodeNotFound {
		t.Fatalf("the original after a refused upload: %v", err)
	}

	second, err := suite.NewContentHash(testSuite.SecondDigest())
	if err != nil {
		t.Fatal(err)
	}
	second.Write(content)
	good, _, err := client.Prepare(testSuite, st.Origin, key, client.Content{
		Digest: sum[:], Second: second.Sum(nil), Size: uint64(len(content)), IdempotencyKey: "both-digests",
		Metadata: deposit.Metadata{Title: "contract", MediaType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err = c.Submit(ctx, []api.Deposit{good}, 10*time.Second); err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("deposit: %+v %v", res, err)
	}
	if err := c.UploadOriginal(ctx, res[0].ID, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatalf("an original whose both digests match: %v", err)
	}
}

// TestSignedRequestsAreBoundToTheNode checks that a captured signed
// request cannot be replayed after the node restarts, even killed, that a
// request signed for another authority is refused, and that a request
// from an unknown key is refused before its body is read.
func TestSignedRequestsAreBoundToTheNode(t *testing.T) {
	n := initNode(t)
	n.start()
	key, _ := n.newDepositor()
	st := n.status()
	auth := client.KeyAuth{KeyID: identity.AccountID(testSuite, st.Institution, key.Public()), Alg: testSuite.Signature().Name(), Key: key}
	send := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	signed := func(auth client.KeyAuth, method, host, path string, body []byte) *http.Request {
		t.Helper()
		req, _ := http.NewRequest(method, n.URL+path, bytes.NewReader(body))
		req.Host = host
		if err := auth.Authorize(req, body); err != nil {
			t.Fatal(err)
		}
		return req
	}
	body := []byte(`{"label":"captured"}`)
	captured := signed(auth, "POST", n.http, "/v1/tokens", body)
	replay := captured.Clone(context.Background())
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if status, resp := send(captured); status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("the captured request: %d %s", status, resp)
	}
	n.kill()
	n.start()
	// Refused as a replay when its nonce was written before the kill, or
	// as created before the restart when the kill came first.
	if status, resp := send(replay); status != http.StatusUnauthorized || !strings.Contains(resp, "replayed") && !strings.Contains(resp, "before this node started") {
		t.Fatalf("the captured request replayed after a restart: %d %s", status, resp)
	}

	// Signed for another node (the node's own port under another name).
	_, port, _ := net.SplitHostPort(n.http)
	if status, resp := send(signed(auth, "POST", "node-b.example:"+port, "/v1/tokens", body)); status != http.StatusUnauthorized || !strings.Contains(resp, "@authority") {
		t.Fatalf("a request signed for another authority: %d %s", status, resp)
	}

	// An unknown key: refused while the body is still being sent.
	stranger, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	strangerAuth := client.KeyAuth{KeyID: "nobody", Alg: testSuite.Signature().Name(), Key: stranger}
	big := &stalledBody{r: bytes.NewReader(bytes.Repeat([]byte(" "), 1<<20)), release: make(chan struct{})}
	defer close(big.release)
	req, _ := http.NewRequest("POST", n.URL+"/v1/deposits", big)
	if err := strangerAuth.Authorize(req, bytes.Repeat([]byte(" "), 1<<20)); err != nil {
		t.Fatal(err)
	}
	if status, resp := send(req); status != http.StatusUnauthorized || !strings.Contains(resp, `keyid \"nobody\": no such account`) {
		t.Fatalf("a request by an unknown key: %d %s", status, resp)
	}
}

// stalledBody yields its reader, then blocks until released: a client
// still sending.
type stalledBody struct {
	r       io.Reader
	release chan struct{}
}

func (b *stalledBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		<-b.release
	}
	return n, err
}
