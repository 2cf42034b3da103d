package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

func newGrant() *cobra.Command {
	var cred credentials
	var court, caseNo string
	var revoke bool
	cmd := &cobra.Command{
		Use:   "grant DEPOSIT --court COURT --case CASE-NUMBER",
		Short: "Grant a court case access to a deposit and its original (--revoke withdraws it); recorded on the ledger",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			grant, verb := s.Grant, "granted"
			if revoke {
				grant, verb = s.RevokeGrant, "revoked"
			}
			g, err := grant(cmd.Context(), args[0], court, caseNo)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: deposit %s to case %s at %s; access-trail entry %s\n", verb, usertext.Escape(g.Deposit), usertext.Escape(g.Case), usertext.Escape(g.Court), usertext.Escape(g.Trail.ID))
			return nil
		},
	}
	cred.flags(cmd, "your depositor key")
	cmd.Flags().StringVar(&court, "court", "", "the court's institution name")
	cmd.Flags().StringVar(&caseNo, "case", "", "the case number")
	cmd.Flags().BoolVar(&revoke, "revoke", false, "withdraw the grant")
	return cmd
}

func newShare() *cobra.Command {
	var cred credentials
	var validFor, revoke string
	var list bool
	cmd := &cobra.Command{
		Use:   "share DEPOSIT [--list | --revoke SHARE-ID]",
		Short: "Issue a share (extraction) code for a deposit's original; its holder downloads it with 'jurichain fetch --code'",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			if list {
				shares, err := s.Shares(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCREATED\tEXPIRES\tISSUED WITH\tSTATE")
				for _, sh := range shares {
					by := "key " + hex.EncodeToString(sh.Key)
					if len(by) > 20 {
						by = by[:20] + "…"
					}
					if sh.Token != "" {
						by = "token " + usertext.Escape(sh.Token)
					}
					state := "works"
					if sh.Refused != "" {
						state = "refused: " + usertext.Escape(sh.Refused)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", usertext.Escape(sh.ID), sh.Created.UTC().Format(time.RFC3339), sh.Expires.UTC().Format(time.RFC3339), by, state)
				}
				return tw.Flush()
			}
			if revoke != "" {
				if err := s.RevokeShare(cmd.Context(), args[0], revoke); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked share code %s of deposit %s\n", revoke, args[0])
				return nil
			}
			sh, err := s.Share(cmd.Context(), args[0], validFor)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "share code %s for deposit %s, valid until %s (id %s; 'jurichain share %s --revoke %s' revokes it)\n", usertext.Escape(sh.Code), usertext.Escape(sh.Deposit), sh.Expires.UTC().Format(time.RFC3339), usertext.Escape(sh.ID), usertext.Escape(sh.Deposit), usertext.Escape(sh.ID))
			return nil
		},
	}
	cred.flags(cmd, "your depositor key")
	cmd.Flags().StringVar(&validFor, "valid-for", "", "how long the code works, such as 24h (default 7 days, at most 30)")
	cmd.Flags().StringVar(&revoke, "revoke", "", "revoke the share code with this id instead")
	cmd.Flags().BoolVar(&list, "list", false, "list the deposit's share codes (ids, never the codes) instead")
	cmd.MarkFlagsMutuallyExclusive("list", "revoke")
	return cmd
}

func newCase() *cobra.Command {
	var cred credentials
	cmd := &cobra.Command{
		Use:   "case COURT CASE-NUMBER",
		Short: "List the evidence granted to a case (judges and clerks of the court)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			ev, err := s.Case(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "case %s at %s: %d deposits\n", usertext.Escape(ev.Case), usertext.Escape(ev.Court), len(ev.Deposits))
			alg := s.suite.ContentDigest()
			fmt.Fprintf(tw, "DEPOSIT\tNUMBER\tCERTIFIED\t%s\tSIZE\n", digestTitle(alg))
			for _, d := range ev.Deposits {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\n", usertext.Escape(d.ID), *d.Index, d.Time.UTC().Format(time.RFC3339), usertext.Escape(d.Entry.Digests[alg]), d.Entry.Size)
			}
			return tw.Flush()
		},
	}
	cred.flags(cmd, "your judge or clerk key")
	return cmd
}

