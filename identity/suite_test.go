package identity_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// TestAccountIDsAndCommitmentsFollowTheSuite checks that ids and
// commitments are made with the network suite's hash: the international
// ones exactly as before the GM suite existed (SHA-256), the GM ones with
// SM3, so the two differ for the same inputs.
func TestAccountIDsAndCommitmentsFollowTheSuite(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	salt := []byte("0123456789abcdef")
	// Computed with the code before the suites, on SHA-256.
	const intlID = "acct-bb61942d22f39b7ca817"
	const intlCommit = "cb19ff14cb1c322e8ed3aae49b637ee374cb099313489f51145e075894e4060c"
	gotID := identity.AccountID(suite.International(), "xuhui-notary", key)
	gotCommit, err := identity.Commit(suite.International(), salt, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if gotID != intlID || hex.EncodeToString(gotCommit) != intlCommit {
		t.Errorf("international id %s, commitment %x: want %s, %s as before", gotID, gotCommit, intlID, intlCommit)
	}
	gm := suite.GM()
	h := gm.Hash([]byte("jurichain account\nxuhui-notary\n"), key)
	if got, want := identity.AccountID(gm, "xuhui-notary", key), "acct-"+hex.EncodeToString(h[:10]); got != want || got == intlID {
		t.Errorf("GM id %s, want %s (SM3)", got, want)
	}
	c := gm.Hash([]byte("jurichain identity commitment v1\n"), salt, []byte("data"))
	if got, _ := identity.Commit(gm, salt, []byte("data")); hex.EncodeToString(got) != hex.EncodeToString(c[:]) {
		t.Errorf("GM commitment %x, want %x (SM3)", got, c)
	}
}

// TestCrossSuiteOperationsRefused checks that an operation made for a
// network of one suite (its key, and a registration's account id) is
// refused on a network of the other, with a message naming both suites.
func TestCrossSuiteOperationsRefused(t *testing.T) {
	for _, network := range suite.All() {
		for _, other := range suite.All() {
			if other == network || other.Name() == network.Name() {
				continue
			}
			t.Run(other.Name()+" op on "+network.Name()+" network", func(t *testing.T) {
				l := newLedgerIn(t, network, "xuhui-notary")
				node := l.signers["xuhui-notary"]
				admin := newPersonIn(network, "xuhui-notary")
				if _, err := l.apply(sign(t, register(admin, identity.Admin), admin.signer(t), node)); err != nil {
					t.Fatal(err)
				}
				wantSuites := func(err error) {
					t.Helper()
					if err == nil || !strings.Contains(err.Error(), network.String()) || !strings.Contains(err.Error(), other.String()) {
						t.Fatalf("got %v, want a refusal naming %q and %q", err, network, other)
					}
				}
				// A registration of a key of the other suite.
				alien := newPersonIn(other, "xuhui-notary")
				_, err := l.apply(sign(t, register(alien, identity.Depositor), alien.signer(t), node))
				wantSuites(err)
				if l.accounts[alien.id] != nil {
					t.Fatal("a refused registration made an account")
				}
				// A key of the other suite added to an account.
				add := &identity.Op{Origin: origin, Account: admin.id, Version: l.version(admin), Action: identity.AddKey, Alg: other.Signature().Name(), Public: alien.key.Public()}
				alienSigner, err := identity.NewSigner(admin.id, alien.key, other.Signature().Name())
				if err != nil {
					t.Fatal(err)
				}
				_, err = l.apply(sign(t, add, admin.signer(t), alienSigner))
				wantSuites(err)
				// A key of the network's scheme under an id made with the
				// other suite's hash.
				p := newPersonIn(network, "xuhui-notary")
				p.id = identity.AccountID(other, p.inst, p.key.Public())
				if _, err := l.apply(sign(t, register(p, identity.Depositor), p.signer(t), node)); err == nil || !strings.Contains(err.Error(), "does not follow from the institution and key under the "+network.String()) {
					t.Fatalf("an id of the other suite's hash: %v", err)
				}
			})
		}
	}
}

// TestNewRegistrationUsesTheSuite checks that NewRegistration names the
// suite's algorithm and derives the id with its hash, and that the result
// applies.
func TestNewRegistrationUsesTheSuite(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			l := newLedgerIn(t, cs, "xuhui-notary")
			key, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			commitment, err := identity.Commit(cs, make([]byte, 16), []byte("{}"))
			if err != nil {
				t.Fatal(err)
			}
			op := identity.NewRegistration(cs, origin, "xuhui-notary", identity.Depositor, identity.Individual, key.Public(), commitment)
			if op.Alg != cs.Signature().Name() || op.Account != identity.AccountID(cs, "xuhui-notary", key.Public()) {
				t.Fatalf("registration %+v", op)
			}
			self, err := identity.NewSigner(op.Account, key, op.Alg)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := op.Sign(self, l.signers["xuhui-notary"])
			if err != nil {
				t.Fatal(err)
			}
			a, err := l.apply(signed)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != identity.Pending || a.Keys[0].Alg != cs.Signature().Name() {
				t.Fatalf("account %+v", a)
			}
		})
	}
}
