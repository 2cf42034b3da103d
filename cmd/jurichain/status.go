package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/node"
)

func newStatus() *cobra.Command {
	var servers string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's height, tree size and latest checkpoint",
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
			fmt.Fprintf(w, "origin:     %s\nsuite:      %s\nheight:     %d\ntree size:  %d\nroot hash:  %s\nmempool:    %d transactions\n\nlatest checkpoint:\n%s",
				st.Origin, st.Suite, st.Height, st.TreeSize, base64.StdEncoding.EncodeToString(st.RootHash), st.MempoolSize, st.Checkpoint)
			return nil
		},
	}
	cmd.Flags().StringVar(&servers, "server", "http://127.0.0.1:8080", "node API URL")
	return cmd
}

func newPolicy() *cobra.Command {
	var home, server string
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the network's trust policy (C2SP tlog-policy)",
		Long:  "Print the tlog-policy of the node in --home, or fetch it from --server. Verifiers keep this file: it is the trust root of every receipt.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var pol []byte
			var err error
			if server != "" {
				c, cerr := client.New([]string{server}, nil)
				if cerr != nil {
					return cerr
				}
				pol, err = c.Policy(cmd.Context())
			} else {
				pol, err = os.ReadFile(node.Home(home).PolicyFile())
				if os.IsNotExist(err) {
					return withHint(fmt.Errorf("no node in %s", home), "name the node's home with --home, or fetch the policy with --server URL")
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
	return cmd
}
