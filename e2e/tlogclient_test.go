package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	tclient "github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

// liveFetchers reads the tlog-tiles of a network through Tessera's HTTP
// fetcher, as a client given several mirrors of one log does: each
// checkpoint comes from the next live node, and the tiles and entries
// that go with it from the same node (another node may not have that
// tree final yet).
type liveFetchers struct {
	t     *testing.T
	mu    sync.Mutex
	urls  []string
	alive []bool
	cur   int
	// last is the last checkpoint served.
	last []byte
}

func (f *liveFetchers) kill(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alive[i] = false
	if f.cur == i {
		f.advance()
	}
}

// advance moves to the next live node; f.mu is held.
func (f *liveFetchers) advance() {
	for {
		f.cur = (f.cur + 1) % len(f.urls)
		if f.alive[f.cur] {
			return
		}
	}
}

// current returns the fetcher of the node in use, moving on first if next.
func (f *liveFetchers) current(next bool) *tclient.HTTPFetcher {
	f.mu.Lock()
	defer f.mu.Unlock()
	if next {
		f.advance()
	}
	u, err := url.Parse(f.urls[f.cur] + "/")
	if err != nil {
		f.t.Fatal(err)
	}
	h, err := tclient.NewHTTPFetcher(u, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *liveFetchers) checkpoint(ctx context.Context) ([]byte, error) {
	raw, err := f.current(true).ReadCheckpoint(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = raw
	return raw, err
}

func (f *liveFetchers) lastCheckpoint() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *liveFetchers) tile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	return f.current(false).ReadTile(ctx, level, index, p)
}

func (f *liveFetchers) entries(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	return f.current(false).ReadEntryBundle(ctx, index, p)
}

