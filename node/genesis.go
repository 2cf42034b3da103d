package node

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	// CometBFT validator keys are Ed25519 in every suite: CometBFT
	// supports no other consensus keys.
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

// AppState is the Jurichain part of the genesis.
type AppState struct {
	// Suite names the crypto suite (see package suite).
	Suite string `json:"suite"`
	// Members are the founding institutions.
	Members []consortium.Member `json:"members"`
}

// GenesisOptions configure a new network.
type GenesisOptions struct {
	// Name is the network's name; the chain ID (and checkpoint origin) is
	// the name followed by a fingerprint of the genesis.
	Name string
	// Suite is the crypto suite name ("intl", the default, or "gm"); every
	// member's card must be of it.
	Suite   string
	Members []consortium.Member
}

// NewGenesis builds a network's genesis from its founding members.
func NewGenesis(o GenesisOptions) (*types.GenesisDoc, error) {
	cs, err := suite.ByName(o.Suite)
	if err != nil {
		return nil, err
	}
	if !consortium.ValidName(o.Name) || len(o.Name) > types.MaxChainIDLen-9 {
		return nil, fmt.Errorf("network name %q: use 1-%d letters, digits, '.', '-' or '_'", o.Name, types.MaxChainIDLen-9)
	}
	ms := consortium.Membership{Members: o.Members}
	if err := ms.Check(); err != nil {
		return nil, err
	}
	if err := ms.CheckSuite(cs); err != nil {
		return nil, err
	}
	appState, err := json.Marshal(AppState{Suite: cs.Name(), Members: o.Members})
	if err != nil {
		return nil, err
	}
	params := types.DefaultConsensusParams()
	// Validators cosign checkpoints in their precommit vote extensions.
	params.ABCI.VoteExtensionsEnableHeight = 1
	gen := &types.GenesisDoc{
		GenesisTime:     cmttime.Now().Truncate(time.Second),
		ConsensusParams: params,
		AppState:        appState,
	}
	gen.ChainID = o.Name + "-" + fingerprint(cs, gen)
	for _, m := range ms.Active() {
		pub := ed25519.PubKey(m.ValidatorPubKey())
		gen.Validators = append(gen.Validators, types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: m.Power, Name: m.Institution})
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("building genesis: %w", err)
	}
	return gen, nil
}

// fingerprint binds the chain ID to the genesis content, so two networks
// with different members never share a chain ID and CometBFT refuses to
// connect their nodes.
// The app state is hashed compacted, as saving the genesis indents it,
// with the network's suite hash (SHA-256 for the international suite, as
// before there was a choice).
func fingerprint(cs *suite.Suite, gen *types.GenesisDoc) string {
	var b bytes.Buffer
	b.WriteString(gen.GenesisTime.UTC().Format(time.RFC3339Nano) + "\n")
	if err := json.Compact(&b, gen.AppState); err != nil {
		return "" // matches no chain ID
	}
	h := cs.Hash(b.Bytes())
	return hex.EncodeToString(h[:4])
}

// ReadGenesis reads a genesis file and checks that its chain ID matches
// its content and that its validators are its members.
func ReadGenesis(file string) (*types.GenesisDoc, *AppState, error) {
	gen, err := types.GenesisDocFromFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading genesis: %w", err)
	}
	var as AppState
	if err := json.Unmarshal(gen.AppState, &as); err != nil {
		return nil, nil, fmt.Errorf("genesis app_state: %w", err)
	}
	cs, err := suite.ByName(as.Suite)
	if err != nil {
		return nil, nil, fmt.Errorf("genesis app_state.suite: %w", err)
	}
	i := strings.LastIndexByte(gen.ChainID, '-')
	if i < 0 || gen.ChainID[i+1:] != fingerprint(cs, gen) {
		return nil, nil, fmt.Errorf("genesis %s was changed after it was made: its chain ID %q does not match its content; get the genesis again from the network's coordinator", file, gen.ChainID)
	}
	ms := consortium.Membership{Members: as.Members}
	if err := ms.Check(); err != nil {
		return nil, nil, fmt.Errorf("genesis members: %w", err)
	}
	if err := ms.CheckSuite(cs); err != nil {
		return nil, nil, fmt.Errorf("genesis members: %w", err)
	}
	active := ms.Active()
	if len(active) != len(gen.Validators) {
		return nil, nil, errors.New("genesis validators differ from its members")
	}
	for _, v := range gen.Validators {
		m, ok := ms.Member(v.Name)
		if !ok || m.Power != v.Power || !v.PubKey.Equals(ed25519.PubKey(m.ValidatorPubKey())) {
			return nil, nil, fmt.Errorf("genesis validator %q differs from its member card", v.Name)
		}
	}
	return gen, &as, nil
}

