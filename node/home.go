// Package node runs a Jurichain validator: it lays out a node's home
// directory (an institution's keys and member card, the network's genesis
// and trust policy), embeds CometBFT in-process with the ledger as its
// ABCI application, and hands transactions to the mempool. It is the only
// package that imports CometBFT's node and config packages.
package node

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
	"github.com/jurichain/jurichain/witness"
)

// Home is a node's directory. Its layout:
//
//	config/config.toml        CometBFT settings, tuned for Jurichain
//	config/jurichain.json     Jurichain settings (HTTP API address)
//	config/card.json          this institution's public member card; names the crypto suite
//	config/genesis.json       the network's genesis (suite, members, chain ID = log origin)
//	config/node_key.json      p2p identity
//	config/priv_validator_key.json  consensus key (CometBFT's own, Ed25519 in every suite)
//	config/checkpoint.key     signs checkpoints as the log (a key of the suite, PKCS#8 PEM); the node key
//	config/vault.key          the evidence vault's master key (created by serve)
//	config/cosign.key         this validator's tlog-cosignature key
//	config/governance.key     signs membership changes
//	config/institution-ca.pem the institution's certificate authority (X.509, the suite's certificate scheme)
//	config/institution-ca.key its private key
//	config/pki/               seal and time-stamping credentials, their history, the CRL
//	config/policy             the network's tlog-policy at genesis
//	data/                     CometBFT's block store and WAL
//	data/office/              the institution's own records (package office)
//	data/vault/               encrypted originals, unless they are kept in S3
//	data/ledger/log/          the log: leaves and tile-level hashes (flat files)
//	data/ledger/state/        the ledger's Pebble database
type Home string

func (h Home) path(elem ...string) string {
	return filepath.Join(append([]string{string(h)}, elem...)...)
}

// ConfigFile is CometBFT's configuration file.
func (h Home) ConfigFile() string { return h.path("config", "config.toml") }

// SettingsFile holds Jurichain's own settings.
func (h Home) SettingsFile() string { return h.path("config", "jurichain.json") }

// CardFile is the institution's member card.
func (h Home) CardFile() string { return h.path("config", "card.json") }

// GenesisFile is the network's genesis.
func (h Home) GenesisFile() string { return h.path("config", "genesis.json") }

// PolicyFile is the network's tlog-policy at genesis.
func (h Home) PolicyFile() string { return h.path("config", "policy") }

// GovernanceKeyFile signs membership changes.
func (h Home) GovernanceKeyFile() string { return h.path("config", "governance.key") }

func (h Home) checkpointKeyFile() string { return h.path("config", "checkpoint.key") }
func (h Home) cosignKeyFile() string     { return h.path("config", "cosign.key") }

// CAFile is the institution's certificate authority (PEM), under which
// its seal and time-stamping certificates are issued; CAKeyFile its key.
func (h Home) CAFile() string { return h.path("config", "institution-ca.pem") }

// CAKeyFile is the private key of the institution's certificate
// authority, a key of the suite's certificate scheme (PKCS#8 PEM).
func (h Home) CAKeyFile() string { return h.path("config", "institution-ca.key") }

// PKIDir holds the institution's seal and time-stamping credentials, their
// history and its revocation list (package pki's Keyring).
func (h Home) PKIDir() string { return h.path("config", "pki") }

// CosignKey returns this validator's cosignature key, with which the
// institution also vouches for its certificate authority (package
// certificate's Endorsement): it is the key the network's policy names
// the institution by.
func (h Home) CosignKey(cs *suite.Suite) (suite.PrivateKey, error) {
	b, err := os.ReadFile(h.cosignKeyFile())
	if err != nil {
		return nil, fmt.Errorf("reading the cosignature key: %w", err)
	}
	_, k, err := cs.ParseNoteKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("cosignature key %s: %w", h.cosignKeyFile(), err)
	}
	return k, nil
}

// LedgerDir holds the ledger's store.
func (h Home) LedgerDir() string { return h.path("data", "ledger") }

// OfficeDir holds the institution's own records (package office).
func (h Home) OfficeDir() string { return h.path("data", "office") }

// ImportDir receives evidence packages while the node verifies them;
// each file is removed once its verdict is recorded.
func (h Home) ImportDir() string { return h.path("data", "imports") }

