package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/upstream"
	"github.com/jurichain/jurichain/usertext"
)

// anchorFlags are serve's --anchor-* flags.
type anchorFlags struct {
	to, policies string
	every        time.Duration
	entries      uint64
}

func (f *anchorFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.to, "anchor-to", "", "anchor this network's final checkpoints into these upstream (court) networks: base URLs of their nodes, comma-separated; written to upstreams in config/jurichain.json (an empty value stops anchoring)")
	cmd.Flags().DurationVar(&f.every, "anchor-every", upstream.DefaultEvery, "anchor once this much time passed since the last anchor (and something changed)")
	cmd.Flags().Uint64Var(&f.entries, "anchor-entries", upstream.DefaultEntries, "anchor once this many entries arrived since the last anchor")
	cmd.Flags().StringVar(&f.policies, "anchor-policy", "", "the upstreams' tlog-policy files, comma-separated in the order of --anchor-to (copied into the home); without one, the upstream's policy is fetched once and pinned, and the log says so")
}

// apply writes the flags that were given into the settings and reports
// whether they changed.
func (f *anchorFlags) apply(cmd *cobra.Command, h node.Home, s *node.Settings) (bool, error) {
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	if !changed("anchor-to") && !changed("anchor-every") && !changed("anchor-entries") && !changed("anchor-policy") {
		return false, nil
	}
	ups := s.Upstreams
	if changed("anchor-to") {
		old := map[string]node.UpstreamSettings{}
		for _, u := range s.Upstreams {
			old[u.URL] = u
		}
		ups = nil
		for _, raw := range strings.Split(f.to, ",") {
			raw = strings.TrimSuffix(strings.TrimSpace(raw), "/")
			if raw == "" {
				continue
			}
			u := node.UpstreamSettings{URL: raw, Every: f.every.String(), Entries: f.entries}
			if o, ok := old[raw]; ok {
				u = o
			}
			ups = append(ups, u)
		}
	} else if len(ups) == 0 {
		return false, withHint(errors.New("--anchor-every, --anchor-entries and --anchor-policy need an upstream"), "name it with --anchor-to URL")
	}
	if f.every <= 0 {
		return false, errors.New("--anchor-every: want a positive duration such as 30s")
	}
	if f.entries == 0 {
		return false, errors.New("--anchor-entries: want 1 or more")
	}
	// Every policy is read and checked before anything is written.
	var texts [][]byte
	if f.policies != "" {
		files := strings.Split(f.policies, ",")
		if len(files) != len(ups) {
			return false, fmt.Errorf("--anchor-policy names %d files for %d upstreams: give one per --anchor-to URL, in order", len(files), len(ups))
		}
		for _, file := range files {
			text, err := os.ReadFile(strings.TrimSpace(file))
			if err != nil {
				return false, fmt.Errorf("--anchor-policy: %w", err)
			}
			if _, err := policy.Parse(text); err != nil {
				return false, fmt.Errorf("--anchor-policy %s: %w", file, err)
			}
			texts = append(texts, text)
		}
	}
	for i := range ups {
		if changed("anchor-every") || changed("anchor-to") && ups[i].Every == "" {
			ups[i].Every = f.every.String()
		}
		if changed("anchor-entries") || changed("anchor-to") && ups[i].Entries == 0 {
			ups[i].Entries = f.entries
		}
		if texts == nil {
			continue
		}
		path, rel := h.UpstreamPolicyFile(ups[i].URL)
		if err := os.MkdirAll(h.UpstreamsDir(), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(path, texts[i], 0o644); err != nil {
			return false, fmt.Errorf("copying the upstream's policy into the home: %w", err)
		}
		ups[i].Policy = rel
	}
	s.Upstreams = ups
	if err := h.SaveSettings(*s); err != nil {
		return false, err
	}
	return true, nil
}

// upstreamTargets reads the settings' upstreams for the worker.
func upstreamTargets(h node.Home, ups []node.UpstreamSettings) ([]upstream.Target, error) {
	var ts []upstream.Target
	for _, u := range ups {
		t := upstream.Target{URL: u.URL, PinFile: h.UpstreamPinFile(u.URL), Entries: u.Entries}
		if u.Every != "" {
			d, err := time.ParseDuration(u.Every)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("%s: upstream %s: every %q is not a duration such as 30s", h.SettingsFile(), u.URL, u.Every)
			}
			t.Every = d
		}
		if u.Policy != "" {
			b, err := os.ReadFile(h.Path(u.Policy))
			if err != nil {
				return nil, fmt.Errorf("upstream %s: its policy: %w", u.URL, err)
			}
			t.Policy = b
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func newReceipt() *cobra.Command {
	cmd := &cobra.Command{Use: "receipt", Short: "Work with receipts: upgrade one to a composed receipt once an upstream network anchored it"}
	var server, out string
	var wait time.Duration
	up := &cobra.Command{
		Use:   "upgrade RECEIPT",
		Short: "Ask the node for the receipt composed with the anchor of a later checkpoint in an upstream (court) network",
		Long: `upgrade sends a receipt (FILE.tlog-proof) to a node of its network and
writes the composed receipt the node answers: the receipt unchanged, a
consistency proof to a checkpoint the network anchored in an upstream
network, that checkpoint and the upstream's receipt of the anchor. It
verifies nothing; jurichain verify --policy PLATFORM.policy --anchor-policy
COURT.policy FILE COMPOSED does, offline.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			if out == "" {
				out = strings.TrimSuffix(in, receipt.FileExtension) + ".anchored" + receipt.FileExtension
			}
			if _, err := os.Stat(out); err == nil {
				return withHint(fmt.Errorf("%s exists", out), "upgrade never overwrites a file: move it or name another with --out")
			}
			fi, err := os.Stat(in)
			if err != nil {
				return err
			}
			if fi.Size() > receipt.MaxSize {
				return fmt.Errorf("%s is %d bytes: not a receipt (at most %d)", in, fi.Size(), receipt.MaxSize)
			}
			body, err := os.ReadFile(in)
			if err != nil {
				return err
			}
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			// A receipt fresh from a deposit waits for the network's next
			// anchor, which --anchor-every bounds.
			deadline := time.Now().Add(wait)
			composed, err := c.UpgradeReceipt(cmd.Context(), body)
			var e *api.Error
			for errors.As(err, &e) && e.Code == api.CodeNotAnchored && time.Now().Before(deadline) {
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(500 * time.Millisecond):
				}
				composed, err = c.UpgradeReceipt(cmd.Context(), body)
			}
			if errors.As(err, &e) && e.Code == api.CodeNotAnchored {
				return withHint(err, "run it again once the next anchor is made, or give a longer --wait (jurichain anchor outbound shows the upstreams)")
			}
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			if _, err := f.Write(composed); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s composed with its anchor in an upstream network, not verified yet\nverify it with: jurichain verify --policy NETWORK.policy --anchor-policy UPSTREAM.policy FILE %s\n", out, in, out)
			return nil
		},
	}
	up.Flags().StringVar(&server, "server", defaultServer(), "a node of the receipt's network; several, comma-separated, are tried in turn")
	up.Flags().StringVar(&out, "out", "", "the composed receipt's file (default: RECEIPT with .tlog-proof replaced by .anchored.tlog-proof)")
	up.Flags().DurationVar(&wait, "wait", 0, "while no anchor covers the receipt yet, ask again for this long")
	cmd.AddCommand(up)
	return cmd
}

func newAnchorOutbound() *cobra.Command {
	var server string
	var wait time.Duration
	var limit int
	out := &cobra.Command{
		Use:   "outbound",
		Short: "Show the upstream networks the node anchors into, and its latest anchors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			st, err := c.OutboundAnchors(cmd.Context(), 0, limit)
			// --wait: until every upstream holds an anchor, as after a
			// start or a registration.
			for deadline := time.Now().Add(wait); err == nil && !allAnchored(st.Upstreams) && time.Now().Before(deadline); {
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(500 * time.Millisecond):
				}
				st, err = c.OutboundAnchors(cmd.Context(), 0, limit)
			}
			if err != nil {
				return withHint(err, "is the node running? name it with --server")
			}
			if wait > 0 && !allAnchored(st.Upstreams) {
				defer func() {
					if err == nil {
						err = withHint(fmt.Errorf("not every upstream holds an anchor after %s", wait), "see last_error above; an upstream must have registered this network's log (jurichain consortium propose --register-log)")
					}
				}()
			}
			w := cmd.OutOrStdout()
			if len(st.Upstreams) == 0 {
				fmt.Fprintln(w, "the node anchors into no upstream network (jurichain serve --anchor-to URL)")
			} else {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "UPSTREAM\tORIGIN\tANCHORED SIZE\tANCHORS\tLAST SUCCESS\tNEXT ATTEMPT\tLAST ERROR")
				for _, u := range st.Upstreams {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", usertext.Escape(u.URL), dash(usertext.Escape(u.Origin)), u.AnchoredSize, u.Anchors,
						timeOrDash(u.LastSuccess), timeOrDash(u.NextAttempt), dash(usertext.Escape(u.LastError)))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if len(st.Anchors) == 0 {
				fmt.Fprintln(w, "\nno anchors stored")
				return nil
			}
			fmt.Fprintln(w)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SIZE\tCOURT\tANCHOR\tCERTIFIED")
			for _, a := range st.Anchors {
				fmt.Fprintf(tw, "%d\t%s\t#%d\t%s\n", a.Size, usertext.Escape(a.CourtOrigin), a.Number, a.CertifiedTime.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	out.Flags().StringVar(&server, "server", defaultServer(), "node API URL(s), comma-separated")
	out.Flags().IntVar(&limit, "limit", 20, "anchors to list, newest first (at most 100)")
	out.Flags().DurationVar(&wait, "wait", 0, "wait this long at most until every upstream holds an anchor of this network")
	return out
}

// allAnchored reports whether every upstream holds an anchor.
func allAnchored(ups []api.Upstream) bool {
	for _, u := range ups {
		if u.Anchors == 0 {
			return false
		}
	}
	return true
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
