package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/usertext"
)

// newToken is 'jurichain token': without a subcommand it issues a token,
// as 'token new' does.
func newToken() *cobra.Command {
	cmd := newTokenNew("token")
	cmd.Short = "Issue (the default, or 'new'), list and revoke API tokens for machine clients (sent as Authorization: Bearer)"
	cmd.AddCommand(newTokenNew("new"), newTokenList(), newTokenRevoke())
	return cmd
}

func newTokenNew(use string) *cobra.Command {
	var cred credentials
	var label, validFor string
	cmd := &cobra.Command{
		Use:   use,
		Short: "Issue an API token for your account; it stops working when the key that issued it is revoked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			t, err := s.NewToken(cmd.Context(), label, validFor)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", t.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s, valid until %s; it is shown only once ('jurichain token revoke %s' revokes it)\n", usertext.Escape(t.ID), usertext.Escape(t.Account), t.Expires.UTC().Format("2006-01-02"), usertext.Escape(t.ID))
			return nil
		},
	}
	cred.flags(cmd, "your private key")
	cmd.Flags().StringVar(&label, "label", "", "what the token is for")
	cmd.Flags().StringVar(&validFor, "valid-for", "", "lifetime such as 720h (default 90 days, at most a year)")
	return cmd
}

func newTokenList() *cobra.Command {
	var cred credentials
	var of string
	cmd := &cobra.Command{
		Use:   "list [--for ACCOUNT]",
		Short: "List your API tokens at the node (never their secrets); admins: --for an account of your institution",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			var list []api.TokenInfo
			if of != "" {
				list, err = s.TokensOf(cmd.Context(), of)
			} else {
				list, err = s.Tokens(cmd.Context())
			}
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLABEL\tCREATED\tEXPIRES\tKEY")
			for _, t := range list {
				key := hex.EncodeToString(t.Key)
				if len(key) > 16 {
					key = key[:16] + "…"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", usertext.Escape(t.ID), strconv.QuoteToGraphic(t.Label), t.Created.UTC().Format(time.RFC3339), t.Expires.UTC().Format(time.RFC3339), key)
			}
			return tw.Flush()
		},
	}
	cred.flags(cmd, "your private key")
	cmd.Flags().StringVar(&of, "for", "", "list the tokens of this account of your institution (admins, operators with --home)")
	return cmd
}

func newTokenRevoke() *cobra.Command {
	var cred credentials
	cmd := &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke an API token by its id (yours; admins: any of your institution's accounts)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			t, err := s.RevokeToken(cmd.Context(), args[0])
			if err != nil {
				return withHint(err, "'jurichain token list' shows the ids of your tokens")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s of %s\n", usertext.Escape(t.ID), usertext.Escape(t.Account))
			return nil
		},
	}
	cred.flags(cmd, "your private key")
	return cmd
}
