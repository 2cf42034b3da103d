package consortium_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

// card makes a member card of the suite cs. Its validator key is
// Ed25519 (the international suite's scheme) whatever cs: CometBFT has no
// other consensus keys.
func card(t *testing.T, cs *suite.Suite, name string) consortium.Card {
	t.Helper()
	vk, err := suite.International().Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lk, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, wv, err := cs.GenerateNoteKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	_, gv, err := cs.GenerateNoteKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := cs.CosignatureVerifierKey(wv)
	if err != nil {
		t.Fatal(err)
	}
	return consortium.Card{Suite: cs.Name(), Institution: name, Kind: identity.Court, ValidatorKey: base64.StdEncoding.EncodeToString(vk.Public()), LogKey: base64.StdEncoding.EncodeToString(lk.Public()),
		CosignKey: cv, GovernanceKey: gv, NodeID: strings.Repeat("a", 40), P2PAddress: "127.0.0.1:26656"}
}

// forEachSuite runs f as a subtest for each suite.
func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

// The policy's quorum is more than two thirds of the voting power, with
// weights expressed through one-member groups.
func TestPolicyQuorumFollowsVotingPower(t *testing.T) { forEachSuite(t, testPolicyQuorum) }

func testPolicyQuorum(t *testing.T, cs *suite.Suite) {
	for _, tc := range []struct {
		powers    []int64
		threshold int
		groups    int
	}{
		{[]int64{1}, 1, 1},
		{[]int64{1, 1, 1, 1}, 3, 1},
		{[]int64{1, 1, 1, 1, 1, 1, 1}, 5, 1},
		{[]int64{3, 1, 1, 1}, 5, 4}, // total 6: more than 4
	} {
		ms := consortium.Membership{}
		for i, p := range tc.powers {
			c := card(t, cs, fmt.Sprint("inst", i))
			c.NodeID = strings.Repeat(fmt.Sprint(i), 40)
			ms.Members = append(ms.Members, consortium.Member{Card: c, Power: p})
		}
		pol, err := ms.Policy("net-1")
		if err != nil {
			t.Fatal(err)
		}
		q := pol.Groups[len(pol.Groups)-1]
		if q.Threshold != tc.threshold || len(pol.Groups) != tc.groups || len(pol.Logs) != len(tc.powers) {
			t.Errorf("powers %v: threshold %d with %d groups, want %d with %d", tc.powers, q.Threshold, len(pol.Groups), tc.threshold, tc.groups)
		}
		if pol.Suite().Name() != cs.Name() {
			t.Errorf("policy of the %v suite, want %s", pol.Suite(), cs.Name())
		}
	}
}

func TestCardsAndChangesRejectBadInput(t *testing.T) { forEachSuite(t, testCardsAndChanges) }

