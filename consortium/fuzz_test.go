package consortium_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// freshCard is a card of the suite cs with new keys.
func freshCard(t testing.TB, cs *suite.Suite) consortium.Card {
	vk, _ := suite.International().Signature().GenerateKey(rand.Reader) // CometBFT's Ed25519
	lk, _ := cs.Signature().GenerateKey(rand.Reader)
	_, wv, _ := cs.GenerateNoteKey(rand.Reader, "court")
	_, gv, _ := cs.GenerateNoteKey(rand.Reader, "court")
	cv, err := cs.CosignatureVerifierKey(wv)
	if err != nil {
		t.Fatal(err)
	}
	return consortium.Card{Suite: cs.Name(), Institution: "court", Kind: identity.Court, ValidatorKey: base64.StdEncoding.EncodeToString(vk.Public()), LogKey: base64.StdEncoding.EncodeToString(lk.Public()),
		CosignKey: cv, GovernanceKey: gv, NodeID: strings.Repeat("c", 40), P2PAddress: "127.0.0.1:26656"}
}

// fixedMember is a member with keys derived from its index, so the seed
// corpus in testdata stays valid from run to run.
func fixedMember(t testing.TB, i int) (consortium.Member, note.Signer) {
	seed := func(purpose byte) []byte { return bytes.Repeat([]byte{byte(i), purpose}, 16) }
	key := func(purpose byte) ed25519.PublicKey {
		return ed25519.NewKeyFromSeed(seed(purpose)).Public().(ed25519.PublicKey)
	}
	name := fmt.Sprint("institution", i)
	_, wv, err := note.GenerateKey(bytes.NewReader(seed('w')), name)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := fnote.VKeyToCosignatureV1(wv)
	if err != nil {
		t.Fatal(err)
	}
	gs, gv, err := note.GenerateKey(bytes.NewReader(seed('g')), name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(gs)
	if err != nil {
		t.Fatal(err)
	}
	return consortium.Member{Power: 1, Card: consortium.Card{
		Institution: name, Kind: identity.Notary, ValidatorKey: base64.StdEncoding.EncodeToString(key('v')), LogKey: base64.StdEncoding.EncodeToString(key('l')),
		CosignKey: cv, GovernanceKey: gv, NodeID: strings.Repeat(fmt.Sprint(i), 40), P2PAddress: "127.0.0.1:26656",
	}}, signer
}

// FuzzParseCard checks that a card that parses is valid and survives a
// JSON round trip unchanged.
func FuzzParseCard(f *testing.F) {
	m, _ := fixedMember(f, 1)
	good, _ := json.Marshal(m.Card)
	f.Add(good)
	f.Add([]byte(`{"institution":"court"}`))
	// A card of each suite, made afresh: the fixed member above is a card
	// of before there was a choice of suite, without the field.
	for _, cs := range suite.All() {
		gm, _ := json.Marshal(freshCard(f, cs))
		f.Add(gm)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := consortium.ParseCard(b)
		if err != nil {
			return
		}
		if err := c.Check(); err != nil {
			t.Fatalf("a parsed card fails its check: %v", err)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := consortium.ParseCard(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("card changed in a round trip: %v\n%+v\n%+v", err, c, c2)
		}
	})
}

// FuzzParseChange checks that a change text that parses formats back to a
// text that parses to the same change.
func FuzzParseChange(f *testing.F) {
	m, _ := fixedMember(f, 5)
	for _, c := range []consortium.Change{
		{Origin: "net-1", Version: 3, Kind: consortium.ChangeAdd, Institution: m.Institution, Power: 2, Card: &m.Card},
		{Origin: "net-1", Version: 0, Kind: consortium.ChangeRemove, Institution: "court"},
		{Origin: "net-1", Version: 7, Kind: consortium.ChangePower, Institution: "court", Power: 10},
	} {
		text, err := c.Text()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := consortium.ParseChange(text)
		if err != nil {
			return
		}
		formatted, err := c.Text()
		if err != nil {
			t.Fatalf("a parsed change does not format: %v", err)
		}
		c2, err := consortium.ParseChange(formatted)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("change altered by a round trip: %v\n%+v\n%+v", err, c, c2)
		}
	})
}

// FuzzSignedPower checks that opening a signed change never panics and
// never counts more power than the members hold.
func FuzzSignedPower(f *testing.F) {
	ms := &consortium.Membership{}
	var signers []note.Signer
	for i := range 4 {
		m, s := fixedMember(f, i)
		ms.Members = append(ms.Members, m)
		signers = append(signers, s)
	}
	newcomer, _ := fixedMember(f, 4)
	text, err := (&consortium.Change{Origin: "net-1", Kind: consortium.ChangeAdd, Institution: newcomer.Institution, Power: 1, Card: &newcomer.Card}).Text()
	if err != nil {
		f.Fatal(err)
	}
	for n := 1; n <= 4; n++ {
		signed, err := note.Sign(&note.Note{Text: text}, signers[:n]...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(signed)
	}
	f.Fuzz(func(t *testing.T, signed []byte) {
		c, power, err := ms.SignedPower(signed)
		if err != nil {
			return
		}
		if c == nil || power < 1 || power > ms.TotalPower() {
			t.Fatalf("change %+v counted with power %d of %d", c, power, ms.TotalPower())
		}
	})
}
