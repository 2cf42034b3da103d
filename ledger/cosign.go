package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	// Validator addresses are CometBFT's, of its Ed25519 consensus keys:
	// CometBFT supports no other, whatever the network's suite.
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// How checkpoints become final.
//
// After each block that grows the tree, every validator signs a
// checkpoint of its own replica: as the log (its log key, named by the
// origin) and as a witness (its tlog-cosignature). It sends both
// signatures in the vote extension of its next precommit; the other
// validators accept the extension only if the signatures verify over
// their own checkpoint of that size. The next proposer gathers the
// extensions into a cosignatures transaction at the head of its block; a
// block carrying one is valid only if its signers hold more than two
// thirds of the voting power. Executing it records the final checkpoint:
// the tree head, the log signature of every member that signed it and
// every cosignature, identical bytes on every node. Readers only ever see
// final checkpoints, and a C2SP client that trusts the log key of any one
// member (as tlog-checkpoint clients trust one key per origin) verifies
// every final checkpoint that member signed.
//
// Because the cosignatures are in the blocks, a node that was down or cut
// off gets them when it catches up, and every node serves the same final
// checkpoints.

// txCosignatures is the type byte of a cosignatures transaction: the tree
// size, then for each signer its validator address and the signature
// lines of its checkpoint note.
const txCosignatures byte = 2

// extension is what a validator puts in its precommit vote extension.
type extension struct {
	size uint64
	root []byte
	// sigs are the signature lines of the validator's checkpoint note:
	// its log signature and its cosignature.
	sigs []byte
}

func (e extension) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, e.size)
	b = append(b, e.root...)
	return append(b, e.sigs...)
}

func parseExtension(b []byte) (extension, error) {
	if len(b) < 8+suite.HashSize+1 {
		return extension{}, errors.New("vote extension too short")
	}
	return extension{size: binary.BigEndian.Uint64(b), root: b[8 : 8+suite.HashSize], sigs: b[8+suite.HashSize:]}, nil
}

// memberKeys are one member's verifiers, looked up by validator address.
type memberKeys struct {
	consortium.Member
	log, cosign note.Verifier
}

// memberIndex maps validator addresses to every member ever admitted, so
// signatures of a member being removed still verify until CometBFT drops
// it from the validator set.
type memberIndex struct {
	byAddress map[string]*memberKeys
	ms        *consortium.Membership
	// nodes are the active members' log keys, which attest registrations;
	// byLogKey maps each raw log key to its institution, as nodes deposit
	// their access-trail records with it.
	nodes    identity.Nodes
	byLogKey map[string]string
}

func newMemberIndex(cs *suite.Suite, origin string, ms *consortium.Membership) (*memberIndex, error) {
	if err := ms.CheckSuite(cs); err != nil {
		return nil, err
	}
	idx := &memberIndex{byAddress: map[string]*memberKeys{}, ms: ms, nodes: identity.Nodes{}, byLogKey: map[string]string{}}
	for _, m := range ms.Members {
		lk, err := m.LogVKey(origin)
		if err != nil {
			return nil, err
		}
		lv, err := cs.NewVerifier(lk)
		if err != nil {
			return nil, err
		}
		cv, err := cs.NewCosignatureVerifier(m.CosignKey)
		if err != nil {
			return nil, err
		}
		addr := ed25519.PubKey(m.ValidatorPubKey()).Address()
		idx.byAddress[string(addr)] = &memberKeys{Member: m, log: lv, cosign: cv}
		if m.Power > 0 {
			idx.nodes[m.Institution] = identity.Institution{Kind: m.Kind, NodeKey: lv}
			idx.byLogKey[string(m.LogPubKey())] = m.Institution
		}
	}
	return idx, nil
}

// checkSigned checks that sigs are exactly this member's log signature and
// cosignature over the checkpoint body.
func (m *memberKeys) checkSigned(body, sigs []byte) (*note.Note, error) {
	n, err := note.Open(append(append(bytes.Clone(body), '\n'), sigs...), note.VerifierList(m.log, m.cosign))
	if err != nil {
		return nil, fmt.Errorf("signatures of %s: %w", m.Institution, err)
	}
	if len(n.Sigs) != 2 || len(n.UnverifiedSigs) != 0 || n.Sigs[0].Hash == n.Sigs[1].Hash {
		return nil, fmt.Errorf("signatures of %s: want exactly its log signature and its cosignature", m.Institution)
	}
	return n, nil
}

// sigLines returns the signature lines of a signed note.
func sigLines(signed []byte) []byte {
	i := bytes.Index(signed, []byte("\n\n"))
	return signed[i+2:]
}

// body returns the text of a signed note (the checkpoint body).
func body(signed []byte) []byte {
	return signed[:bytes.Index(signed, []byte("\n\n"))+1]
}

