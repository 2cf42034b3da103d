package receipt_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

const origin = receipttest.Origin

type fixture = receipttest.Log

func newFixture(t *testing.T, cs *suite.Suite, n int, corruptSig int) *fixture {
	return receipttest.New(t, cs, n, corruptSig)
}

func newFixtureSigned(t *testing.T, cs *suite.Suite, n int, corruptSig int, pub []byte, sign func([]byte) []byte) *fixture {
	return receipttest.NewSigned(t, cs, n, corruptSig, pub, sign)
}

// forEachSuite runs f as a subtest for each suite.
func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

func TestVerifyProves(t *testing.T) { forEachSuite(t, testVerifyProves) }

func testVerifyProves(t *testing.T, cs *suite.Suite) {
	f := newFixture(t, cs, 7, -1)
	for i, r := range f.Receipts {
		// Through the text format, as a verifier receives it.
		parsed, err := receipt.Parse(r.Format())
		if err != nil {
			t.Fatal(err)
		}
		p, err := receipt.Verify(f.Policy, parsed, f.Evidence(t, i))
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if p.Leaf.Index != uint64(i) || p.Origin() != origin || p.Metadata == nil || p.Metadata.Title != fmt.Sprintf("file %d", i) || len(p.Cosigners) != 1 {
			t.Fatalf("receipt %d proved %+v", i, p)
		}
		if p.Suite.Name() != cs.Name() {
			t.Fatalf("proved in the %v suite", p.Suite)
		}
		if !p.CertifiedTime().Equal(time.Unix(1_790_000_000, 0)) {
			t.Fatalf("certified time %v", p.CertifiedTime())
		}
	}
}

func TestVerifyNamesFailedCheck(t *testing.T) { forEachSuite(t, testVerifyNamesFailedCheck) }

func testVerifyNamesFailedCheck(t *testing.T, cs *suite.Suite) {
	f := newFixture(t, cs, 5, 3)
	other := newFixture(t, cs, 5, -1)
	tests := []struct {
		name  string
		index int
		edit  func(r *receipt.Receipt, ev *receipt.Evidence)
		want  receipt.Check
	}{
		{"other network's policy", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Checkpoint = other.Receipts[1].Checkpoint }, receipt.CheckCheckpoint},
		{"tampered entry", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			r.Leaf = bytes.Clone(r.Leaf)
			r.Leaf[len(r.Leaf)-1] ^= 1
		}, receipt.CheckInclusion},
		{"index mismatch", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Index = 2 }, receipt.CheckEntry},
		{"garbage entry", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Leaf = []byte("x") }, receipt.CheckEntry},
		{"tampered proof", 1, func(r *receipt.Receipt, ev *receipt.Evidence) { r.Proof[0] = bytes.Repeat([]byte{1}, 32) }, receipt.CheckInclusion},
		{"bad depositor signature", 3, func(r *receipt.Receipt, ev *receipt.Evidence) {}, receipt.CheckSignature},
		{"changed file", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			ev.Digests = f.Digests(t, []byte("changed"))
		}, receipt.CheckContent},
		{"changed file, second digest", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			ev.Digests = append(ev.Digests[:1:1], f.Digests(t, []byte("changed"))[1])
		}, receipt.CheckContent},
		{"digest the deposit lacks", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			ev.Digests = []deposit.Digest{{Algorithm: deposit.SHA512, Value: make([]byte, 64)}}
		}, receipt.CheckContent},
		{"opening of another suite", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			o := *ev.Opening
			for _, other := range suite.All() {
				if other.Name() != cs.Name() {
					o.Suite = other.Name()
				}
			}
			ev.Opening = &o
		}, receipt.CheckMetadata},
		{"changed metadata", 1, func(r *receipt.Receipt, ev *receipt.Evidence) {
			o := *ev.Opening
			o.Title = "forged title"
			ev.Opening = &o
		}, receipt.CheckMetadata},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *f.Receipts[tc.index]
			r.Proof = append([][]byte(nil), r.Proof...)
			ev := f.Evidence(t, tc.index)
			tc.edit(&r, &ev)
			_, err := receipt.Verify(f.Policy, &r, ev)
			var ce *receipt.CheckError
			if !errors.As(err, &ce) || ce.Check != tc.want {
				t.Fatalf("got %v, want a failure of %q", err, tc.want)
			}
		})
	}
}

func TestParseCanonicalOnly(t *testing.T) {
	f := newFixture(t, suite.International(), 3, -1)
	good := f.Receipts[1].Format()
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
			f := newFixtureSigned(t, suite.International(), 2, -1, k.Key, forge)
			_, err := receipt.Verify(f.Policy, f.Receipts[1], f.Evidence(t, 1))
			var ce *receipt.CheckError
			if !errors.As(err, &ce) || ce.Check != receipt.CheckSignature || !errors.Is(err, suite.ErrBadPublicKey) {
				t.Fatalf("got %v, want the depositor key refused", err)
			}
		})
	}
}

// TestVerifyRefusesReceiptOfAnotherSuite verifies a receipt of each suite
// under a policy of the other: it is refused, naming both suites, before
// anything else is checked.
func TestVerifyRefusesReceiptOfAnotherSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		f := newFixture(t, cs, 2, -1)
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			o := newFixture(t, other, 2, -1)
			_, err := receipt.Verify(f.Policy, o.Receipts[1], o.Evidence(t, 1))
			var ce *receipt.CheckError
			if !errors.As(err, &ce) || ce.Check != receipt.CheckSuite || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Fatalf("a %s receipt under a %s policy: %v, want a suite refusal naming both", other.Name(), cs.Name(), err)
			}
		}
	})
}
