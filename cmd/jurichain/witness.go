package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

func newWitness() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "witness",
		Short: "Outside witnesses (C2SP tlog-witness): the logs this node witnesses",
		Long: `A node witnesses other logs: it cosigns their checkpoints at
POST /witness/add-checkpoint (its witness URL is http(s)://HOST:PORT/witness)
once each is signed by the log's key and consistent with the last one it
cosigned. It cosigns with its cosignature key, whose verifier key is on its
member card (cosign_key).

The node's own outside witnesses, which cosign this network's checkpoints,
are set with 'jurichain serve --witness URL=VKEY'.`,
	}
	cmd.AddCommand(newWitnessAddLog())
	return cmd
}

func newWitnessAddLog() *cobra.Command {
	var home, policyFile string
	var l witness.Log
	cmd := &cobra.Command{
		Use:   "add-log --origin ORIGIN --vkey VKEY [--hash sha256|sm3] | --policy POLICY",
		Short: "Witness a log: add it to witnessed_logs in config/jurichain.json (the node applies it when it starts)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if policyFile != "" {
				if cmd.Flags().Changed("origin") || cmd.Flags().Changed("vkey") || cmd.Flags().Changed("hash") {
					return withHint(errors.New("--policy and --origin, --vkey or --hash given together"), "give the log's tlog-policy alone, or its origin and key")
				}
				pol, err := readPolicy(policyFile)
				if err != nil {
					return err
				}
				l = witness.Log{Origin: pol.Origin(), VKey: pol.Logs[0].VKey, Hash: witness.HashSHA256}
				if pol.Suite().Name() == suite.NameGM {
					l.Hash = witness.HashSM3
				}
			} else if l.Origin == "" || l.VKey == "" {
				return withHint(errors.New("no log named"), "give --origin and --vkey, or the log's tlog-policy with --policy")
			}
			h := node.Home(home)
			own := ""
			if h.Initialized() {
				gen, _, err := node.ReadGenesis(h.GenesisFile())
				if err != nil {
					return err
				}
				own = gen.ChainID
			}
			if err := l.Check(own); err != nil {
				return err
			}
			settings, err := h.LoadSettings()
			if err != nil {
				return err
			}
			if slices.Contains(settings.WitnessedLogs, l) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s already witnesses %s with that key\n", home, l.Origin)
				return nil
			}
			logs := append(slices.Clone(settings.WitnessedLogs), l)
			if err := witness.CheckLogs(own, logs); err != nil {
				return err
			}
			settings.WitnessedLogs = logs
			if err := h.SaveSettings(settings); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now witnesses %s (hash %s); restart the node to apply it\nthe log's witness URL: the node's API URL + /witness\n", home, l.Origin, orDefault(l.Hash, witness.HashSHA256))
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "node home directory")
	cmd.Flags().StringVar(&l.Origin, "origin", "", "the checkpoint origin of the log")
	cmd.Flags().StringVar(&l.VKey, "vkey", "", "the signed-note verifier key the log signs its checkpoints with")
	cmd.Flags().StringVar(&l.Hash, "hash", witness.HashSHA256, "the log's Merkle tree hash: sha256 (RFC 6962) or sm3 (a Jurichain GM network)")
	cmd.Flags().StringVar(&policyFile, "policy", "", "the log's tlog-policy: its first log key gives the origin and key, its suite the hash")
	return cmd
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// witnessSettings applies `serve --witness` to the home's settings, which
// keep them, and checks the witness configuration before the node starts.
func witnessSettings(h node.Home, settings *node.Settings, flags []string) error {
	cs, err := h.Suite()
	if err != nil {
		return err
	}
	gen, _, err := node.ReadGenesis(h.GenesisFile())
	if err != nil {
		return err
	}
	ws := slices.Clone(settings.Witnesses)
	for _, f := range flags {
		w, err := witness.ParseWitnessFlag(cs, f)
		if err != nil {
			return err
		}
		ws = witness.Merge(ws, w)
	}
	if err := witness.CheckWitnesses(cs, ws); err != nil {
		return fmt.Errorf("%s: %w", h.SettingsFile(), err)
	}
	if err := witness.CheckLogs(gen.ChainID, settings.WitnessedLogs); err != nil {
		return fmt.Errorf("%s: %w", h.SettingsFile(), err)
	}
	if !slices.Equal(ws, settings.Witnesses) {
		settings.Witnesses = ws
		return h.SaveSettings(*settings)
	}
	return nil
}

// startWitnessing builds the node's witness server (when it witnesses
// logs) and starts its witness client (when it has outside witnesses),
// fed with every new final checkpoint. stop ends the client.
func startWitnessing(n *node.Node, settings node.Settings, logger *slog.Logger) (*witness.Server, *witness.Client, func(), error) {
	logger = logger.With("module", "witness")
	var srv *witness.Server
	if len(settings.WitnessedLogs) > 0 {
		var err error
		srv, err = witness.NewServer(witness.ServerConfig{Logs: settings.WitnessedLogs, Own: n.Origin, Cosigner: n.Cosigner, State: n.Store, Logger: logger})
		if err != nil {
			return nil, nil, nil, err
		}
		logger.Info("witnessing logs", "logs", len(settings.WitnessedLogs))
	}
	if len(settings.Witnesses) == 0 {
		return srv, nil, func() {}, nil
	}
	c, err := witness.NewClient(witness.ClientConfig{Suite: n.Suite, Witnesses: settings.Witnesses, Store: n.Store, Proofs: n.App, Logger: logger})
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { c.Run(ctx); done <- struct{}{} }()
	go func() { feedWitnesses(ctx, n.App, c, logger); done <- struct{}{} }()
	logger.Info("asking outside witnesses to cosign final checkpoints", "witnesses", c.Names())
	return srv, c, func() { cancel(); <-done; <-done }, nil
}

// feedWitnesses tells the client of each new final checkpoint.
func feedWitnesses(ctx context.Context, app *ledger.App, c *witness.Client, logger *slog.Logger) {
	var last *uint64
	for {
		snap := app.Committed()
		if snap.Checkpoint != nil && (last == nil || snap.Size != *last) {
			if err := c.Notify(snap.Checkpoint); err != nil {
				logger.Error("handing a final checkpoint to the witness client", "size", snap.Size, "err", err)
			}
			size := snap.Size
			last = &size
		}
		select {
		case <-ctx.Done():
			return
		case <-snap.Done:
		}
	}
}