// VaultDir holds the encrypted originals when they are kept on local disk.
func (h Home) VaultDir() string { return h.path("data", "vault") }

func (h Home) vaultKeyFile() string { return h.path("config", "vault.key") }

// VaultKey returns the evidence vault's master key, creating it (readable
// by the owner only) on first use. Losing it loses every stored original.
func (h Home) VaultKey() ([]byte, error) {
	b, err := os.ReadFile(h.vaultKeyFile())
	if errors.Is(err, os.ErrNotExist) {
		key, err := vault.NewMasterKey()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(h.vaultKeyFile(), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("writing the vault master key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the vault master key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("vault master key %s is damaged: want 64 hex characters", h.vaultKeyFile())
	}
	return key, nil
}

// NodeKey returns the node's log key as a signing key of the suite. Besides
// checkpoints, the node signs with it the access-trail records it deposits,
// the registrations it attests, and its operator's API requests.
func (h Home) NodeKey(cs *suite.Suite) (suite.PrivateKey, error) {
	b, err := os.ReadFile(h.checkpointKeyFile())
	if err != nil {
		return nil, fmt.Errorf("reading the node key: %w", err)
	}
	k, err := cs.Signature().ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("node key %s (the %s suite): %w", h.checkpointKeyFile(), cs, err)
	}
	return k, nil
}

// LogSigner returns the node's log key as the note signer named by the
// network's origin, in the home's suite.
func (h Home) LogSigner(origin string) (note.Signer, error) {
	cs, err := h.Suite()
	if err != nil {
		return nil, err
	}
	return h.logSigner(cs, origin)
}

func (h Home) logSigner(cs *suite.Suite, origin string) (note.Signer, error) {
	key, err := h.NodeKey(cs)
	if err != nil {
		return nil, err
	}
	if _, err := cs.VerifierKey(origin, key.Public()); err != nil {
		return nil, fmt.Errorf("log key for origin %q: %w", origin, err)
	}
	return cs.Signer(origin, key), nil
}

// Suite returns the home's crypto suite: the genesis's once the home
// belongs to a network, before that the one its member card names (init
// records it there).
func (h Home) Suite() (*suite.Suite, error) {
	if h.Initialized() {
		_, as, err := ReadGenesis(h.GenesisFile())
		if err != nil {
			return nil, err
		}
		cs, err := suite.ByName(as.Suite)
		if err != nil {
			return nil, fmt.Errorf("genesis app_state.suite: %w", err)
		}
		return cs, nil
	}
	card, err := h.LoadCard()
	if err != nil {
		return nil, err
	}
	return card.CryptoSuite()
}

// Initialized reports whether the home holds a genesis.
func (h Home) Initialized() bool {
	_, err := os.Stat(h.GenesisFile())
	return err == nil
}

// HasInstitution reports whether the home holds an institution's keys.
func (h Home) HasInstitution() bool {
	_, err := os.Stat(h.CardFile())
	return err == nil
}

// Settings are Jurichain's per-node settings.
type Settings struct {
	// HTTP is the API's listen address.
	HTTP string `json:"http"`
	// PublicNames are further names (host or host:port) under which
	// clients reach the API, e.g. behind a proxy; the node accepts
	// requests signed for these, its listen address and its card's API
	// URL.
	PublicNames []string `json:"public_names,omitempty"`
	// Witnesses are the outside witnesses the node asks to cosign the
	// network's final checkpoints (C2SP tlog-witness).
	Witnesses []witness.Witness `json:"witnesses,omitempty"`
	// WitnessedLogs are the logs the node witnesses: it cosigns their
	// checkpoints at POST /witness/add-checkpoint.
	WitnessedLogs []witness.Log `json:"witnessed_logs,omitempty"`
	// Upstreams are the networks this node anchors its network's final
	// checkpoints into.
	Upstreams []UpstreamSettings `json:"upstreams,omitempty"`
}

// UpstreamSettings configure anchoring into one upstream network.
type UpstreamSettings struct {
	// URL is the base URL of a node of the upstream network.
	URL string `json:"url"`
	// Policy is the upstream's tlog-policy file, relative to the home;
	// empty to fetch it from the upstream once and pin it
	// (UpstreamPinFile).
	Policy string `json:"policy"`
	// Every (a Go duration) and Entries say when to anchor: once Every
	// passed or Entries entries arrived since the last anchor.
	Every   string `json:"every"`
	Entries uint64 `json:"entries"`
}

// SaveSettings replaces the home's settings, atomically: a crash leaves
// the old file or the new one.
func (h Home) SaveSettings(s Settings) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := h.SettingsFile() + ".new"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	if err := os.Rename(tmp, h.SettingsFile()); err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	return nil
}

