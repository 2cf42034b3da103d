package ledger_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

const platformOrigin = "platform.test/log"

// platform is an outside log: a network of its own members with its
// policy, whose tree the test grows and whose checkpoints its members
// sign.
type platform struct {
	t          testing.TB
	cs         *suite.Suite
	validators []*validator
	pol        *policy.Policy
	tree       *testonly.Tree
}

func newPlatform(t testing.TB, cs *suite.Suite, n int) *platform {
	p := &platform{t: t, cs: cs, tree: testonly.New(cs.LogHasher())}
	ms := &consortium.Membership{}
	for i := range n {
		v := newValidatorOf(t, cs, fmt.Sprint("platform", i), platformOrigin, rand.Reader, time.Now)
		p.validators = append(p.validators, v)
		ms.Members = append(ms.Members, v.Member)
	}
	var err error
	if p.pol, err = ms.Policy(platformOrigin); err != nil {
		t.Fatal(err)
	}
	return p
}

// grow appends leaves until the tree has size leaves.
func (p *platform) grow(size uint64) {
	for p.tree.Size() < size {
		p.tree.AppendData([]byte(fmt.Sprint("platform leaf ", p.tree.Size())))
	}
}

// checkpoint is the platform's checkpoint of the tree of size, signed
// by every member as log and as cosigner.
func (p *platform) checkpoint(size uint64) []byte {
	return p.sign(size, p.tree.HashAt(size), p.validators...)
}

func (p *platform) sign(size uint64, root []byte, vs ...*validator) []byte {
	p.t.Helper()
	var signers []note.Signer
	for _, v := range vs {
		signers = append(signers, v.logSigner, v.cosigner)
	}
	n, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: platformOrigin, Size: size, Hash: root}.Marshal())}, signers...)
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

func (p *platform) proof(from, to uint64) [][]byte {
	p.t.Helper()
	if from == 0 {
		return nil
	}
	pr, err := p.tree.ConsistencyProof(from, to)
	if err != nil {
		p.t.Fatal(err)
	}
	return pr
}

// logChange is an outside-log change of the court env signed by the
// governance keys of vs.
func (e *env) logChange(c anchor.LogChange, vs ...*validator) []byte {
	e.t.Helper()
	if c.Origin == "" {
		c.Origin = origin
	}
	text, err := c.Text()
	if err != nil {
		e.t.Fatal(err)
	}
	var signers []note.Signer
	for _, v := range vs {
		signers = append(signers, v.governance)
	}
	n, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ledger.EncodeOutsideLogTx(n)
}

