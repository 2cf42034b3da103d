package ledger_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

func openAll(t testing.TB, e *env, report func([]byte)) []*ledger.App {
	var apps []*ledger.App
	for i := range e.validators {
		app, closeApp := e.openValidator(i, report)
		t.Cleanup(closeApp)
		apps = append(apps, app)
	}
	return apps
}

// extensionOver builds a vote extension signing a checkpoint of the given
// tree with validator v's keys.
func extensionOver(t testing.TB, v *validator, size uint64, root []byte) []byte {
	body := log.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(body)}, v.logSigner, v.cosigner)
	if err != nil {
		t.Fatal(err)
	}
	ext := binary.BigEndian.AppendUint64(nil, size)
	ext = append(ext, root...)
	return append(ext, signed[len(body)+1:]...)
}

func TestCosignaturesAreCheckedAgainstTheReplica(t *testing.T) {
	forEachSuite(t, testCosignaturesAreCheckedAgainstTheReplica)
}

func testCosignaturesAreCheckedAgainstTheReplica(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 4)
	var reported [][]byte
	apps := openAll(t, e, func(tx []byte) { reported = append(reported, tx) })
	consensus(t, apps, e.validators, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "photo")}))
	consensus(t, apps, e.validators, 2)
	snap := apps[0].Committed()
	if snap.TreeSize != 1 || snap.Size != 0 {
		t.Fatalf("tree %d final %d, want 1 and 0", snap.TreeSize, snap.Size)
	}
	good := extensionOver(t, e.validators[1], snap.TreeSize, snap.TreeRoot)
	tampered := bytes.Clone(good)
	// Inside the signature's base64, not its last characters: when an
	// SM2 signature's length leaves padding, the low bits of the last
	// character before it carry nothing, and flipping one changes no byte.
	tampered[len(tampered)-20] ^= 1
	otherRoot := bytes.Repeat([]byte{7}, 32)
	outsider := newValidator(t, cs, "outsider")
	for _, tc := range []struct {
		name  string
		addr  []byte
		ext   []byte
		want  abci.ResponseVerifyVoteExtension_VerifyStatus
		fraud bool
	}{
		{"good", e.validators[1].address, good, abci.ResponseVerifyVoteExtension_ACCEPT, false},
		{"empty", e.validators[1].address, nil, abci.ResponseVerifyVoteExtension_ACCEPT, false},
		{"bad signature", e.validators[1].address, tampered, abci.ResponseVerifyVoteExtension_REJECT, false},
		{"another member's signatures", e.validators[2].address, good, abci.ResponseVerifyVoteExtension_REJECT, false},
		{"unknown key", outsider.address, extensionOver(t, outsider, snap.TreeSize, snap.TreeRoot), abci.ResponseVerifyVoteExtension_REJECT, false},
		{"other size", e.validators[1].address, extensionOver(t, e.validators[1], 5, snap.TreeRoot), abci.ResponseVerifyVoteExtension_REJECT, false},
		{"inconsistent tree", e.validators[3].address, extensionOver(t, e.validators[3], snap.TreeSize, otherRoot), abci.ResponseVerifyVoteExtension_REJECT, true},
	} {
		reported = nil
		r, err := apps[0].VerifyVoteExtension(context.Background(), &abci.RequestVerifyVoteExtension{ValidatorAddress: tc.addr, Height: 3, VoteExtension: tc.ext})
		if err != nil || r.Status != tc.want {
			t.Errorf("%s: status %v err %v, want %v", tc.name, r.Status, err, tc.want)
		}
		if (len(reported) > 0) != tc.fraud {
			t.Errorf("%s: %d evidence reports", tc.name, len(reported))
		}
	}
	// The reported equivocation, once in a block, is recorded by every
	// replica with both checkpoints.
	consensus(t, apps, e.validators, 3, reported...)
	for i, app := range apps {
		ev, err := app.Misbehaviour()
		if err != nil || len(ev) != 1 || ev[0].Institution != "validator3" || ev[0].Size != 1 {
			t.Fatalf("replica %d evidence: %+v %v", i, ev, err)
		}
		if !bytes.Contains([]byte(ev[0].Ours), []byte(origin+"\n1\n")) || ev[0].Theirs == ev[0].Ours {
			t.Fatalf("replica %d keeps %q and %q", i, ev[0].Theirs, ev[0].Ours)
		}
	}
	// Evidence that proves nothing is refused.
	consistent, _ := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: origin, Size: 1, Hash: snap.TreeRoot}.Marshal())}, e.validators[2].cosigner)
	if r := apps[0].Precheck(ledger.EncodeEvidenceTx(consistent)); r.Code != ledger.CodeRefused {
		t.Fatalf("consistent checkpoint accepted as evidence: code %d", r.Code)
	}
}

