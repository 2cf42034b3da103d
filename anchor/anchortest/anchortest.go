// Package anchortest builds real material of cross-chain anchoring for
// tests: logs of real deposits whose checkpoints every member signs with
// its log key and cosigns, as a network's final checkpoints are, under
// the policy such a network publishes; court anchors deposited by a
// court member node with its log key; and composed receipts made of
// them.
package anchortest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// Network is the log of one network, with its members' keys.
type Network struct {
	t      testing.TB
	Suite  *suite.Suite
	Origin string
	Policy *policy.Policy
	// PolicyText is the policy as a file.
	PolicyText []byte
	// NodeKeys are the members' log keys, as their nodes hold them: a
	// node deposits its own records (anchors, trail) with its log key.
	NodeKeys []suite.PrivateKey
	// Members are the members' witness names in the policy.
	Members     []string
	logSigners  []note.Signer
	cosigners   []note.Signer
	tree        *testonly.Tree
	leaves      [][]byte
	checkpoints map[uint64][]byte
}

// NewNetwork makes the empty log of a network of members members, whose
// policy, like a Jurichain network's, lists every member's log key and
// cosignature key and needs the cosignatures of more than two thirds of
// them.
func NewNetwork(t testing.TB, cs *suite.Suite, origin string, members int) *Network {
	t.Helper()
	n := &Network{t: t, Suite: cs, Origin: origin, tree: testonly.New(cs.LogHasher()), checkpoints: map[uint64][]byte{}}
	var logs, witnesses strings.Builder
	for i := range members {
		name := fmt.Sprintf("%s-member%d", strings.NewReplacer("/", "-", ".", "-").Replace(origin), i)
		lskey, lvkey, err := cs.GenerateNoteKey(rand.Reader, origin)
		if err != nil {
			t.Fatal(err)
		}
		wskey, wvkey, err := cs.GenerateNoteKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := cs.NewSigner(lskey)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := cs.NewCosigner(wskey, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		_, key, err := cs.ParseNoteKey(lskey)
		if err != nil {
			t.Fatal(err)
		}
		wcv, err := cs.CosignatureVerifierKey(wvkey)
		if err != nil {
			t.Fatal(err)
		}
		n.logSigners, n.cosigners = append(n.logSigners, ls), append(n.cosigners, ws)
		n.NodeKeys = append(n.NodeKeys, key)
		n.Members = append(n.Members, name)
		fmt.Fprintf(&logs, "log %s\n", lvkey)
		fmt.Fprintf(&witnesses, "witness %s %s\n", name, wcv)
	}
	text := fmt.Sprintf("%s%sgroup validators %d %s\nquorum validators\n", logs.String(), witnesses.String(), 2*members/3+1, strings.Join(n.Members, " "))
	pol, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	n.Policy, n.PolicyText = pol, []byte(text)
	return n
}

// LogSigner is member i's log key as a note signer: what its node signs
// in the network's name with (an evidence package's manifest).
func (n *Network) LogSigner(i int) note.Signer { return n.logSigners[i] }

// Size is the number of entries in the log.
func (n *Network) Size() uint64 { return n.tree.Size() }

// Deposit appends a deposit of content signed by key with an
// idempotency key and returns its index. Its certified time is a second
// per entry after a fixed start.
func (n *Network) Deposit(key suite.PrivateKey, content []byte, idem string) uint64 {
	n.t.Helper()
	cs := n.Suite
	alg, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		n.t.Fatal(err)
	}
	sum := cs.Hash(content)
	s := deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{{Algorithm: alg, Value: sum[:]}}, Size: uint64(len(content)),
		MetadataCommitment: cs.Hash([]byte("metadata of " + idem)), Depositor: key.Public(), IdempotencyKey: idem,
	}}
	if err := s.Validate(); err != nil {
		n.t.Fatal(err)
	}
	if s.Signature, err = key.Sign(s.SigningMessage(n.Origin)); err != nil {
		n.t.Fatal(err)
	}
	index := n.tree.Size()
	leaf := deposit.Leaf{Signed: s, Index: index, Height: index + 2, Time: time.Unix(1_790_000_000+int64(index), 0).UTC()}
	lb := leaf.AppendBinary(nil)
	n.tree.AppendData(lb)
	n.leaves = append(n.leaves, lb)
	return index
}

// Anchor deposits checkpoint (an outside log's signed checkpoint, the
// anchor record) as court member node i does, and returns its index, the
// anchor number.
func (n *Network) Anchor(i int, checkpoint []byte) uint64 {
	n.t.Helper()
	sum := n.Suite.Hash(checkpoint)
	return n.Deposit(n.NodeKeys[i], checkpoint, "anchor-"+hex.EncodeToString(sum[:16]))
}