func (e *env) register(p *platform, version uint64) []byte {
	return e.logChange(anchor.LogChange{Version: version, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, e.validators...)
}

// anchorTx is the anchor transaction validator 0's node makes of an
// add-checkpoint body.
func (e *env) anchorTx(old uint64, proof [][]byte, cp []byte) []byte {
	return e.anchorTxBy(e.validators[0].logKey, old, proof, cp)
}

func (e *env) anchorTxBy(key suite.PrivateKey, old uint64, proof [][]byte, cp []byte) []byte {
	body := addCheckpoint(old, proof, cp)
	return ledger.EncodeAnchorTx(body, e.signedBy(key, ledger.AnchorIdempotencyKey(e.cs, cp), string(cp)))
}

func anchorKind(err error) string {
	var ae *ledger.AnchorError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestAnchoringIn(t *testing.T) {
	for _, court := range suite.All() {
		for _, plat := range suite.All() {
			t.Run(court.Name()+"-court/"+plat.Name()+"-platform", func(t *testing.T) { testAnchoringIn(t, court, plat) })
		}
	}
}

func testAnchoringIn(t *testing.T, courtSuite, platformSuite *suite.Suite) {
	e := newNetworkIn(t, courtSuite, 1)
	p := newPlatform(t, platformSuite, 2)
	app, closeApp := e.open()
	defer func() { closeApp() }()
	h := int64(1)
	run := func(txs ...[]byte) *abci.ResponseFinalizeBlock {
		t.Helper()
		res := e.block(app, h, txs...)
		h++
		return res
	}
	settle := func() { // the entry enters the log, then a checkpoint over it is final
		run()
		run()
		run()
	}
	p.grow(3)
	cp3 := p.checkpoint(3)
	if k := anchorKind(check(app, addCheckpoint(0, nil, cp3))); k != ledger.AnchorNotFound {
		t.Fatalf("before registration: %q", k)
	}

	// Registration: refused for another network, another version,
	// this network itself; applied once.
	self := e.logChange(anchor.LogChange{Version: 0, Kind: anchor.ChangeRetire, Log: "x"}, e.validators...)
	for name, tx := range map[string][]byte{
		"other network":  e.logChange(anchor.LogChange{Origin: "other.test/log", Version: 0, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, e.validators...),
		"version":        e.logChange(anchor.LogChange{Version: 1, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, e.validators...),
		"retire unknown": self,
		"unsigned":       e.logChange(anchor.LogChange{Version: 0, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}),
	} {
		if r := app.Precheck(tx); r.Code != ledger.CodeRefused {
			t.Errorf("%s: precheck admitted it", name)
		}
		if res := run(tx); lastResult(res).Code != ledger.CodeRefused {
			t.Errorf("%s: applied", name)
		}
	}
	if v, logs := app.OutsideLogs(); v != 0 || len(logs) != 0 {
		t.Fatalf("refused changes changed the registry: version %d, %d logs", v, len(logs))
	}
	reg := e.register(p, 0)
	if r := app.Precheck(reg); r.Code != ledger.CodeOK {
		t.Fatalf("registration refused: %s", r.Log)
	}
	if res := run(reg); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("registration: %s", lastResult(res).Log)
	}
	if res := run(e.register(p, 1)); lastResult(res).Code != ledger.CodeRefused {
		t.Fatal("an active log was registered twice")
	}
	v, logs := app.OutsideLogs()
	if v != 1 || len(logs) != 1 || logs[0].Origin != platformOrigin || !bytes.Equal(logs[0].Policy, p.pol.Format()) || logs[0].Latest != nil {
		t.Fatalf("registry after registration: version %d, %+v", v, logs)
	}

	// The first anchor.
	if k := anchorKind(check(app, addCheckpoint(0, nil, cp3))); k != "" {
		t.Fatalf("first anchor: %q", k)
	}
	sizeBefore := app.Committed().TreeSize
	if res := run(e.anchorTx(0, nil, cp3)); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("first anchor refused: %s", lastResult(res).Log)
	}
	settle()
	_, logs = app.OutsideLogs()
	latest := logs[0].Latest
	if latest == nil || latest.Size != 3 || latest.Number != sizeBefore || logs[0].Anchors != 1 || !bytes.Equal(latest.Checkpoint, cp3) {
		t.Fatalf("registry after the first anchor: %+v", logs[0])
	}
	rec, err := app.AnchorEntry(latest)
	if err != nil {
		t.Fatal(err)
	}
	want := courtSuite.Hash(cp3)
	if rec.ID != latest.Deposit || !bytes.Equal(rec.Leaf.ContentDigest(courtSuite), want[:]) || !bytes.Equal(rec.Leaf.Depositor, e.validators[0].logKey.Public()) {
		t.Fatalf("anchor entry %+v", rec.Leaf)
	}
	got, err := app.AnchorAtLeast(platformOrigin, 1)
	if err != nil || got.Size != 3 {
		t.Fatalf("anchor at least 1: %+v %v", got, err)
	}
	if _, err := app.AnchorAtLeast(platformOrigin, 4); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("anchor at least 4: %v", err)
	}

	// The same checkpoint again: the existing anchor, nothing new.
	var ae *ledger.AnchorError
	if err := check(app, addCheckpoint(0, nil, cp3)); !errors.As(err, &ae) || ae.Kind != ledger.AnchorDuplicate || ae.Existing.Number != latest.Number {
		t.Fatalf("duplicate: %v", err)
	}
	size := app.Committed().TreeSize
	if res := run(e.anchorTx(0, nil, cp3)); lastResult(res).Code != ledger.CodeRefused {
		t.Fatal("a duplicate anchor was taken")
	}
	settle()
	if app.Committed().TreeSize != size {
		t.Fatal("a duplicate anchor made an entry")
	}

	// The next anchor needs the anchored size as old, a good proof and
	// the policy's quorum.
	p.grow(7)
	cp7 := p.checkpoint(7)
	stranger := newValidatorOf(t, platformSuite, "stranger", platformOrigin, rand.Reader, time.Now)
	badProof := p.proof(3, 7)
	badProof[0] = bytes.Repeat([]byte{9}, 32)
	for name, tc := range map[string]struct {
		body []byte
		kind string
		size uint64
	}{
		"old 0":           {addCheckpoint(0, nil, cp7), ledger.AnchorConflict, 3},
		"old 5":           {addCheckpoint(5, p.proof(3, 7), cp7), ledger.AnchorConflict, 3},
		"bad proof":       {addCheckpoint(3, badProof, cp7), ledger.AnchorInvalid, 0},
		"no proof":        {addCheckpoint(3, nil, cp7), ledger.AnchorInvalid, 0},
		"no quorum":       {addCheckpoint(3, p.proof(3, 7), p.sign(7, p.tree.HashAt(7), p.validators[0])), ledger.AnchorForbidden, 0},
		"unknown key":     {addCheckpoint(3, p.proof(3, 7), p.sign(7, p.tree.HashAt(7), stranger)), ledger.AnchorForbidden, 0},
		"unknown origin":  {addCheckpoint(0, nil, []byte("other.test/log\n1\n"+strings.Repeat("A", 43)+"=\n\n— other.test/log AAAA\n")), ledger.AnchorNotFound, 0},
		"garbage":         {[]byte("old 0\n"), ledger.AnchorMalformed, 0},
		"smaller than 3":  {addCheckpoint(3, nil, p.checkpoint(2)), ledger.AnchorConflict, 3},
		"bad control sig": {addCheckpoint(3, p.proof(3, 7), bytes.Replace(cp7, []byte("\n\n"), []byte("\n\n\x01"), 1)), ledger.AnchorMalformed, 0}, // control characters are refused before any signature is read
	} {
		err := check(app, tc.body)
		if anchorKind(err) != tc.kind {
			t.Errorf("%s: %q (%v), want %q", name, anchorKind(err), err, tc.kind)
			continue
		}
		if errors.As(err, &ae) && ae.Size != tc.size {
			t.Errorf("%s: size %d, want %d", name, ae.Size, tc.size)
		}
		if res := run(ledger.EncodeAnchorTx(tc.body, e.signedBy(e.validators[0].logKey, "anchor-x", "x"))); lastResult(res).Code != ledger.CodeRefused {
			t.Errorf("%s: taken in consensus", name)
		}
	}
	// The deposit must be a member node's, of the checkpoint's bytes.
	outsider := newValidator(t, courtSuite, "outsider")
	for name, tx := range map[string][]byte{
		"outsider's deposit": e.anchorTxBy(outsider.logKey, 3, p.proof(3, 7), cp7),
		"other content": ledger.EncodeAnchorTx(addCheckpoint(3, p.proof(3, 7), cp7),
			e.signedBy(e.validators[0].logKey, ledger.AnchorIdempotencyKey(courtSuite, cp7), "something else")),
		"other key": ledger.EncodeAnchorTx(addCheckpoint(3, p.proof(3, 7), cp7),
			e.signedBy(e.validators[0].logKey, "anchor-mine", string(cp7))),
	} {
		if r := app.Precheck(tx); r.Code != ledger.CodeRefused {
			t.Errorf("%s: precheck admitted it", name)
		}
		if res := run(tx); lastResult(res).Code != ledger.CodeRefused {
			t.Errorf("%s: taken", name)
		}
	}
	if res := run(e.anchorTx(3, p.proof(3, 7), cp7)); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("second anchor: %s", lastResult(res).Log)
	}
	settle()
	_, logs = app.OutsideLogs()
	if logs[0].Latest.Size != 7 || logs[0].Anchors != 2 {
		t.Fatalf("after the second anchor: %+v", logs[0])
	}
	if got, err := app.AnchorAtLeast(platformOrigin, 4); err != nil || got.Size != 7 {
		t.Fatalf("anchor at least 4: %+v %v", got, err)
	}

	// A fork: a checkpoint of an anchored size with another root, signed
	// under the policy. Recorded, refused, whatever the proof.
	fork := p.sign(3, bytes.Repeat([]byte{5}, 32), p.validators...)
	forkBody := addCheckpoint(7, nil, fork)
	if err := check(app, forkBody); !errors.As(err, &ae) || ae.Kind != ledger.AnchorFork || ae.Evidence == nil {
		t.Fatalf("fork: %v", err)
	}
	forkTx := e.anchorTx(7, nil, fork)
	if r := app.Precheck(forkTx); r.Code != ledger.CodeOK {
		t.Fatalf("a fork must reach consensus: %s", r.Log)
	}
	if res := run(forkTx); lastResult(res).Code != ledger.CodeRefused {
		t.Fatal("a fork was anchored")
	}
	run(forkTx) // recorded once
	ev, err := app.Misbehaviour()
	if err != nil || len(ev) != 1 {
		t.Fatalf("misbehaviour %+v %v", ev, err)
	}
	if ev[0].Kind != ledger.EvidenceFork || ev[0].Origin != platformOrigin || ev[0].Size != 3 || ev[0].Theirs != string(fork) || ev[0].Ours != string(cp3) {
		t.Fatalf("fork evidence %+v", ev[0])
	}
	_, logs = app.OutsideLogs()
	if logs[0].Latest.Size != 7 || logs[0].Anchors != 2 {
		t.Fatal("a fork changed the registry")
	}

	// Retired: no more anchors; the registry keeps its anchors.
	p.grow(9)
	if res := run(e.logChange(anchor.LogChange{Version: 1, Kind: anchor.ChangeRetire, Log: platformOrigin}, e.validators...)); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("retire: %s", lastResult(res).Log)
	}
	if k := anchorKind(check(app, addCheckpoint(7, p.proof(7, 9), p.checkpoint(9)))); k != ledger.AnchorNotFound {
		t.Fatalf("after retirement: %q", k)
	}
	if res := run(e.logChange(anchor.LogChange{Version: 2, Kind: anchor.ChangeRetire, Log: platformOrigin}, e.validators...)); lastResult(res).Code != ledger.CodeRefused {
		t.Fatal("a retired log was retired again")
	}

	// The registry survives a restart, and so does the app hash.
	info, _ := app.Info(t.Context(), &abci.RequestInfo{})
	closeApp()
	app, closeApp = e.open()
	info2, _ := app.Info(t.Context(), &abci.RequestInfo{})
	if !bytes.Equal(info.LastBlockAppHash, info2.LastBlockAppHash) {
		t.Fatal("app hash changed across a restart")
	}
	v, logs = app.OutsideLogs()
	if v != 2 || len(logs) != 1 || !logs[0].Retired || logs[0].Latest.Size != 7 || logs[0].Anchors != 2 {
		t.Fatalf("registry after restart: version %d %+v", v, logs)
	}
	// Registered again, it continues from its latest anchor.
	if res := run(e.register(p, 2)); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("registered again: %s", lastResult(res).Log)
	}
	if res := run(e.anchorTx(7, p.proof(7, 9), p.checkpoint(9))); lastResult(res).Code != ledger.CodeOK {
		t.Fatalf("anchor after registering again: %s", lastResult(res).Log)
	}
}

