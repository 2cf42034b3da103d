package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// printAccount writes the outcome of an identity operation.
func printAccount(w io.Writer, info *api.AccountInfo) error {
	if info.Account == nil {
		return errors.New("the node answered without the account")
	}
	state := "applied"
	if info.Applied != nil && !*info.Applied {
		state = "submitted, not yet applied"
	}
	fmt.Fprintf(w, "account %s (%s %s at %s): %s, version %d — %s\n", usertext.Escape(info.ID), usertext.Escape(string(info.Kind)), usertext.Escape(string(info.Role)), usertext.Escape(info.Institution), usertext.Escape(string(info.Status)), info.Version, state)
	return nil
}

func newStaff() *cobra.Command {
	var cred credentials
	var role string
	cmd := &cobra.Command{
		Use:   "staff --home HOME --role ROLE --key STAFF-KEY",
		Short: "Create a staff account (admin, reviewer, judge, clerk, auditor) of this node's institution, signed by the node key",
		Long: `An institution's operator creates its staff accounts with the node key
(--home). The staff member's key must sign too: pass the private key with
--key, or let the staff member run this with their own key file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cred.home == "" {
				return withHint(errors.New("--home is required"), "staff accounts are created with the institution's node key: name its node home")
			}
			if !identity.ValidRole(identity.Role(role)) || role == string(identity.Depositor) {
				return withHint(fmt.Errorf("--role %q", role), "want admin, reviewer, judge, clerk or auditor; depositors register with an invitation code")
			}
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			key, err := loadKey(s.suite, cred.keyFile)
			if err != nil {
				return err
			}
			h := node.Home(cred.home)
			card, err := h.LoadCard()
			if err != nil {
				return err
			}
			op := identity.NewRegistration(s.suite, s.status.Origin, card.Institution, identity.Role(role), identity.Staff, key.Public(), make([]byte, suite.HashSize))
			staffSigner, err := identity.NewSigner(op.Account, key, s.suite.Signature().Name())
			if err != nil {
				return err
			}
			nodeSigner, err := h.LogSigner(s.status.Origin)
			if err != nil {
				return err
			}
			signed, err := op.Sign(staffSigner, nodeSigner)
			if err != nil {
				return err
			}
			info, err := s.Identity(cmd.Context(), signed)
			if err != nil {
				return err
			}
			return printAccount(cmd.OutOrStdout(), info)
		},
	}
	cred.flags(cmd, "the staff member's private key")
	cmd.Flags().StringVar(&role, "role", "", "admin, reviewer, judge, clerk or auditor")
	return cmd
}

func newInvite() *cobra.Command {
	var cred credentials
	var validFor string
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Issue a single-use invitation code to register at this institution (reviewers and admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			inv, err := s.Invite(cmd.Context(), validFor)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "invitation code %s for %s, valid until %s\n", usertext.Escape(inv.Code), usertext.Escape(inv.Institution), inv.Expires.UTC().Format("2006-01-02 15:04 MST"))
			return nil
		},
	}
	cred.flags(cmd, "your reviewer key")
	cmd.Flags().StringVar(&validFor, "valid-for", "", "how long the code may be used, such as 72h (default 7 days, at most 30)")
	return cmd
}

func newRegister() *cobra.Command {
	var cred credentials
	var invitation, kind string
	var rn identity.RealName
	cmd := &cobra.Command{
		Use:   "register --invitation CODE --name NAME (--id-type T --id-number N | --credit-code C --legal-representative R --agent A)",
		Short: "Register as a depositor with an invitation code; a reviewer then approves or rejects",
		Long: `Register sends your real-name data to the institution's node, which keeps
it; the ledger gets only a salted commitment to it. Your key signs the
registration. The account is pending until a reviewer approves it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := identity.Kind(kind)
			if err := rn.Check(k); err != nil {
				return withHint(err, "individuals give --name, --id-type and --id-number; enterprises (--kind enterprise) --name, --credit-code, --legal-representative and --agent")
			}
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := s.needKey("register"); err != nil {
				return err
			}
			salt := make([]byte, 32)
			if _, err := rand.Read(salt); err != nil {
				return err
			}
			commitment, err := identity.Commit(s.suite, salt, rn.Canonical())
			if err != nil {
				return err
			}
			op := identity.NewRegistration(s.suite, s.status.Origin, s.status.Institution, identity.Depositor, k, s.key.Public(), commitment)
			signer, err := identity.NewSigner(op.Account, s.key, s.suite.Signature().Name())
			if err != nil {
				return err
			}
			signed, err := op.Sign(signer)
			if err != nil {
				return err
			}
			info, err := s.Register(cmd.Context(), api.RegistrationRequest{Invitation: invitation, RealName: rn, Salt: salt, Note: string(signed)})
			if err != nil {
				return err
			}
			return printAccount(cmd.OutOrStdout(), info)
		},
	}
	cred.flags(cmd, "your private key (create one with 'jurichain keygen')")
	cmd.Flags().StringVar(&invitation, "invitation", "", "the invitation code a reviewer gave you")
	realNameFlags(cmd, &kind, &rn)
	return cmd
}

