package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"
	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

const origin = "test.example/log"

// fixture is a small log of real deposits with a cosigned checkpoint.
type fixture struct {
	pol      *policy.Policy
	receipts []*receipt.Receipt
	contents [][]byte
	openings []*deposit.Opening
}

func newFixture(t *testing.T, n int, corruptSig int) *fixture {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	return newFixtureSigned(t, n, corruptSig, key.Public().(ed25519.PublicKey), func(m []byte) []byte { return ed25519.Sign(key, m) })
}

// newFixtureSigned is newFixture with deposits signed by sign under the
// depositor key pub.
func newFixtureSigned(t *testing.T, n int, corruptSig int, pub []byte, sign func([]byte) []byte) *fixture {
	t.Helper()
	cs := suite.International()
	lskey, lvkey, _ := note.GenerateKey(rand.Reader, origin)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "court")
	logSigner, _ := note.NewSigner(lskey)
	cosigner, _ := fnote.NewSignerForCosignatureV1(wskey)
	wcv, _ := fnote.VKeyToCosignatureV1(wvkey)
	pol, err := policy.Parse([]byte(fmt.Sprintf("log %s\nwitness court %s\ngroup validators 1 court\nquorum validators\n", lvkey, wcv)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pol: pol}
	tree := testonly.New(cs.LogHasher())
	var leaves [][]byte
	for i := range n {
		content := []byte(fmt.Sprintf("evidence file %d", i))
		sum := sha256.Sum256(content)
		op := &deposit.Opening{Metadata: deposit.Metadata{Title: fmt.Sprintf("file %d", i), MediaType: "text/plain"}, Salt: bytes.Repeat([]byte{byte(i)}, 32)}
		s := deposit.Signed{Statement: deposit.Statement{
			Digests: []deposit.Digest{{Algorithm: deposit.SHA256, Value: sum[:]}}, Size: uint64(len(content)),
			MetadataCommitment: op.Commitment(cs), Depositor: pub, IdempotencyKey: fmt.Sprintf("k%d", i),
		}}
		s.Signature = sign(s.SigningMessage(origin))
		if i == corruptSig {
			s.Signature[5] ^= 1
		}
		l := deposit.Leaf{Signed: s, Index: uint64(i), Height: 7, Time: time.Unix(1_790_000_000, 0)}
		lb, _ := l.MarshalBinary()
		leaves = append(leaves, lb)
		tree.AppendData(lb)
		f.contents = append(f.contents, content)
		f.openings = append(f.openings, op)
	}
	cp := log.Checkpoint{Origin: origin, Size: uint64(n), Hash: tree.Hash()}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, logSigner, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	for i, lb := range leaves {
		p, err := tree.InclusionProof(uint64(i), uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		f.receipts = append(f.receipts, &receipt.Receipt{Index: uint64(i), Proof: p, Checkpoint: signed, Leaf: lb})
	}
	return f
}

func (f *fixture) evidence(i int) receipt.Evidence {
	sum := sha256.Sum256(f.contents[i])
	return receipt.Evidence{SHA256: sum[:], Opening: f.openings[i]}
}

func TestVerifyProves(t *testing.T) {
	f := newFixture(t, 7, -1)
	for i, r := range f.receipts {
		// Through the text format, as a verifier receives it.
		parsed, err := receipt.Parse(r.Format())
		if err != nil {
			t.Fatal(err)
		}
		p, err := receipt.Verify(suite.International(), f.pol, parsed, f.evidence(i))
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if p.Leaf.Index != uint64(i) || p.Origin() != origin || p.Metadata == nil || p.Metadata.Title != fmt.Sprintf("file %d", i) || len(p.Cosigners) != 1 {
			t.Fatalf("receipt %d proved %+v", i, p)
		}
		if !p.CertifiedTime().Equal(time.Unix(1_790_000_000, 0)) {
			t.Fatalf("certified time %v", p.CertifiedTime())
		}
	}
}

func TestVerifyNamesFailedCheck(t *testing.T) {
	f := newFixture(t, 5, 3)
	other := newFixture(t, 5, -1)
	tests := []struct {
		name  string
		index int
		edit  func(r *receipt.Receipt, ev *receipt.Evidence)
		want  receipt.Check
	}{
		{"other network's policy", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Checkpoint = other.receipts[1].Checkpoint }, receipt.CheckCheckpoint},
		{"tampered entry", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			r.Leaf = bytes.Clone(r.Leaf)
			r.Leaf[len(r.Leaf)-1] ^= 1
		}, receipt.CheckInclusion},
		{"index mismatch", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Index = 2 }, receipt.CheckEntry},
		{"garbage entry", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Leaf = []byte("x") }, receipt.CheckEntry},
		{"tampered proof", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Proof[0] = bytes.Repeat([]byte{1}, 32) }, receipt.CheckInclusion},
		{"bad depositor signature", 3, func(r *receipt.Receipt, ev *receipt.Evidence) {}, receipt.CheckSignature},
		{"changed file", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			s := sha256.Sum256([]byte("changed"))
			ev.SHA256 = s[:]
		}, receipt.CheckContent},
		{"changed metadata", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			o := *ev.Opening
			o.Title = "forged title"
			ev.Opening = &o
		}, receipt.CheckMetadata},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *f.receipts[tc.index]
			r.Proof = append([][]byte(nil), r.Proof...)
			ev := f.evidence(tc.index)
			tc.edit(&r, &ev)
			_, err := receipt.Verify(suite.International(), f.pol, &r, ev)
			var ce *receipt.CheckError
			if !errors.As(err, &ce) || ce.Check != tc.want {
				t.Fatalf("got %v, want a failure of %q", err, tc.want)
			}
		})
	}
}