// UpstreamsDir holds the upstream networks' policies: those given to
// serve and those fetched and pinned.
func (h Home) UpstreamsDir() string { return h.path("config", "upstreams") }

// UpstreamPinFile is where the policy of the upstream at rawURL is
// pinned when none is configured.
func (h Home) UpstreamPinFile(rawURL string) string {
	return filepath.Join(h.UpstreamsDir(), upstreamName(rawURL)+".pinned.policy")
}

// UpstreamPolicyFile is where serve --anchor-policy copies the policy of
// the upstream at rawURL, and its name relative to the home.
func (h Home) UpstreamPolicyFile(rawURL string) (path, rel string) {
	rel = filepath.Join("config", "upstreams", upstreamName(rawURL)+".policy")
	return h.path(rel), rel
}

// Path resolves a file name relative to the home.
func (h Home) Path(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return h.path(rel)
}

// upstreamName is a file name for an upstream URL: its host and port
// and path, other characters replaced.
func upstreamName(rawURL string) string {
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Trim(s, "/")
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte("upstream_"), b...)
	}
	return string(b)
}

// LoadSettings reads the home's settings.
func (h Home) LoadSettings() (Settings, error) {
	var s Settings
	b, err := os.ReadFile(h.SettingsFile())
	if err != nil {
		return s, fmt.Errorf("reading settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", h.SettingsFile(), err)
	}
	return s, nil
}

// LoadCard reads the home's member card.
func (h Home) LoadCard() (*consortium.Card, error) {
	b, err := os.ReadFile(h.CardFile())
	if err != nil {
		return nil, fmt.Errorf("reading member card: %w", err)
	}
	return consortium.ParseCard(b)
}

// InstitutionOptions configure a new institution's node.
type InstitutionOptions struct {
	// Institution names the member in the policy and its signatures.
	Institution string
	// Kind is what body the institution is; it bounds its staff's roles.
	Kind identity.InstitutionKind
	// P2PAddress is CometBFT's p2p listen address (tcp://host:port).
	P2PAddress string
	// ExternalAddress is host:port where peers reach the node; defaults
	// to the listen address.
	ExternalAddress string
	// HTTP is the API's listen address.
	HTTP string
	// APIURL is the API's public URL, written on the card for monitoring;
	// defaults to http://HTTP.
	APIURL string
	// Suite names the crypto suite of the institution's keys ("intl",
	// the default, or "gm"); it must be the network's.
	Suite string
}