func newAccount() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Show your account; review, suspend and reinstate accounts; rotate and revoke keys",
	}
	cmd.AddCommand(newAccountShow(), newAccountList(), newAccountEnroll())
	for _, a := range []struct {
		action identity.Action
		short  string
	}{
		{identity.Approve, "Approve a pending registration (reviewers and admins)"},
		{identity.Reject, "Reject a pending registration with --reason (reviewers and admins)"},
		{identity.Suspend, "Suspend an approved account with --reason: it can no longer deposit"},
		{identity.Reinstate, "Reinstate a suspended account with --reason"},
	} {
		cmd.AddCommand(newDecision(a.action, a.short))
	}
	cmd.AddCommand(newKeyChange(identity.AddKey), newKeyChange(identity.RevokeKey))
	return cmd
}

// realNameFlags adds the flags of real-name data.
func realNameFlags(cmd *cobra.Command, kind *string, rn *identity.RealName) {
	f := cmd.Flags()
	f.StringVar(kind, "kind", "individual", "individual or enterprise")
	f.StringVar(&rn.Name, "name", "", "legal name of the person or enterprise")
	f.StringVar(&rn.IDType, "id-type", "", "individual: identity document type, such as resident-id or passport")
	f.StringVar(&rn.IDNumber, "id-number", "", "individual: identity document number")
	f.StringVar(&rn.CreditCode, "credit-code", "", "enterprise: unified social credit code (18 characters)")
	f.StringVar(&rn.LegalRepresentative, "legal-representative", "", "enterprise: legal representative")
	f.StringVar(&rn.Agent, "agent", "", "enterprise: the agent acting for it")
}

func newAccountEnroll() *cobra.Command {
	var cred credentials
	var depositorKey, kind string
	var rn identity.RealName
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "enroll --home HOME --depositor-key FILE --name NAME ...",
		Short: "Register and approve a depositor in one step, as at the institution's counter (operators, with the node key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cred.home == "" {
				return withHint(errors.New("--home is required"), "enroll signs the approval with the institution's node key")
			}
			if err := rn.Check(identity.Kind(kind)); err != nil {
				return withHint(err, "individuals give --name, --id-type and --id-number; enterprises (--kind enterprise) --name, --credit-code, --legal-representative and --agent")
			}
			key, keySuite, err := readKey(depositorKey)
			if err != nil {
				return err
			}
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			if key, err = keyFor(s.suite, depositorKey, key, keySuite); err != nil {
				return err
			}
			approver, err := node.Home(cred.home).LogSigner(s.status.Origin)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			id, err := s.Enroll(ctx, s.suite, s.status.Origin, s.status.Institution, key, identity.Kind(kind), rn, approver)
			if errors.Is(err, client.ErrNotApplied) {
				return withHint(err, "nothing commits while more than a third of the voting power is down; once the network has its quorum again, run the command again (check first with 'jurichain account list' whether the account appeared)")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %s (%s depositor at %s): approved\n", usertext.Escape(id), kind, usertext.Escape(s.status.Institution))
			return nil
		},
	}
	cred.flags(cmd, "unused with --home")
	cmd.Flags().StringVar(&depositorKey, "depositor-key", "", "the depositor's private key (it signs the registration)")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "how long to wait for the registration and the approval to apply")
	realNameFlags(cmd, &kind, &rn)
	return cmd
}

func newAccountShow() *cobra.Command {
	var cred credentials
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show your own account, whatever its status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			info, err := s.Account(cmd.Context())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(info)
		},
	}
	cred.flags(cmd, "your private key")
	return cmd
}

func newAccountList() *cobra.Command {
	var cred credentials
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the institution's accounts (reviewers see real-name data), e.g. --status pending",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cred.connect(cmd.Context())
			if err != nil {
				return err
			}
			accs, err := s.Accounts(cmd.Context(), status)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tROLE\tKIND\tSTATUS\tNAME\tDOCUMENT")
			for _, a := range accs {
				name, doc := "-", "-"
				if rn := a.RealName; rn != nil {
					name, doc = rn.Name, strings.TrimSpace(rn.IDType+" "+rn.IDNumber+rn.CreditCode)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", usertext.Escape(a.ID), usertext.Escape(string(a.Role)), usertext.Escape(string(a.Kind)), usertext.Escape(string(a.Status)), usertext.Escape(name), usertext.Escape(doc))
			}
			return tw.Flush()
		},
	}
	cred.flags(cmd, "your reviewer, admin or auditor key")
	cmd.Flags().StringVar(&status, "status", "", "only accounts in this status: pending, approved, rejected, suspended")
	return cmd
}

