package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/usertext"
)

func newAnchor() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anchor",
		Short: "Cross-chain anchoring: the outside logs anchored into this network, and this network's anchors in upstream ones",
	}
	cmd.AddCommand(newAnchorList(), newAnchorShow(), newAnchorOutbound())
	return cmd
}

func newAnchorList() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered outside logs and their latest anchors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			logs, err := c.OutsideLogs(cmd.Context())
			if err != nil {
				return withHint(err, "name a running node of the network with --server")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "outside-log version %d, %d log(s)\n", logs.Version, len(logs.Logs))
			if len(logs.Logs) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ORIGIN\tSTATUS\tREGISTERED\tANCHORS\tLATEST SIZE\tANCHOR #\tHEIGHT")
			for _, l := range logs.Logs {
				status := "active"
				if l.Retired {
					status = "retired"
				}
				size, number, height := "-", "-", "-"
				if l.Latest != nil {
					size, number, height = fmt.Sprint(l.Latest.Size), fmt.Sprint(l.Latest.Number), fmt.Sprint(l.Latest.Height)
				}
				// Origins come from governance notes: shown escaped.
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", usertext.EscapeLines(l.Origin), status, l.RegisteredHeight, l.Anchors, size, number, height)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultServer(), "nodes of the network, comma-separated")
	return cmd
}

func newAnchorShow() *cobra.Command {
	var server, out string
	var size uint64
	cmd := &cobra.Command{
		Use:   "show ORIGIN",
		Short: "Show the anchor of an outside log covering a size (default: its latest), and write its receipt",
		Long:  "Show the anchor of the outside log ORIGIN with the smallest anchored size not below --size (default: the latest anchor). With --out, write the court's receipt of the anchor entry (a c2sp.org/tlog-proof, verified with this network's policy and the anchored checkpoint as the file) to FILE, which must not exist.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			a, err := c.Anchor(cmd.Context(), args[0], size)
			if err != nil {
				return withHint(err, "see the registered logs and their anchors with: jurichain anchor list")
			}
			// Everything the node answered is shown escaped; the files
			// get its bytes.
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "origin:      %s\nsize:        %d\nroot hash:   %x\nanchor:      #%d on %s (deposit %s)\n",
				usertext.Escape(a.Origin), a.Size, a.RootHash, a.Number, usertext.Escape(a.CourtOrigin), usertext.Escape(a.Deposit))
			if a.Receipt == "" {
				fmt.Fprintln(w, "certified:   not yet; the anchor entry is not final, ask again in a few seconds")
				return nil
			}
			fmt.Fprintf(w, "certified:   %s\n", a.CertifiedTime.UTC().Format(time.RFC3339Nano))
			if out == "" {
				fmt.Fprintf(w, "\n%s", usertext.EscapeLines(a.Receipt))
				return nil
			}
			if err := writeNew(out, []byte(a.Receipt), 0o644); err != nil {
				return withHint(err, "choose another --out; receipts are never overwritten")
			}
			if err := writeNew(out+".checkpoint", []byte(a.Checkpoint), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(w, "wrote %s (the court's receipt) and %s.checkpoint (the anchored checkpoint, the entry's content)\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultServer(), "nodes of the network, comma-separated")
	cmd.Flags().Uint64Var(&size, "size", 0, "the anchor with the smallest anchored size not below this (0: the latest)")
	cmd.Flags().StringVar(&out, "out", "", "write the receipt to this file (and the checkpoint to FILE.checkpoint)")
	return cmd
}
