package ledger

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/tlog"
)

// ErrNotFound is returned for a deposit, proof or tile the log does not
// (yet) hold.
var ErrNotFound = errors.New("not found")

// ErrOutOfRange is returned for a request beyond the committed tree.
var ErrOutOfRange = errors.New("beyond the committed tree")

// Record is a committed deposit.
type Record struct {
	ID    string
	Leaf  *deposit.Leaf
	Bytes []byte
}

// DepositByID returns the committed deposit with this id.
func (a *App) DepositByID(id string) (*Record, error) {
	raw, err := hex.DecodeString(id)
	if err != nil {
		return nil, ErrNotFound
	}
	idx, err := a.cfg.Store.DepositIndex(raw)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return a.DepositByIndex(idx)
}

// DepositByIndex returns the committed deposit at a leaf index.
func (a *App) DepositByIndex(index uint64) (*Record, error) {
	if index >= a.Committed().Size {
		return nil, ErrNotFound
	}
	lb, err := a.cfg.Store.Leaf(index)
	if err != nil {
		return nil, fmt.Errorf("reading leaf %d: %w", index, err)
	}
	l, err := deposit.ParseLeaf(lb)
	if err != nil {
		return nil, fmt.Errorf("stored leaf %d is corrupt: %w", index, err)
	}
	return &Record{ID: l.ID(a.cfg.Suite), Leaf: l, Bytes: lb}, nil
}

// TxHash returns the hash of the transaction that carried the deposit at
// index: the CometBFT transaction hash, in block Height of its leaf.
func (a *App) TxHash(index uint64) ([]byte, error) {
	tx, err := a.cfg.Store.TxHash(index)
	if err != nil {
		return nil, fmt.Errorf("reading transaction of leaf %d: %w", index, err)
	}
	return tx, nil
}

// ByContent returns the committed deposits of the content with this
// digest, the network suite's content digest (Suite.ContentDigest), from
// leaf index from on, oldest first, at most limit.
func (a *App) ByContent(digest []byte, from uint64, limit int) ([]*Record, error) {
	idx, err := a.cfg.Store.ByContent(digest, from, limit)
	if err != nil {
		return nil, err
	}
	return a.records(idx)
}

// ByKeys returns the committed deposits signed with any of keys (an
// account's key history), oldest first, at most limit per key.
func (a *App) ByKeys(keys [][]byte, limit int) ([]*Record, error) {
	var idx []uint64
	for _, k := range keys {
		ix, err := a.cfg.Store.ByDepositor(k, limit)
		if err != nil {
			return nil, err
		}
		idx = append(idx, ix...)
	}
	slices.Sort(idx)
	return a.records(idx)
}

// records reads the committed deposits at sorted leaf indexes.
func (a *App) records(idx []uint64) ([]*Record, error) {
	size := a.Committed().Size
	out := make([]*Record, 0, len(idx))
	for _, i := range idx {
		if i >= size { // written by a block that is committing right now
			break
		}
		r, err := a.DepositByIndex(i)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Receipt builds the receipt of a committed deposit against the latest
// signed checkpoint.
func (a *App) Receipt(rec *Record) (*receipt.Receipt, error) {
	snap := a.Committed()
	if rec.Leaf.Index >= snap.Size || snap.Checkpoint == nil {
		return nil, ErrNotFound
	}
	p, err := tlog.InclusionProof(a.cfg.Suite.LogHasher(), a.cfg.Store, rec.Leaf.Index, snap.Size)
	if err != nil {
		return nil, err
	}
	cp, err := a.withWitnesses(snap.Size, snap.Checkpoint)
	if err != nil {
		return nil, err
	}
	return &receipt.Receipt{Index: rec.Leaf.Index, Proof: p, Checkpoint: cp, Leaf: rec.Bytes}, nil
}

// ReceiptAt builds the receipt of a committed deposit against the final
// checkpoint of size, which must cover it; ErrNotFound when no final
// checkpoint has that size.
func (a *App) ReceiptAt(rec *Record, size uint64) (*receipt.Receipt, error) {
	if rec.Leaf.Index >= size || size > a.Committed().Size {
		return nil, ErrNotFound
	}
	final, err := a.cfg.Store.Final(size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p, err := tlog.InclusionProof(a.cfg.Suite.LogHasher(), a.cfg.Store, rec.Leaf.Index, size)
	if err != nil {
		return nil, err
	}
	cp, err := a.withWitnesses(size, final)
	if err != nil {
		return nil, err
	}
	return &receipt.Receipt{Index: rec.Leaf.Index, Proof: p, Checkpoint: cp, Leaf: rec.Bytes}, nil
}

// withWitnesses appends to the final checkpoint of size the outside
// witnesses' cosignatures this node holds on it (package witness keeps
// them node-locally, by witness name), so that every checkpoint and
// receipt the node serves carries them. The stored final checkpoint, the
// same bytes on every node, is never changed: certificates, time-stamps
// and consensus keep using it. A verifier's policy ignores cosignatures
// of witnesses it does not name.
func (a *App) withWitnesses(size uint64, cp []byte) ([]byte, error) {
	byName, err := a.cfg.Store.WitnessCosignatures(size)
	if err != nil || len(byName) == 0 {
		return cp, err
	}
	out := bytes.Clone(cp)
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		for line := range bytes.Lines(byName[name]) {
			if !bytes.Contains(cp, line) {
				out = append(out, line...)
			}
		}
	}
	return out, nil
}

// InclusionProof proves leaf index in the tree of the given size, which
// must not exceed the committed size.
func (a *App) InclusionProof(index, size uint64) ([][]byte, error) {
	if size > a.Committed().Size {
		return nil, ErrOutOfRange
	}
	return tlog.InclusionProof(a.cfg.Suite.LogHasher(), a.cfg.Store, index, size)
}

// ConsistencyProof proves that the tree of size2 extends the tree of
// size1.
func (a *App) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if size2 > a.Committed().Size {
		return nil, ErrOutOfRange
	}
	return tlog.ConsistencyProof(a.cfg.Suite.LogHasher(), a.cfg.Store, size1, size2)
}

// Tile returns the contents of a hash tile or, when entries is set, an
// entry bundle, if the committed tree covers it.
func (a *App) Tile(t tlog.Tile, entries bool) ([]byte, error) {
	size := a.Committed().Size
	start := t.Index * tlog.TileWidth
	end := start + uint64(t.Width)
	if end < start || end > size>>(uint(t.Level)*tlog.TileHeight) || (entries && t.Level != 0) {
		return nil, ErrOutOfRange
	}
	if entries {
		leaves, err := a.cfg.Store.Leaves(start, end)
		if err != nil {
			return nil, err
		}
		var bundle []byte
		for _, l := range leaves {
			bundle = tlog.AppendEntryBundle(bundle, l)
		}
		return bundle, nil
	}
	hashes, err := a.cfg.Store.ReadHashes(t.Level, start, end)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, h := range hashes {
		out = append(out, h...)
	}
	return out, nil
}

// HasDeposit reports whether the deposit with this id is committed.
func (a *App) HasDeposit(id string) bool {
	_, err := a.Placement(id)
	return err == nil
}
