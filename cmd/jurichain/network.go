package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

func newTestnet() *cobra.Command {
	var n int
	var out, name, suiteName string
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write the node homes of a local network of several institutions on 127.0.0.1",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 50 {
				return withHint(fmt.Errorf("--validators %d", n), "choose 1 to 50 validators")
			}
			ports, err := freePorts(2 * n)
			if err != nil {
				return err
			}
			homes, err := node.Testnet(out, name, n, suiteName, ports)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %d node homes and the genesis in %s; start each node in its own terminal:\n", n, out)
			for i, h := range homes {
				fmt.Fprintf(w, "  jurichain serve --home %s    # API http://%s\n", h, ports[2*i+1])
			}
			fmt.Fprintf(w, "trust policy for verifiers: %s\n", homes[0].PolicyFile())
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "validators", 4, "number of validators (institutions)")
	cmd.Flags().StringVar(&out, "out", "testnet", "directory for the node homes")
	cmd.Flags().StringVar(&name, "name", "jurichain-testnet", "network name: the chain ID is the name and a fingerprint of the genesis")
	cmd.Flags().StringVar(&suiteName, "suite", suite.NameInternational, suiteHelp)
	return cmd
}

// suiteHelp describes the --suite flag of the commands that create keys or
// a network.
const suiteHelp = "crypto suite of the network and its keys: " + suite.NameInternational + " = international (SHA-256, Ed25519) or " + suite.NameGM + " = GM (SM3, SM2, SM4); chosen at genesis, for good"

func newJoin() *cobra.Command {
	var home, genesis, peers string
	cmd := &cobra.Command{
		Use:   "join",
		Short: "Install a network's genesis in an institution's home",
		Long:  "Install the genesis made by 'jurichain consortium genesis' in a home created with 'jurichain init --institution'. The node connects to the other founding members unless --peers names its peers (node_id@host:port,...), as an institution admitted later must.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []string
			if peers != "" {
				list = strings.Split(peers, ",")
			}
			if err := node.Join(node.Home(home), genesis, list); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "joined; start the node with: jurichain serve --home %s\n", home)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "node home directory")
	cmd.Flags().StringVar(&genesis, "genesis", "genesis.json", "the network's genesis file")
	cmd.Flags().StringVar(&peers, "peers", "", "peers to connect to, node_id@host:port,... (default: the other founding members)")
	return cmd
}

func newConsortium() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consortium",
		Short: "Found a network from member cards, and change its membership",
	}
	cmd.AddCommand(newConsortiumGenesis(), newConsortiumPropose(), newConsortiumSign(), newConsortiumSubmit())
	return cmd
}

func newConsortiumGenesis() *cobra.Command {
	var name, out, suiteName string
	var powers []string
	cmd := &cobra.Command{
		Use:   "genesis CARD...",
		Short: "Combine member cards into a network's genesis and trust policy",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			power := map[string]int64{}
			for _, p := range powers {
				inst, v, ok := strings.Cut(p, "=")
				n, err := strconv.ParseInt(v, 10, 64)
				if !ok || err != nil || n < 1 || n > consortium.MaxPower {
					return withHint(fmt.Errorf("--power %q", p), fmt.Sprintf("write --power INSTITUTION=N with N from 1 to %d", consortium.MaxPower))
				}
				power[inst] = n
			}
			var members []consortium.Member
			for _, f := range args {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				c, err := consortium.ParseCard(b)
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				p := power[c.Institution]
				if p == 0 {
					p = 1
				}
				delete(power, c.Institution)
				members = append(members, consortium.Member{Card: *c, Power: p})
			}
			for inst := range power {
				return fmt.Errorf("--power names %s, which has no card", inst)
			}
			gen, err := node.NewGenesis(node.GenesisOptions{Name: name, Suite: suiteName, Members: members})
			if err != nil {
				return err
			}
			ms := consortium.Membership{Members: members}
			pol, err := ms.Policy(gen.ChainID)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := gen.SaveAs(filepath.Join(out, "genesis.json")); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "policy"), pol.Format(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "network %s: %d members, a checkpoint is final with cosignatures holding %d of %d voting power\nwrote %s and %s\nsend genesis.json to every member (jurichain join --genesis genesis.json); give the policy to verifiers\n",
				gen.ChainID, len(members), consortium.Quorum(ms.TotalPower()), ms.TotalPower(), filepath.Join(out, "genesis.json"), filepath.Join(out, "policy"))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "jurichain", "network name: the chain ID is the name and a fingerprint of the genesis")
	cmd.Flags().StringVar(&out, "out", ".", "directory for genesis.json and policy")
	cmd.Flags().StringVar(&suiteName, "suite", suite.NameInternational, suiteHelp+"; every card must be of it")
	cmd.Flags().StringArrayVar(&powers, "power", nil, "voting power of an institution, INSTITUTION=N (default 1 each)")
	return cmd
}

