package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	mproof "github.com/transparency-dev/merkle/proof"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// TestCrashLosesNothingCommitted kills the node with SIGKILL while clients
// are depositing, twice, and checks after each restart that every deposit
// ever reported committed is still there with a receipt that verifies, and
// that the log is consistent with every checkpoint the node served.
func TestCrashLosesNothingCommitted(t *testing.T) {
	n := initNode(t)
	n.start()
	origin := n.status().Origin
	pol := n.policy()
	key, _ := suite.International().Signature().GenerateKey(rand.Reader)
	account := n.enroll(key)

	var mu sync.Mutex
	committed := map[string]uint64{}   // deposit id -> index
	contents := map[string][]byte{}    // deposit id -> sha256
	checkpoints := map[uint64][]byte{} // size -> root
	seq := 0
	next := func() (api.Deposit, string, []byte) {
		mu.Lock()
		seq++
		i := seq
		mu.Unlock()
		content := fmt.Sprintf("crash test evidence %d", i)
		d := prepare(t, origin, key, content, fmt.Sprint("c-", i))
		sum := sha256.Sum256([]byte(content))
		return d, depositID(t, d), sum[:]
	}

	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := n.client().WithAuth(client.KeyAuth{KeyID: account, Alg: "ed25519", Key: key})
				for ctx.Err() == nil {
					var batch []api.Deposit
					sums := map[string][]byte{}
					for range 50 {
						d, id, sum := next()
						batch = append(batch, d)
						sums[id] = sum
					}
					res, err := c.Submit(ctx, batch, 5*time.Second)
					if err != nil {
						return // the node is gone
					}
					mu.Lock()
					for _, r := range res {
						if r.Status == api.StatusCommitted {
							committed[r.ID] = *r.Index
							contents[r.ID] = sums[r.ID]
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Add(1)
		go func() { // watch checkpoints as a monitor would
			defer wg.Done()
			c := n.client()
			for ctx.Err() == nil {
				cp, err := c.Checkpoint(ctx)
				if err != nil { // not yet, or the node is gone
					time.Sleep(20 * time.Millisecond)
					continue
				}
				v, err := pol.Verify(cp)
				if err != nil {
					t.Errorf("served checkpoint does not verify: %v", err)
					return
				}
				mu.Lock()
				checkpoints[v.Checkpoint.Size] = v.Checkpoint.Hash
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
		time.Sleep(1500 * time.Millisecond)
		n.kill()
		cancel()
		wg.Wait()
		mu.Lock()
		t.Logf("round %d: killed with %d deposits reported committed, %d checkpoints seen", round, len(committed), len(checkpoints))
		if len(committed) == 0 {
			t.Fatal("no deposit committed before the kill; the test proves nothing")
		}
		mu.Unlock()

		n.start()
		checkAll(t, n, pol, committed, contents, checkpoints)
	}
}

func checkAll(t *testing.T, n *node, pol *policy.Policy, committed map[string]uint64, contents map[string][]byte, checkpoints map[uint64][]byte) {
	t.Helper()
	ctx := context.Background()
	c := n.operator() // the institution's operator may read every deposit
	cpNote, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pol.Verify(cpNote)
	if err != nil {
		t.Fatal(err)
	}
	now := v.Checkpoint
	for id, idx := range committed {
		info, err := c.Deposit(ctx, id, 0)
		if err != nil {
			t.Fatalf("committed deposit %s (#%d) lost after the crash: %v", id, idx, err)
		}
		if info.Status != api.StatusCommitted || *info.Index != idx {
			t.Fatalf("deposit %s: %s #%v after the crash, was #%d", id, info.Status, info.Index, idx)
		}
		r, err := receipt.Parse([]byte(info.Receipt))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := receipt.Verify(suite.International(), pol, r, receipt.Evidence{SHA256: contents[id]}); err != nil {
			t.Fatalf("receipt of %s after the crash: %v", id, err)
		}
	}
	h := suite.International().LogHasher()
	for size, root := range checkpoints {
		if size > now.Size {
			t.Fatalf("the node served a checkpoint of size %d before the crash but has only %d after", size, now.Size)
		}
		proof, err := c.ConsistencyProof(ctx, size, now.Size)
		if err != nil {
			t.Fatal(err)
		}
		if size == 0 {
			continue
		}
		if err := mproof.VerifyConsistency(h, size, now.Size, proof, root, now.Hash); err != nil {
			t.Fatalf("log after restart is inconsistent with checkpoint %d: %v", size, err)
		}
	}
}
