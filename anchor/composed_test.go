package anchor_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/proof"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/anchor/anchortest"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// suitePairs are the (platform, court) suite pairs: the same suite and
// each cross-suite pair.
func suitePairs() [][2]*suite.Suite {
	var out [][2]*suite.Suite
	for _, p := range suite.All() {
		for _, c := range suite.All() {
			out = append(out, [2]*suite.Suite{p, c})
		}
	}
	return out
}

func pairName(p [2]*suite.Suite) string { return p[0].Name() + "-into-" + p[1].Name() }

// TestVerifyComposed proves a deposit through a court anchor in every
// pair of suites, with one member and with four: the file round-trips,
// is told from a plain receipt, and the proof names the court, the
// anchor number, its certified time, its cosigners and the anchored size.
func TestVerifyComposed(t *testing.T) {
	for _, pair := range suitePairs() {
		for _, members := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/%d", pairName(pair), members), func(t *testing.T) {
				m := anchortest.New(t, pair[0], pair[1], members)
				b := m.Composed.Format()
				c, err := anchor.ParseComposed(b)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(c.Format(), b) || !anchor.IsComposed(b) || anchor.IsComposed(m.Composed.Platform) || anchor.IsComposed(m.Composed.Court) {
					t.Fatal("a composed receipt does not round-trip or is not told from a plain one")
				}
				p, err := anchor.VerifyComposed(m.Platform.Policy, m.Court.Policy, c, m.Evidence())
				if err != nil {
					t.Fatal(err)
				}
				want := m.Court.Members[:]
				if p.CourtOrigin() != anchortest.CourtOrigin || p.Number() != m.Number || p.AnchoredSize() != m.AnchoredSize ||
					!p.CourtCertifiedTime().Equal(p.Court.Leaf.Time) || p.CourtCertifiedTime().IsZero() ||
					strings.Join(p.CourtCosigners(), ",") != strings.Join(want, ",") ||
					p.Platform.Leaf.Index != m.Index || p.Platform.Checkpoint.Size != m.ReceiptSize ||
					p.Platform.Suite.Name() != pair[0].Name() || p.Court.Suite.Name() != pair[1].Name() ||
					len(p.AnchoredCosigners) != members {
					t.Fatalf("proven: court %q #%d size %d at %v by %v; platform #%d in %d; suites %s, %s",
						p.CourtOrigin(), p.Number(), p.AnchoredSize(), p.CourtCertifiedTime(), p.CourtCosigners(),
						p.Platform.Leaf.Index, p.Platform.Checkpoint.Size, p.Platform.Suite.Name(), p.Court.Suite.Name())
				}
			})
		}
	}
}

// TestVerifyComposedAtTheAnchoredSize proves a receipt whose checkpoint
// is the anchored one itself: the proof is empty, and a proof given
// anyway fails.
func TestVerifyComposedAtTheAnchoredSize(t *testing.T) {
	for _, cs := range suite.All() {
		m := anchortest.New(t, cs, cs, 1)
		c := *m.Composed
		c.Platform = m.Platform.Receipt(m.Index, m.AnchoredSize).Format()
		c.OldSize, c.Proof = m.AnchoredSize, nil
		cc, err := anchor.ParseComposed(c.Format())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := anchor.VerifyComposed(m.Platform.Policy, m.Court.Policy, cc, m.Evidence()); err != nil {
			t.Fatalf("%s: %v", cs.Name(), err)
		}
		cc.Proof = m.Platform.Consistency(m.ReceiptSize, m.AnchoredSize)
		wantCheck(t, cs.Name()+": a proof between equal sizes", anchor.CheckConsistency, "")(anchor.VerifyComposed(m.Platform.Policy, m.Court.Policy, cc, m.Evidence()))
	}
}

// wantCheck returns a function that fails the test unless the error is a
// CheckError naming check (and, for the platform receipt, the inner
// check inner when set).
func wantCheck(t *testing.T, name string, check, inner receipt.Check) func(*anchor.Proven, error) {
	return func(_ *anchor.Proven, err error) {
		t.Helper()
		var ce *receipt.CheckError
		if !errors.As(err, &ce) || ce.Check != check {
			t.Errorf("%s: %v, want the check %q to fail", name, err, check)
			return
		}
		if inner != "" {
			var ie *receipt.CheckError
			if !errors.As(ce.Err, &ie) || ie.Check != inner {
				t.Errorf("%s: %v, want the inner check %q to fail", name, err, inner)
			}
		}
	}
}