func newConsortiumPropose() *cobra.Command {
	var home, server, out, add, remove, setPower, registerLog, retireLog string
	var power int64
	cmd := &cobra.Command{
		Use:   "propose",
		Short: "Write a membership or outside-log change signed by this institution",
		Long: "Write a membership change (--add CARD, --remove INSTITUTION or --set-power INSTITUTION=N) for the network's current membership, " +
			"or an outside-log change (--register-log POLICY to accept the anchors of the log of that tlog-policy, --retire-log ORIGIN to accept no more), " +
			"signed with this institution's governance key. Other members add their signatures with 'consortium sign'; once members holding more than two thirds of the voting power signed, 'consortium submit' it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return withHint(err, "name a running node of the network with --server")
			}
			if registerLog != "" || retireLog != "" {
				if add != "" || remove != "" || setPower != "" || (registerLog != "" && retireLog != "") {
					return withHint(fmt.Errorf("more than one change given"), "give exactly one of --add, --remove, --set-power, --register-log, --retire-log")
				}
				if !cmd.Flags().Changed("out") {
					out = "outside-log.note"
				}
				return proposeLogChange(cmd, c, st.Origin, home, out, registerLog, retireLog)
			}
			ms, err := c.Membership(cmd.Context())
			if err != nil {
				return err
			}
			ch := consortium.Change{Origin: st.Origin, Version: ms.Version}
			switch {
			case add != "" && remove == "" && setPower == "":
				b, err := os.ReadFile(add)
				if err != nil {
					return err
				}
				if ch.Card, err = consortium.ParseCard(b); err != nil {
					return err
				}
				ch.Kind, ch.Institution, ch.Power = consortium.ChangeAdd, ch.Card.Institution, power
			case remove != "" && add == "" && setPower == "":
				ch.Kind, ch.Institution = consortium.ChangeRemove, remove
			case setPower != "" && add == "" && remove == "":
				inst, v, _ := strings.Cut(setPower, "=")
				ch.Kind, ch.Institution = consortium.ChangePower, inst
				if ch.Power, err = strconv.ParseInt(v, 10, 64); err != nil {
					return withHint(fmt.Errorf("--set-power %q", setPower), "write --set-power INSTITUTION=N")
				}
			default:
				return withHint(fmt.Errorf("no single change given"), "give exactly one of --add CARD, --remove INSTITUTION, --set-power INSTITUTION=N")
			}
			if _, err := ms.Apply(&ch); err != nil {
				return err
			}
			text, err := ch.Text()
			if err != nil {
				return err
			}
			return writeProposal(cmd, home, out, text)
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "this institution's node home (for its governance key)")
	cmd.Flags().StringVar(&server, "server", defaultServer(), "a node of the network")
	cmd.Flags().StringVar(&out, "out", "membership-change.note", "file to write the signed change to")
	cmd.Flags().StringVar(&add, "add", "", "admit the institution of this member card")
	cmd.Flags().Int64Var(&power, "power", 1, "with --add: the new member's voting power")
	cmd.Flags().StringVar(&remove, "remove", "", "take this institution's voting power away")
	cmd.Flags().StringVar(&setPower, "set-power", "", "set an institution's voting power, INSTITUTION=N")
	cmd.Flags().StringVar(&registerLog, "register-log", "", "accept anchors of the outside log of this tlog-policy file (written to outside-log.note unless --out)")
	cmd.Flags().StringVar(&retireLog, "retire-log", "", "accept no more anchors of the outside log of this origin")
	return cmd
}