func TestFinalityNeedsMoreThanTwoThirds(t *testing.T) {
	forEachSuite(t, testFinalityNeedsMoreThanTwoThirds)
}

func testFinalityNeedsMoreThanTwoThirds(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 4)
	apps := openAll(t, e, nil)
	consensus(t, apps, e.validators, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "photo")}))
	consensus(t, apps, e.validators, 2)
	ctx := context.Background()
	snap := apps[0].Committed()
	var votes []abci.ExtendedVoteInfo
	for i, v := range e.validators {
		vi := abci.ExtendedVoteInfo{Validator: abci.Validator{Address: v.address, Power: 1}, BlockIdFlag: 2}
		if i < 2 { // only two of four cosign
			vi.VoteExtension = extensionOver(t, v, snap.TreeSize, snap.TreeRoot)
		}
		votes = append(votes, vi)
	}
	prep, err := apps[0].PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: 3, MaxTxBytes: 1 << 20, LocalLastCommit: abci.ExtendedCommitInfo{Votes: votes}})
	if err != nil || len(prep.Txs) != 0 {
		t.Fatalf("two of four cosignatures made a cosignatures transaction: %d txs %v", len(prep.Txs), err)
	}
	votes[2].VoteExtension = extensionOver(t, e.validators[2], snap.TreeSize, snap.TreeRoot)
	prep, err = apps[0].PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: 3, MaxTxBytes: 1 << 20, LocalLastCommit: abci.ExtendedCommitInfo{Votes: votes}})
	if err != nil || len(prep.Txs) != 1 {
		t.Fatalf("three of four cosignatures: %d txs %v", len(prep.Txs), err)
	}
	var infos []abci.VoteInfo
	for _, v := range votes {
		infos = append(infos, abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag})
	}
	// The same transaction is not a quorum of a larger validator set.
	bigger := append(append([]abci.VoteInfo(nil), infos...), abci.VoteInfo{Validator: abci.Validator{Address: bytes.Repeat([]byte{9}, 20), Power: 2}})
	if r, _ := apps[1].ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, ProposedLastCommit: abci.CommitInfo{Votes: bigger}}); r.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatal("three of six voting power accepted as final")
	}
	for _, app := range apps {
		if _, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 3, Txs: prep.Txs, DecidedLastCommit: abci.CommitInfo{Votes: infos}}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	final := apps[3].Committed().Checkpoint
	res, err := e.pol.Verify(final)
	if err != nil || len(res.Cosigners) != 3 {
		t.Fatalf("final checkpoint: %v cosigners, %v", res, err)
	}
	// Drop one cosignature line: two of four no longer satisfy the policy.
	lines := bytes.SplitAfter(final, []byte("\n"))
	short := bytes.Join(lines[:len(lines)-2], nil)
	if _, err := e.pol.Verify(short); !errors.Is(err, policy.ErrQuorum) {
		t.Fatalf("a checkpoint with two of four cosignatures: %v", err)
	}
}

func TestMembershipChangeNeedsAQuorumAndKeepsPolicyHistory(t *testing.T) {
	forEachSuite(t, testMembershipChangeNeedsAQuorumAndKeepsPolicyHistory)
}

