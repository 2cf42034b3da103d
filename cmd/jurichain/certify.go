package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/consortium"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// openKeyring opens the institution's seal and time-stamping credentials
// in a node home, creating the first ones.
func openKeyring(h node.Home, cs *suite.Suite, card *consortium.Card, logger *slog.Logger) (*pki.Keyring, error) {
	inst := pki.Institution{Name: card.Institution, Kind: string(card.Kind)}
	if _, err := os.Stat(h.PKIDir()); errors.Is(err, os.ErrNotExist) {
		// A home made before seals existed has a certificate authority
		// of its signature scheme, which nothing has used yet: make it
		// anew in the certificate scheme before issuing under it.
		if caPEM, err := os.ReadFile(h.CAFile()); err == nil {
			if der, err := pki.DecodePEM(caPEM); err == nil {
				if _, err := pki.Check(cs, der); err != nil {
					logger.Warn("replacing the institution's unused certificate authority with one of the suite's certificate scheme", "scheme", cs.Certificates().Name(), "was", err)
					if err := h.NewCA(cs, inst); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	caPEM, err := os.ReadFile(h.CAFile())
	if err != nil {
		return nil, fmt.Errorf("reading the institution's certificate authority: %w", err)
	}
	der, err := pki.DecodePEM(caPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.CAFile(), err)
	}
	ca, err := pki.Check(cs, der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.CAFile(), err)
	}
	keyPEM, err := os.ReadFile(h.CAKeyFile())
	if err != nil {
		return nil, fmt.Errorf("reading the certificate authority's key: %w", err)
	}
	caKey, err := cs.Certificates().ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.CAKeyFile(), err)
	}
	return pki.OpenKeyring(cs, h.PKIDir(), ca, caKey, inst, time.Now())
}

// startCertification sets up the institution's certification office on a
// running node: its keyring, its endorsement of its CA, the issuer, and
// the stamping of every final checkpoint, until stop is called (which
// waits for the stamping to end: it writes to the office).
func startCertification(h node.Home, n *node.Node, card *consortium.Card, off *office.Office, baseURL string, logger *slog.Logger) (is *certificate.Issuer, stop func(), err error) {
	keys, err := openKeyring(h, n.Suite, card, logger)
	if err != nil {
		return nil, nil, err
	}
	cosign, err := h.CosignKey(n.Suite)
	if err != nil {
		return nil, nil, err
	}
	endorsement, err := certificate.Endorse(n.Suite, cosign, n.Origin, n.Institution, keys.CA().Raw)
	if err != nil {
		return nil, nil, err
	}
	is, err = certificate.NewIssuer(certificate.IssuerConfig{
		Suite: n.Suite, Origin: n.Origin,
		Institution: pki.Institution{Name: card.Institution, Kind: string(card.Kind)},
		Keyring:     keys, Endorsement: endorsement,
		VerifyURL: func(number string) string { return baseURL + "/v1/certificates/" + number },
	})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		is.StampCheckpoints(ctx, finalCheckpoints(n.App), off, logger)
	}()
	return is, func() { cancel(); <-done }, nil
}

// finalCheckpoints follows the ledger's latest final checkpoint.
func finalCheckpoints(app *ledger.App) func() certificate.FinalCheckpoint {
	return func() certificate.FinalCheckpoint {
		snap := app.Committed()
		return certificate.FinalCheckpoint{Size: snap.Size, Checkpoint: snap.Checkpoint, Next: snap.Done}
	}
}

// verificationBase is the URL a certificate's QR code points at: the
// member card's API URL, else the address the API listens on.
func verificationBase(card *consortium.Card, listen string) string {
	if u, err := url.Parse(card.API); err == nil && u.Host != "" {
		return strings.TrimSuffix(card.API, "/")
	}
	return "http://" + listen
}