// Checkpoint returns the final checkpoint of the log at its current
// size: signed by every member's log key, then cosigned by every member.
// A size signed before is served again with the same bytes.
func (n *Network) Checkpoint() []byte { return n.CheckpointAt(n.tree.Size()) }

// CheckpointAt returns the final checkpoint of the log at size.
func (n *Network) CheckpointAt(size uint64) []byte {
	n.t.Helper()
	if b, ok := n.checkpoints[size]; ok {
		return b
	}
	text := log.Checkpoint{Origin: n.Origin, Size: size, Hash: n.tree.HashAt(size)}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(text)}, append(append([]note.Signer{}, n.logSigners...), n.cosigners...)...)
	if err != nil {
		n.t.Fatal(err)
	}
	n.checkpoints[size] = signed
	return signed
}

// Receipt returns the receipt of entry index at the checkpoint of size.
func (n *Network) Receipt(index, size uint64) *receipt.Receipt {
	n.t.Helper()
	p, err := n.tree.InclusionProof(index, size)
	if err != nil {
		n.t.Fatal(err)
	}
	return &receipt.Receipt{Index: index, Proof: p, Checkpoint: n.CheckpointAt(size), Leaf: n.leaves[index]}
}

// Consistency returns the consistency proof between two sizes.
func (n *Network) Consistency(old, new uint64) [][]byte {
	n.t.Helper()
	p, err := n.tree.ConsistencyProof(old, new)
	if err != nil {
		n.t.Fatal(err)
	}
	return p
}

// Material is a deposit on a platform network proven through a court
// network's anchor of a later platform checkpoint.
type Material struct {
	Platform, Court *Network
	// Depositor deposited Content at Index of the platform log.
	Depositor suite.PrivateKey
	Content   []byte
	Index     uint64
	// Composed is the composed receipt of the deposit: the receipt at
	// the platform checkpoint of size ReceiptSize, anchored at size
	// AnchoredSize as court entry Number.
	Composed                  *anchor.Composed
	ReceiptSize, AnchoredSize uint64
	Number                    uint64
}

// PlatformOrigin and CourtOrigin are the origins New gives the networks.
const (
	PlatformOrigin = "platform.example/copyright"
	CourtOrigin    = "court.example/evidence"
)

// New makes a platform network of platformSuite and a court network of
// courtSuite, of members members each; a deposit on the platform whose
// receipt rests on a checkpoint of 3 entries; the platform's checkpoint
// of 5 entries anchored at the court as its entry #2; and the composed
// receipt of the deposit.
func New(t testing.TB, platformSuite, courtSuite *suite.Suite, members int) *Material {
	t.Helper()
	m := &Material{
		Platform: NewNetwork(t, platformSuite, PlatformOrigin, members),
		Court:    NewNetwork(t, courtSuite, CourtOrigin, members),
		Content:  []byte("the photograph, as registered\n"),
	}
	key, err := platformSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m.Depositor = key
	m.Platform.Deposit(key, []byte("an earlier work"), "w0")
	m.Index = m.Platform.Deposit(key, m.Content, "w1")
	m.Platform.Deposit(key, []byte("a work after it"), "w2")
	m.ReceiptSize = m.Platform.Size()
	platformReceipt := m.Platform.Receipt(m.Index, m.ReceiptSize).Format()
	m.Platform.Deposit(key, []byte("a later work"), "w3")
	m.Platform.Deposit(key, []byte("the latest work"), "w4")
	m.AnchoredSize = m.Platform.Size()
	anchored := m.Platform.Checkpoint()

	courtKey, err := courtSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m.Court.Deposit(courtKey, []byte("a court filing"), "c0")
	m.Court.Deposit(courtKey, []byte("another court filing"), "c1")
	m.Number = m.Court.Anchor(0, anchored)
	m.Court.Deposit(courtKey, []byte("a filing after the anchor"), "c3")

	m.Composed = &anchor.Composed{
		Platform: platformReceipt,
		OldSize:  m.ReceiptSize, NewSize: m.AnchoredSize,
		Proof:    m.Platform.Consistency(m.ReceiptSize, m.AnchoredSize),
		Anchored: anchored,
		Court:    m.Court.Receipt(m.Number, m.Court.Size()).Format(),
	}
	return m
}

// Evidence is what the holder of the deposited file has: its digest.
func (m *Material) Evidence() receipt.Evidence {
	return receipt.Evidence{Digests: Digests(m.Platform.Suite, m.Content)}
}

// Digests are the digests a verifier computes of content on a network
// of the suite cs: the suite's content digest.
func Digests(cs *suite.Suite, content []byte) []deposit.Digest {
	alg, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		panic(err) // every suite's content digest is a deposit algorithm
	}
	sum := cs.Hash(content)
	return []deposit.Digest{{Algorithm: alg, Value: bytes.Clone(sum[:])}}
}
