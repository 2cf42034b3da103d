package witness_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	tdclient "github.com/transparency-dev/witness/client/http"
	tdwitness "github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/internal/tesseratest"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

// TestTransparencyDevWitnessesUs: transparency-dev's witness cosigns an
// international log's checkpoints sent by our client (its consistency
// checks pass), every kept line verifies with formats' cosignature
// verifier, and a policy whose quorum needs that witness accepts a
// checkpoint only with the line appended. A GM log cannot be witnessed by
// it: it hashes with SHA-256 only.
func TestTransparencyDevWitnessesUs(t *testing.T) {
	cs := suite.International()
	l := newTestLog(t, cs, "jurichain-test-network")
	td := tesseratest.StartWitness(t, "td.example", map[string]string{l.origin: l.vkey})
	st := openStore(t)
	c, err := witness.NewClient(witness.ClientConfig{Suite: cs, Store: st, Proofs: l, MinBackoff: 10 * time.Millisecond,
		Witnesses: []witness.Witness{{Name: "td.example", VKey: td.VKey, URL: td.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	fv, err := fnote.NewVerifierForCosignatureV1(td.VKey)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(fmt.Appendf(nil, "log %s\nwitness td %s\nquorum td\n", l.vkey, td.VKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, grow := range []int{0, 1, 6, 100, 3} {
		l.grow(grow)
		size := l.tree.Size()
		cp := l.checkpoint(t, size, nil)
		if _, err := pol.Verify(cp); !errors.Is(err, policy.ErrQuorum) {
			t.Fatalf("size %d: the policy accepted a checkpoint without the witness: %v", size, err)
		}
		c.Notify(cp)
		waitWitnessed(t, c, size)
		lines, err := st.WitnessCosignatures(size)
		if err != nil {
			t.Fatal(err)
		}
		cosigned := append(cp, lines["td.example"]...)
		if _, err := note.Open(cosigned, note.VerifierList(fv)); err != nil {
			t.Fatalf("size %d: formats' verifier refuses the kept cosignature: %v", size, err)
		}
		if res, err := pol.Verify(cosigned); err != nil || len(res.Cosigners) != 1 {
			t.Fatalf("size %d: the policy refuses the cosigned checkpoint: %v", size, err)
		}
	}
}

// TestWeWitnessTessera: a Jurichain witness (either suite's cosignature
// key) witnesses a log built with Tessera, driven by transparency-dev's
// witness client across several growths; the lines it returns verify; a
// fork (same size, another root, signed by the log's key) is refused with
// 409, which that client reports as a root mismatch.
func TestWeWitnessTessera(t *testing.T) {
	forSuites(t, func(t *testing.T, cs *suite.Suite) {
		tl := tesseratest.New(t, "example.com/tessera-"+cs.Name())
		w := startWitness(t, cs, "jurichain-witness", witness.Log{Origin: tl.Origin, VKey: tl.VKey, Hash: witness.HashSHA256})
		u, err := url.Parse(w.url)
		if err != nil {
			t.Fatal(err)
		}
		client := tdclient.NewWitness(u, http.DefaultClient)
		v, err := cs.NewCosignatureVerifier(w.vkey)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var old uint64
		for _, n := range []int{1, 5, 40, 300} {
			cp, size := tl.Grow(t, n)
			var proof [][]byte
			if old > 0 {
				proof = tl.ConsistencyProof(t, old, size)
			}
			lines, _, err := client.Update(ctx, old, cp, proof)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if _, err := note.Open(append(cp, lines...), note.VerifierList(v)); err != nil {
				t.Fatalf("size %d: the cosignature does not verify: %v", size, err)
			}
			old = size
		}
		// A stale old size: the client learns the size cosigned.
		cp, size := tl.Grow(t, 2)
		if _, conflict, err := client.Update(ctx, 1, cp, nil); !errors.Is(err, tdwitness.ErrCheckpointStale) || conflict != old {
			t.Fatalf("stale old size: %v, size %d, want %v and %d", err, conflict, tdwitness.ErrCheckpointStale, old)
		}
		if _, _, err := client.Update(ctx, old, cp, tl.ConsistencyProof(t, old, size)); err != nil {
			t.Fatal(err)
		}
		fork, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", tl.Origin, size, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")}, tl.Signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := client.Update(ctx, size, fork, nil); !errors.Is(err, tdwitness.ErrRootMismatch) {
			t.Fatalf("fork: %v, want %v", err, tdwitness.ErrRootMismatch)
		}
		// Unknown log, bad proof, through the same client.
		other := tesseratest.New(t, "example.com/unknown")
		ocp, _ := other.Grow(t, 1)
		if _, _, err := client.Update(ctx, 0, ocp, nil); !errors.Is(err, tdwitness.ErrUnknownLog) {
			t.Fatalf("unknown log: %v", err)
		}
		cp2, size2 := tl.Grow(t, 3)
		bad := tl.ConsistencyProof(t, size, size2)
		bad[0] = make([]byte, 32)
		if _, _, err := client.Update(ctx, size, cp2, bad); !errors.Is(err, tdwitness.ErrInvalidProof) {
			t.Fatalf("bad proof: %v", err)
		}
	})
}
