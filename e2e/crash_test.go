package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/tlog"
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
	key, _ := testSuite.Signature().GenerateKey(rand.Reader)
	account := n.enroll(key)

	var mu sync.Mutex
	committed := map[string]uint64{}   // deposit id -> index
	contents := map[string][]byte{}    // deposit id -> content digest
	checkpoints := map[uint64][]byte{} // size -> root
	seq := 0
	next := func() (api.Deposit, string, []byte) {
		mu.Lock()
		seq++
		i := seq
		mu.Unlock()
		content := fmt.Sprintf("crash test evidence %d", i)
		d := prepare(t, origin, key, content, fmt.Sprint("c-", i))
		sum := digestOf([]byte(content))
		return d, depositID(t, d), sum[:]
	}

	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		t.Cleanup(func() { cancel(); wg.Wait() }) // if the round fails
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := n.client().WithAuth(client.KeyAuth{KeyID: account, Alg: testSuite.Signature().Name(), Key: key})
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
		// Kill once this round committed a few hundred deposits, while
		// the clients keep sending: enough to prove something, few enough
		// that every one of them is checked after each restart.
		mu.Lock()
		target := len(committed) + 300
		mu.Unlock()
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			got := len(committed)
			mu.Unlock()
			if got >= target {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: only %d of %d deposits committed in 60 s", round, got, target)
			}
			time.Sleep(10 * time.Millisecond)
		}
		n.kill()
		cancel()
		wg.Wait()
		mu.Lock()
		t.Logf("round %d: killed with %d deposits reported committed, %d checkpoints seen", round, len(committed), len(checkpoints))
		mu.Unlock()

		n.start()
		if err := checkAll(n, n.operator(), pol, committed, contents, checkpoints); err != nil {
			t.Fatalf("after restart %d: %v", round+1, err)
		}
	}
}

// checkAll checks that node n serves every committed deposit at its index
// with a receipt valid under pol, and that its log is consistent with
// every checkpoint seen.
func checkAll(n *node, c *client.Client, pol *policy.Policy, committed map[string]uint64, contents map[string][]byte, checkpoints map[uint64][]byte) error {
	ctx := context.Background()
	cpNote, err := c.Checkpoint(ctx)
	if err != nil {
		return err
	}
	v, err := pol.Verify(cpNote)
	if err != nil {
		return err
	}
	now := v.Checkpoint
	for id, idx := range committed {
		info, err := c.Deposit(ctx, id, 0)
		if err != nil {
			return fmt.Errorf("%s: committed deposit %s (#%d) is lost: %w", n.home, id, idx, err)
		}
		if info.Status != api.StatusCommitted || *info.Index != idx {
			return fmt.Errorf("%s: deposit %s is %s #%v, was committed as #%d", n.home, id, info.Status, info.Index, idx)
		}
		r, err := receipt.Parse([]byte(info.Receipt))
		if err != nil {
			return fmt.Errorf("%s: receipt of %s: %w", n.home, id, err)
		}
		if _, err := receipt.Verify(pol, r, receipt.Evidence{Digests: []deposit.Digest{contentDigest(contents[id])}}); err != nil {
			return fmt.Errorf("%s: receipt of %s: %w", n.home, id, err)
		}
	}
	h := testSuite.LogHasher()
	for size, root := range checkpoints {
		if size > now.Size {
			return fmt.Errorf("%s served a checkpoint of size %d but has only %d now", n.home, size, now.Size)
		}
		proof, err := c.ConsistencyProof(ctx, size, now.Size)
		if err != nil {
			return err
		}
		if size == 0 {
			continue
		}
		if err := tlog.VerifyConsistency(h, size, now.Size, proof, root, now.Hash); err != nil {
			return fmt.Errorf("%s: the log is inconsistent with checkpoint %d: %w", n.home, size, err)
		}
	}
	return nil
}
