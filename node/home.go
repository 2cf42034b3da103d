// Package node runs a Jurichain validator: it lays out a node's home
// directory (keys, genesis, trust policy), embeds CometBFT in-process with
// the ledger as its ABCI application, and hands transactions to the
// mempool. It is the only package that imports CometBFT's node and config
// packages.
package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// Home is a node's directory. Its layout:
//
//	config/config.toml        CometBFT settings, tuned for Jurichain
//	config/genesis.json       the network's genesis (chain ID = log origin)
//	config/node_key.json      p2p identity
//	config/priv_validator_key.json  consensus key
//	config/checkpoint.key     signs checkpoints as the log (note key)
//	config/cosign.key         this validator's tlog-cosignature key
//	config/policy             the network's C2SP tlog-policy
//	data/                     CometBFT's block store and WAL
//	data/ledger/log/          the log: leaves and tile-level hashes (flat files)
//	data/ledger/state/        the ledger's Pebble database
type Home string

func (h Home) path(elem ...string) string {
	return filepath.Join(append([]string{string(h)}, elem...)...)
}

// ConfigFile is CometBFT's configuration file.
func (h Home) ConfigFile() string { return h.path("config", "config.toml") }

// GenesisFile is the network's genesis.
func (h Home) GenesisFile() string { return h.path("config", "genesis.json") }

// PolicyFile is the network's tlog-policy.
func (h Home) PolicyFile() string { return h.path("config", "policy") }

func (h Home) checkpointKeyFile() string { return h.path("config", "checkpoint.key") }
func (h Home) cosignKeyFile() string     { return h.path("config", "cosign.key") }

// LedgerDir holds the ledger's store.
func (h Home) LedgerDir() string { return h.path("data", "ledger") }

// Initialized reports whether the home holds a genesis.
func (h Home) Initialized() bool {
	_, err := os.Stat(h.GenesisFile())
	return err == nil
}

// AppState is the Jurichain part of the genesis.
type AppState struct {
	// Suite names the crypto suite (see package suite).
	Suite string `json:"suite"`
}

// InitOptions configure a new single-validator network.
type InitOptions struct {
	// ChainID is the network name and the log's checkpoint origin;
	// generated when empty.
	ChainID string
	// Institution names this validator in the policy and its cosignatures.
	Institution string
	// P2PAddress is CometBFT's p2p listen address.
	P2PAddress string
	// Suite is the crypto suite name.
	Suite string
}

// Init creates a complete single-validator network in the home: keys,
// genesis, policy and configuration. It refuses to touch an initialised
// home.
func Init(h Home, o InitOptions) error {
	if h.Initialized() {
		return fmt.Errorf("%s already holds a node; choose another --home or remove it", h)
	}
	if o.ChainID == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		o.ChainID = "jurichain-local-" + hex.EncodeToString(b[:])
	}
	if o.Institution == "" {
		o.Institution = "validator0"
	}
	if o.P2PAddress == "" {
		o.P2PAddress = "tcp://127.0.0.1:26656"
	}
	if _, err := suite.ByName(o.Suite); err != nil {
		return err
	}
	for _, name := range []string{o.ChainID, o.Institution} {
		if !validKeyName(name) {
			return fmt.Errorf("%q cannot name a key: use letters, digits, '.', '-', '_' or '/'", name)
		}
	}
	cfg := Config(h)
	cfg.P2P.ListenAddress = o.P2PAddress
	if err := os.MkdirAll(h.path("config"), 0o700); err != nil {
		return fmt.Errorf("creating node home: %w", err)
	}
	if err := os.MkdirAll(h.path("data"), 0o700); err != nil {
		return fmt.Errorf("creating node home: %w", err)
	}
	cmtcfg.WriteConfigFile(h.ConfigFile(), cfg)
	if _, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile()); err != nil {
		return fmt.Errorf("creating node key: %w", err)
	}
	pv := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	logVKey, err := newNoteKey(h.checkpointKeyFile(), o.ChainID)
	if err != nil {
		return err
	}
	cosignVKey, err := newNoteKey(h.cosignKeyFile(), o.Institution)
	if err != nil {
		return err
	}
	if cosignVKey, err = fnote.VKeyToCosignatureV1(cosignVKey); err != nil {
		return err
	}
	pol := policy.Policy{
		Logs:      []policy.Log{{VKey: logVKey}},
		Witnesses: []policy.Witness{{Name: o.Institution, VKey: cosignVKey}},
		Groups:    []policy.Group{{Name: "validators", Threshold: 1, Members: []string{o.Institution}}},
		Quorum:    "validators",
	}
	if err := os.WriteFile(h.PolicyFile(), pol.Format(), 0o644); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	appState, err := json.Marshal(AppState{Suite: o.Suite})
	if err != nil {
		return err
	}
	params := types.DefaultConsensusParams()
	gen := types.GenesisDoc{
		GenesisTime:     cmttime.Now().Truncate(time.Second),
		ChainID:         o.ChainID,
		ConsensusParams: params,
		Validators:      []types.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: o.Institution}},
		AppState:        appState,
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("building genesis: %w", err)
	}
	if err := gen.SaveAs(h.GenesisFile()); err != nil {
		return fmt.Errorf("writing genesis: %w", err)
	}
	return nil
}

// validKeyName reports whether s can name a signed-note key and a
// CometBFT chain.
func validKeyName(s string) bool {
	if s == "" || len(s) > types.MaxChainIDLen {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r == '/'
		if !ok {
			return false
		}
	}
	return true
}

// newNoteKey writes a new Ed25519 signed-note private key to file and
// returns its verifier key.
func newNoteKey(file, name string) (vkey string, err error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("generating key %s: %w", name, err)
	}
	if err := os.WriteFile(file, []byte(skey+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing key: %w", err)
	}
	return vkey, nil
}

func readNoteKey(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading key: %w", err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return "", errors.New("key file " + file + " is damaged")
	}
	return string(b[:len(b)-1]), nil
}

// Config returns Jurichain's CometBFT settings for a home. Blocks are
// short (timeout_commit 50 ms, skipped once every precommit is in) so a
// deposit commits within a few hundred milliseconds, blocks are made only when there are deposits, the
// transaction indexer is off (the ledger indexes what it needs), and the
// CometBFT RPC server is off (the Jurichain API serves everything).
func Config(h Home) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(string(h))
	cfg.Moniker = "jurichain"
	cfg.LogLevel = "info"
	cfg.RPC.ListenAddress = ""
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:26656"
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.AddrBookStrict = false
	cfg.Consensus.TimeoutPropose = 1 * time.Second
	cfg.Consensus.TimeoutCommit = 50 * time.Millisecond
	// Start the next height as soon as every validator's precommit is in,
	// rather than always waiting timeout_commit.
	cfg.Consensus.SkipTimeoutCommit = true
	cfg.Consensus.CreateEmptyBlocks = false
	cfg.Mempool.Size = 20000
	cfg.Mempool.MaxTxBytes = 4 << 20
	cfg.Mempool.MaxTxsBytes = 1 << 30
	cfg.Mempool.CacheSize = 20000
	// A deposit transaction's validity depends only on its signatures, not
	// on state, so re-checking the mempool after each block is wasted work.
	cfg.Mempool.Recheck = false
	cfg.TxIndex.Indexer = "null"
	cfg.Storage.DiscardABCIResponses = true
	cfg.Instrumentation.Prometheus = false
	return cfg
}
