package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/store"
)

// Transaction type bytes of governance and evidence.
const (
	// txMembership carries a membership change: a signed note of the
	// change text (consortium.Change), signed by members' governance keys.
	txMembership byte = 3
	// txEvidence carries a checkpoint signed by a member that is
	// inconsistent with the ledger's tree.
	txEvidence byte = 4
)

// EncodeMembershipTx wraps a signed membership change.
func EncodeMembershipTx(signed []byte) []byte { return append([]byte{txMembership}, signed...) }

// EncodeEvidenceTx wraps a signed checkpoint offered as evidence of
// misbehaviour.
func EncodeEvidenceTx(signed []byte) []byte { return append([]byte{txEvidence}, signed...) }

// applyMembership checks a membership change against the membership in
// force and returns the next one. It needs signatures of members holding
// more than two thirds of the voting power.
func (a *App) applyMembership(cur *consortium.Membership, signed []byte) (*consortium.Membership, *consortium.Change, error) {
	c, power, err := cur.SignedPower(signed)
	if err != nil {
		return nil, nil, err
	}
	if c.Origin != a.cfg.Origin {
		return nil, nil, fmt.Errorf("the change is for network %q, this is %q", c.Origin, a.cfg.Origin)
	}
	next, err := cur.Apply(c)
	if err != nil {
		return nil, nil, err
	}
	if err := next.CheckSuite(a.cfg.Suite); err != nil {
		return nil, nil, err
	}
	// FinalizeBlock writes the policy of the membership a change makes;
	// one that makes no valid policy (a key listed twice, a member named
	// like a policy keyword) would stop every node at that block, so it is
	// refused as a transaction.
	if _, err := next.Policy(a.cfg.Origin); err != nil {
		return nil, nil, fmt.Errorf("the membership would have no valid trust policy: %w", err)
	}
	if q := consortium.Quorum(cur.TotalPower()); power < q {
		return nil, nil, fmt.Errorf("the change is signed by members holding %d of %d voting power; it needs %d", power, cur.TotalPower(), q)
	}
	return next, c, nil
}

// validatorUpdate is the CometBFT update a change makes. Validator keys
// are Ed25519 in every suite: CometBFT supports no other.
func validatorUpdate(next *consortium.Membership, c *consortium.Change) abci.ValidatorUpdate {
	m, _ := next.Member(c.Institution)
	return abci.Ed25519ValidatorUpdate(m.ValidatorPubKey(), m.Power)
}

// Evidence is a record of misbehaviour: a member's signature on a
// checkpoint inconsistent with the ledger, kept with the ledger's own
// checkpoint of that size.
type Evidence struct {
	// Kind is EvidenceEquivocation or EvidenceFork; records kept before
	// forks existed have none and read back as equivocations.
	Kind string `json:"kind"`
	// Origin is the outside log's, for a fork.
	Origin      string `json:"origin,omitempty"`
	Institution string `json:"institution"`
	Size        uint64 `json:"size"`
	// Height is the block that recorded the evidence.
	Height uint64 `json:"height"`
	// Theirs is the member's signed checkpoint; Ours the ledger's, final
	// (cosigned by a quorum) when it already was at the time.
	Theirs string `json:"theirs"`
	Ours   string `json:"ours"`
}

// Kinds of evidence.
const (
	// EvidenceEquivocation is a member's signature on a checkpoint
	// inconsistent with the ledger.
	EvidenceEquivocation = "equivocation"
	// EvidenceFork is an outside log's signed checkpoint of a size this
	// network anchored, with another root: the log showed two histories.
	EvidenceFork = "fork"
)

// checkEvidence checks a signed checkpoint offered as evidence and returns
// a record for each member who signed it, or an error saying why it proves
// nothing.
func (a *App) checkEvidence(signed []byte, treeSize uint64, height uint64) ([]Evidence, error) {
	idx := a.members.Load()
	var vs []note.Verifier
	owner := map[note.Verifier]string{}
	for _, m := range idx.byAddress {
		vs = append(vs, m.log, m.cosign)
		owner[m.log], owner[m.cosign] = m.Institution, m.Institution
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("the checkpoint carries no valid member signature: %w", err)
	}
	var cp log.Checkpoint
	if rest, err := cp.Unmarshal([]byte(n.Text)); err != nil || len(rest) != 0 {
		return nil, errors.New("the signed text is not a checkpoint")
	}
	if cp.Origin != a.cfg.Origin {
		return nil, fmt.Errorf("the checkpoint is for %q, this ledger is %q", cp.Origin, a.cfg.Origin)
	}
	if cp.Size > treeSize {
		return nil, fmt.Errorf("the checkpoint's tree size %d is beyond this ledger's %d", cp.Size, treeSize)
	}
	ours, err := a.cfg.Store.Final(cp.Size)
	if errors.Is(err, store.ErrNotFound) {
		ours, err = a.cfg.Store.Checkpoint(cp.Size)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("this ledger has no checkpoint of size %d to compare with", cp.Size)
	}
	if err != nil {
		return nil, err
	}
	var own log.Checkpoint
	if _, err := own.Unmarshal(body(ours)); err != nil {
		return nil, fmt.Errorf("stored checkpoint %d is corrupt: %w", cp.Size, err)
	}
	if bytes.Equal(own.Hash, cp.Hash) {
		return nil, errors.New("the checkpoint is consistent with this ledger")
	}
	seen := map[string]bool{}
	var out []Evidence
	for _, s := range n.Sigs {
		for _, v := range vs {
			if v.Name() == s.Name && v.KeyHash() == s.Hash && !seen[owner[v]] {
				seen[owner[v]] = true
				out = append(out, Evidence{Kind: EvidenceEquivocation, Institution: owner[v], Size: cp.Size, Height: height, Theirs: string(signed), Ours: string(ours)})
			}
		}
	}
	return out, nil
}

// Misbehaviour returns every recorded piece of evidence, oldest first.
func (a *App) Misbehaviour() ([]Evidence, error) {
	var out []Evidence
	err := a.cfg.Store.Evidence(func(_ uint64, rec []byte) error {
		var e Evidence
		if err := json.Unmarshal(rec, &e); err != nil {
			return fmt.Errorf("stored evidence is corrupt: %w", err)
		}
		if e.Kind == "" {
			e.Kind = EvidenceEquivocation
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// PolicyAt returns the tlog-policy in force at a height (the latest one
// when height is zero or beyond the chain).
func (a *App) PolicyAt(height uint64) ([]byte, error) {
	if latest := a.committed.Load().Height + 2; height == 0 || height > latest {
		height = latest
	}
	return a.cfg.Store.PolicyAt(height)
}

// Membership returns the membership in force after the last committed
// block.
func (a *App) Membership() *consortium.Membership { return a.members.Load().ms }
