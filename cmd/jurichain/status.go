package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/usertext"
)

func newStatus() *cobra.Command {
	var servers string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the network's final checkpoint and every validator's height, tree size and latest cosignature",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(strings.Split(servers, ","), nil)
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return withHint(err, "is the node running? name it with --server")
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "origin:     %s\nsuite:      %s\nnode:       %s (height %d, %d peers, %d transactions in mempool)\nfinal tree: %d deposits, root %s\n\n",
				usertext.Escape(st.Origin), usertext.Escape(st.Suite), usertext.Escape(st.Institution), st.Height, st.Peers, st.MempoolSize, st.TreeSize, base64.StdEncoding.EncodeToString(st.RootHash))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VALIDATOR\tKIND\tPOWER\tHEIGHT\tFINAL SIZE\tREPLICA SIZE\tLATEST COSIGNED SIZE\tCOSIGNED AT")
			for _, v := range st.Validators {
				height, final, replica := "unreachable", "-", "-"
				if vs := validatorStatus(cmd.Context(), v, st); vs != nil {
					height, final, replica = fmt.Sprint(vs.Height), fmt.Sprint(vs.TreeSize), fmt.Sprint(vs.ReplicaSize)
				}
				at := "-"
				if !v.CosignedAt.IsZero() {
					at = v.CosignedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\n", usertext.Escape(v.Institution), usertext.Escape(v.Kind), v.Power, height, final, replica, v.CosignedSize, at)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nlatest final checkpoint:\n%s", usertext.EscapeLines(st.Checkpoint))
			return nil
		},
	}
	cmd.Flags().StringVar(&servers, "server", defaultServer(), "node API URL(s), comma-separated")
	return cmd
}

// validatorStatus asks a validator's own API for its status, or returns
// nil when it does not answer in time.
func validatorStatus(ctx context.Context, v api.Validator, asked *api.Status) *api.Status {
	if v.Institution == asked.Institution {
		return asked
	}
	if v.API == "" {
		return nil
	}
	c, err := client.New([]string{v.API}, nil)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return nil
	}
	return st
}

func newPolicy() *cobra.Command {
	var home, server string
	var at uint64
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the network's trust policy (C2SP tlog-policy)",
		Long:  "Print the tlog-policy a node's home was founded with, or fetch from --server the policy in force now or, with --at, at a block height. Verifiers keep this file: it is the trust root of every receipt.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var pol []byte
			var err error
			switch {
			case server != "":
				c, cerr := client.New([]string{server}, nil)
				if cerr != nil {
					return cerr
				}
				pol, err = c.Policy(cmd.Context(), at)
			case at > 0:
				return withHint(fmt.Errorf("--at needs the network's history"), "fetch it from a running node with --server URL --at HEIGHT")
			default:
				pol, err = os.ReadFile(node.Home(home).PolicyFile())
				if os.IsNotExist(err) {
					return withHint(fmt.Errorf("no network in %s", home), "name the node's home with --home, or fetch the policy with --server URL")
				}
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(pol)
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "node home directory")
	cmd.Flags().StringVar(&server, "server", "", "fetch the policy from this node instead")
	cmd.Flags().Uint64Var(&at, "at", 0, "with --server: the policy in force at this block height")
	return cmd
}