func newFetch() *cobra.Command {
	var cred credentials
	var caseNo, code, out string
	cmd := &cobra.Command{
		Use:   "fetch DEPOSIT --out FILE [--case CASE-NUMBER | --code SHARE-CODE]",
		Short: "Download a deposit's original and its receipt, checking the content against the deposit; the read is recorded on the ledger",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return withHint(errors.New("--out is required"), "name the file to write the original to")
			}
			// Never over earlier evidence: checked before the read, which
			// would otherwise be on the trail for nothing.
			for _, f := range []string{out, out + receipt.FileExtension, out + metaExtension} {
				if _, err := os.Lstat(f); err == nil {
					return withHint(fmt.Errorf("%s already exists; nothing was fetched", usertext.Escape(f)), "name another file with --out, or move the earlier one away")
				}
			}
			ctx := cmd.Context()
			s, err := cred.connect(ctx)
			if err != nil {
				return err
			}
			// The record first, which a share code also opens and which is
			// not on the trail: a failure here leaves no read record.
			info, err := s.Deposit(ctx, args[0], 0)
			if code != "" {
				info, err = s.SharedDeposit(ctx, args[0], code)
			}
			if err != nil {
				return err
			}
			body, _, err := s.Original(ctx, args[0], caseNo, code)
			if err != nil {
				return err
			}
			defer body.Close()
			tmp, err := os.CreateTemp(filepath.Dir(out), ".fetch-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			// Every digest the deposit committed that this client can
			// compute is checked; the network suite's is always there.
			if _, ok := info.Entry.Digests[s.suite.ContentDigest()]; !ok {
				tmp.Close()
				return fmt.Errorf("deposit %s carries no %s digest, which this network's suite (%s) needs", usertext.Escape(args[0]), s.suite.ContentDigest(), s.suite)
			}
			var algs []string
			for alg := range info.Entry.Digests {
				if _, err := suite.NewContentHash(alg); err == nil {
					algs = append(algs, alg)
				}
			}
			got, err := receipt.ContentDigests(io.TeeReader(body, tmp), algs...)
			if err != nil {
				tmp.Close()
				return fmt.Errorf("downloading the original: %w", err)
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			for _, d := range got {
				if v := hex.EncodeToString(d.Value); v != info.Entry.Digests[d.Algorithm.String()] {
					return fmt.Errorf("the downloaded original's %s %s is not the deposit's %s; nothing written", d.Algorithm, v, usertext.Escape(info.Entry.Digests[d.Algorithm.String()]))
				}
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return err
			}
			if err := os.WriteFile(out+receipt.FileExtension, []byte(info.Receipt), 0o644); err != nil {
				return err
			}
			meta, err := fetchOpening(ctx, s, args[0], out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\tdeposit #%d\tSHA-256 matches the deposit\treceipt %s%s%s\n", out, *info.Index, out, receipt.FileExtension, meta)
			return nil
		},
	}
	cred.flags(cmd, "your private key")
	cmd.Flags().StringVar(&caseNo, "case", "", "judges and clerks: the case the deposit is granted to")
	cmd.Flags().StringVar(&code, "code", "", "a share code from the depositor")
	cmd.Flags().StringVar(&out, "out", "", "file to write the original to; its receipt goes beside it")
	return cmd
}

// fetchOpening writes the deposit's metadata opening as out.meta.json,
// so that verify checks the metadata too, when the caller may read it; a
// caller who may not gets the original without it. It returns what to
// add to the command's report.
func fetchOpening(ctx context.Context, s *session, id, out string) (string, error) {
	op, err := s.Opening(ctx, id)
	var e *api.Error
	if errors.As(err, &e) && (e.Code == api.CodeForbidden || e.Code == api.CodeNotFound) {
		return "\tmetadata opening not available to you", nil
	}
	if err != nil {
		return "", fmt.Errorf("fetching the metadata opening: %w", err)
	}
	if err := os.WriteFile(out+metaExtension, op, 0o600); err != nil {
		return "", err
	}
	return "\tmetadata " + out + metaExtension, nil
}

func newTrail() *cobra.Command {
	var cred credentials
	var outDir string
	cmd := &cobra.Command{
		Use:   "trail DEPOSIT",
		Short: "Show who read, uploaded, shared or granted a deposit's original; --out writes each record with its receipt",
		Long: `Each access is a record the node deposited on the ledger. With --out DIR,
each record is written as DIR/N.json with its receipt DIR/N.json.tlog-proof,
so 'jurichain verify DIR/N.json' proves the record offline.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			tr, err := s.Trail(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for i, e := range tr.Entries {
				fmt.Fprintf(w, "%d\t%s\t%s\n", i+1, usertext.Escape(e.Status), usertext.Escape(string(bytes.TrimSpace(e.Record))))
				if outDir == "" {
					continue
				}
				if e.Receipt == "" {
					return fmt.Errorf("record %d is not committed yet; try again shortly", i+1)
				}
				name := filepath.Join(outDir, fmt.Sprintf("%d.json", i+1))
				if err := os.MkdirAll(outDir, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(name, e.Record, 0o644); err != nil {
					return err
				}
				if err := os.WriteFile(name+receipt.FileExtension, []byte(e.Receipt), 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cred.flags(cmd, "your private key")
	cmd.Flags().StringVar(&outDir, "out", "", "write each record and its receipt into this directory")
	return cmd
}

// digestTitle is a digest algorithm's name as people write it: SHA-256,
// SM3.
func digestTitle(alg string) string {
	t := strings.ToUpper(alg)
	if rest, ok := strings.CutPrefix(t, "SHA"); ok {
		return "SHA-" + rest
	}
	return t
}