func TestParseCanonicalOnly(t *testing.T) {
	f := newFixture(t, 3, -1)
	good := f.receipts[1].Format()
	if _, err := receipt.Parse(good); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"no extra":      bytes.Replace(good, []byte("extra "), []byte("extrb "), 1),
		"leading zero":  bytes.Replace(good, []byte("index 1\n"), []byte("index 01\n"), 1),
		"crlf":          bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		"other header":  append([]byte("c2sp.org/tlog-proof@v2"), good[len("c2sp.org/tlog-proof@v1"):]...),
		"short hash":    bytes.Replace(good, []byte("\n\n"), []byte("\nAAAA\n\n"), 1),
		"too large":     append(bytes.Clone(good), bytes.Repeat([]byte("x"), receipt.MaxSize)...),
		"missing final": good[:len(good)-1],
	} {
		if _, err := receipt.Parse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if !strings.HasPrefix(string(good), "c2sp.org/tlog-proof@v1\nextra ") {
		t.Fatalf("receipt does not start as tlog-proof with extra data:\n%s", good)
	}
}

// TestVerifyRefusesWeakDepositorKeys makes a log whose deposit is signed
// under each refused key of the golden vectors, with a signature that
// ZIP-215 accepts for the keys of small order: the receipt does not
// verify, and the refusal names the key.
func TestVerifyRefusesWeakDepositorKeys(t *testing.T) {
	forge := func([]byte) []byte {
		var b [64]byte
		rand.Read(b[:])
		s, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
		return append(new(edwards25519.Point).ScalarBaseMult(s).Bytes(), s.Bytes()...)
	}
	for _, k := range suitetest.BadEd25519Keys() {
		t.Run(k.Name, func(t *testing.T) {
			f := newFixtureSigned(t, 2, -1, k.Key, forge)
			_, err := receipt.Verify(suite.International(), f.pol, f.receipts[1], f.evidence(1))
			var ce *receipt.CheckError
			if !errors.As(err, &ce) || ce.Check != receipt.CheckSignature || !errors.Is(err, suite.ErrBadPublicKey) {
				t.Fatalf("got %v, want the depositor key refused", err)
			}
		})
	}
}