// Join installs a network's genesis in an institution's home: the home's
// card must be one of the genesis members. Peers default to every other
// founding member.
func Join(h Home, genesisFile string, peers []string) error {
	if h.Initialized() {
		return fmt.Errorf("%s already belongs to a network (it has %s)", h, h.GenesisFile())
	}
	card, err := h.LoadCard()
	if err != nil {
		return fmt.Errorf("%s holds no institution: run 'jurichain init --institution NAME --home %s' first: %w", h, h, err)
	}
	gen, as, err := ReadGenesis(genesisFile)
	if err != nil {
		return err
	}
	mine, err := card.CryptoSuite()
	if err != nil {
		return err
	}
	if theirs, _ := suite.ByName(as.Suite); theirs.Name() != mine.Name() {
		return fmt.Errorf("institution %s has keys of the %s suite, the network of this genesis uses the %s suite: make the institution again with 'jurichain init --institution %s --suite %s'", card.Institution, mine, theirs, card.Institution, theirs.Name())
	}
	if peers == nil {
		found := false
		for _, m := range as.Members {
			if m.ValidatorKey == card.ValidatorKey {
				found = true
				continue
			}
			peers = append(peers, m.NodeID+"@"+m.P2PAddress)
		}
		if !found {
			return fmt.Errorf("institution %s is not a member of this genesis: a new member joins with --peers, after the members admitted it ('jurichain consortium propose --add')", card.Institution)
		}
	}
	ms := consortium.Membership{Members: as.Members}
	pol, err := ms.Policy(gen.ChainID)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(h)
	if err != nil {
		return err
	}
	cfg.P2P.PersistentPeers = strings.Join(peers, ",")
	cmtcfg.WriteConfigFile(h.ConfigFile(), cfg)
	if err := os.WriteFile(h.PolicyFile(), pol.Format(), 0o644); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if err := gen.SaveAs(h.GenesisFile()); err != nil {
		return fmt.Errorf("writing genesis: %w", err)
	}
	return nil
}

// InitOptions configure a new single-institution network.
type InitOptions struct {
	InstitutionOptions
	// Name is the network name (default jurichain-local); the genesis
	// fingerprint in the chain ID keeps networks apart. The crypto suite is
	// InstitutionOptions.Suite.
	Name string
}

// Init creates a complete single-validator network in the home.
func Init(h Home, o InitOptions) error {
	if h.Initialized() {
		return fmt.Errorf("%s already holds a node; choose another --home or remove it", h)
	}
	if o.Name == "" {
		o.Name = "jurichain-local"
	}
	if o.Institution == "" {
		o.Institution = "validator0"
	}
	if o.Kind == "" {
		// A one-institution network is most often a court's own evidence
		// platform: it onboards parties and holds the cases.
		o.Kind = identity.Court
	}
	card, err := InitInstitution(h, o.InstitutionOptions)
	if err != nil {
		return err
	}
	gen, err := NewGenesis(GenesisOptions{Name: o.Name, Suite: o.Suite, Members: []consortium.Member{{Card: *card, Power: 1}}})
	if err != nil {
		return err
	}
	f := h.path("config", "genesis.new.json")
	if err := gen.SaveAs(f); err != nil {
		return err
	}
	defer os.Remove(f)
	return Join(h, f, []string{})
}

// Testnet writes n node homes, node0..node{n-1}, in dir: one network of n
// institutions on 127.0.0.1, each node's p2p and HTTP ports taken from
// ports (two per node). The institutions take the kinds in turn:
// institution0 is a court, institution1 a notary office, and so on.
//
// Every key is of the suite named suiteName. The network is named name ("jurichain-testnet" when empty), so two
// testnets on one machine are told apart by their origins.
func Testnet(dir, name string, n int, suiteName string, ports []string) ([]Home, error) {
	if n < 1 || len(ports) < 2*n {
		return nil, fmt.Errorf("testnet: %d validators need %d ports", n, 2*n)
	}
	var homes []Home
	var members []consortium.Member
	kinds := identity.InstitutionKinds()
	for i := 0; i < n; i++ {
		h := Home(filepath.Join(dir, fmt.Sprintf("node%d", i)))
		card, err := InitInstitution(h, InstitutionOptions{
			Institution: fmt.Sprintf("institution%d", i),
			Kind:        kinds[i%len(kinds)],
			P2PAddress:  "tcp://" + ports[2*i],
			HTTP:        ports[2*i+1],
			Suite:       suiteName,
		})
		if err != nil {
			return nil, err
		}
		homes = append(homes, h)
		members = append(members, consortium.Member{Card: *card, Power: 1})
	}
	if name == "" {
		name = "jurichain-testnet"
	}
	gen, err := NewGenesis(GenesisOptions{Name: name, Suite: suiteName, Members: members})
	if err != nil {
		return nil, err
	}
	f := filepath.Join(dir, "genesis.json")
	if err := gen.SaveAs(f); err != nil {
		return nil, err
	}
	for _, h := range homes {
		if err := Join(h, f, nil); err != nil {
			return nil, err
		}
	}
	return homes, nil
}
