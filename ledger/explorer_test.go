package ledger_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/suite"
)

// TestExplorerRecords runs two deposits through a network of two
// validators: the node records each block (what it ordered, appended and
// finalized, the tree after it, who signed the previous one), and reads
// the final checkpoints with each member's cosignature, in both suites.
func TestExplorerRecords(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 2)
		apps := openAll(t, e, nil)
		start := time.Now().Add(-time.Second)
		appHashes := map[uint64][]byte{}
		for h, txs := range [][][]byte{{ledger.EncodeDepositTx([][]byte{e.signed("a", "photo"), e.signed("b", "video")})}, nil, nil} {
			appHashes[uint64(h+1)] = consensus(t, apps, e.validators, int64(h+1), txs...)[0].AppHash
		}
		app := apps[0]

		blocks, err := app.Blocks(math.MaxUint64, 10)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			height                 uint64
			txs, deposits, ordered int
			treeSize, finalSize    uint64
			finalized              bool
		}
		var got []row
		for _, b := range blocks {
			got = append(got, row{b.Height, b.Txs, b.Deposits, b.Ordered, b.TreeSize, b.FinalSize, b.Finalized})
			if !b.Time.Equal(genesis.Add(time.Duration(b.Height) * time.Second)) {
				t.Errorf("block %d: time %v", b.Height, b.Time)
			}
			if want := []string{"validator0", "validator1"}; !slices.Equal(sorted(b.Signers), want) {
				t.Errorf("block %d: signers %v, want %v", b.Height, b.Signers, want)
			}
		}
		// Block 2 carries the cosignatures of the empty tree, block 3
		// those of the two deposits.
		want := []row{{3, 1, 0, 0, 2, 2, true}, {2, 1, 2, 0, 2, 0, true}, {1, 1, 0, 2, 0, 0, false}}
		if !slices.Equal(got, want) {
			t.Fatalf("blocks:\n got %+v\nwant %+v", got, want)
		}
		for _, b := range blocks {
			if string(b.AppHash) != string(appHashes[b.Height]) {
				t.Errorf("block %d: app hash %X, the block's is %X", b.Height, b.AppHash, appHashes[b.Height])
			}
		}
		older, err := app.Blocks(3, 1)
		if err != nil || len(older) != 1 || older[0].Height != 2 {
			t.Fatalf("the page before block 3, one block: %+v %v", older, err)
		}

		finals, err := app.FinalCheckpoints(math.MaxUint64, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(finals) != 2 || finals[0].Size != 2 || finals[1].Size != 0 {
			t.Fatalf("final checkpoints: %+v", finals)
		}
		if snap := app.Committed(); string(finals[0].Root) != string(snap.Root) || string(finals[0].Note) != string(snap.Checkpoint) {
			t.Fatal("the latest final checkpoint listed is not the one the ledger serves")
		}
		for _, f := range finals {
			var names []string
			for _, c := range f.Cosignatures {
				names = append(names, c.Institution)
				if c.Time.Before(start.Truncate(time.Second)) || c.Time.After(time.Now()) {
					t.Errorf("size %d: %s's cosignature time %v", f.Size, c.Institution, c.Time)
				}
			}
			if want := []string{"validator0", "validator1"}; !slices.Equal(sorted(names), want) {
				t.Errorf("size %d cosigned by %v, want %v", f.Size, names, want)
			}
		}
		if page, err := app.FinalCheckpoints(2, 10); err != nil || len(page) != 1 || page[0].Size != 0 {
			t.Fatalf("final checkpoints below size 2: %+v %v", page, err)
		}
		for name, c := range app.Cosigners() {
			if c.Size != 2 {
				t.Errorf("%s's latest cosigned size %d, want 2", name, c.Size)
			}
		}
		if len(app.Cosigners()) != 2 {
			t.Errorf("cosigners %v, want both validators", app.Cosigners())
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