func newCertificate() *cobra.Command {
	var cred credentials
	var out, policyFile string
	cmd := &cobra.Command{
		Use:   "certificate DEPOSIT",
		Short: "Download a deposit's sealed certificate (PDF), or check one",
		Long: `Certificate downloads the certificate the node's institution issues for a
committed deposit: a PDF in Chinese and English sealed by the institution
(a digital signature with an RFC 3161 time-stamp), carrying the receipt
and the metadata opening as attachments. It is written only once it
verifies against the policy (--policy, as for deposit) and is the
certificate of the deposit asked for. 'jurichain verify --policy POLICY
FILE CERT.pdf' checks it offline; 'jurichain certificate check CERT.pdf'
asks the node.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := cred.connect(ctx)
			if err != nil {
				return err
			}
			pol, err := receiptPolicy(ctx, s, policyFile, cred.home, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			pdf, err := s.Certificate(ctx, args[0])
			if err != nil {
				return err
			}
			res, err := checkedCertificate(pdf, pol, args[0])
			if err != nil {
				return err
			}
			d := res.Data
			if out == "" {
				out = d.Number + ".pdf" // a checked number: letters, digits and dashes
			}
			if err := os.WriteFile(out, pdf, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\tcertificate %s\tdeposit #%d\tsealed by %s\n", usertext.Escape(out), d.Number, d.LeafIndex, usertext.Escape(d.Institution.Name))
			return nil
		},
	}
	cred.flags(cmd, "your private key")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: the certificate number .pdf)")
	cmd.Flags().StringVar(&policyFile, "policy", "", "check the certificate against this tlog-policy file before writing it (default: as for deposit)")
	cmd.AddCommand(newCertificateCheck(), newCertificateCA())
	return cmd
}

// checkedCertificate verifies a certificate a node sent for deposit (an
// id or a number): a node is not trusted to send a genuine one, nor the
// one asked for.
func checkedCertificate(pdf []byte, pol *policy.Policy, deposit string) (*certificate.Result, error) {
	res, err := certificate.Verify(pdf, certificate.Options{Policy: pol})
	if err != nil {
		return nil, fmt.Errorf("the node's certificate failed a check, so it was not written: %w", err)
	}
	d := res.Data
	if n, err := strconv.ParseUint(deposit, 10, 64); err == nil && len(deposit) < 20 {
		if d.LeafIndex != n {
			return nil, fmt.Errorf("the node sent the certificate of deposit #%d, not #%d; it was not written", d.LeafIndex, n)
		}
	} else if d.Deposit != deposit {
		return nil, fmt.Errorf("the node sent the certificate of deposit %s, not %s; it was not written", d.Deposit, usertext.Escape(deposit))
	}
	return res, nil
}

// publicFlag adds --server to a command that needs no credentials.
func publicFlag(cmd *cobra.Command, server *string) {
	cmd.Flags().StringVar(server, "server", defaultServer(), "node API URL; several, comma-separated, are tried in turn (default $JURICHAIN_SERVER)")
}

func publicClient(server string) (*client.Client, error) {
	return client.New(strings.Split(server, ","), nil)
}

func newCertificateCheck() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "check CERT.pdf|NUMBER",
		Short: "Ask the node whether a certificate is genuine and its deposit still in the log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := publicClient(server)
			if err != nil {
				return err
			}
			var res *api.CertificateCheck
			if pdf, rerr := os.ReadFile(args[0]); rerr == nil {
				res, err = s.CheckCertificate(ctx, pdf)
			} else if errors.Is(rerr, os.ErrNotExist) && !strings.HasSuffix(strings.ToLower(args[0]), ".pdf") {
				res, err = s.CertificateByNumber(ctx, args[0])
			} else {
				return rerr
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !res.Genuine {
				return &verifyFailed{fmt.Errorf("%s: %s", res.FailedCheck, usertext.Escape(res.Message))}
			}
			d := res.Certificate
			fmt.Fprintf(w, "certificate %s: genuine\n", usertext.Escape(d.Number))
			fmt.Fprintf(w, "  sealed by:       %s, %s\n", usertext.Escape(d.Institution.Name), res.SealedAt.UTC().Format(time.RFC3339))
			fmt.Fprintf(w, "  deposit:         #%d %s\n", d.LeafIndex, usertext.Escape(d.Deposit))
			fmt.Fprintf(w, "  certified time:  %s\n", d.CertifiedTime.UTC().Format(time.RFC3339Nano))
			if st := res.StillInLog; st != nil {
				fmt.Fprintf(w, "  still in log:    %v (checkpoint %d consistent with the latest, %d)\n", st.Consistent, d.Checkpoint.Size, st.LatestSize)
				if !st.Consistent {
					return &verifyFailed{errors.New("the node's log is not consistent with the certificate's checkpoint")}
				}
			}
			return nil
		},
	}
	publicFlag(cmd, &server)
	return cmd
}

func newSeal() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "seal",
		Short: "Manage the institution's seal and time-stamping keys (list, rotate, revoke)",
		Long: `The institution's certificate authority issues a seal certificate (it signs
certificate PDFs) and a time-stamping certificate (RFC 3161 tokens). Rotate
replaces one with a new key; what was sealed or stamped before keeps
verifying. Revoke marks a certificate revoked from a time on (a key known
compromised since then): what it signed after that time is refused, what
it signed before still verifies. A running node picks the change up at its
next use of the key.`,
	}
	cmd.PersistentFlags().StringVar(&home, "home", defaultHome, "node home directory")
	keyring := func(cmd *cobra.Command) (*pki.Keyring, error) {
		h := node.Home(home)
		cs, err := h.Suite()
		if err != nil {
			return nil, err
		}
		card, err := h.LoadCard()
		if err != nil {
			return nil, err
		}
		return openKeyring(h, cs, card, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)))
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the seal and time-stamping certificates, current and past",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := keyring(cmd)
			if err != nil {
				return err
			}
			printCredentials(cmd, k)
			return nil
		},
	}
	var role string
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the seal (or, with --role tsa, the time-stamping) key and certificate",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := pki.Role(role)
			if r != pki.RoleSeal && r != pki.RoleTSA {
				return withHint(fmt.Errorf("--role %q", role), "use --role seal or --role tsa")
			}
			k, err := keyring(cmd)
			if err != nil {
				return err
			}
			c, err := k.Rotate(r, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new %s certificate %s (%s)\n", r, c.Cert.SerialNumber.Text(16), c.Cert.Subject.CommonName)
			return nil
		},
	}
	rotate.Flags().StringVar(&role, "role", string(pki.RoleSeal), "seal or tsa")
	var at, reason string
	revoke := &cobra.Command{
		Use:   "revoke SERIAL",
		Short: "Revoke a seal or time-stamping certificate from a time on (default: now)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			serial, ok := new(big.Int).SetString(args[0], 16)
			if !ok {
				return withHint(fmt.Errorf("serial %q is not hexadecimal", args[0]), "copy the serial 'jurichain seal list' shows")
			}
			when := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return withHint(fmt.Errorf("--at %q: %w", at, err), "give an RFC 3339 time such as 2026-12-01T09:00:00+08:00")
				}
				when = t
			}
			code, ok := revocationReasons()[reason]
			if !ok {
				return withHint(fmt.Errorf("--reason %q", reason), "use one of key-compromise, superseded, cessation-of-operation, unspecified")
			}
			k, err := keyring(cmd)
			if err != nil {
				return err
			}
			if err := k.Revoke(serial, when, code); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s from %s (%s); the node serves the new revocation list at /v1/pki/crl\n", args[0], when.UTC().Format(time.RFC3339), reason)
			return nil
		},
	}
	revoke.Flags().StringVar(&at, "at", "", "revoked from this time on (RFC 3339; default now); what it signed before stays valid")
	revoke.Flags().StringVar(&reason, "reason", "key-compromise", "key-compromise, superseded, cessation-of-operation or unspecified")
	cmd.AddCommand(list, rotate, revoke)
	return cmd
}

// revocationReasons maps the CLI's reason names to RFC 5280 CRLReason
// codes.
func revocationReasons() map[string]int {
	return map[string]int{"unspecified": 0, "key-compromise": 1, "superseded": 4, "cessation-of-operation": 5}
}

func printCredentials(cmd *cobra.Command, k *pki.Keyring) {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tSERIAL\tISSUED\tSTATE")
	for _, e := range k.History() {
		state := "current"
		switch {
		case e.Revoked != nil:
			state = "revoked from " + e.Revoked.UTC().Format(time.RFC3339)
		case e.Retired != nil:
			state = "retired " + e.Retired.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Role, e.Cert.SerialNumber.Text(16), e.Issued.UTC().Format(time.RFC3339), state)
	}
	tw.Flush()
}
func newCertificateCA() *cobra.Command {
	var server, policyFile, out string
	cmd := &cobra.Command{
		Use:   "ca --policy POLICY --out FILE",
		Short: "Fetch the node's institution's certificate authority, checked against the policy, for pdfsig or Adobe",
		Long: `A PDF reader calls a certificate's seal trusted once the institution's
certificate authority is trusted. This fetches the CA from the node and
writes it (PEM) only after checking the institution's endorsement of it
with the institution's key in the policy, so that a court trusts the CA
because it trusts the policy, not the server it came from.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if policyFile == "" || out == "" {
				return withHint(errors.New("--policy and --out are required"), "the policy is the trust root: 'jurichain policy > court.policy' once, and keep it")
			}
			pol, err := readPolicy(policyFile)
			if err != nil {
				return err
			}
			s, err := publicClient(server)
			if err != nil {
				return err
			}
			info, err := s.PKI(cmd.Context())
			if err != nil {
				return err
			}
			der, err := pki.DecodePEM([]byte(info.CA))
			if err != nil {
				return fmt.Errorf("the node's certificate authority: %w", err)
			}
			if err := certificate.VerifyEndorsement(pol, []byte(info.Endorsement), info.Institution, der); err != nil {
				return &verifyFailed{fmt.Errorf("the certificate authority the node sent is not %s's: %w", usertext.Escape(info.Institution), err)}
			}
			if err := os.WriteFile(out, pki.EncodePEM(der), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\tcertificate authority of %s, endorsed with its key in %s\n", out, usertext.Escape(info.Institution), policyFile)
			return nil
		},
	}
	publicFlag(cmd, &server)
	cmd.Flags().StringVar(&policyFile, "policy", "", "the network's tlog-policy file (trust root)")
	cmd.Flags().StringVar(&out, "out", "", "file to write the CA certificate to (PEM)")
	return cmd
}