// TestOutsideLogChangeNeedsAQuorum: more than two thirds of the voting
// power sign a registration.
func TestOutsideLogChangeNeedsAQuorum(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 4)
		apps := openAll(t, e, nil)
		p := newPlatform(t, cs, 1)
		v := e.validators
		half := e.logChange(anchor.LogChange{Version: 0, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, v[0], v[1])
		if r := apps[0].Precheck(half); r.Code != ledger.CodeRefused {
			t.Fatal("half the power admitted")
		}
		if res := consensus(t, apps, v, 1, half); lastResult(res[0]).Code != ledger.CodeRefused {
			t.Fatal("half the power applied")
		}
		outsider := newValidator(t, cs, "outsider")
		forged := e.logChange(anchor.LogChange{Version: 0, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, v[0], v[1], outsider)
		if res := consensus(t, apps, v, 2, forged); lastResult(res[0]).Code != ledger.CodeRefused {
			t.Fatal("an outsider's signature counted")
		}
		three := e.logChange(anchor.LogChange{Version: 0, Kind: anchor.ChangeRegister, Policy: p.pol.Format()}, v[0], v[1], v[3])
		if res := consensus(t, apps, v, 3, three); lastResult(res[0]).Code != ledger.CodeOK {
			t.Fatalf("three of four: %s", lastResult(res[0]).Log)
		}
		for i, app := range apps {
			if ver, logs := app.OutsideLogs(); ver != 1 || len(logs) != 1 {
				t.Fatalf("replica %d: version %d, %d logs", i, ver, len(logs))
			}
		}
	})
}