func testCardsAndChanges(t *testing.T, cs *suite.Suite) {
	good := card(t, cs, "court")
	if err := good.Check(); err != nil {
		t.Fatalf("a good card: %v", err)
	}
	for name, mutate := range map[string]func(c *consortium.Card){
		"no kind":          func(c *consortium.Card) { c.Kind = "" },
		"unknown kind":     func(c *consortium.Card) { c.Kind = "ministry" },
		"bad name":         func(c *consortium.Card) { c.Institution = "a b" },
		"short key":        func(c *consortium.Card) { c.LogKey = "AAAA" },
		"cosign key name":  func(c *consortium.Card) { c.Institution = "other" },
		"missing p2p":      func(c *consortium.Card) { c.P2PAddress = "" },
		"bad node id":      func(c *consortium.Card) { c.NodeID = "abc" },
		"plain cosign key": func(c *consortium.Card) { c.CosignKey = c.GovernanceKey },
		"control in p2p":   func(c *consortium.Card) { c.P2PAddress = "127.0.0.1:26656\x1b[2J" },
		"bidi in api":      func(c *consortium.Card) { c.API = "http://\u202e1.0.0.127" },
		"C1 in node id":    func(c *consortium.Card) { c.NodeID = strings.Repeat("a", 38) + "\u0085" },
		"unknown suite":    func(c *consortium.Card) { c.Suite = "rsa" },
	} {
		c := good
		mutate(&c)
		if err := c.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Names the trust policy reserves: the members are its witnesses.
	for _, name := range []string{"validators", "none", "all", "any", "log", "witness", "group", "quorum"} {
		c := card(t, cs, name)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), "reserves") {
			t.Errorf("institution %q: %v", name, err)
		}
	}
	for _, text := range []string{
		"",
		"jurichain membership change\nnetwork n\nversion 0\nremove\n",
		"jurichain membership change\nnetwork n\nversion x\nremove a\n",
		"jurichain membership change\nnetwork n\nversion 0\npower a 0\n",
		"jurichain membership change\nnetwork n\nversion 0\npower a 11\n",
		"jurichain membership change\nnetwork n\nversion 0\nadd 1 !!\n",
	} {
		if _, err := consortium.ParseChange(text); err == nil {
			t.Errorf("%q accepted", text)
		}
	}
	ms := &consortium.Membership{Members: []consortium.Member{{Card: good, Power: 1}}}
	for _, c := range []consortium.Change{
		{Version: 1, Kind: consortium.ChangeRemove, Institution: "court"},
		{Version: 0, Kind: consortium.ChangeRemove, Institution: "court"}, // no power left
		{Version: 0, Kind: consortium.ChangeAdd, Institution: "court", Power: 1, Card: &good},
		{Version: 0, Kind: consortium.ChangePower, Institution: "nobody", Power: 1},
	} {
		if _, err := ms.Apply(&c); err == nil {
			t.Errorf("%+v applied", c)
		}
	}
}

// TestCardsRefuseWeakKeys puts every refused key of the golden vectors in
// each key field of a member card: ParseCard refuses the card, naming the
// field.
func TestCardsRefuseWeakKeys(t *testing.T) {
	good := card(t, suite.International(), "court")
	for _, k := range suitetest.BadEd25519Keys() {
		raw := base64.StdEncoding.EncodeToString(k.Key)
		gv, err := note.NewEd25519VerifierKey(good.Institution, k.Key)
		var cv string
		if err == nil {
			cv, err = fnote.VKeyToCosignatureV1(gv)
		}
		if err != nil && k.Class != "length" {
			t.Fatalf("%s: %v", k.Name, err)
		}
		for field, mutate := range map[string]func(c *consortium.Card){
			"validator_key":  func(c *consortium.Card) { c.ValidatorKey = raw },
			"log_key":        func(c *consortium.Card) { c.LogKey = raw },
			"cosign_key":     func(c *consortium.Card) { c.CosignKey = cv },
			"governance_key": func(c *consortium.Card) { c.GovernanceKey = gv },
		} {
			t.Run(k.Name+"/"+field, func(t *testing.T) {
				if k.Class == "length" && (field == "cosign_key" || field == "governance_key") {
					t.Skip("a verifier key of the wrong length cannot be made")
				}
				c := good
				mutate(&c)
				b, err := json.Marshal(c)
				if err != nil {
					t.Fatal(err)
				}
				_, err = consortium.ParseCard(b)
				if err == nil || !strings.Contains(err.Error(), field) {
					t.Fatalf("ParseCard: %v, want the card refused naming %s", err, field)
				}
				if k.Class != "length" && !errors.Is(err, suite.ErrBadPublicKey) {
					t.Fatalf("ParseCard: %v, want ErrBadPublicKey", err)
				}
			})
		}
	}
}

