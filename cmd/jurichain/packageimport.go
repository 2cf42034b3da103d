package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/usertext"
)

// newPackageImport imports a package at a court node: the node verifies it
// under its own trusted policies and records the verdict.
func newPackageImport() *cobra.Command {
	var cred credentials
	cmd := &cobra.Command{
		Use:   "import PACKAGE.zip",
		Short: "Import an evidence package at a court node (judges and clerks): it is verified under the court's own policies and the verdict is recorded on its ledger",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return withHint(err, "name the evidence package (a ZIP file) to import")
			}
			defer f.Close()
			// The digest goes in the signed request, binding the body,
			// which is streamed: read the file twice rather than hold it.
			h := sha256.New()
			size, err := io.Copy(h, f)
			if err != nil {
				return fmt.Errorf("reading %s: %w", usertext.Escape(args[0]), err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			im, err := s.ImportPackage(cmd.Context(), f, size, h.Sum(nil))
			if err != nil {
				return err
			}
			return printImport(cmd.OutOrStdout(), im)
		},
	}
	cred.flags(cmd, "your judge or clerk key")
	return cmd
}

// printImport prints an import's verdict and each item's; a failed
// verdict is an error, after the table.
func printImport(w io.Writer, im *api.PackageImport) error {
	failed := 0
	for _, it := range im.Items {
		if it.Verdict != api.VerdictVerified {
			failed++
		}
	}
	number := "pending"
	if im.Deposit.Index != nil {
		number = fmt.Sprintf("#%d", *im.Deposit.Index)
	}
	fmt.Fprintf(w, "import %s of case %s: %s, %d items, %d failed; verdict recorded on the court's ledger as entry %s (%s)\n",
		usertext.Escape(im.Import), usertext.Escape(im.Case), verdictWord(im.Verdict), len(im.Items), failed, number, usertext.Escape(im.Deposit.ID))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ITEM\tDEPOSIT\tVERDICT\tCHECK\n")
	for _, it := range im.Items {
		check, dep := "-", "-"
		if it.Check != "" {
			check = usertext.Escape(it.Check + ": " + it.Reason)
		}
		if it.Deposit != "" {
			dep = usertext.Escape(it.Deposit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", usertext.Escape(it.Path), dep, verdictWord(it.Verdict), check)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Failures of the package outside its items (an unlisted file, say)
	// are in the record only.
	var rec api.PackageVerdict
	if err := json.Unmarshal(im.Record, &rec); err != nil {
		return fmt.Errorf("the court's verdict record: %w", err)
	}
	for _, p := range rec.Problems {
		fmt.Fprintf(w, "package: %s\n", usertext.Escape(strings.TrimPrefix(p.Path+": ", ": ")+p.Check+": "+p.Reason))
	}
	if im.Verdict != api.VerdictVerified {
		return errors.New("the package FAILED verification at the court; the verdict is on its ledger")
	}
	return nil
}

func verdictWord(v string) string {
	if v == api.VerdictVerified {
		return "VERIFIED"
	}
	return "FAILED"
}