// ExtendVote cosigns the replica's latest checkpoint if it is not final.
// Until the network has a final checkpoint, that includes the empty tree's,
// so that a new network serves a final checkpoint before its first
// deposit.
func (a *App) ExtendVote(context.Context, *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	snap := a.committed.Load()
	if !snap.needsFinal() || snap.Own == nil {
		return &abci.ResponseExtendVote{}, nil
	}
	e := extension{size: snap.TreeSize, root: snap.TreeRoot, sigs: sigLines(snap.Own)}
	return &abci.ResponseExtendVote{VoteExtension: e.encode()}, nil
}

// VerifyVoteExtension accepts another validator's cosignature only if it
// is a member's and signs this replica's own checkpoint. A validly signed
// checkpoint of the same size with another root is equivocation: it is
// reported as evidence and the vote refused.
func (a *App) VerifyVoteExtension(_ context.Context, req *abci.RequestVerifyVoteExtension) (*abci.ResponseVerifyVoteExtension, error) {
	accept := &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}
	reject := &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}
	if len(req.VoteExtension) == 0 {
		return accept, nil
	}
	m := a.members.Load().byAddress[string(req.ValidatorAddress)]
	e, err := parseExtension(req.VoteExtension)
	switch {
	case m == nil:
		a.cfg.Logger.Warn("cosignature refused: the validator is not a member", "validator", fmt.Sprintf("%X", req.ValidatorAddress), "height", req.Height)
		return reject, nil
	case err != nil:
		a.cfg.Logger.Warn("cosignature refused", "institution", m.Institution, "height", req.Height, "err", err)
		return reject, nil
	}
	snap := a.committed.Load()
	if e.size != snap.TreeSize {
		a.cfg.Logger.Warn("cosignature refused: it signs a tree of another size than ours", "institution", m.Institution, "height", req.Height, "size", e.size, "ours", snap.TreeSize)
		return reject, nil
	}
	if !bytes.Equal(e.root, snap.TreeRoot) {
		theirs := log.Checkpoint{Origin: a.cfg.Origin, Size: e.size, Hash: e.root}.Marshal()
		if n, err := m.checkSigned(theirs, e.sigs); err == nil {
			a.cfg.Logger.Error("misbehaviour: a validator signed a checkpoint inconsistent with our tree", "institution", m.Institution, "height", req.Height, "size", e.size)
			signed, err := note.Sign(n)
			switch {
			case err != nil:
				a.cfg.Logger.Error("encoding the evidence of misbehaviour", "institution", m.Institution, "err", err)
			case a.cfg.ReportEvidence != nil:
				a.cfg.ReportEvidence(EncodeEvidenceTx(signed))
			}
		} else {
			a.cfg.Logger.Warn("cosignature refused: it signs another tree than ours", "institution", m.Institution, "height", req.Height, "size", e.size, "err", err)
		}
		return reject, nil
	}
	if _, err := m.checkSigned(body(snap.Own), e.sigs); err != nil {
		a.cfg.Logger.Warn("cosignature refused: bad signature", "institution", m.Institution, "height", req.Height, "err", err)
		return reject, nil
	}
	return accept, nil
}

// PrepareProposal puts a cosignatures transaction at the head of the block
// when the last commit's vote extensions make a checkpoint final.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	txs := req.Txs
	if tx := a.gatherCosignatures(req.LocalLastCommit); tx != nil {
		txs = append([][]byte{tx}, txs...)
		var total int64
		for i, t := range txs {
			total += int64(len(t))
			if total > req.MaxTxBytes {
				txs = txs[:i]
				break
			}
		}
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

func (a *App) gatherCosignatures(commit abci.ExtendedCommitInfo) []byte {
	snap := a.committed.Load()
	var best uint64
	found := false
	for _, v := range commit.Votes {
		if e, err := parseExtension(v.VoteExtension); err == nil && v.BlockIdFlag == cmtproto.BlockIDFlagCommit && (!found || e.size > best) {
			best, found = e.size, true
		}
	}
	if !found || !snap.finalizes(best) {
		return nil
	}
	own, err := a.cfg.Store.Checkpoint(best)
	if err != nil {
		a.cfg.Logger.Warn("cannot gather cosignatures: own checkpoint missing", "size", best, "err", err)
		return nil
	}
	var entries []byte
	var n uint16
	for _, v := range commit.Votes {
		e, err := parseExtension(v.VoteExtension)
		if err != nil || e.size != best || v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			continue
		}
		m := a.members.Load().byAddress[string(v.Validator.Address)]
		if m == nil {
			continue
		}
		if _, err := m.checkSigned(body(own), e.sigs); err != nil {
			continue
		}
		entries = append(entries, v.Validator.Address...)
		entries = binary.BigEndian.AppendUint16(entries, uint16(len(e.sigs)))
		entries = append(entries, e.sigs...)
		n++
	}
	tx := binary.BigEndian.AppendUint64([]byte{txCosignatures}, best)
	tx = binary.BigEndian.AppendUint16(tx, n)
	tx = append(tx, entries...)
	if _, err := a.finalCheckpoint(tx, voteInfos(commit.Votes)); err != nil {
		return nil // not (yet) a quorum
	}
	return tx
}

