package node

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/emmansun/gmsm/smx509"
	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/policy"

	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

// forEachSuite runs f as a subtest for each suite.
func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

// testPorts are addresses for n nodes; nothing listens on them.
func testPorts(n int) []string {
	var ports []string
	for i := range 2 * n {
		ports = append(ports, fmt.Sprintf("127.0.0.1:%d", 40000+i))
	}
	return ports
}

// TestTestnetInEachSuite writes a testnet of each suite and checks that
// every key of every home is of the suite, and that a checkpoint signed
// by the nodes' log keys and cosigned with their cosign keys verifies
// under the network's policy, as a verifier holding only the policy
// checks it.
func TestTestnetInEachSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		homes, err := Testnet(t.TempDir(), "", 3, cs.Name(), testPorts(3))
		if err != nil {
			t.Fatal(err)
		}
		gen, as, err := ReadGenesis(homes[0].GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if as.Suite != cs.Name() {
			t.Fatalf("genesis suite %q, want %q", as.Suite, cs.Name())
		}
		text, err := os.ReadFile(homes[0].PolicyFile())
		if err != nil {
			t.Fatal(err)
		}
		pol, err := policy.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if pol.Suite().Name() != cs.Name() || pol.Origin() != gen.ChainID {
			t.Fatalf("policy of the %v suite for %q, want %s for %q", pol.Suite(), pol.Origin(), cs.Name(), gen.ChainID)
		}
		if !bytes.HasPrefix(text, []byte("# suite "+cs.Name()+": ")) {
			t.Fatalf("the policy does not say its suite:\n%s", text)
		}
		body := log.Checkpoint{Origin: gen.ChainID, Size: 1, Hash: cs.LogHasher().HashLeaf([]byte("leaf"))}.Marshal()
		var signers []note.Signer
		for _, h := range homes {
			hs, err := h.Suite()
			if err != nil || hs.Name() != cs.Name() {
				t.Fatalf("home %s: suite %v, %v", h, hs, err)
			}
			card, err := h.LoadCard()
			if err != nil {
				t.Fatal(err)
			}
			if card.Suite != cs.Name() {
				t.Fatalf("card suite %q, want %q", card.Suite, cs.Name())
			}
			key, err := h.NodeKey(cs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key.Public(), card.LogPubKey()) {
				t.Fatal("the node key is not the card's log key")
			}
			ls, err := h.LogSigner(gen.ChainID)
			if err != nil {
				t.Fatal(err)
			}
			cos, err := loadSigner(h.cosignKeyFile(), func(s string) (note.Signer, error) { return cs.NewCosigner(s, time.Now) })
			if err != nil {
				t.Fatal(err)
			}
			signers = append(signers, ls, cos)
			// The governance key signs what the card's governance key
			// verifies.
			gs, err := LoadNoteSigner(cs, h.GovernanceKeyFile())
			if err != nil {
				t.Fatal(err)
			}
			gv, err := cs.NewVerifier(card.GovernanceKey)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: "change\n"}, gs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := note.Open(signed, note.VerifierList(gv)); err != nil {
				t.Fatalf("a governance signature does not verify under the card's key: %v", err)
			}
			// Keys of this suite are not keys of the other.
			for _, other := range suite.All() {
				if other.Name() == cs.Name() {
					continue
				}
				if _, err := h.NodeKey(other); err == nil {
					t.Errorf("the %s node key parsed as a %s key", cs.Name(), other.Name())
				}
				if _, err := LoadNoteSigner(other, h.GovernanceKeyFile()); err == nil {
					t.Errorf("the %s governance key parsed as a %s key", cs.Name(), other.Name())
				}
			}
		}
		signed, err := note.Sign(&note.Note{Text: string(body)}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pol.Verify(signed)
		if err != nil {
			t.Fatalf("a checkpoint of the nodes' keys under the network's policy: %v", err)
		}
		if len(res.Cosigners) != 3 {
			t.Fatalf("%d cosigners, want 3", len(res.Cosigners))
		}
		// Two of three do not make the quorum of more than two thirds.
		signed, err = note.Sign(&note.Note{Text: string(body)}, signers[:4]...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pol.Verify(signed); err == nil {
			t.Fatal("two of three cosignatures verified")
		}
	})
}