// TestStandardClientPinnedToOneMember follows a 4-validator network with
// Tessera's tlog-tiles client trusting the log key of one member only, the
// way a C2SP client trusts one key per origin. It starts at the empty
// tree, before any deposit, and keeps following across the SIGKILL of
// another member, building inclusion proofs for the deposits and
// consistency proofs between every pair of tree sizes it saw from the
// tiles the nodes serve. The pinned member is the one with the highest
// validator address, so it never comes first in a commit.
func TestStandardClientPinnedToOneMember(t *testing.T) {
	if testSuite.Name() != suite.NameInternational {
		// Tessera's client hashes trees with SHA-256 and reads Ed25519
		// keys; there is no C2SP client for SM3 trees and SM2 notes.
		t.Skipf("Tessera's client follows SHA-256/Ed25519 logs only, not the %s suite", testSuite)
	}
	nw := startNetwork(t, 4, false)
	ctx := t.Context()
	ms, err := nw.nodes[0].client().Membership(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The pinned member, and each node's own log verifier.
	var pinned string
	var pinnedAddr []byte
	logKeys := map[string]note.Verifier{}
	for _, m := range ms.Active() {
		vkey, err := m.LogVKey(nw.origin)
		if err != nil {
			t.Fatal(err)
		}
		if logKeys[m.Institution], err = note.NewVerifier(vkey); err != nil {
			t.Fatal(err)
		}
		if addr := cmted25519.PubKey(m.ValidatorPubKey()).Address(); bytes.Compare(addr, pinnedAddr) > 0 {
			pinned, pinnedAddr = m.Institution, addr
		}
	}
	pin := logKeys[pinned]
	// The victim is neither the pinned member nor node 0, where the
	// depositor is enrolled and submits.
	victim := -1
	for i, n := range nw.nodes {
		if i != 0 && n.status().Institution != pinned {
			victim = i
			break
		}
	}
	empty := rfc6962.DefaultHasher.EmptyRoot()

	// Before any deposit every node answers a checkpoint of the empty
	// tree: its own, signed with its log key, until the network makes the
	// empty tree's final within a few blocks; the pinned key verifies the
	// final one at every node.
	var keys []note.Verifier
	for _, v := range logKeys {
		keys = append(keys, v)
	}
	for _, n := range nw.nodes {
		var raw []byte
		if code := do(t, "GET", n.URL+"/checkpoint", "", &raw); code != 200 {
			t.Fatalf("%s: GET /checkpoint before any deposit: %d %s", n.home, code, raw)
		}
		var cp log.Checkpoint
		nt, err := note.Open(raw, note.VerifierList(keys...))
		if err == nil {
			_, err = cp.Unmarshal([]byte(nt.Text))
		}
		if err != nil || cp.Origin != nw.origin || cp.Size != 0 || !bytes.Equal(cp.Hash, empty) {
			t.Fatalf("%s: checkpoint before any deposit: %+v %v\n%s", n.home, cp, err, raw)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			do(t, "GET", n.URL+"/checkpoint", "", &raw)
			if _, err = nw.pol.Verify(raw); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no final empty checkpoint in 30 s: %v\n%s", n.home, err, raw)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Two thirds of the votes make it final: the pinned member's
		// signatures are on it only if its vote was among them.
		if _, _, _, err := log.ParseCheckpoint(raw, nw.origin, pin); err != nil && bytes.Contains(raw, []byte("\n— "+pinned+" ")) {
			t.Fatalf("%s: the final empty checkpoint carries %s's cosignature but not its log signature: %v\n%s", n.home, pinned, err, raw)
		}
	}

	f := &liveFetchers{t: t, urls: nw.servers, alive: slices.Repeat([]bool{true}, len(nw.nodes))}
	// The client starts at the empty tree when the pinned member signed
	// it, else at the first checkpoint that member signs.
	tracker, err := tclient.NewLogStateTracker(ctx, f.tile, nil, pin, nw.origin, tclient.UnilateralConsensus(f.checkpoint))
	if err == nil {
		if got := tracker.Latest(); got.Size != 0 || !bytes.Equal(got.Hash, empty) {
			t.Fatalf("the client starts at %d %x, want the empty tree", got.Size, got.Hash)
		}
	} else {
		t.Logf("the final empty checkpoint was made without %s's vote; the client starts later: %v", pinned, err)
		tracker = nil
	}
	roots := map[uint64][]byte{0: empty}
	load := newLoad(t, nw)
	committed := map[uint64]string{} // index -> deposit id
	for round := range 4 {
		if round == 2 {
			nw.nodes[victim].kill()
			f.kill(victim)
		}
		ids := load.submit(ctx, nw.nodes[0].client(), 2, 20*time.Second)
		if len(ids) != 2 {
			t.Fatalf("round %d: %d of 2 deposits committed", round, len(ids))
		}
		var want uint64
		for _, id := range ids {
			load.mu.Lock()
			idx := load.committed[id]
			load.mu.Unlock()
			committed[idx] = id
			want = max(want, idx+1)
		}
		// The client follows: every checkpoint a live node serves must
		// verify with the pinned key and be consistent with the last.
		deadline := time.Now().Add(30 * time.Second)
		nudged := time.Now()
		for tracker == nil || tracker.Latest().Size < want {
			if tracker == nil {
				var started *tclient.LogStateTracker
				if started, err = tclient.NewLogStateTracker(ctx, f.tile, nil, pin, nw.origin, tclient.UnilateralConsensus(f.checkpoint)); err == nil {
					tracker = started
				}
			} else {
				_, _, _, err = tracker.Update(ctx)
			}
			if err != nil {
				var inconsistent tclient.ErrInconsistency
				if errors.As(err, &inconsistent) {
					t.Fatalf("round %d: the log is inconsistent: %v", round, err)
				}
				// A checkpoint the pinned member did not sign (two thirds
				// suffice) is not for this client: it waits for the next.
				// One it cosigned must carry its log signature.
				cp := f.lastCheckpoint()
				if bytes.Contains(cp, []byte("\n— "+pinned+" ")) {
					t.Fatalf("round %d: the client pinned to %s refused a checkpoint that member signed: %v\n%s", round, pinned, err, cp)
				}
				// Without more deposits the log makes no further
				// checkpoint: add one now and then.
				if time.Since(nudged) > 3*time.Second {
					t.Logf("round %d: a checkpoint without %s's signatures; one more deposit for the next: %v", round, pinned, err)
					for _, id := range load.submit(ctx, nw.nodes[0].client(), 1, 20*time.Second) {
						load.mu.Lock()
						idx := load.committed[id]
						load.mu.Unlock()
						committed[idx] = id
						want = max(want, idx+1)
					}
					nudged = time.Now()
				}
			}
			if time.Now().After(deadline) {
				size := uint64(0)
				if tracker != nil {
					size = tracker.Latest().Size
				}
				t.Fatalf("round %d: the client pinned to %s saw size %d, want %d, in 30 s", round, pinned, size, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
		latest := tracker.Latest()
		roots[latest.Size] = latest.Hash
		pb, err := tclient.NewProofBuilder(ctx, latest.Size, f.tile)
		if err != nil {
			t.Fatal(err)
		}
		for idx, id := range committed {
			bundle, err := tclient.GetEntryBundle(ctx, f.entries, idx/256, latest.Size)
			if err != nil {
				t.Fatalf("entry bundle of leaf %d: %v", idx, err)
			}
			entry := bundle.Entries[idx%256]
			leaf, err := deposit.ParseLeaf(entry)
			if err != nil || leaf.ID(testSuite) != id || leaf.Index != idx {
				t.Fatalf("entry %d is not deposit %s: %v", idx, id, err)
			}
			p, err := pb.InclusionProof(ctx, idx)
			if err != nil {
				t.Fatalf("inclusion proof of %d in %d from tiles: %v", idx, latest.Size, err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, latest.Size, rfc6962.DefaultHasher.HashLeaf(entry), p, latest.Hash); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", idx, latest.Size, err)
			}
		}
		for size, root := range roots {
			if size == 0 || size > latest.Size {
				continue
			}
			p, err := pb.ConsistencyProof(ctx, size, latest.Size)
			if err != nil {
				t.Fatalf("consistency proof %d -> %d from tiles: %v", size, latest.Size, err)
			}
			if err := tlog.VerifyConsistency(rfc6962.DefaultHasher, size, latest.Size, p, root, latest.Hash); err != nil {
				t.Fatalf("consistency %d -> %d: %v", size, latest.Size, err)
			}
		}
		t.Logf("round %d: the client pinned to %s follows at size %d (%d deposits proven)", round, pinned, latest.Size, len(committed))
	}
}
