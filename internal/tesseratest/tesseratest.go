// Package tesseratest runs, for tests, transparency-dev's own tools: a
// transparency log built with Tessera (POSIX storage in a directory, an
// Ed25519 note signer) and transparency-dev's witness, for checking that
// Jurichain interoperates with another implementation.
package tesseratest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"github.com/transparency-dev/witness/persistence/inmemory"
	tdwitness "github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
)

// Log is a Tessera log in a test's temporary directory.
type Log struct {
	// Origin is the checkpoint origin, VKey the log's verifier key and
	// Signer its note signer (to forge checkpoints in abuse tests).
	Origin string
	VKey   string
	Signer note.Signer
	add    func(context.Context, *tessera.Entry) tessera.IndexFuture
	await  *tessera.PublicationAwaiter
	reader tessera.LogReader
	added  int
}

// New starts a log named origin; it stops when the test ends.
func New(t testing.TB, origin string) *Log {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	drv, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(signer).WithBatching(64, 10*time.Millisecond).WithCheckpointInterval(100 * time.Millisecond)
	app, shutdown, reader, err := tessera.NewAppender(ctx, drv, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = shutdown(sctx)
		cancel()
	})
	return &Log{Origin: origin, VKey: vkey, Signer: signer, add: app.Add, reader: reader,
		await: tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 20*time.Millisecond)}
}

// Grow appends n entries and waits until a checkpoint covers them; it
// returns that checkpoint (a signed note) and its size.
func (l *Log) Grow(t testing.TB, n int) ([]byte, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last tessera.IndexFuture
	for range n {
		l.added++
		last = l.add(ctx, tessera.NewEntry(fmt.Appendf(nil, "entry %d", l.added)))
	}
	_, _, err := l.await.Await(ctx, last)
	if err != nil {
		t.Fatal(err)
	}
	for {
		// The awaited checkpoint covers the entry; a later one may be
		// larger still.
		raw, err := l.reader.ReadCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var c log.Checkpoint
		if _, err := c.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if c.Size == uint64(l.added) {
			return raw, c.Size
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the log did not publish a checkpoint of size %d", l.added)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ConsistencyProof proves, from the log's own tiles, that the tree of
// size2 extends that of size1.
func (l *Log) ConsistencyProof(t testing.TB, size1, size2 uint64) [][]byte {
	t.Helper()
	ctx := context.Background()
	pb, err := client.NewProofBuilder(ctx, size2, l.reader.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pb.ConsistencyProof(ctx, size1, size2)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Witness is transparency-dev's witness (the witness module's HTTP
// handler, in-memory persistence, an Ed25519 cosignature/v1 key) on a
// loopback listener.
type Witness struct {
	// URL is its submission prefix; VKey its cosignature/v1 verifier key.
	URL, VKey string
}

// StartWitness starts transparency-dev's witness of the logs given as
// origin -> log verifier key; it stops when the test ends.
func StartWitness(t testing.TB, name string, logs map[string]string) *Witness {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	cvkey, err := fnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	verifiers := map[string]note.Verifier{}
	for origin, lkey := range logs {
		v, err := note.NewVerifier(lkey)
		if err != nil {
			t.Fatal(err)
		}
		verifiers[origin] = v
	}
	w, err := tdwitness.New(context.Background(), tdwitness.Opts{
		Persistence: inmemory.New(),
		Signers:     []note.Signer{signer},
		VerifierForLog: func(_ context.Context, origin string) (note.Verifier, bool, error) {
			v, ok := verifiers[origin]
			return v, ok, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /witness/add-checkpoint", tdwitness.NewHTTPHandler(w).AddCheckpoint)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &Witness{URL: "http://" + ln.Addr().String() + "/witness", VKey: cvkey}
}