// TestConcurrentAnchorsMakeOneEntry: the same checkpoint twice in a
// block, as two nodes' APIs may submit it, is anchored once, on every
// replica alike; the registry's digest moves the app hash.
func TestConcurrentAnchorsMakeOneEntry(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 2)
		apps := openAll(t, e, nil)
		p := newPlatform(t, cs, 1)
		before := consensus(t, apps, e.validators, 1)[0].AppHash
		res := consensus(t, apps, e.validators, 2, e.register(p, 0))[0]
		if bytes.Equal(before, res.AppHash) {
			t.Fatal("a registration left the app hash as it was")
		}
		p.grow(5)
		cp := p.checkpoint(5)
		first := e.anchorTx(0, nil, cp)
		second := e.anchorTxBy(e.validators[1].logKey, 0, nil, cp)
		size := apps[0].Committed().TreeSize
		res = consensus(t, apps, e.validators, 3, first, second, ledger.EncodeDepositTx([][]byte{e.signed("after", "after")}))[0]
		if res.TxResults[0].Code != ledger.CodeOK || res.TxResults[1].Code != ledger.CodeRefused {
			t.Fatalf("results %+v", res.TxResults)
		}
		for h := int64(4); h <= 6; h++ {
			consensus(t, apps, e.validators, h)
		}
		for i, app := range apps {
			if got := app.Committed().Size; got != size+2 {
				t.Fatalf("replica %d: size %d, want %d (one anchor entry, one deposit)", i, got, size+2)
			}
			_, logs := app.OutsideLogs()
			if logs[0].Anchors != 1 || logs[0].Latest.Number != size {
				t.Fatalf("replica %d: %+v", i, logs[0])
			}
			rec, err := app.DepositByIndex(size)
			if err != nil || rec.ID != logs[0].Latest.Deposit {
				t.Fatalf("replica %d: the anchor number does not hold the anchor entry: %v", i, err)
			}
		}
	})
}

