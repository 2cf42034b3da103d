package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/transparency-dev/formats/log"
)

// What the ledger explorer reads: this node's record of each block, kept
// for the last MaxBlockHistory blocks, and the final checkpoints, all of
// which the store keeps.

// MaxBlockHistory is how many of the latest blocks the node keeps a record
// of; the records of older blocks are dropped every blockHistoryPrune
// blocks. A record is about a hundred bytes.
const MaxBlockHistory = 100_000

const blockHistoryPrune = 1_000

// Block is this node's record of a committed block.
type Block struct {
	Height uint64
	// Time is the block time agreed by the validators: the certified time
	// of the deposits that entered the log in it.
	Time time.Time
	// Txs is the number of transactions in the block.
	Txs int
	// Deposits entered the log in this block; Ordered were ordered by it
	// and enter the log in the next block.
	Deposits, Ordered int
	// TreeSize is the size of this node's tree after the block, FinalSize
	// that of the latest final checkpoint.
	TreeSize, FinalSize uint64
	// Finalized is set when the block made a checkpoint final.
	Finalized bool
	// AppHash is the application state's hash after the block, which
	// CometBFT carries in the next block's header.
	AppHash []byte
	// Signers are the members whose precommit for the previous block this
	// block's last commit carries, in the order of the commit.
	Signers []string
}

// blockRecordVersion starts every encoded block record.
const blockRecordVersion = 1

// blockRecord encodes the record of a block FinalizeBlock has just
// staged.
func (a *App) blockRecord(req *abci.RequestFinalizeBlock, b *stagedBlock) []byte {
	blk := Block{
		Height: uint64(req.Height), Time: req.Time, Txs: len(req.Txs),
		Deposits: len(b.appended), Ordered: b.pending.count(),
		TreeSize: b.state.Size, FinalSize: b.state.FinalSize, Finalized: b.final != nil,
		AppHash: b.state.AppHash, Signers: a.signers(req.DecidedLastCommit.Votes),
	}
	return blk.encode()
}

// signers names the members whose votes are commit signatures.
func (a *App) signers(votes []abci.VoteInfo) []string {
	idx := a.members.Load()
	var out []string
	for _, v := range votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			continue
		}
		name := fmt.Sprintf("%X", v.Validator.Address) // a validator no member card names
		if m := idx.byAddress[string(v.Validator.Address)]; m != nil {
			name = m.Institution
		}
		out = append(out, name)
	}
	return out
}

func (blk *Block) encode() []byte {
	b := []byte{blockRecordVersion}
	b = binary.BigEndian.AppendUint64(b, uint64(blk.Time.UnixNano()))
	b = binary.AppendUvarint(b, uint64(blk.Txs))
	b = binary.AppendUvarint(b, uint64(blk.Deposits))
	b = binary.AppendUvarint(b, uint64(blk.Ordered))
	b = binary.BigEndian.AppendUint64(b, blk.TreeSize)
	b = binary.BigEndian.AppendUint64(b, blk.FinalSize)
	final := byte(0)
	if blk.Finalized {
		final = 1
	}
	b = append(b, final, byte(len(blk.AppHash)))
	b = append(b, blk.AppHash...)
	b = binary.AppendUvarint(b, uint64(len(blk.Signers)))
	for _, s := range blk.Signers {
		b = append(b, byte(min(len(s), math.MaxUint8)))
		b = append(b, s[:min(len(s), math.MaxUint8)]...)
	}
	return b
}

// decodeBlock reads a block record (encode).
func decodeBlock(height uint64, rec []byte) (*Block, error) {
	bad := fmt.Errorf("the record of block %d is corrupt", height)
	r := bytes.NewReader(rec)
	u64 := func() uint64 {
		var v [8]byte
		if n, _ := r.Read(v[:]); n != 8 {
			return 0
		}
		return binary.BigEndian.Uint64(v[:])
	}
	count := func() int {
		v, err := binary.ReadUvarint(r)
		if err != nil || v > math.MaxInt32 {
			return -1
		}
		return int(v)
	}
	if v, err := r.ReadByte(); err != nil || v != blockRecordVersion {
		return nil, bad
	}
	if r.Len() < 8 {
		return nil, bad
	}
	blk := &Block{Height: height, Time: time.Unix(0, int64(u64())).UTC()}
	blk.Txs, blk.Deposits, blk.Ordered = count(), count(), count()
	if blk.Txs < 0 || blk.Deposits < 0 || blk.Ordered < 0 || r.Len() < 18 {
		return nil, bad
	}
	blk.TreeSize, blk.FinalSize = u64(), u64()
	final, _ := r.ReadByte()
	n, _ := r.ReadByte()
	if final > 1 || r.Len() < int(n) {
		return nil, bad
	}
	blk.Finalized = final == 1
	blk.AppHash = make([]byte, n)
	r.Read(blk.AppHash)
	signers := count()
	if signers < 0 || signers > r.Len() {
		return nil, bad
	}
	for range signers {
		l, err := r.ReadByte()
		if err != nil || r.Len() < int(l) {
			return nil, bad
		}
		name := make([]byte, l)
		r.Read(name)
		blk.Signers = append(blk.Signers, string(name))
	}
	// One encoding per record: no trailing bytes, no padded varint.
	if r.Len() != 0 || !bytes.Equal(blk.encode(), rec) {
		return nil, bad
	}
	return blk, nil
}

