package consortium_test

import (
	"crypto/ed25519"
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

func card(t *testing.T, name string) consortium.Card {
	vpub, _, _ := ed25519.GenerateKey(rand.Reader)
	lpub, _, _ := ed25519.GenerateKey(rand.Reader)
	_, wv, _ := note.GenerateKey(rand.Reader, name)
	_, gv, _ := note.GenerateKey(rand.Reader, name)
	cv, _ := fnote.VKeyToCosignatureV1(wv)
	return consortium.Card{Institution: name, Kind: identity.Court, ValidatorKey: base64.StdEncoding.EncodeToString(vpub), LogKey: base64.StdEncoding.EncodeToString(lpub),
		CosignKey: cv, GovernanceKey: gv, NodeID: strings.Repeat("a", 40), P2PAddress: "127.0.0.1:26656"}
}

// The policy's quorum is more than two thirds of the voting power, with
// weights expressed through one-member groups.
func TestPolicyQuorumFollowsVotingPower(t *testing.T) {
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
			c := card(t, fmt.Sprint("inst", i))
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
	}
}

func TestCardsAndChangesRejectBadInput(t *testing.T) {
	good := card(t, "court")
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
	} {
		c := good
		mutate(&c)
		if err := c.Check(); err == nil {
			t.Errorf("%s: accepted", name)
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
	good := card(t, "court")
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
