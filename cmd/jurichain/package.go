package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/usertext"
)

func newPackage() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "package",
		Short: "Evidence packages: one ZIP of a court case's evidence that a court verifies offline",
	}
	cmd.AddCommand(newPackageCreate(), newPackageImport())
	return cmd
}

func newPackageCreate() *cobra.Command {
	var cred credentials
	var caseNo, court, out string
	cmd := &cobra.Command{
		Use:   "create --case CASE-NUMBER [--court COURT] --out FILE.zip",
		Short: "Download the evidence package of a case (judges and clerks of the court; a depositor gets its own deposits granted to the case)",
		Long: `The node packages the case's evidence (POST /v1/packages): every receipt,
the originals and metadata openings the caller may read (each read is recorded
on the access trail first), certificates, the access trail, the network's
policies with their history, items.json and an offline index.html, listed in
a manifest signed with the node's log key. The package is checked with the
policies it carries before it is kept; 'jurichain verify --policy POLICY
FILE.zip' checks it against a policy you trust. --out is never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseNo == "" || out == "" {
				return withHint(errors.New("--case and --out are required"), "name the case number and the file to write")
			}
			if _, err := os.Lstat(out); err == nil {
				return withHint(fmt.Errorf("%s already exists; nothing was packaged", usertext.Escape(out)), "name another file with --out, or move the earlier one away")
			}
			ctx := cmd.Context()
			s, err := cred.connect(ctx)
			if err != nil {
				return err
			}
			if court == "" {
				court = s.status.Institution
			}
			body, err := s.Package(ctx, court, caseNo)
			if err != nil {
				return err
			}
			defer body.Close()
			tmp, err := os.CreateTemp(filepath.Dir(out), ".package-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			n, err := io.Copy(tmp, body)
			if err == nil {
				err = tmp.Sync()
			}
			if err != nil {
				tmp.Close()
				return fmt.Errorf("downloading the package: %w", err)
			}
			rep, err := evidencepack.Verify(ctx, tmp, n, evidencepack.Options{})
			if err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			if !rep.OK {
				return &verifyFailed{fmt.Errorf("the package the node sent does not verify: %s", firstFailure(rep))}
			}
			// A hard link fails when out appeared meanwhile: never over
			// earlier evidence.
			if err := os.Link(tmp.Name(), out); err != nil {
				return fmt.Errorf("keeping the package: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s  evidence package of case %s at %s: %d items, %d bytes, manifest sha256 %s\n",
				usertext.Escape(out), usertext.Escape(rep.Case), usertext.Escape(rep.Court), len(rep.Items), n, rep.ManifestDigest)
			return nil
		},
	}
	cred.flags(cmd, "your judge, clerk or depositor key")
	cmd.Flags().StringVar(&caseNo, "case", "", "the case number")
	cmd.Flags().StringVar(&court, "court", "", "the court (default: the node's institution)")
	cmd.Flags().StringVar(&out, "out", "", "the ZIP file to write (never overwritten)")
	return cmd
}

// isZIP reports whether the file starts as a ZIP does.
func isZIP(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == "PK\x03\x04"
}

// verifyPackage checks an evidence package offline and prints its table:
// with the given policies, else with the package's own, and says which.
func verifyPackage(cmd *cobra.Command, file string, policyFiles []string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	opts := evidencepack.Options{}
	if len(policyFiles) > 0 {
		opts.Policies = map[string]*policy.Policy{}
		for _, pf := range policyFiles {
			pol, err := readPolicy(pf)
			if err != nil {
				return err
			}
			opts.Policies[pol.Origin()] = pol
		}
	}
	rep, err := evidencepack.Verify(cmd.Context(), f, st.Size(), opts)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "package %s: case %s at %s, made by %s on %s (%s), manifest sha256 %s\n", usertext.Escape(file), usertext.Escape(rep.Case),
		usertext.Escape(rep.Court), usertext.Escape(rep.Institution), usertext.Escape(rep.Origin), rep.Created.UTC().Format(time.RFC3339), rep.ManifestDigest)
	if rep.PolicySource == "given" {
		fmt.Fprintf(w, "policies: yours (--policy %s)\n", usertext.Escape(strings.Join(policyFiles, ", ")))
	} else {
		var used []string
		for _, p := range rep.Policies {
			used = append(used, p.Source)
		}
		fmt.Fprintf(w, "policies: the package's own (%s): this proves the package is whole, not that it comes from a network you trust; pass --policy\n", usertext.Escape(strings.Join(used, ", ")))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "FAILED %s\n", usertext.Escape(p.String()))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tDIGESTS\tCERTIFIED\tANCHORED\tVERDICT")
	for _, it := range rep.Items {
		var ds []string
		for _, alg := range []string{"sha256", "sm3"} {
			if v := it.Digests[alg]; v != "" {
				ds = append(ds, alg+":"+v[:16]+"…")
			}
		}
		certified, anchored := "-", "-"
		if !it.Certified.IsZero() {
			certified = it.Certified.UTC().Format(time.RFC3339)
		}
		if it.Anchored != "" {
			anchored = it.Anchored
		}
		verdict := "VERIFIED"
		if it.Verdict != evidencepack.Verified {
			verdict = "FAILED " + it.Check + ": " + it.Reason
		} else if len(it.Notes) > 0 {
			verdict += " (" + strings.Join(it.Notes, "; ") + ")"
		}
		name := it.Path
		if it.Deposit != "" {
			name += " #" + fmt.Sprint(it.Number)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", usertext.Escape(name), strings.Join(ds, " "), certified, usertext.Escape(anchored), usertext.Escape(verdict))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !rep.OK {
		return &verifyFailed{errors.New(firstFailure(rep))}
	}
	fmt.Fprintf(w, "VERIFIED %s: %d items\n", usertext.Escape(file), len(rep.Items))
	return nil
}

// firstFailure names the first thing that failed in a report.
func firstFailure(rep *evidencepack.Report) string {
	if len(rep.Problems) > 0 {
		return usertext.Escape(rep.Problems[0].String())
	}
	for _, it := range rep.Items {
		if it.Verdict != evidencepack.Verified {
			return usertext.Escape(fmt.Sprintf("%s: %s: %s", it.Path, it.Check, it.Reason))
		}
	}
	return "the package has no items"
}
