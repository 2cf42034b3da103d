package evidencepack_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

const testOrigin = "court.example/log"

// testLog is a small network: a log of evidence deposits, each with one
// access-trail record deposited by the node's log key, the checkpoint
// signed by that key and cosigned by one member, and the policy trusting
// exactly those.
type testLog struct {
	cs         *suite.Suite
	policyText []byte
	policy     *policy.Policy
	signer     note.Signer
	items      []*evidencepack.Item
	contents   map[string][]byte
}

func newTestLog(t testing.TB, cs *suite.Suite, n int) *testLog {
	t.Helper()
	return newTestLogFrom(t, cs, n, rand.Reader)
}

// newTestLogFrom is newTestLog with keys drawn from rnd: a fuzz test's
// processes make the same log from the same seed.
func newTestLogFrom(t testing.TB, cs *suite.Suite, n int, rnd io.Reader) *testLog {
	t.Helper()
	lskey, lvkey, err := cs.GenerateNoteKey(rnd, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := cs.GenerateNoteKey(rnd, "court")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := cs.NewSigner(lskey)
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := cs.NewCosigner(wskey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	_, nodeKey, err := cs.ParseNoteKey(lskey)
	if err != nil {
		t.Fatal(err)
	}
	wcv, err := cs.CosignatureVerifierKey(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(fmt.Sprintf("log %s\nwitness court %s\ngroup validators 1 court\nquorum validators\n", lvkey, wcv))
	pol, err := policy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	depositor, err := cs.Signature().GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{cs: cs, policyText: text, policy: pol, signer: signer, contents: map[string][]byte{}}
	tree := testonly.New(cs.LogHasher())
	var leaves [][]byte
	add := func(content []byte, key suite.PrivateKey, op *deposit.Opening, idem string) (string, []byte) {
		ds, err := receipt.ContentDigests(bytes.NewReader(content), cs.ContentDigest(), cs.SecondDigest())
		if err != nil {
			t.Fatal(err)
		}
		if ds[0].Algorithm > ds[1].Algorithm {
			ds[0], ds[1] = ds[1], ds[0]
		}
		s := deposit.Signed{Statement: deposit.Statement{Digests: ds, Size: uint64(len(content)),
			MetadataCommitment: op.Commitment(cs), Depositor: key.Public(), IdempotencyKey: idem}}
		if s.Signature, err = key.Sign(s.SigningMessage(testOrigin)); err != nil {
			t.Fatal(err)
		}
		leaf := deposit.Leaf{Signed: s, Index: uint64(len(leaves)), Height: 7, Time: time.Unix(1_790_000_000+int64(len(leaves)), 0)}
		lb, err := leaf.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, lb)
		tree.AppendData(lb)
		return s.ID(cs), lb
	}
	type pending struct {
		item  *evidencepack.Item
		index int
		trail int
	}
	var ps []pending
	for i := range n {
		content := []byte(fmt.Sprintf("evidence file %d", i))
		op := &deposit.Opening{Metadata: deposit.Metadata{Title: fmt.Sprintf("文件 file <%d>.txt", i), MediaType: "text/plain"}, Salt: bytes.Repeat([]byte{byte(i)}, 32), Suite: cs.Name()}
		id, _ := add(content, depositor, op, fmt.Sprintf("k%d", i))
		opening, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		l.contents[id] = content
		it := &evidencepack.Item{Deposit: id, Opening: opening}
		idx := len(leaves) - 1
		rec := api.TrailRecord{Type: api.TrailRecordType, Network: testOrigin, Node: "court", Action: api.TrailGrant, Actor: "acct-x", Deposit: id, Court: "court", Case: "(2026)京0491民初123号"}
		rb, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		it.Trail = []evidencepack.TrailEntry{{Record: rb}}
		add(rb, nodeKey, &deposit.Opening{Metadata: deposit.Metadata{Title: "access trail", MediaType: "application/json"}, Salt: make([]byte, 32)}, "trail-"+hex.EncodeToString([]byte(id))[:16])
		ps = append(ps, pending{it, idx, len(leaves) - 1})
		l.items = append(l.items, it)
	}
	size := uint64(len(leaves))
	cp := log.Checkpoint{Origin: testOrigin, Size: size, Hash: tree.Hash()}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, signer, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	proof := func(i int) []byte {
		p, err := tree.InclusionProof(uint64(i), size)
		if err != nil {
			t.Fatal(err)
		}
		return (&receipt.Receipt{Index: uint64(i), Proof: p, Checkpoint: signed, Leaf: leaves[i]}).Format()
	}
	for _, p := range ps {
		p.item.Receipt = proof(p.index)
		p.item.Trail[0].Receipt = proof(p.trail)
	}
	return l
}

// source serves the log's items as a node would, with the originals of
// those in withOriginal.
type source struct {
	l            *testLog
	withOriginal map[string]bool
	history      [][]byte
}

func (s *source) Items(context.Context) ([]string, error) {
	ids := make([]string, len(s.l.items))
	for i, it := range s.l.items {
		ids[i] = it.Deposit
	}
	return ids, nil
}

func (s *source) Item(_ context.Context, id string) (*evidencepack.Item, error) {
	for _, it := range s.l.items {
		if it.Deposit == id {
			return it, nil
		}
	}
	return nil, fmt.Errorf("no item %s", id)
}

func (s *source) Original(_ context.Context, id string) (string, io.ReadCloser, error) {
	if !s.withOriginal[id] {
		return "", nil, evidencepack.ErrNoOriginal
	}
	return "../合同 final.txt", io.NopCloser(bytes.NewReader(s.l.contents[id])), nil
}

func (s *source) Policies(context.Context) ([]evidencepack.PolicyVersion, error) {
	out := []evidencepack.PolicyVersion{{Current: true, Text: s.l.policyText}}
	for i, h := range s.history {
		out = append(out, evidencepack.PolicyVersion{Height: uint64(i + 1), Text: h})
	}
	return out, nil
}

// build makes the package of the log with every original.
func (l *testLog) build(t testing.TB) []byte {
	t.Helper()
	src := &source{l: l, withOriginal: map[string]bool{}}
	for _, it := range l.items {
		src.withOriginal[it.Deposit] = true
	}
	return l.buildFrom(t, src)
}

func (l *testLog) buildFrom(t testing.TB, src evidencepack.Source) []byte {
	t.Helper()
	var b bytes.Buffer
	h := evidencepack.Header{Network: testOrigin, Institution: "Court of Test 测试法院", Court: "court", Case: "(2026)京0491民初123号 part 2", Created: time.Unix(1_790_000_100, 0)}
	if err := evidencepack.Build(context.Background(), &b, h, src, l.signer); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func verify(t testing.TB, pkg []byte, opts evidencepack.Options) *evidencepack.Report {
	t.Helper()
	rep, err := evidencepack.Verify(context.Background(), bytes.NewReader(pkg), int64(len(pkg)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
