package ledger_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/suite"
)

// fuzzNetwork is four validators whose replicas hold one deposit that is
// not final yet, so extensions and cosignatures over it are meaningful.
func fuzzNetwork(f *testing.F) (*env, []*ledger.App) {
	e := newNetwork(f, 4)
	apps := openAll(f, e, func([]byte) {})
	consensus(f, apps, e.validators, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "photo")}))
	consensus(f, apps, e.validators, 2)
	return e, apps
}

// state is what a read-only ABCI call must leave as it was.
func state(app *ledger.App) string {
	s := app.Committed()
	return fmt.Sprintf("%d %x %d %x %q %d", s.TreeSize, s.TreeRoot, s.Size, s.Root, s.Checkpoint, app.Membership().Version)
}

// FuzzVerifyVoteExtension feeds peers' vote extensions: a validator's
// extension is accepted only over this replica's tree, and checking one
// never changes the ledger.
func FuzzVerifyVoteExtension(f *testing.F) {
	e, apps := fuzzNetwork(f)
	snap := apps[0].Committed()
	for i, v := range e.validators {
		ext, err := apps[i].ExtendVote(context.Background(), &abci.RequestExtendVote{Height: 3})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ext.VoteExtension, uint8(i))
		f.Add(extensionOver(f, v, snap.TreeSize, bytes.Repeat([]byte{9}, 32)), uint8(i))
	}
	f.Fuzz(func(t *testing.T, ext []byte, who uint8) {
		before := state(apps[0])
		addr := e.validators[int(who)%len(e.validators)].address
		r, err := apps[0].VerifyVoteExtension(context.Background(), &abci.RequestVerifyVoteExtension{ValidatorAddress: addr, Height: 3, VoteExtension: ext})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == abci.ResponseVerifyVoteExtension_ACCEPT && len(ext) > 0 {
			if len(ext) < 40 || binary.BigEndian.Uint64(ext) != snap.TreeSize || !bytes.Equal(ext[8:40], snap.TreeRoot) {
				t.Fatalf("accepted an extension over another tree: %x", ext)
			}
		}
		if state(apps[0]) != before {
			t.Fatal("verifying a vote extension changed the ledger")
		}
	})
}

// FuzzProcessProposal feeds a proposer's transactions, the cosignatures
// transaction first: judging a proposal never panics or changes the
// ledger.
func FuzzProcessProposal(f *testing.F) {
	e, apps := fuzzNetwork(f)
	ctx := context.Background()
	votes := make([]abci.ExtendedVoteInfo, len(apps))
	infos := make([]abci.VoteInfo, len(apps))
	for i, app := range apps {
		ext, err := app.ExtendVote(ctx, &abci.RequestExtendVote{Height: 3})
		if err != nil {
			f.Fatal(err)
		}
		v := abci.Validator{Address: e.validators[i].address, Power: 1}
		votes[i] = abci.ExtendedVoteInfo{Validator: v, VoteExtension: ext.VoteExtension, BlockIdFlag: cmtproto.BlockIDFlagCommit}
		infos[i] = abci.VoteInfo{Validator: v, BlockIdFlag: cmtproto.BlockIDFlagCommit}
	}
	prep, err := apps[0].PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: 3, MaxTxBytes: 1 << 20, LocalLastCommit: abci.ExtendedCommitInfo{Votes: votes}})
	if err != nil || len(prep.Txs) != 1 {
		f.Fatalf("no cosignatures proposed: %v", err)
	}
	f.Add(prep.Txs[0], []byte(nil))
	f.Add(prep.Txs[0], ledger.EncodeDepositTx([][]byte{e.signed("b", "video")}))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		before := state(apps[1])
		txs := [][]byte{first}
		if second != nil {
			txs = append(txs, second)
		}
		if _, err := apps[1].ProcessProposal(ctx, &abci.RequestProcessProposal{Height: 3, Txs: txs, ProposedLastCommit: abci.CommitInfo{Votes: infos}}); err != nil {
			t.Fatal(err)
		}
		if state(apps[1]) != before {
			t.Fatal("judging a proposal changed the ledger")
		}
	})
}

// FuzzCheckTx feeds clients' and peers' transactions (deposits, membership
// changes, evidence): checking one never panics or changes the ledger, and
// a membership change is admitted only with a quorum's signatures.
func FuzzCheckTx(f *testing.F) {
	e, apps := fuzzNetwork(f)
	snap := apps[0].Committed()
	newcomer := newValidator(f, suite.International(), "validator4")
	text, err := (&consortium.Change{Origin: origin, Kind: consortium.ChangeAdd, Institution: "validator4", Power: 1, Card: &newcomer.Card}).Text()
	if err != nil {
		f.Fatal(err)
	}
	v := e.validators
	for _, signers := range [][]note.Signer{{v[0].governance}, {v[0].governance, v[1].governance, v[2].governance}} {
		signed, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ledger.EncodeMembershipTx(signed))
	}
	forged, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: origin, Size: snap.TreeSize, Hash: make([]byte, 32)}.Marshal())}, v[3].cosigner)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ledger.EncodeEvidenceTx(forged))
	f.Add(ledger.EncodeDepositTx([][]byte{e.signed("c", "contract")}))
	ms := apps[0].Membership()
	f.Fuzz(func(t *testing.T, tx []byte) {
		before := state(apps[0])
		if _, err := apps[0].CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx}); err != nil {
			t.Fatal(err)
		}
		r := apps[0].Precheck(tx)
		if r.Code == ledger.CodeOK && len(tx) > 0 && tx[0] == ledger.EncodeMembershipTx(nil)[0] {
			if _, power, err := ms.SignedPower(tx[1:]); err != nil || power < consortium.Quorum(ms.TotalPower()) {
				t.Fatalf("admitted a membership change signed by %d of %d voting power (%v)", power, ms.TotalPower(), err)
			}
		}
		if state(apps[0]) != before {
			t.Fatal("checking a transaction changed the ledger")
		}
	})
}