// stageBlockRecord writes the record of the block being finalized, and
// drops the records that fell out of the history.
func (a *App) stageBlockRecord(req *abci.RequestFinalizeBlock, b *stagedBlock) {
	height := uint64(req.Height)
	b.batch.PutBlock(height, a.blockRecord(req, b))
	if height%blockHistoryPrune == 0 && height > MaxBlockHistory {
		b.batch.DeleteBlocksBefore(height - MaxBlockHistory + 1)
	}
}

// Blocks returns this node's records of the committed blocks below height
// before, newest first, at most limit of them. Blocks older than the
// history the node keeps (MaxBlockHistory), or committed before it kept
// one, have none.
func (a *App) Blocks(before uint64, limit int) ([]Block, error) {
	// A block being committed right now may be in the store already.
	if h := a.Committed().Height; before > h+1 {
		before = h + 1
	}
	var out []Block
	var bad error
	err := a.cfg.Store.Blocks(before, limit, func(height uint64, rec []byte) bool {
		blk, err := decodeBlock(height, rec)
		if err != nil {
			bad = err
			return false
		}
		out = append(out, *blk)
		return true
	})
	return out, errors.Join(err, bad)
}

// FinalCheckpoint is a checkpoint cosigned by a quorum, as the store
// keeps it, with its cosignatures read.
type FinalCheckpoint struct {
	Size uint64
	Root []byte
	// Note is the signed checkpoint: the log signatures and the
	// cosignatures of every member that signed it.
	Note         []byte
	Cosignatures []Cosignature
}

// Cosignature is a member's timestamped cosignature (c2sp.org/tlog-cosignature)
// of a final checkpoint.
type Cosignature struct {
	Institution string
	// Time is the time the cosignature states (whole seconds).
	Time time.Time
}

// FinalCheckpoints returns the final checkpoints of tree sizes below
// before, largest first, at most limit of them. The store keeps every
// final checkpoint.
func (a *App) FinalCheckpoints(before uint64, limit int) ([]FinalCheckpoint, error) {
	// A block being committed right now may have stored a later one.
	s := a.Committed()
	if s.Checkpoint == nil {
		return nil, nil
	}
	before = min(before, s.Size+1)
	known := a.cosignerNames()
	var out []FinalCheckpoint
	var bad error
	err := a.cfg.Store.Finals(before, limit, func(size uint64, signed []byte) bool {
		fc, err := readFinal(a.cfg.Origin, signed, known)
		if err == nil && fc.Size != size {
			err = fmt.Errorf("is of size %d", fc.Size)
		}
		if err != nil {
			bad = fmt.Errorf("the stored final checkpoint of size %d: %w", size, err)
			return false
		}
		out = append(out, *fc)
		return true
	})
	return out, errors.Join(err, bad)
}

// cosignerNames maps a cosignature key, by name and key hash, to the
// institution of every member ever admitted.
func (a *App) cosignerNames() func(name string, hash uint32) (string, bool) {
	idx := a.members.Load()
	byKey := map[string]string{}
	for _, m := range idx.byAddress {
		byKey[fmt.Sprintf("%s+%08x", m.cosign.Name(), m.cosign.KeyHash())] = m.Institution
	}
	return func(name string, hash uint32) (string, bool) {
		inst, ok := byKey[fmt.Sprintf("%s+%08x", name, hash)]
		return inst, ok
	}
}

// readFinal reads a final checkpoint: its tree head, and the cosignatures
// among its signature lines, named by the institution whose key made them
// (known); the log signatures, named by the origin, are skipped, and so is
// a line no member's cosignature key made.
func readFinal(origin string, signed []byte, known func(name string, hash uint32) (string, bool)) (*FinalCheckpoint, error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, errors.New("it has no signatures")
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(signed[:i+1]); err != nil {
		return nil, err
	}
	fc := &FinalCheckpoint{Size: cp.Size, Root: cp.Hash, Note: signed}
	for _, line := range strings.Split(strings.TrimSuffix(string(signed[i+2:]), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		name, sig, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 {
			return nil, fmt.Errorf("malformed signature line %q", line)
		}
		if name == origin {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		// A cosignature is a key hash, a timestamp, then the signature.
		if err != nil || len(raw) <= 4+8 {
			return nil, fmt.Errorf("malformed cosignature of %s", name)
		}
		inst, ok := known(name, binary.BigEndian.Uint32(raw))
		if !ok {
			continue
		}
		at := binary.BigEndian.Uint64(raw[4:])
		if at > math.MaxInt64 {
			return nil, fmt.Errorf("cosignature of %s: timestamp %d out of range", name, at)
		}
		fc.Cosignatures = append(fc.Cosignatures, Cosignature{Institution: inst, Time: time.Unix(int64(at), 0).UTC()})
	}
	return fc, nil
}