// proposeLogChange writes an outside-log change for the registry's
// current version, signed by this institution.
func proposeLogChange(cmd *cobra.Command, c *client.Client, origin, home, out, registerLog, retireLog string) error {
	logs, err := c.OutsideLogs(cmd.Context())
	if err != nil {
		return withHint(err, "the node must serve GET /v1/anchors/logs; name a running node of the network with --server")
	}
	ch := anchor.LogChange{Origin: origin, Version: logs.Version}
	if registerLog != "" {
		b, err := os.ReadFile(registerLog)
		if err != nil {
			return err
		}
		pol, err := policy.Parse(b)
		if err != nil {
			return withHint(fmt.Errorf("%s: %w", registerLog, err), "give the outside log's tlog-policy, as its nodes serve it at /policy")
		}
		ch.Kind, ch.Policy, ch.Log = anchor.ChangeRegister, b, pol.Origin()
	} else {
		ch.Kind, ch.Log = anchor.ChangeRetire, retireLog
	}
	registered := false
	for _, l := range logs.Logs {
		if l.Origin == ch.Log && !l.Retired {
			registered = true
		}
	}
	switch {
	case ch.Log == origin:
		return fmt.Errorf("%s is this network: it cannot anchor into itself", origin)
	case ch.Kind == anchor.ChangeRegister && registered:
		return withHint(fmt.Errorf("outside log %s is registered already", ch.Log), "to change its policy, retire it first")
	case ch.Kind == anchor.ChangeRetire && !registered:
		return withHint(fmt.Errorf("no outside log %s is registered", ch.Log), "see the registered logs with: jurichain anchor list")
	}
	text, err := ch.Text()
	if err != nil {
		return err
	}
	// The text must read back as it is written: the ledger parses it.
	if _, err := anchor.ParseLogChange(text); err != nil {
		return err
	}
	return writeProposal(cmd, home, out, text)
}

// writeProposal writes a governance note, signed by this institution, for
// the other members to sign.
func writeProposal(cmd *cobra.Command, home, out, text string) error {
	signed, err := signChange(home, &note.Note{Text: text})
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (signed by this institution); other members sign it with: jurichain consortium sign --home HOME %s\n", out, out)
	return nil
}

// signChange adds the home's governance signature to a change note.
func signChange(home string, n *note.Note) ([]byte, error) {
	h := node.Home(home)
	cs, err := h.Suite()
	if err != nil {
		return nil, withHint(err, "name this institution's home with --home")
	}
	signer, err := node.LoadNoteSigner(cs, h.GovernanceKeyFile())
	if err != nil {
		return nil, withHint(err, "name this institution's home with --home")
	}
	return note.Sign(n, signer)
}

func newConsortiumSign() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "sign FILE",
		Short: "Add this institution's signature to a membership or outside-log change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, n, err := readGovernanceNote(args[0])
			if err != nil {
				return err
			}
			summary, err := describeChange(args[0], n.Text)
			if err != nil {
				return err
			}
			n.Sigs, n.UnverifiedSigs = n.UnverifiedSigs, nil
			signed, err := signChange(home, n)
			if err != nil {
				return err
			}
			if err := os.WriteFile(args[0], signed, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed: %s\n", summary)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "this institution's node home (for its governance key)")
	return cmd
}

// readGovernanceNote reads a signed governance note: a membership or an
// outside-log change. Its signatures are kept unverified: the ledger
// checks them against the current membership.
func readGovernanceNote(file string) ([]byte, *note.Note, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	n, err := note.Open(b, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		n, err = unverified.Note, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not a signed membership or outside-log change: %w", file, err)
	}
	return b, n, nil
}