func voteInfos(votes []abci.ExtendedVoteInfo) []abci.VoteInfo {
	out := make([]abci.VoteInfo, len(votes))
	for i, v := range votes {
		out[i] = abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag}
	}
	return out
}

// cosigned is a checked cosignatures transaction.
type cosigned struct {
	size uint64
	note []byte
}

// finalCheckpoint checks a cosignatures transaction against this replica
// and the validator set that voted (votes: the commit it was gathered
// from) and returns the final checkpoint it makes.
func (a *App) finalCheckpoint(tx []byte, votes []abci.VoteInfo) (*cosigned, error) {
	if len(tx) < 11 || tx[0] != txCosignatures {
		return nil, errors.New("malformed cosignatures transaction")
	}
	size := binary.BigEndian.Uint64(tx[1:])
	n := int(binary.BigEndian.Uint16(tx[9:]))
	rest := tx[11:]
	own, err := a.cfg.Store.Checkpoint(size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("cosignatures over a tree of size %d, for which this node has no checkpoint", size)
	}
	if err != nil {
		return nil, err
	}
	b := body(own)
	power := map[string]int64{}
	var total int64
	for _, v := range votes {
		power[string(v.Validator.Address)] = v.Validator.Power
		total += v.Validator.Power
	}
	// Each signer contributes its log signature and its cosignature. The
	// final checkpoint carries all of them, ordered by validator address,
	// log signatures first: a client that trusts any one member's log key
	// verifies every final checkpoint that member signed, and every
	// replica writes the same bytes whatever order the proposer used.
	type signer struct {
		addr        string
		log, cosign []byte
	}
	var signers []signer
	var got int64
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		if len(rest) < 22 {
			return nil, errors.New("malformed cosignatures transaction")
		}
		addr := string(rest[:20])
		l := int(binary.BigEndian.Uint16(rest[20:]))
		if len(rest) < 22+l {
			return nil, errors.New("malformed cosignatures transaction")
		}
		sigs := rest[22 : 22+l]
		rest = rest[22+l:]
		m := a.members.Load().byAddress[addr]
		p, voted := power[addr]
		if m == nil || !voted || seen[addr] {
			return nil, fmt.Errorf("cosignature %d is not from a distinct validator of the set", i)
		}
		seen[addr] = true
		nt, err := m.checkSigned(b, sigs)
		if err != nil {
			return nil, err
		}
		sg := signer{addr: addr}
		for _, s := range nt.Sigs {
			if s.Hash == m.log.KeyHash() && s.Name == m.log.Name() {
				sg.log = sigLine(s)
			} else {
				sg.cosign = sigLine(s)
			}
		}
		signers = append(signers, sg)
		got += p
	}
	if len(rest) != 0 {
		return nil, errors.New("malformed cosignatures transaction")
	}
	if got < consortium.Quorum(total) {
		return nil, fmt.Errorf("cosignatures hold %d of %d voting power, a quorum needs %d", got, total, consortium.Quorum(total))
	}
	slices.SortFunc(signers, func(x, y signer) int { return strings.Compare(x.addr, y.addr) })
	signed := append(bytes.Clone(b), '\n')
	for _, sg := range signers {
		signed = append(signed, sg.log...)
	}
	for _, sg := range signers {
		signed = append(signed, sg.cosign...)
	}
	return &cosigned{size: size, note: signed}, nil
}

// sigLine formats a note signature line.
func sigLine(s note.Signature) []byte {
	return []byte("— " + s.Name + " " + s.Base64 + "\n")
}

// Cosigned is the latest final checkpoint a validator cosigned.
type Cosigned struct {
	Size uint64
	// At is the time in the validator's cosignature.
	At time.Time
}

// recordCosigners notes, from a final checkpoint, which validators
// cosigned it and when.
func (a *App) recordCosigners(size uint64, signed []byte) {
	next := maps.Clone(*a.cosigners.Load())
	for _, line := range strings.SplitAfter(string(sigLines(signed)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] == a.cfg.Origin {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(f[2])
		// A key hash, a timestamp, then a signature: 64 bytes of Ed25519,
		// an SM2 signature in DER of about 70.
		if err != nil || len(raw) <= 4+8 {
			continue
		}
		next[f[1]] = Cosigned{Size: size, At: time.Unix(int64(binary.BigEndian.Uint64(raw[4:])), 0).UTC()}
	}
	a.cosigners.Store(&next)
}

// Cosigners returns, by institution, the latest final checkpoint each
// validator cosigned since this node started.
func (a *App) Cosigners() map[string]Cosigned { return *a.cosigners.Load() }