func testMembershipChangeNeedsAQuorumAndKeepsPolicyHistory(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 4)
	apps := openAll(t, e, nil)
	consensus(t, apps, e.validators, 1)
	newcomer := newValidator(t, cs, "validator4")
	ch := consortium.Change{Origin: origin, Version: 0, Kind: consortium.ChangeAdd, Institution: "validator4", Power: 1, Card: &newcomer.Card}
	text, err := ch.Text()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(vs ...*validator) []byte {
		var signers []note.Signer
		for _, v := range vs {
			signers = append(signers, v.governance)
		}
		b, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v := e.validators
	twoOfFour := ledger.EncodeMembershipTx(sign(v[0], v[1]))
	if r := apps[0].Precheck(twoOfFour); r.Code != ledger.CodeRefused {
		t.Fatal("a change signed by half the power was admitted")
	}
	res := consensus(t, apps, e.validators, 2, twoOfFour)
	if lastResult(res[0]).Code != ledger.CodeRefused || len(res[0].ValidatorUpdates) != 0 {
		t.Fatal("a change signed by half the power was applied")
	}
	oldPolicy, _ := apps[0].PolicyAt(2)
	res = consensus(t, apps, e.validators, 3, ledger.EncodeMembershipTx(sign(v[0], v[1], v[3])))
	if lastResult(res[0]).Code != ledger.CodeOK || len(res[0].ValidatorUpdates) != 1 || res[0].ValidatorUpdates[0].Power != 1 {
		t.Fatalf("a change signed by three of four: %+v", res[0])
	}
	// Replayed: the version moved on.
	res = consensus(t, apps, e.validators, 4, ledger.EncodeMembershipTx(sign(v[0], v[1], v[3])))
	if lastResult(res[0]).Code != ledger.CodeRefused {
		t.Fatal("a membership change was applied twice")
	}
	for h, want := range map[uint64]int{1: 4, 4: 4, 5: 5, 100: 5} {
		text, err := apps[2].PolicyAt(h)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.Parse(text)
		if err != nil || len(p.Witnesses) != want {
			t.Fatalf("policy at height %d: %d witnesses, want %d (%v)", h, len(p.Witnesses), want, err)
		}
	}
	if now, _ := apps[0].PolicyAt(2); !bytes.Equal(now, oldPolicy) {
		t.Fatal("the policy of a past height changed")
	}
	if got := apps[1].Membership(); got.Version != 1 || len(got.Active()) != 5 {
		t.Fatalf("membership %+v", got)
	}
}

// TestFinalCheckpointCarriesEveryLogSignature checks that a client trusting
// a single member's log key, as a standard C2SP client does, verifies the
// final checkpoint whichever member signed first, and that the proposer's
// order of the votes does not change the bytes.
func TestFinalCheckpointCarriesEveryLogSignature(t *testing.T) {
	forEachSuite(t, testFinalCheckpointCarriesEveryLogSignature)
}