// TestInitRecordsTheSuite makes a one-institution network of each suite:
// the genesis names the suite and its chain ID is a fingerprint in the
// suite's hash, which for the international suite is the SHA-256 one
// networks had before there was a choice.
func TestInitRecordsTheSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		h := Home(t.TempDir())
		if err := Init(h, InitOptions{InstitutionOptions: InstitutionOptions{Suite: cs.Name(), P2PAddress: "tcp://127.0.0.1:40100", HTTP: "127.0.0.1:40101"}}); err != nil {
			t.Fatal(err)
		}
		gen, as, err := ReadGenesis(h.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if as.Suite != cs.Name() {
			t.Fatalf("genesis suite %q", as.Suite)
		}
		// The institution's certificate authority is signed with the
		// suite, and its key is a key of the suite.
		der, err := pki.DecodePEM(must(os.ReadFile(h.CAFile())))
		if err != nil {
			t.Fatal(err)
		}
		ca, err := pki.Check(cs, der)
		if err != nil || !ca.IsCA {
			t.Fatalf("certificate authority: %v", err)
		}
		caKey, err := cs.Certificates().ParsePrivateKey(must(os.ReadFile(h.CAKeyFile())))
		if err != nil || ca.CheckSignatureFrom(ca) != nil {
			t.Fatalf("certificate authority key: %v", err)
		}
		keyDER, _ := smx509.MarshalPKIXPublicKey(caKey.Public())
		certPub, err := smx509.MarshalPKIXPublicKey(ca.PublicKey)
		if err != nil || !bytes.Equal(keyDER, certPub) {
			t.Fatalf("the certificate authority's certificate is not for its key (%v)", err)
		}
		if cs.Name() == suite.NameInternational {
			var b bytes.Buffer
			b.WriteString(gen.GenesisTime.UTC().Format(time.RFC3339Nano) + "\n")
			if err := json.Compact(&b, gen.AppState); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b.Bytes())
			if !strings.HasSuffix(gen.ChainID, "-"+hex.EncodeToString(sum[:4])) {
				t.Fatalf("chain ID %q is not the SHA-256 fingerprint of the genesis", gen.ChainID)
			}
		}
		// A genesis edited to claim the other suite no longer matches its
		// chain ID, or is refused for its members.
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			edited := bytes.Replace(must(os.ReadFile(h.GenesisFile())), []byte(`"suite": "`+cs.Name()+`"`), []byte(`"suite": "`+other.Name()+`"`), 1)
			f := filepath.Join(t.TempDir(), "genesis.json")
			if err := os.WriteFile(f, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ReadGenesis(f); err == nil {
				t.Fatalf("a genesis edited to the %s suite was read", other.Name())
			}
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestGenesisRefusesAnotherSuite checks that a genesis of one suite
// refuses members of the other, and that an institution does not join a
// network of the other suite, each naming both suites.
func TestGenesisRefusesAnotherSuite(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		h := Home(t.TempDir())
		card, err := InitInstitution(h, InstitutionOptions{Institution: "court", Kind: "court", Suite: cs.Name(), P2PAddress: "tcp://127.0.0.1:40200", HTTP: "127.0.0.1:40201"})
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			_, err := NewGenesis(GenesisOptions{Name: "net", Suite: other.Name(), Members: []consortium.Member{{Card: *card, Power: 1}}})
			if err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Fatalf("a %s genesis of a %s member: %v, want a refusal naming both suites", other.Name(), cs.Name(), err)
			}
			homes, err := Testnet(t.TempDir(), "", 1, other.Name(), testPorts(1))
			if err != nil {
				t.Fatal(err)
			}
			err = Join(h, filepath.Join(filepath.Dir(string(homes[0])), "genesis.json"), nil)
			if err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Fatalf("a %s institution joining a %s network: %v, want a refusal naming both suites", cs.Name(), other.Name(), err)
			}
		}
	})
}