// InitInstitution creates an institution's keys, node configuration and
// public member card in the home. The node can start once the home also
// holds the network's genesis (see Join).
func InitInstitution(h Home, o InstitutionOptions) (*consortium.Card, error) {
	if h.HasInstitution() {
		return nil, fmt.Errorf("%s already holds an institution's keys; choose another --home or remove it", h)
	}
	if err := consortium.CheckInstitutionName(o.Institution); err != nil {
		return nil, err
	}
	if !identity.ValidInstitutionKind(o.Kind) {
		return nil, fmt.Errorf("institution kind %q: use one of %s", o.Kind, identity.KindNames())
	}
	if o.P2PAddress == "" {
		o.P2PAddress = "tcp://127.0.0.1:26656"
	}
	if o.HTTP == "" {
		o.HTTP = "127.0.0.1:8080"
	}
	if o.ExternalAddress == "" {
		_, hostPort, ok := strings.Cut(o.P2PAddress, "://")
		if !ok || hostPort == "" {
			return nil, fmt.Errorf("p2p address %q: want tcp://host:port", o.P2PAddress)
		}
		o.ExternalAddress = hostPort
	}
	if o.APIURL == "" {
		o.APIURL = "http://" + o.HTTP
	}
	cs, err := suite.ByName(o.Suite)
	if err != nil {
		return nil, err
	}
	cfg := Config(h)
	cfg.P2P.ListenAddress = o.P2PAddress
	cfg.Moniker = o.Institution
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(h.path(d), 0o700); err != nil {
			return nil, fmt.Errorf("creating node home: %w", err)
		}
	}
	cmtcfg.WriteConfigFile(h.ConfigFile(), cfg)
	settings, err := json.MarshalIndent(Settings{HTTP: o.HTTP}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(h.SettingsFile(), append(settings, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("writing settings: %w", err)
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("creating node key: %w", err)
	}
	// The consensus key is CometBFT's own (Ed25519 whatever the suite):
	// CometBFT supports no other validator keys. It signs votes only;
	// everything the ledger records or proves is signed with keys of the
	// suite.
	pv := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, err
	}
	logPub, err := newLogKey(cs, h.checkpointKeyFile())
	if err != nil {
		return nil, err
	}
	cosignVKey, err := newNoteKey(cs, h.cosignKeyFile(), o.Institution)
	if err != nil {
		return nil, err
	}
	if cosignVKey, err = cs.CosignatureVerifierKey(cosignVKey); err != nil {
		return nil, err
	}
	govVKey, err := newNoteKey(cs, h.GovernanceKeyFile(), o.Institution)
	if err != nil {
		return nil, err
	}
	if err := h.NewCA(cs, pki.Institution{Name: o.Institution, Kind: string(o.Kind)}); err != nil {
		return nil, err
	}
	card := &consortium.Card{
		Suite:         cs.Name(),
		Institution:   o.Institution,
		Kind:          o.Kind,
		ValidatorKey:  base64.StdEncoding.EncodeToString(pub.Bytes()),
		LogKey:        base64.StdEncoding.EncodeToString(logPub),
		CosignKey:     cosignVKey,
		GovernanceKey: govVKey,
		NodeID:        string(nodeKey.ID()),
		P2PAddress:    o.ExternalAddress,
		API:           o.APIURL,
	}
	if err := card.Check(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(h.CardFile(), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("writing member card: %w", err)
	}
	return card, nil
}

// newLogKey writes a new private key of the suite to file (PKCS #8 PEM)
// and returns its public key. The note key built from it is named by the
// network's origin, which is chosen later, so the file holds the bare key.
func newLogKey(cs *suite.Suite, file string) ([]byte, error) {
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	b, err := key.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, fmt.Errorf("writing key: %w", err)
	}
	return key.Public(), nil
}

// NewCA writes the institution's certificate authority: a key of the
// suite's certificate scheme and its self-signed certificate (ECDSA P-256
// in the international suite, SM2 with SM3 in the GM suite), replacing
// any there was.
func (h Home) NewCA(cs *suite.Suite, inst pki.Institution) error {
	key, err := cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := pki.NewCA(cs, key, inst, time.Now())
	if err != nil {
		return err
	}
	b, err := cs.Certificates().MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(h.CAKeyFile(), b, 0o600); err != nil {
		return fmt.Errorf("writing the certificate authority's key: %w", err)
	}
	if err := os.WriteFile(h.CAFile(), pki.EncodePEM(der), 0o644); err != nil {
		return fmt.Errorf("writing the certificate authority: %w", err)
	}
	return nil
}

// newNoteKey writes a new signed-note private key of the suite to file and
// returns its verifier key.
func newNoteKey(cs *suite.Suite, file, name string) (vkey string, err error) {
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("generating key %s: %w", name, err)
	}
	if err := os.WriteFile(file, []byte(skey+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing key: %w", err)
	}
	return vkey, nil
}

// LoadNoteSigner reads a signed-note private key file of the suite cs,
// such as the governance key.
func LoadNoteSigner(cs *suite.Suite, file string) (note.Signer, error) {
	return loadSigner(file, cs.NewSigner)
}

func loadSigner(file string, parse func(string) (note.Signer, error)) (note.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, errors.New("key file " + file + " is damaged")
	}
	s, err := parse(string(b[:len(b)-1]))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", file, err)
	}
	return s, nil
}