func testFinalCheckpointCarriesEveryLogSignature(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 4)
	apps := openAll(t, e, nil)
	consensus(t, apps, e.validators, 1, ledger.EncodeDepositTx([][]byte{e.signed("a", "photo")}))
	consensus(t, apps, e.validators, 2)
	consensus(t, apps, e.validators, 3)
	final := apps[0].Committed().Checkpoint
	if apps[0].Committed().Size != 1 {
		t.Fatalf("final size %d, want 1", apps[0].Committed().Size)
	}
	for i, v := range e.validators {
		t.Run(v.Institution, func(t *testing.T) {
			lv, err := cs.NewVerifier(v.logVKey)
			if err != nil {
				t.Fatal(err)
			}
			n, err := note.Open(final, note.VerifierList(lv))
			if err != nil {
				t.Fatalf("a client trusting only validator %d's log key: %v\n%s", i, err, final)
			}
			if len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 7 {
				t.Fatalf("%d verified and %d other signatures, want 1 and 7", len(n.Sigs), len(n.UnverifiedSigs))
			}
			if _, _, _, err := log.ParseCheckpoint(final, origin, lv); err != nil {
				t.Fatalf("tlog-checkpoint parse with validator %d's key: %v", i, err)
			}
		})
	}
	res, err := e.pol.Verify(final)
	if err != nil || len(res.Cosigners) != 4 {
		t.Fatalf("policy: %+v %v", res, err)
	}

	// The same signatures gathered in other orders make the same bytes:
	// each replica executes a proposal built from another order.
	consensus(t, apps, e.validators, 4, ledger.EncodeDepositTx([][]byte{e.signed("b", "video")}))
	consensus(t, apps, e.validators, 5)
	snap := apps[0].Committed()
	var votes []abci.ExtendedVoteInfo
	for _, v := range e.validators {
		votes = append(votes, abci.ExtendedVoteInfo{Validator: abci.Validator{Address: v.address, Power: 1}, BlockIdFlag: 2,
			VoteExtension: extensionOver(t, v, snap.TreeSize, snap.TreeRoot)})
	}
	ctx := context.Background()
	var first []byte
	for i, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}} {
		var vs []abci.ExtendedVoteInfo
		var infos []abci.VoteInfo
		for _, j := range order {
			vs = append(vs, votes[j])
			infos = append(infos, abci.VoteInfo{Validator: votes[j].Validator, BlockIdFlag: votes[j].BlockIdFlag})
		}
		prep, err := apps[i].PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: 6, MaxTxBytes: 1 << 20, LocalLastCommit: abci.ExtendedCommitInfo{Votes: vs}})
		if err != nil || len(prep.Txs) != 1 {
			t.Fatalf("order %v: %d txs %v", order, len(prep.Txs), err)
		}
		if _, err := apps[i].FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 6, Txs: prep.Txs, DecidedLastCommit: abci.CommitInfo{Votes: infos}}); err != nil {
			t.Fatal(err)
		}
		if _, err := apps[i].Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		got := apps[i].Committed().Checkpoint
		if i == 0 {
			first = got
			if apps[i].Committed().Size != 2 {
				t.Fatalf("final size %d, want 2", apps[i].Committed().Size)
			}
		} else if !bytes.Equal(got, first) {
			t.Fatalf("votes in order %v make another final checkpoint:\n%s\nthan:\n%s", order, got, first)
		}
	}
}

// TestEmptyTreeHasACheckpoint checks that a node has a signed checkpoint
// of the empty tree before any block, and that the network's first blocks
// make the empty tree's checkpoint final without any deposit.
func TestEmptyTreeHasACheckpoint(t *testing.T) { forEachSuite(t, testEmptyTreeHasACheckpoint) }

func testEmptyTreeHasACheckpoint(t *testing.T, cs *suite.Suite) {
	e := newNetworkIn(t, cs, 4)
	apps := openAll(t, e, nil)
	empty := cs.LogHasher().EmptyRoot()
	for i, app := range apps {
		lv, err := cs.NewVerifier(e.validators[i].logVKey)
		if err != nil {
			t.Fatal(err)
		}
		cp, _, _, err := log.ParseCheckpoint(app.LatestCheckpoint(), origin, lv)
		if err != nil || cp.Size != 0 || !bytes.Equal(cp.Hash, empty) {
			t.Fatalf("replica %d before any block: %+v %v", i, cp, err)
		}
		if app.Committed().Checkpoint != nil {
			t.Fatalf("replica %d has a final checkpoint before any block", i)
		}
	}
	for h := int64(1); h <= 3 && apps[0].Committed().Checkpoint == nil; h++ {
		consensus(t, apps, e.validators, h)
	}
	for i, app := range apps {
		final := app.Committed().Checkpoint
		if final == nil {
			t.Fatalf("replica %d: no final checkpoint after three empty blocks", i)
		}
		if !bytes.Equal(app.LatestCheckpoint(), final) {
			t.Fatalf("replica %d serves another checkpoint than its final one", i)
		}
		res, err := e.pol.Verify(final)
		if err != nil || res.Checkpoint.Size != 0 || !bytes.Equal(res.Checkpoint.Hash, empty) || len(res.Cosigners) != 4 {
			t.Fatalf("replica %d final empty checkpoint: %+v %v", i, res, err)
		}
		for j, v := range e.validators {
			lv, _ := cs.NewVerifier(v.logVKey)
			if _, _, _, err := log.ParseCheckpoint(final, origin, lv); err != nil {
				t.Fatalf("replica %d: the final empty checkpoint does not verify with validator %d's log key: %v", i, j, err)
			}
		}
	}
	// Once final, the empty tree is not cosigned again: idle blocks carry
	// no cosignatures, and a deposit's tree becomes final next.
	ext, err := apps[0].ExtendVote(context.Background(), &abci.RequestExtendVote{Height: 4})
	if err != nil || len(ext.VoteExtension) != 0 {
		t.Fatalf("an idle replica with a final empty tree extends its vote: %x %v", ext.VoteExtension, err)
	}
	consensus(t, apps, e.validators, 4, ledger.EncodeDepositTx([][]byte{e.signed("a", "photo")}))
	for h := int64(5); h <= 7; h++ {
		consensus(t, apps, e.validators, h)
	}
	if s := apps[2].Committed(); s.Size != 1 {
		t.Fatalf("final size %d after a deposit, want 1", s.Size)
	}
}