// describeChange parses a governance note's text and says what it does.
func describeChange(file, text string) (string, error) {
	if anchor.IsLogChange(text) {
		lc, err := anchor.ParseLogChange(text)
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		return fmt.Sprintf("%s outside log %s on %s (outside-log version %d)", lc.Kind, lc.Log, lc.Origin, lc.Version), nil
	}
	ch, err := consortium.ParseChange(text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return fmt.Sprintf("%s %s on %s (membership version %d)", ch.Kind, ch.Institution, ch.Origin, ch.Version), nil
}

// readChange reads a membership change note.
func readChange(file string) ([]byte, *note.Note, *consortium.Change, error) {
	b, n, err := readGovernanceNote(file)
	if err != nil {
		return nil, nil, nil, err
	}
	ch, err := consortium.ParseChange(n.Text)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return b, n, ch, nil
}

func newConsortiumSubmit() *cobra.Command {
	var server, home string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "submit FILE",
		Short: "Submit a membership or outside-log change signed by members holding more than two thirds of the voting power",
		Long:  "Submit a signed membership or outside-log change and wait until the network has applied it, or --wait has passed.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, n, err := readGovernanceNote(args[0]); err == nil && anchor.IsLogChange(n.Text) {
				return submitLogChange(cmd, args[0], server, home, wait)
			}
			signed, _, ch, err := readChange(args[0])
			if err != nil {
				return err
			}
			c, err := client.New(strings.Split(server, ","), nil)
			if err != nil {
				return err
			}
			current, err := c.Membership(ctx)
			if err != nil {
				return withHint(err, "name a running node of the network with --server")
			}
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			cs, err := suite.ByName(st.Suite)
			if err != nil {
				return err
			}
			auth, err := nodeAuth(home, cs)
			if err != nil {
				return withHint(err, "submitting a change needs a member's node home (--home) to sign the request")
			}
			c = c.WithAuth(auth)
			want, err := current.Apply(ch)
			if err != nil {
				return withHint(err, "propose the change again for the current membership")
			}
			if err := c.ChangeMembership(ctx, signed); err != nil {
				return err
			}
			deadline := time.Now().Add(wait)
			for {
				ms, err := c.Membership(ctx)
				if err == nil && ms.Version > ch.Version {
					if ms.Version != want.Version || !sameMembers(ms, want) {
						return withHint(fmt.Errorf("the membership moved to version %d, but not by this change: another change was applied first", ms.Version),
							"see the members with GET /v1/membership and propose again if the change is still wanted")
					}
					fmt.Fprintf(cmd.OutOrStdout(), "applied: %s %s; membership version %d, %d members with voting power, quorum %d of %d\n"+
						"the new validator set votes from two blocks on; the policy in force: jurichain policy --server %s\n",
						ch.Kind, ch.Institution, ms.Version, len(ms.Active()), consortium.Quorum(ms.TotalPower()), ms.TotalPower(), server)
					return nil
				}
				if time.Now().After(deadline) {
					return withHint(fmt.Errorf("submitted, but not applied after %s", wait), "check the membership with GET /v1/membership and the nodes' logs")
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(250 * time.Millisecond):
				}
			}
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultServer(), "nodes of the network, comma-separated")
	cmd.Flags().StringVar(&home, "home", defaultHome, "your node home: its node key signs the request")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "how long to wait for the change to apply")
	return cmd
}

// sameMembers reports whether two memberships list the same members.
func sameMembers(a, b *consortium.Membership) bool {
	ja, errA := json.Marshal(a.Members)
	jb, errB := json.Marshal(b.Members)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// submitLogChange submits a signed outside-log change and waits until
// GET /v1/anchors/logs shows it applied.
func submitLogChange(cmd *cobra.Command, file, server, home string, wait time.Duration) error {
	ctx := cmd.Context()
	signed, n, err := readGovernanceNote(file)
	if err != nil {
		return err
	}
	ch, err := anchor.ParseLogChange(n.Text)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	c, err := client.New(strings.Split(server, ","), nil)
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return withHint(err, "name a running node of the network with --server")
	}
	current, err := c.OutsideLogs(ctx)
	if err != nil {
		return err
	}
	if current.Version != ch.Version {
		return withHint(fmt.Errorf("the change is for outside-log version %d, the network is at %d", ch.Version, current.Version), "propose the change again")
	}
	cs, err := suite.ByName(st.Suite)
	if err != nil {
		return err
	}
	auth, err := nodeAuth(home, cs)
	if err != nil {
		return withHint(err, "submitting a change needs a member's node home (--home) to sign the request")
	}
	if err := c.WithAuth(auth).ChangeOutsideLog(ctx, signed); err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		logs, err := c.OutsideLogs(ctx)
		if err == nil && logs.Version > ch.Version {
			applied := false
			for _, l := range logs.Logs {
				if l.Origin == ch.Log && l.Retired == (ch.Kind == anchor.ChangeRetire) && (ch.Kind == anchor.ChangeRetire || l.Policy == string(ch.Policy)) {
					applied = true
				}
			}
			if !applied {
				return withHint(fmt.Errorf("the outside logs moved to version %d, but not by this change: another change was applied first", logs.Version),
					"see the registered logs with: jurichain anchor list; propose again if the change is still wanted")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "applied: %s outside log %s; outside-log version %d\n", ch.Kind, ch.Log, logs.Version)
			return nil
		}
		if time.Now().After(deadline) {
			return withHint(fmt.Errorf("submitted, but not applied after %s", wait), "check GET /v1/anchors/logs and the nodes' logs")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
