package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
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
	sum := sha256.Sum256([]byte("huge"))
	huge, _, err := client.Prepare(suite.International(), st.Origin, key, client.Content{
		SHA256: sum[:], Size: httpapi.DefaultMaxOriginalSize + 1, IdempotencyKey: "huge",
		Metadata: deposit.Metadata{Title: "too big", MediaType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if status := doAs(t, c, "POST", "/v1/deposits", mustJSON(huge), &e); status != http.StatusRequestEntityTooLarge || !strings.HasPrefix(e.Message, "size: ") {
		t.Fatalf("a deposit of 64 GiB + 1: %d %+v", status, e)
	}
}