func check(app *ledger.App, body []byte) error {
	_, err := app.CheckAnchor(body)
	return err
}

// addCheckpoint is a C2SP tlog-witness add-checkpoint body.
func addCheckpoint(old uint64, proof [][]byte, checkpoint []byte) []byte {
	return (&witness.Request{Old: old, Proof: proof, Checkpoint: checkpoint}).Format()
}

// TestForkRecordsAreCapped: consensus records one fork a size and at
// most ledger.MaxForksPerLog of a log; a fork recorded already, another
// of a recorded size or one beyond the cap is refused, records nothing
// and does not pass the precheck, so that nobody can make the network
// judge it again. Genuine anchors go on.
func TestForkRecordsAreCapped(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		e := newNetworkIn(t, cs, 1)
		p := newPlatform(t, cs, 1)
		app, closeApp := e.open()
		defer closeApp()
		h := int64(1)
		run := func(txs ...[]byte) *abci.ResponseFinalizeBlock {
			t.Helper()
			res := e.block(app, h, txs...)
			h++
			return res
		}
		if res := run(e.register(p, 0)); lastResult(res).Code != ledger.CodeOK {
			t.Fatalf("registration: %s", lastResult(res).Log)
		}
		const anchored = ledger.MaxForksPerLog + 1
		p.grow(anchored + 1)
		for s := uint64(1); s <= anchored; s++ {
			if res := run(e.anchorTx(s-1, p.proof(s-1, s), p.checkpoint(s))); lastResult(res).Code != ledger.CodeOK {
				t.Fatalf("anchor of size %d: %s", s, lastResult(res).Log)
			}
		}
		forkOf := func(size uint64, b byte) []byte { return p.sign(size, bytes.Repeat([]byte{b}, 32), p.validators...) }
		forks := func() int {
			t.Helper()
			ev, err := app.Misbehaviour()
			if err != nil {
				t.Fatal(err)
			}
			return len(ev)
		}
		_, logs := app.OutsideLogs()
		anchors := logs[0].Anchors

		// The first fork of a size is recorded.
		first := forkOf(1, 7)
		if r := app.Precheck(e.anchorTx(anchored, nil, first)); r.Code != ledger.CodeOK {
			t.Fatalf("the first fork must reach consensus: %s", r.Log)
		}
		if res := run(e.anchorTx(anchored, nil, first)); lastResult(res).Code != ledger.CodeRefused || !strings.Contains(lastResult(res).Log, "recorded as misbehaviour") || forks() != 1 {
			t.Fatalf("first fork: %+v, %d records", lastResult(res), forks())
		}

		// Replays of it, whatever the old size, and another root of the
		// same size: refused before consensus, and in it recorded nothing.
		for name, tc := range map[string]struct {
			tx   []byte
			want string
		}{
			"replay":             {e.anchorTx(anchored, nil, first), "recorded as misbehaviour already"},
			"replay, old 100":    {e.anchorTx(100, nil, first), "recorded as misbehaviour already"},
			"replay, old 0":      {e.anchorTx(0, nil, first), "recorded as misbehaviour already"},
			"another root, same": {e.anchorTx(anchored, nil, forkOf(1, 8)), "at most one a size"},
		} {
			r := app.Precheck(tc.tx)
			if r.Code != ledger.CodeRefused || !strings.Contains(r.Log, tc.want) {
				t.Errorf("%s: precheck %d %q, want refused with %q", name, r.Code, r.Log, tc.want)
			}
			if res := run(tc.tx); lastResult(res).Code != ledger.CodeRefused || !strings.Contains(lastResult(res).Log, tc.want) {
				t.Errorf("%s: consensus %+v", name, lastResult(res))
			}
			if n := forks(); n != 1 {
				t.Fatalf("%s: %d fork records, want 1", name, n)
			}
		}

		// Two forks of one size in one block: the first is recorded.
		res := run(e.anchorTx(anchored, nil, forkOf(2, 7)), e.anchorTx(anchored, nil, forkOf(2, 8)))
		if n := len(res.TxResults); res.TxResults[n-2].Code != ledger.CodeRefused || !strings.Contains(res.TxResults[n-1].Log, "at most one a size") || forks() != 2 {
			t.Fatalf("two forks of a size in a block: %+v, %d records", res.TxResults, forks())
		}

		// Up to the cap, then no more, though the fork is new.
		for s := uint64(3); s <= ledger.MaxForksPerLog; s++ {
			run(e.anchorTx(anchored, nil, forkOf(s, 7)))
		}
		if n := forks(); n != ledger.MaxForksPerLog {
			t.Fatalf("%d fork records, want %d", n, ledger.MaxForksPerLog)
		}
		over := e.anchorTx(anchored, nil, forkOf(anchored, 7))
		want := fmt.Sprintf("at most %d of one outside log", ledger.MaxForksPerLog)
		if r := app.Precheck(over); r.Code != ledger.CodeRefused || !strings.Contains(r.Log, want) {
			t.Fatalf("beyond the cap, precheck: %d %q", r.Code, r.Log)
		}
		var ae *ledger.AnchorError
		if err := check(app, addCheckpoint(anchored, nil, forkOf(anchored, 7))); !errors.As(err, &ae) || ae.Kind != ledger.AnchorFork {
			t.Fatalf("beyond the cap, check: %v", err)
		} else if err := app.CheckFork(ae); anchorKind(err) != ledger.AnchorFork || !strings.Contains(err.Error(), want) {
			t.Fatalf("beyond the cap, CheckFork: %v", err)
		}
		if res := run(over); lastResult(res).Code != ledger.CodeRefused || !strings.Contains(lastResult(res).Log, want) || forks() != ledger.MaxForksPerLog {
			t.Fatalf("beyond the cap: %+v, %d records", lastResult(res), forks())
		}

		// Genuine anchors go on.
		_, logs = app.OutsideLogs()
		if logs[0].Anchors != anchors {
			t.Fatal("a fork was anchored")
		}
		if res := run(e.anchorTx(anchored, p.proof(anchored, anchored+1), p.checkpoint(anchored+1))); lastResult(res).Code != ledger.CodeOK {
			t.Fatalf("anchor after forks: %s", lastResult(res).Log)
		}
	})
}