// lastResult is the result of a block's last transaction: the one a test
// submitted, after any cosignatures transaction the proposer put first.
func lastResult(res *abci.ResponseFinalizeBlock) *abci.ExecTxResult {
	return res.TxResults[len(res.TxResults)-1]
}

// TestMembershipChangeRefusesAnotherSuite checks that a network does not
// admit a member whose card is of the other suite, even when every member
// signed the change.
func TestMembershipChangeRefusesAnotherSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 1)
		app, closeApp := e.open()
		defer closeApp()
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			newcomer := newValidator(t, other, "validator9")
			ch := consortium.Change{Origin: origin, Version: 0, Kind: consortium.ChangeAdd, Institution: "validator9", Power: 1, Card: &newcomer.Card}
			text, err := ch.Text()
			if err != nil {
				t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: text}, e.validators[0].governance)
			if err != nil {
				t.Fatal(err)
			}
			r := app.Precheck(ledger.EncodeMembershipTx(signed))
			if r.Code != ledger.CodeRefused || !strings.Contains(r.Log, other.String()) || !strings.Contains(r.Log, cs.String()) {
				t.Fatalf("a %s card in a %s network: code %d %q, want a refusal naming both suites", other.Name(), cs.Name(), r.Code, r.Log)
			}
		}
	})
}

// TestMembershipChangeWithoutAPolicyIsRefused adds a member whose card
// reuses another member's cosignature key under its own name: every card
// check passes, but no trust policy lists one key twice. The change is
// refused as a transaction; applied, it would have stopped every node at
// the block that wrote the policy.
func TestMembershipChangeWithoutAPolicyIsRefused(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 1)
		app, closeApp := e.open()
		defer closeApp()
		newcomer := newValidator(t, cs, "validator9")
		_, pub, err := cs.KeyOf(e.validators[0].Card.CosignKey)
		if err != nil {
			t.Fatal(err)
		}
		vkey, err := cs.VerifierKey("validator9", pub)
		if err != nil {
			t.Fatal(err)
		}
		if newcomer.Card.CosignKey, err = cs.CosignatureVerifierKey(vkey); err != nil {
			t.Fatal(err)
		}
		if err := newcomer.Card.Check(); err != nil {
			t.Fatalf("the card itself is refused, so this tests nothing: %v", err)
		}
		text, err := (&consortium.Change{Origin: origin, Kind: consortium.ChangeAdd, Institution: "validator9", Power: 1, Card: &newcomer.Card}).Text()
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: text}, e.validators[0].governance)
		if err != nil {
			t.Fatal(err)
		}
		tx := ledger.EncodeMembershipTx(signed)
		if r := app.Precheck(tx); r.Code != ledger.CodeRefused || !strings.Contains(r.Log, "policy") {
			t.Fatalf("Precheck: code %d %q", r.Code, r.Log)
		}
		res := e.block(app, 1, tx)
		if got := res.TxResults[len(res.TxResults)-1]; got.Code != ledger.CodeRefused || len(res.ValidatorUpdates) != 0 {
			t.Fatalf("in a block: code %d %q, %d validator updates", got.Code, got.Log, len(res.ValidatorUpdates))
		}
	})
}