// TestCardSuite checks that a card's keys are read in the suite it names:
// a card naming one suite with keys of the other is refused naming both,
// a card without a suite is of the international suite, and a
// membership or a genesis mixing suites is refused naming both.
func TestCardSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			c := card(t, cs, "court")
			c.Suite = other.Name()
			b, _ := json.Marshal(c)
			_, err := consortium.ParseCard(b)
			if err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Errorf("%s keys on a card naming %s: got %v, want a refusal naming both suites", cs.Name(), other.Name(), err)
			}
			// Each key of the other suite alone is refused too.
			o := card(t, other, "court")
			for field, mutate := range map[string]func(c *consortium.Card){
				"log_key":        func(c *consortium.Card) { c.LogKey = o.LogKey },
				"cosign_key":     func(c *consortium.Card) { c.CosignKey = o.CosignKey },
				"governance_key": func(c *consortium.Card) { c.GovernanceKey = o.GovernanceKey },
			} {
				c := card(t, cs, "court")
				mutate(&c)
				if err := c.Check(); err == nil || !strings.Contains(err.Error(), field) && !strings.Contains(err.Error(), other.String()) {
					t.Errorf("%s of the %s suite on a %s card: got %v", field, other.Name(), cs.Name(), err)
				}
			}
			ms := consortium.Membership{Members: []consortium.Member{{Card: card(t, cs, "a"), Power: 1}, {Card: card(t, other, "b"), Power: 1}}}
			ms.Members[1].NodeID = strings.Repeat("b", 40)
			if err := ms.Check(); err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Errorf("a membership mixing suites: got %v, want a refusal naming both", err)
			}
			one := consortium.Membership{Members: []consortium.Member{{Card: card(t, cs, "a"), Power: 1}}}
			if err := one.CheckSuite(cs); err != nil {
				t.Errorf("CheckSuite of its own suite: %v", err)
			}
			if err := one.CheckSuite(other); err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Errorf("CheckSuite(%s) of %s members: got %v, want a refusal naming both", other.Name(), cs.Name(), err)
			}
			add := consortium.Change{Version: 0, Kind: consortium.ChangeAdd, Institution: "b", Power: 1, Card: &ms.Members[1].Card}
			if _, err := one.Apply(&add); err == nil {
				t.Errorf("a %s network admitted a %s card", cs.Name(), other.Name())
			}
		}
	})
	legacy := card(t, suite.International(), "court")
	legacy.Suite = ""
	b, _ := json.Marshal(legacy)
	if bytes.Contains(b, []byte(`"suite"`)) {
		t.Fatalf("a card without a suite is written with one: %s", b)
	}
	c, err := consortium.ParseCard(b)
	if err != nil {
		t.Fatalf("a card without a suite: %v", err)
	}
	if cs, err := c.CryptoSuite(); err != nil || cs.Name() != suite.NameInternational {
		t.Fatalf("a card without a suite is of the %v suite (%v)", cs, err)
	}
}

// TestSignedPowerInEachSuite signs a membership change with the members'
// governance keys of each suite and counts their power.
func TestSignedPowerInEachSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		ms := consortium.Membership{}
		var signers []note.Signer
		for i := range 3 {
			name := fmt.Sprint("inst", i)
			c := card(t, cs, name)
			skey, vkey, err := cs.GenerateNoteKey(rand.Reader, name)
			if err != nil {
				t.Fatal(err)
			}
			c.GovernanceKey = vkey
			c.NodeID = strings.Repeat(fmt.Sprint(i), 40)
			s, err := cs.NewSigner(skey)
			if err != nil {
				t.Fatal(err)
			}
			signers = append(signers, s)
			ms.Members = append(ms.Members, consortium.Member{Card: c, Power: int64(i + 1)})
		}
		ch := consortium.Change{Origin: "net-1", Version: 0, Kind: consortium.ChangeRemove, Institution: "inst0"}
		text, err := ch.Text()
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: text}, signers[1], signers[2])
		if err != nil {
			t.Fatal(err)
		}
		got, power, err := ms.SignedPower(signed)
		if err != nil || power != 5 || got.Institution != "inst0" {
			t.Fatalf("SignedPower: %+v, %d, %v; want power 5", got, power, err)
		}
	})
}
