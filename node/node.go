package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/viper"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// Options configure a running node.
type Options struct {
	Home   Home
	Logger *slog.Logger
	// RetainBlocks lets CometBFT prune blocks older than this many heights;
	// zero keeps every block.
	RetainBlocks uint64
}

// Node is a running validator.
type Node struct {
	Suite  *suite.Suite
	Origin string
	// Institution is the member that runs this node.
	Institution string
	App         *ledger.App
	Store       *store.Store
	// LogSigner signs checkpoints as the log; the node also attests the
	// registrations it takes with it.
	LogSigner note.Signer
	// Cosigner is the node's timestamped cosigner (its cosignature key,
	// named by the institution): it cosigns the network's checkpoints and,
	// as a witness, other logs'.
	Cosigner note.Signer
	cmt      *nm.Node
	logger   *slog.Logger
}

// Start opens the node's stores and starts CometBFT with the ledger.
func Start(ctx context.Context, o Options) (*Node, error) {
	h := o.Home
	if !h.Initialized() {
		return nil, fmt.Errorf("%s holds no node: run 'jurichain init --home %s' first", h, h)
	}
	cfg, err := loadConfig(h)
	if err != nil {
		return nil, err
	}
	gen, as, err := ReadGenesis(h.GenesisFile())
	if err != nil {
		return nil, err
	}
	cs, err := suite.ByName(as.Suite)
	if err != nil {
		return nil, fmt.Errorf("genesis app_state.suite: %w", err)
	}
	logSigner, err := h.logSigner(cs, gen.ChainID)
	if err != nil {
		return nil, err
	}
	cosigner, err := loadSigner(h.cosignKeyFile(), func(s string) (note.Signer, error) { return cs.NewCosigner(s, time.Now) })
	if err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(h.LedgerDir(), logger)
	if err != nil {
		return nil, err
	}
	card, err := h.LoadCard()
	if err != nil {
		st.Close()
		return nil, err
	}
	n := &Node{Suite: cs, Origin: gen.ChainID, Institution: card.Institution, Store: st, LogSigner: logSigner, Cosigner: cosigner, logger: logger}
	app, err := ledger.New(ledger.Config{
		Suite: cs, Store: st, Origin: gen.ChainID,
		CheckpointSigner: logSigner, Cosigner: cosigner,
		Genesis:        &consortium.Membership{Members: as.Members},
		ReportEvidence: n.reportEvidence,
		RetainBlocks:   o.RetainBlocks, Logger: logger,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("reading node key: %w", err)
	}
	if _, err := os.Stat(cfg.PrivValidatorKeyFile()); err != nil {
		st.Close()
		return nil, fmt.Errorf("reading validator key: %w", err)
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	cmt, err := nm.NewNodeWithContext(ctx, cfg, pv, nodeKey,
		proxy.NewConnSyncLocalClientCreator(app),
		func() (*types.GenesisDoc, error) { return gen, nil },
		openConsensusDB,
		nm.DefaultMetricsProvider(cfg.Instrumentation),
		cometLogger{logger.With("module", "cometbft")},
	)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("creating consensus node: %w", err)
	}
	if err := cmt.Start(); err != nil {
		st.Close()
		return nil, fmt.Errorf("starting consensus node: %w", err)
	}
	n.App, n.cmt = app, cmt
	return n, nil
}

func loadConfig(h Home) (*cmtcfg.Config, error) {
	v := viper.New()
	v.SetConfigFile(h.ConfigFile())
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", h.ConfigFile(), err)
	}
	cfg := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(cfg); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", h.ConfigFile(), err)
	}
	cfg.SetRoot(string(h))
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", h.ConfigFile(), err)
	}
	return cfg, nil
}

// ErrBusy is returned by Submit when the mempool is full; the caller should
// retry shortly.
var ErrBusy = errors.New("the mempool is full")

