// Package receipttest builds small logs of real deposits with a cosigned
// checkpoint, for tests of what verifies receipts.
package receipttest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// Origin is the log's origin.
const Origin = "test.example/log"

// Witness is the name of the log's one cosigning member.
const Witness = "court"

// Log is a log of n deposits, the checkpoint of all of them signed by the
// log and cosigned by one member, and a policy that trusts exactly those.
type Log struct {
	Suite  *suite.Suite
	Policy *policy.Policy
	// PolicyText is the policy as a file.
	PolicyText []byte
	// WitnessKey is the cosigning member's key, as its node holds it.
	WitnessKey suite.PrivateKey
	Receipts   []*receipt.Receipt
	Contents   [][]byte
	Openings   []*deposit.Opening
}

// New makes a log of n deposits by one fresh depositor key; the deposit
// at index corruptSig (none when out of range) has a bad signature.
func New(t testing.TB, cs *suite.Suite, n int, corruptSig int) *Log {
	t.Helper()
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return NewSigned(t, cs, n, corruptSig, key.Public(), func(m []byte) []byte {
		sig, err := key.Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
}

// NewSigned is New with deposits signed by sign under the depositor key
// pub.
func NewSigned(t testing.TB, cs *suite.Suite, n int, corruptSig int, pub []byte, sign func([]byte) []byte) *Log {
	t.Helper()
	lskey, lvkey, _ := cs.GenerateNoteKey(rand.Reader, Origin)
	wskey, wvkey, _ := cs.GenerateNoteKey(rand.Reader, Witness)
	logSigner, _ := cs.NewSigner(lskey)
	cosigner, _ := cs.NewCosigner(wskey, time.Now)
	_, wkey, err := cs.ParseNoteKey(wskey)
	if err != nil {
		t.Fatal(err)
	}
	wcv, _ := cs.CosignatureVerifierKey(wvkey)
	text := []byte(fmt.Sprintf("log %s\nwitness %s %s\ngroup validators 1 %s\nquorum validators\n", lvkey, Witness, wcv, Witness))
	pol, err := policy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Suite: cs, Policy: pol, PolicyText: text, WitnessKey: wkey}
	tree := testonly.New(cs.LogHasher())
	var leaves [][]byte
	for i := range n {
		content := []byte(fmt.Sprintf("evidence file %d", i))
		op := &deposit.Opening{Metadata: deposit.Metadata{Title: fmt.Sprintf("file %d", i), MediaType: "text/plain"}, Salt: bytes.Repeat([]byte{byte(i)}, 32)}
		s := deposit.Signed{Statement: deposit.Statement{
			Digests: l.Digests(t, content), Size: uint64(len(content)),
			MetadataCommitment: op.Commitment(cs), Depositor: pub, IdempotencyKey: fmt.Sprintf("k%d", i),
		}}
		s.Signature = sign(s.SigningMessage(Origin))
		if i == corruptSig {
			s.Signature[5] ^= 1
		}
		leaf := deposit.Leaf{Signed: s, Index: uint64(i), Height: 7, Time: time.Unix(1_790_000_000, 0)}
		lb, _ := leaf.MarshalBinary()
		leaves = append(leaves, lb)
		tree.AppendData(lb)
		l.Contents = append(l.Contents, content)
		l.Openings = append(l.Openings, op)
	}
	cp := log.Checkpoint{Origin: Origin, Size: uint64(n), Hash: tree.Hash()}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, logSigner, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	for i, lb := range leaves {
		p, err := tree.InclusionProof(uint64(i), uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		l.Receipts = append(l.Receipts, &receipt.Receipt{Index: uint64(i), Proof: p, Checkpoint: signed, Leaf: lb})
	}
	return l
}

// Digests are the digests a deposit of content carries: both suites'
// content digests, in canonical order, so that every deposit rule (the
// suite's digest required, or SHA-256 required) accepts them.
func (l *Log) Digests(t testing.TB, content []byte) []deposit.Digest {
	ds, err := receipt.ContentDigests(bytes.NewReader(content), l.Suite.ContentDigest(), l.Suite.SecondDigest())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ds, func(a, b deposit.Digest) int { return int(a.Algorithm) - int(b.Algorithm) })
	return ds
}

// Evidence is what a holder of deposit i has: the file's digests and the
// opening.
func (l *Log) Evidence(t testing.TB, i int) receipt.Evidence {
	return receipt.Evidence{Digests: l.Digests(t, l.Contents[i]), Opening: l.Openings[i]}
}