// signOp signs an identity operation on an account at its current
// version with the session's key (or the node key with --home) and
// submits it.
func signOp(cmd *cobra.Command, cred *credentials, op *identity.Op, extra ...note.Signer) error {
	s, err := cred.connect(cmd.Context())
	if err != nil {
		return err
	}
	target, err := s.accountVersion(cmd, op.Account)
	if err != nil {
		return err
	}
	op.Origin, op.Version = s.status.Origin, target
	if err := op.CheckSuite(s.suite); err != nil {
		return withHint(err, fmt.Sprintf("create a key for this network with 'jurichain keygen --suite %s --out FILE'", s.suite.Name()))
	}
	var signers []note.Signer
	if cred.home != "" {
		ns, err := node.Home(cred.home).LogSigner(s.status.Origin)
		if err != nil {
			return err
		}
		signers = append(signers, ns)
	} else {
		if err := s.needKey(string(op.Action)); err != nil {
			return err
		}
		sg, err := identity.NewSigner(s.account, s.key, s.suite.Signature().Name())
		if err != nil {
			return err
		}
		signers = append(signers, sg)
	}
	signed, err := op.Sign(append(signers, extra...)...)
	if err != nil {
		return err
	}
	info, err := s.Identity(cmd.Context(), signed)
	if err != nil {
		return err
	}
	return printAccount(cmd.OutOrStdout(), info)
}

// accountVersion finds an account's current version: one's own from GET
// /v1/account, another's from the institution's list.
func (s *session) accountVersion(cmd *cobra.Command, id string) (uint64, error) {
	if id == s.account {
		info, err := s.Account(cmd.Context())
		if err != nil {
			return 0, err
		}
		return info.Version, nil
	}
	accs, err := s.Accounts(cmd.Context(), "")
	if err != nil {
		return 0, err
	}
	for _, a := range accs {
		if a.ID == id {
			return a.Version, nil
		}
	}
	return 0, withHint(fmt.Errorf("no account %s at %s", id, s.status.Institution), "list them with 'jurichain account list'")
}

func newDecision(action identity.Action, short string) *cobra.Command {
	var cred credentials
	var reason string
	cmd := &cobra.Command{
		Use:   string(action) + " ACCOUNT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if action != identity.Approve && reason == "" {
				return withHint(fmt.Errorf("%s needs a reason", action), "give it with --reason; it is recorded on the ledger")
			}
			return signOp(cmd, &cred, &identity.Op{Account: args[0], Action: action, Reason: reason})
		},
	}
	cred.flags(cmd, "your reviewer or admin key")
	cmd.Flags().StringVar(&reason, "reason", "", "the reason, recorded on the ledger (one line)")
	return cmd
}

func newKeyChange(action identity.Action) *cobra.Command {
	var cred credentials
	var keyFile, reason string
	short := "Add a new key to your account (key rotation); the new key signs too"
	use := "add-key --new-key FILE"
	if action == identity.RevokeKey {
		short, use = "Revoke a key of your account; signatures it made before stay valid", "revoke-key --revoke FILE.pub-or-key --reason R"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The key's own suite names its algorithm; signOp checks that
			// it is the network's.
			other, otherSuite, err := readKey(keyFile)
			if err != nil {
				return err
			}
			account := cred.account
			if account == "" {
				s, err := cred.connect(cmd.Context())
				if err != nil {
					return err
				}
				// The node finds the account from the key: its id depends
				// on the institution that registered it, not this node's.
				info, err := s.Account(cmd.Context())
				if err != nil {
					return err
				}
				account = info.ID
			}
			cred.account = account
			op := &identity.Op{Account: account, Action: action, Public: other.Public(), Reason: reason}
			if action == identity.RevokeKey {
				return signOp(cmd, &cred, op)
			}
			op.Alg = otherSuite.Signature().Name()
			newSigner, err := identity.NewSigner(account, other, op.Alg)
			if err != nil {
				return err
			}
			return signOp(cmd, &cred, op, newSigner)
		},
	}
	cred.flags(cmd, "a current key of your account")
	if action == identity.AddKey {
		cmd.Flags().StringVar(&keyFile, "new-key", "", "the new private key (create it with 'jurichain keygen --out')")
	} else {
		cmd.Flags().StringVar(&keyFile, "revoke", "", "the private key to revoke")
		cmd.Flags().StringVar(&reason, "reason", "", "why, recorded on the ledger")
	}
	return cmd
}