// Submit hands a transaction to the mempool, which gossips it to the other
// validators, and returns once the ledger has admitted it.
func (n *Node) Submit(ctx context.Context, tx []byte) error {
	if err := refusal(n.App.Precheck(tx)); err != nil {
		return err
	}
	done := make(chan *abci.ResponseCheckTx, 1)
	err := n.cmt.Mempool().CheckTx(tx, func(r *abci.ResponseCheckTx) { done <- r }, mempool.TxInfo{})
	var full mempool.ErrMempoolIsFull
	switch {
	case errors.As(err, &full):
		return ErrBusy
	case errors.Is(err, mempool.ErrTxInCache):
		// The cache remembers transactions long after they commit. The
		// same deposits are the same deposits, and Precheck has judged
		// anything else against the state as it is now.
		return nil
	case err != nil:
		return fmt.Errorf("submitting transaction: %w", err)
	}
	select {
	case r := <-done:
		return refusal(r)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refusal is the ledger's refusal of a transaction, or nil.
func refusal(r *abci.ResponseCheckTx) error {
	if r.Code != ledger.CodeOK {
		return &ledger.RefusedError{Code: r.Code, Reason: r.Log}
	}
	return nil
}

// reportEvidence submits evidence of misbehaviour seen in a vote
// extension. It is called from consensus, which must not wait on the
// mempool, so it submits in the background.
func (n *Node) reportEvidence(tx []byte) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.Submit(ctx, tx); err != nil {
			n.logger.Error("submitting evidence of misbehaviour", "err", err)
		}
	}()
}

// Peers is the number of connected peers.
func (n *Node) Peers() int { return n.cmt.Switch().Peers().Size() }

// MempoolSize is the number of transactions waiting for a block.
func (n *Node) MempoolSize() int { return n.cmt.Mempool().Size() }

// Stop stops consensus and closes the stores.
func (n *Node) Stop() error {
	var errs []error
	if err := n.cmt.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stopping consensus: %w", err))
	}
	n.cmt.Wait()
	if err := n.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing ledger store: %w", err))
	}
	return errors.Join(errs...)
}

// cometLogger sends CometBFT's logs to slog. CometBFT logs every block at
// info level; those become debug so an operator's info log stays readable.
// A peer refused for running another network is an operator's problem
// (a wrong genesis or peer list) and is reported as such.
type cometLogger struct{ l *slog.Logger }

func (c cometLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cometLogger) Info(msg string, kv ...any) {
	if !c.otherNetwork(kv) {
		c.l.Debug(msg, kv...)
	}
}
func (c cometLogger) Error(msg string, kv ...any) {
	if !c.otherNetwork(kv) {
		c.l.Warn(msg, kv...)
	}
}
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{c.l.With(kv...)}
}

func (c cometLogger) otherNetwork(kv []any) bool {
	for _, v := range kv {
		err, ok := v.(error)
		var rej p2p.ErrRejected
		if ok && errors.As(err, &rej) && rej.IsIncompatible() {
			c.l.Error("refused to connect: the peer runs a different network (another genesis); check the genesis file and the peer list", "err", err)
			return true
		}
	}
	return false
}

// Config returns Jurichain's CometBFT settings for a home. Blocks are
// short (timeout_commit 50 ms, skipped once every precommit is in) so a
// deposit commits within a few hundred milliseconds; blocks are made only
// when there is work; the transaction indexer is off (the ledger indexes
// what it needs); the CometBFT RPC server is off (the Jurichain API serves
// everything). A consortium is a closed set of institutions, so nodes
// connect to the peers they are given and do not exchange addresses.
//
// CometBFT's default p2p limits (5 MB/s per connection, writes flushed
// every 100 ms) are made for public networks with many peers. A
// consortium has a few peers, each block of deposits crosses every link
// twice (mempool gossip, then block parts), and those limits held four
// validators to about 4,300 deposits/s with half the CPU idle. A
// 50 MiB/s cap and 10 ms flushes measured about 9,000-10,000 deposits/s
// (BENCHMARKS.md); a node's uplink bounds it anyway.
func Config(h Home) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(string(h))
	cfg.Moniker = "jurichain"
	cfg.LogLevel = "info"
	cfg.RPC.ListenAddress = ""
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:26656"
	cfg.P2P.PexReactor = false
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.AddrBookStrict = false
	cfg.P2P.SendRate = 50 << 20
	cfg.P2P.RecvRate = 50 << 20
	cfg.P2P.FlushThrottleTimeout = 10 * time.Millisecond
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