// flip returns b with one bit changed at offset i from the start (from
// the end when i is negative).
func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 1
	return b
}

// reformat parses a receipt, changes it and formats it again.
func reformat(t *testing.T, b []byte, change func(*receipt.Receipt)) []byte {
	t.Helper()
	r, err := receipt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	change(r)
	return r.Format()
}

// TestVerifyComposedRefusesTampering alters every part of a composed
// receipt, swaps the policies and substitutes other genuine material;
// each fails, naming the check that caught it.
func TestVerifyComposedRefusesTampering(t *testing.T) {
	for _, pair := range suitePairs() {
		t.Run(pairName(pair), func(t *testing.T) {
			m := anchortest.New(t, pair[0], pair[1], 4)
			pp, cp := m.Platform.Policy, m.Court.Policy
			courtKey, err := pair[1].Signature().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			// Genuine material that does not belong: the platform's
			// checkpoint of 2 entries anchored too (older than the
			// receipt's), the anchored checkpoint deposited again by a
			// court depositor who is no member node, another network's
			// checkpoint of the same size anchored, another court.
			older := m.Platform.CheckpointAt(2)
			olderNumber := m.Court.Anchor(1, older)
			byOutsider := m.Court.Deposit(courtKey, m.Composed.Anchored, "not-a-node")
			other := anchortest.NewNetwork(t, pair[0], "other.example/log", 1)
			for range m.AnchoredSize {
				other.Deposit(m.Depositor, []byte("x"), fmt.Sprint("o", other.Size()))
			}
			otherNumber := m.Court.Anchor(0, other.Checkpoint())
			courtSize := m.Court.Size()
			otherCourt := anchortest.NewNetwork(t, pair[1], "othercourt.example/log", 1)
			otherCourt.Deposit(otherCourt.NodeKeys[0], []byte("filler"), "f")
			otherCourt.Deposit(otherCourt.NodeKeys[0], []byte("filler 2"), "f2")
			otherCourtNumber := otherCourt.Anchor(0, m.Composed.Anchored)
			var otherSuite *suite.Suite
			for _, s := range suite.All() {
				if s.Name() != pair[1].Name() {
					otherSuite = s
				}
			}
			crossCourt := anchortest.New(t, pair[0], otherSuite, 1)

			cases := []struct {
				name         string
				change       func(c *anchor.Composed)
				court        *policy.Policy
				platform     *policy.Policy
				ev           *receipt.Evidence
				check, inner receipt.Check
			}{
				{name: "a bit of the platform inclusion proof", check: anchor.CheckPlatform, inner: receipt.CheckInclusion,
					change: func(c *anchor.Composed) {
						c.Platform = reformat(t, c.Platform, func(r *receipt.Receipt) { r.Proof[0] = flip(r.Proof[0], 3) })
					}},
				{name: "a bit of the platform leaf", check: anchor.CheckPlatform,
					change: func(c *anchor.Composed) {
						c.Platform = reformat(t, c.Platform, func(r *receipt.Receipt) { r.Leaf = flip(r.Leaf, 40) })
					}},
				{name: "a bit of the platform checkpoint's signature", check: anchor.CheckPlatform, inner: receipt.CheckCheckpoint,
					change: func(c *anchor.Composed) {
						c.Platform = reformat(t, c.Platform, func(r *receipt.Receipt) { r.Checkpoint = flip(r.Checkpoint, -5) })
					}},
				{name: "another file", check: anchor.CheckPlatform, inner: receipt.CheckContent,
					ev: &receipt.Evidence{Digests: anchortest.Digests(pair[0], []byte("another file"))}},
				{name: "a bit of the anchored checkpoint's root", check: anchor.CheckAnchored,
					change: func(c *anchor.Composed) {
						i := bytes.Index(c.Anchored, []byte("\n\n"))
						c.Anchored = flip(c.Anchored, i-3)
					}},
				{name: "a bit of the anchored checkpoint's signature", check: anchor.CheckAnchored,
					change: func(c *anchor.Composed) { c.Anchored = flip(c.Anchored, -5) }},
				{name: "the anchored checkpoint of another origin", check: anchor.CheckAnchored,
					change: func(c *anchor.Composed) {
						c.Anchored = other.Checkpoint()
						c.Court = m.Court.Receipt(otherNumber, courtSize).Format()
					}},
				{name: "a bit of the consistency proof", check: anchor.CheckConsistency,
					change: func(c *anchor.Composed) { c.Proof[0] = flip(c.Proof[0], 7) }},
				{name: "a hash dropped from the consistency proof", check: anchor.CheckConsistency,
					change: func(c *anchor.Composed) { c.Proof = c.Proof[1:] }},
				{name: "the consistency line's old size", check: anchor.CheckConsistency,
					change: func(c *anchor.Composed) { c.OldSize-- }},
				{name: "an anchored checkpoint older than the receipt's", check: anchor.CheckConsistency,
					change: func(c *anchor.Composed) {
						c.NewSize, c.Proof, c.Anchored = 2, nil, older
						c.Court = m.Court.Receipt(olderNumber, courtSize).Format()
					}},
				{name: "a bit of the court inclusion proof", check: anchor.CheckCourt, inner: receipt.CheckInclusion,
					change: func(c *anchor.Composed) {
						c.Court = reformat(t, c.Court, func(r *receipt.Receipt) { r.Proof[0] = flip(r.Proof[0], 0) })
					}},
				{name: "a bit of the court checkpoint", check: anchor.CheckCourt, inner: receipt.CheckCheckpoint,
					change: func(c *anchor.Composed) {
						c.Court = reformat(t, c.Court, func(r *receipt.Receipt) { r.Checkpoint = flip(r.Checkpoint, 2) })
					}},
				{name: "a bit of the court leaf", check: anchor.CheckCourt,
					change: func(c *anchor.Composed) {
						c.Court = reformat(t, c.Court, func(r *receipt.Receipt) { r.Leaf = flip(r.Leaf, len(r.Leaf)-30) })
					}},
				{name: "the court receipt of another deposit", check: anchor.CheckAnchorEntry,
					change: func(c *anchor.Composed) { c.Court = m.Court.Receipt(0, courtSize).Format() }},
				{name: "the anchored checkpoint deposited by a key of no member node", check: anchor.CheckAnchorEntry,
					change: func(c *anchor.Composed) { c.Court = m.Court.Receipt(byOutsider, courtSize).Format() }},
				{name: "the anchor of another court", check: anchor.CheckCourt, inner: receipt.CheckCheckpoint,
					change: func(c *anchor.Composed) { c.Court = otherCourt.Receipt(otherCourtNumber, otherCourt.Size()).Format() }},
				{name: "the anchor of a court of the other suite", check: anchor.CheckCourt,
					change: func(c *anchor.Composed) { c.Court = crossCourt.Composed.Court }},
				{name: "the two policies swapped", check: anchor.CheckPlatform, platform: cp, court: pp},
				{name: "the platform's policy as the court's", check: anchor.CheckCourt, court: pp},
			}
			for _, tc := range cases {
				c, err := anchor.ParseComposed(m.Composed.Format())
				if err != nil {
					t.Fatal(err)
				}
				if tc.change != nil {
					tc.change(c)
				}
				platform, court, ev := pp, cp, m.Evidence()
				if tc.platform != nil {
					platform = tc.platform
				}
				if tc.court != nil {
					court = tc.court
				}
				if tc.ev != nil {
					ev = *tc.ev
				}
				// Every case is a well-formed file: only verification
				// can tell.
				if _, err := anchor.ParseComposed(c.Format()); err != nil {
					t.Errorf("%s: the file does not parse: %v", tc.name, err)
					continue
				}
				wantCheck(t, tc.name, tc.check, tc.inner)(anchor.VerifyComposed(platform, court, c, ev))
			}
			// The genuine one still verifies after all that.
			if _, err := anchor.VerifyComposed(pp, cp, m.Composed, m.Evidence()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestParseComposedRefusesMalformedFiles changes the encoding of a
// composed receipt in every way a reader could accept by mistake.
func TestParseComposedRefusesMalformedFiles(t *testing.T) {
	m := anchortest.New(t, suite.International(), suite.International(), 1)
	good := string(m.Composed.Format())
	header := "\n" + anchor.ComposedHeader + "\n"
	consistency := fmt.Sprintf("consistency %d %d\n", m.ReceiptSize, m.AnchoredSize)
	if _, err := anchor.ParseComposed([]byte(good)); err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("A", 43) + "="
	for name, b := range map[string]string{
		"a plain receipt":          string(m.Composed.Platform),
		"empty":                    "",
		"trailing byte":            good + "\n",
		"CRLF":                     strings.ReplaceAll(good, "\n", "\r\n"),
		"no header":                strings.Replace(good, header, "\n", 1),
		"another version":          strings.Replace(good, header, "\njurichain.org/anchored@v2\n", 1),
		"two empty lines":          strings.Replace(good, header, "\n"+header, 1),
		"old size with a zero":     strings.Replace(good, consistency, "consistency 0"+consistency[len("consistency "):], 1),
		"old size with a plus":     strings.Replace(good, consistency, "consistency +"+consistency[len("consistency "):], 1),
		"two spaces":               strings.Replace(good, consistency, strings.Replace(consistency, " ", "  ", 1), 1),
		"one size":                 strings.Replace(good, consistency, "consistency 3\n", 1),
		"tab":                      strings.Replace(good, consistency, strings.Replace(consistency, " ", "\t", 1), 1),
		"size beyond 64 bits":      strings.Replace(good, consistency, "consistency 3 18446744073709551616\n", 1),
		"short proof hash":         strings.Replace(good, consistency, consistency+"AAAA\n", 1),
		"unpadded proof hash":      strings.Replace(good, consistency, consistency+strings.TrimSuffix(hash, "=")+"\n", 1),
		"non-canonical base64":     strings.Replace(good, consistency, consistency+strings.Repeat("A", 42)+"B=\n", 1),
		"65 proof hashes":          strings.Replace(good, consistency, consistency+strings.Repeat(hash+"\n", 65), 1),
		"no anchored checkpoint":   good[:strings.Index(good, consistency)+len(consistency)],
		"no court receipt":         strings.TrimSuffix(good, string(m.Composed.Court)),
		"court receipt altered":    strings.Replace(good, "\nc2sp.org/tlog-proof@v1\n", "\nc2sp.org/tlog-proof@v2\n", 1),
		"anchored without sigs":    strings.Replace(good, string(m.Composed.Anchored), string(m.Composed.Anchored[:bytes.Index(m.Composed.Anchored, []byte("\n\n"))+2])+"not a signature\n", 1),
		"oversized":                good + strings.Repeat("x", anchor.MaxComposed),
		"control character":        strings.Replace(good, consistency, consistency[:len(consistency)-1]+"\x00\n", 1),
		"platform non-canonical":   strings.Replace(good, "\nindex ", "\nindex 0", 1),
		"a third receipt appended": good + "\n" + string(m.Composed.Court),
	} {
		if c, err := anchor.ParseComposed([]byte(b)); err == nil {
			t.Errorf("%s: accepted (%d bytes of platform receipt)", name, len(c.Platform))
		}
	}
}

// TestFirstPartIsAPlainTlogProof cuts a composed receipt as README
// documents it, before its third empty line, and reads the first part
// with transparency-dev's C2SP tlog-proof reader: it is the platform
// receipt, which verifies on its own.
func TestFirstPartIsAPlainTlogProof(t *testing.T) {
	for _, cs := range suite.All() {
		m := anchortest.New(t, cs, suite.International(), 4)
		lines := strings.SplitAfter(string(m.Composed.Format()), "\n")
		empty, cut := 0, -1
		for i, l := range lines {
			if l == "\n" {
				if empty++; empty == 3 {
					cut = i
					break
				}
			}
		}
		if cut < 0 || lines[cut+1] != anchor.ComposedHeader+"\n" {
			t.Fatalf("%s: no third empty line before the header", cs.Name())
		}
		first := []byte(strings.Join(lines[:cut], ""))
		var p proof.TLogProof
		if err := p.Unmarshal(first); err != nil {
			t.Fatalf("%s: %v", cs.Name(), err)
		}
		if !bytes.Equal(p.Marshal(), first) || !bytes.Equal(first, m.Composed.Platform) {
			t.Fatalf("%s: the first part is not the platform receipt as a tlog-proof", cs.Name())
		}
		r := &receipt.Receipt{Index: p.Index, Checkpoint: p.Checkpoint, Leaf: p.ExtraData}
		for _, h := range p.Hashes {
			r.Proof = append(r.Proof, bytes.Clone(h[:]))
		}
		if _, err := receipt.Verify(m.Platform.Policy, r, m.Evidence()); err != nil {
			t.Fatalf("%s: %v", cs.Name(), err)
		}
	}
}

// BenchmarkVerifyComposed parses and verifies a composed receipt in
// each suite, of one-member networks (a composed verification checks 8
// signatures) and of four-member ones (26).
func BenchmarkVerifyComposed(b *testing.B) {
	for _, cs := range suite.All() {
		for _, members := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/members=%d", cs.Name(), members), func(b *testing.B) {
				m := anchortest.New(b, cs, cs, members)
				file, ev := m.Composed.Format(), m.Evidence()
				for b.Loop() {
					c, err := anchor.ParseComposed(file)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := anchor.VerifyComposed(m.Platform.Policy, m.Court.Policy, c, ev); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
