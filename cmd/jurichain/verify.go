package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// verifyFailed is a verification that ran and found a check failing
// (exit status 1), as opposed to a usage or I/O error (exit status 2).
type verifyFailed struct{ err error }

func (e *verifyFailed) Error() string { return "verification FAILED: " + e.err.Error() }
func (e *verifyFailed) Unwrap() error { return e.err }

func newVerify() *cobra.Command {
	var policyFiles []string
	var metaFile, crlFile, anchorPolicyFile string
	cmd := &cobra.Command{
		Use:   "verify --policy POLICY FILE [RECEIPT | CERTIFICATE.pdf]\n  jurichain verify --policy POLICY --anchor-policy COURT.policy FILE [COMPOSED]\n  jurichain verify --policy POLICY CERTIFICATE.pdf\n  jurichain verify [--policy POLICY ...] PACKAGE.zip",
		Short: "Verify a file against its receipt, offline",
		Long: `Verify recomputes the file's digests and checks, with nothing but the trust
policy: the checkpoint's log signature and validator cosignatures, the
entry, the Merkle inclusion proof, the depositor's signature, the content
digests and, when the opening beside the receipt (FILE.meta.json beside
FILE.tlog-proof) is present, the metadata. The crypto suite (` + suite.NameInternational + ` or ` + suite.NameGM + `)
is the policy's, read from its keys; the file is hashed with the suite's
content digest, and with the other suite's too when the deposit carries
both. It prints what is proven and exits 0 only when every check holds
(1 when one fails). RECEIPT defaults to FILE.tlog-proof.

A composed receipt (FILE.anchored.tlog-proof, the default with
--anchor-policy when present) adds the proof that a court network anchored
a later checkpoint of the network: verify then also checks that
checkpoint under POLICY, the consistency proof from the receipt's
checkpoint to it, the court's receipt of the anchor under --anchor-policy
(the court network's policy) and that the anchor entry is that checkpoint,
deposited by a court node, and prints the court, the anchor number and
the court's certified time.

Given a certificate PDF instead of a receipt, verify checks the certificate
(the institution's seal and its RFC 3161 time-stamp, the institution's
certificates at that time, the attached receipt and metadata, the
checkpoint's time-stamp, and that the printed page states exactly what is
proven) and then the file against it. Given only the PDF, it checks the
certificate itself. --crl adds a newer revocation list of the institution
(from /v1/pki/crl): a seal revoked before it was applied is refused.

Given an evidence package (a ZIP, from 'jurichain package create'), verify
checks every item offline: the manifest's signature and every file against
it, each receipt, original, metadata opening, certificate and access-trail
record, and prints one row per item. --policy may be repeated (one per
network); without it the package's own policies are used, and the output
says so.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A deposited file may be a ZIP too: with its receipt beside
			// it, it is verified as evidence.
			if _, err := os.Stat(args[0] + receipt.FileExtension); len(args) == 1 && isZIP(args[0]) && err != nil {
				if metaFile != "" || crlFile != "" {
					return withHint(errors.New("--meta and --crl apply to a receipt or a certificate"), "verify a package with --policy only")
				}
				return verifyPackage(cmd, args[0], policyFiles)
			}
			if len(policyFiles) > 1 {
				return withHint(errors.New("one --policy for a receipt or a certificate"), "give the policy of the receipt's network")
			}
			policyFile := ""
			if len(policyFiles) == 1 {
				policyFile = policyFiles[0]
			}
			if policyFile == "" {
				return withHint(errors.New("--policy is required"), "get the network's policy once with 'jurichain policy' or from /policy, and keep it")
			}
			pol, err := readPolicy(policyFile)
			if err != nil {
				return err
			}
			var crl []byte
			if crlFile != "" {
				if crl, err = os.ReadFile(crlFile); err != nil {
					return err
				}
			}
			if cert, file, ok := certificateArgs(args); ok {
				return verifyCertificate(cmd.OutOrStdout(), pol, cert, file, crl)
			}
			if crlFile != "" {
				return withHint(errors.New("--crl applies to certificates"), "give the certificate PDF as the last argument")
			}
			file := args[0]
			rfile := file + receipt.FileExtension
			if len(args) == 2 {
				rfile = args[1]
			} else if anchorPolicyFile != "" {
				// With a court's policy, the composed receipt beside
				// the file is the one meant, when there is one.
				if _, err := os.Stat(file + anchor.ComposedFileExtension); err == nil {
					rfile = file + anchor.ComposedFileExtension
				}
			}
			rtext, err := os.ReadFile(rfile)
			if errors.Is(err, fs.ErrNotExist) {
				return withHint(fmt.Errorf("no receipt %s", rfile), "name the receipt as the second argument")
			}
			if err != nil {
				return err
			}
			var composed *anchor.Composed
			var courtPol *policy.Policy
			platformText := rtext
			if anchor.IsComposed(rtext) {
				if anchorPolicyFile == "" {
					return withHint(fmt.Errorf("%s is a composed receipt: it proves the deposit through a court network's anchor, and verify needs that court's policy", rfile),
						"pass the court network's policy with --anchor-policy COURT.policy (from the court's /policy)")
				}
				if composed, err = anchor.ParseComposed(rtext); err != nil {
					return &verifyFailed{fmt.Errorf("composed receipt %s: %w", rfile, err)}
				}
				platformText = composed.Platform
			}
			if anchorPolicyFile != "" {
				if courtPol, err = readPolicy(anchorPolicyFile); err != nil {
					return err
				}
			}
			rc, err := receipt.Parse(platformText)
			if err != nil {
				return &verifyFailed{fmt.Errorf("receipt %s: %w", rfile, err)}
			}
			cs := pol.Suite()
			digests, err := digestFile(file, contentAlgorithms(cs, rc))
			if err != nil {
				return err
			}
			ev := receipt.Evidence{Digests: digests}
			if metaFile == "" {
				// The opening sits beside its receipt: FILE.2.meta.json
				// with FILE.2.tlog-proof (or FILE.2.anchored.tlog-proof).
				guess := strings.TrimSuffix(rfile, receipt.FileExtension) + metaExtension
				if strings.HasSuffix(rfile, anchor.ComposedFileExtension) {
					guess = strings.TrimSuffix(rfile, anchor.ComposedFileExtension) + metaExtension
				}
				if !strings.HasSuffix(rfile, receipt.FileExtension) {
					guess = file + metaExtension
				}
				if _, err := os.Stat(guess); err == nil {
					metaFile = guess
				}
			}
			if metaFile != "" {
				var op deposit.Opening
				b, err := os.ReadFile(metaFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &op); err != nil {
					return &verifyFailed{fmt.Errorf("metadata opening %s: %w", metaFile, err)}
				}
				ev.Opening = &op
			}
			w := cmd.OutOrStdout()
			if composed != nil {
				ap, err := anchor.VerifyComposed(pol, courtPol, composed, ev)
				var ce *receipt.CheckError
				if errors.As(err, &ce) && ce.Check == anchor.CheckPlatform {
					return receiptFailure(pol, policyFile, rc, ce.Err)
				}
				if err != nil {
					return &verifyFailed{err}
				}
				printProven(w, file, ap.Platform, ev.Digests, pol.IsLogKey(ap.Platform.Leaf.Depositor))
				printAnchored(w, ap)
				return nil
			}
			p, err := receipt.Verify(pol, rc, ev)
			if err != nil {
				return receiptFailure(pol, policyFile, rc, err)
			}
			printProven(w, file, p, ev.Digests, pol.IsLogKey(p.Leaf.Depositor))
			if courtPol != nil {
				fmt.Fprintf(w, "  anchored in:    not anchored: %s is a plain receipt (a composed one, from 'jurichain receipt upgrade', proves the anchor)\n", usertext.Escape(rfile))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&policyFiles, "policy", nil, "the network's tlog-policy file (trust root); for a package, one per network, repeatable")
	cmd.Flags().StringVar(&anchorPolicyFile, "anchor-policy", "", "the court network's tlog-policy, to verify a composed receipt (FILE.anchored.tlog-proof) through the court's anchor")
	cmd.Flags().StringVar(&metaFile, "meta", "", "metadata opening (default FILE.meta.json when present)")
	cmd.Flags().StringVar(&crlFile, "crl", "", "a newer revocation list of the institution that sealed a certificate (DER, from /v1/pki/crl)")
	return cmd
}

// receiptFailure reports the failure err of the receipt rc under the
// policy read from policyFile: for another network's receipt, that the
// networks differ, unless it is of another suite, which says more.
func receiptFailure(pol *policy.Policy, policyFile string, rc *receipt.Receipt, err error) error {
	var ce *receipt.CheckError
	if origin, _, _ := strings.Cut(string(rc.Checkpoint), "\n"); origin != pol.Origin() && !(errors.As(err, &ce) && ce.Check == receipt.CheckSuite) {
		return &verifyFailed{&receipt.CheckError{Check: receipt.CheckCheckpoint,
			Err: fmt.Errorf("the networks differ: the receipt is from the log %q, the policy %s is for %q", origin, policyFile, pol.Origin())}}
	}
	return &verifyFailed{err}
}

// printAnchored prints what the anchor of a composed receipt proves,
// after the platform receipt's lines.
func printAnchored(w io.Writer, p *anchor.Proven) {
	fmt.Fprintf(w, "  anchored in:    %s, anchor #%d, certified %s, cosigned by %s\n", usertext.Escape(p.CourtOrigin()), p.Number(),
		p.CourtCertifiedTime().UTC().Format(time.RFC3339Nano), usertext.Escape(strings.Join(p.CourtCosigners(), ", ")))
	fmt.Fprintf(w, "    court suite:  %s\n", p.Court.Suite)
	fmt.Fprintf(w, "    anchored:     %s at size %d, which contains the receipt's tree of %d (consistency proven)\n",
		usertext.Escape(p.Anchored.Origin), p.AnchoredSize(), p.Platform.Checkpoint.Size)
	fmt.Fprintf(w, "    anchor entry: deposited by a member node of the court (its log key), court block %d, in a tree of %d\n",
		p.Court.Leaf.Height, p.Court.Checkpoint.Size)
}

// readPolicy reads a trust policy file.
func readPolicy(file string) (*policy.Policy, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pol, err := policy.Parse(text)
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", file, err), "the policy must be a C2SP tlog-policy file as served at /policy")
	}
	return pol, nil
}

// certificateArgs tells a certificate check from a receipt check: the last
// argument is a PDF (by its first bytes) and, when it is the only one, no
// receipt lies beside it (an evidence file may be a PDF too).
func certificateArgs(args []string) (cert, file string, ok bool) {
	last := args[len(args)-1]
	f, err := os.Open(last)
	if err != nil {
		return "", "", false
	}
	head := make([]byte, 5)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != "%PDF-" {
		return "", "", false
	}
	if len(args) == 1 {
		if _, err := os.Stat(last + receipt.FileExtension); err == nil {
			return "", "", false
		}
		return last, "", true
	}
	return last, args[0], true
}

// verifyCertificate checks a certificate PDF, and file against it when
// file is set, and prints what is proven.
func verifyCertificate(w io.Writer, pol *policy.Policy, certFile, file string, crl []byte) error {
	pdf, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	opts := certificate.Options{Policy: pol, CRL: crl}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.File = f
	}
	res, err := certificate.Verify(pdf, opts)
	if err != nil {
		return &verifyFailed{err}
	}
	d := res.Data
	name := certFile
	var checked []deposit.Digest
	if file != "" {
		name = file
		for alg, v := range d.Digests {
			if a, err := deposit.ParseAlgorithm(alg); err == nil {
				b, _ := hex.DecodeString(v)
				checked = append(checked, deposit.Digest{Algorithm: a, Value: b})
			}
		}
	}
	printProven(w, name, res.Proven, checked, pol.IsLogKey(res.Proven.Leaf.Depositor))
	if file == "" {
		fmt.Fprintf(w, "  file:           not checked (give the file before the certificate to check it)\n")
	}
	fmt.Fprintf(w, "  certificate:    %s, genuine: sealed, proven and printed as proven\n", d.Number)
	fmt.Fprintf(w, "    sealed by:    %s (%s), seal certificate %s\n", usertext.Escape(d.Institution.Name), usertext.Escape(d.Institution.Kind), res.Seal.SerialNumber.Text(16))
	fmt.Fprintf(w, "    sealed at:    %s (RFC 3161 time-stamp)\n", res.SealedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "    checkpoint:   time-stamped %s by %s\n", res.CheckpointTime.UTC().Format(time.RFC3339), usertext.Escape(d.TimeStampAuthority))
	fmt.Fprintf(w, "    depositor:    %s, account %s (as the institution holds them)\n", usertext.Escape(d.Depositor.Name), usertext.Escape(d.Depositor.Account))
	if l := res.CRL; l != nil {
		source := "the one attached, as of sealing"
		if crl != nil && bytes.Equal(l.Raw, crl) {
			source = "given with --crl"
		}
		fmt.Fprintf(w, "    revocation:   judged by the institution's list no. %v of %s (%s); a later revocation shows only in a later list (GET /v1/pki/crl, --crl)\n", l.Number, l.ThisUpdate.UTC().Format(time.RFC3339), source)
	}
	if d.TxHash != "" {
		fmt.Fprintf(w, "    transaction:  %s\n", usertext.Escape(d.TxHash))
	}
	return nil
}

// contentAlgorithms names the digests verify computes of the file: the
// suite's content digest, and every other digest of the leaf that a suite
// knows (a deposit may carry the other suite's beside it). A leaf that
// does not parse fails verification anyway.
func contentAlgorithms(cs *suite.Suite, rc *receipt.Receipt) []string {
	algs := []string{cs.ContentDigest()}
	leaf, err := deposit.ParseLeaf(rc.Leaf)
	if err != nil {
		return algs
	}
	for _, d := range leaf.Digests {
		name := d.Algorithm.String()
		if _, err := suite.NewContentHash(name); err == nil && name != cs.ContentDigest() {
			algs = append(algs, name)
		}
	}
	return algs
}

// digestFile hashes the file at path once with each algorithm.
func digestFile(path string, algs []string) ([]deposit.Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ds, err := receipt.ContentDigests(f, algs...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ds, nil
}

// printProven prints what the receipt proves; checked are the digests of
// the file that were compared with the deposit's.
func printProven(w io.Writer, file string, p *receipt.Proven, checked []deposit.Digest, byNode bool) {
	l := p.Leaf
	fmt.Fprintf(w, "VERIFIED %s\n", usertext.Escape(file))
	fmt.Fprintf(w, "  suite:          %s\n", p.Suite)
	// The suite's content digest first, as "content"; the deposit's
	// other digests after it.
	if d := l.ContentDigest(p.Suite); d != nil {
		fmt.Fprintf(w, "  content:        %s %s (%d bytes)\n", p.Suite.ContentDigest(), hex.EncodeToString(d), l.Size)
	}
	for _, d := range l.Digests {
		if d.Algorithm.String() == p.Suite.ContentDigest() {
			continue
		}
		state := "not checked (no suite computes it)"
		if slices.ContainsFunc(checked, func(c deposit.Digest) bool { return c.Algorithm == d.Algorithm }) {
			state = "checked too"
		}
		fmt.Fprintf(w, "  also:           %s %s (%s)\n", d.Algorithm, hex.EncodeToString(d.Value), state)
	}
	alg := p.Suite.Signature().Name()
	if byNode {
		fmt.Fprintf(w, "  deposited by:   a member node of the network (its log key, as for access-trail records) %s %s\n", alg, base64.StdEncoding.EncodeToString(l.Depositor))
	} else {
		fmt.Fprintf(w, "  depositor:      %s %s\n", alg, base64.StdEncoding.EncodeToString(l.Depositor))
	}
	fmt.Fprintf(w, "  certified time: %s (block %d)\n", p.CertifiedTime().UTC().Format(time.RFC3339Nano), l.Height)
	fmt.Fprintf(w, "  log:            %s, deposit #%d, in a tree of %d\n", usertext.Escape(p.Origin()), l.Index, p.Checkpoint.Size)
	fmt.Fprintf(w, "  cosigned by:    %s\n", usertext.Escape(strings.Join(p.Cosigners, ", ")))
	fmt.Fprintf(w, "  idempotency:    %s\n", usertext.Escape(l.IdempotencyKey))
	if m := p.Metadata; m != nil {
		fmt.Fprintf(w, "  metadata:       proven by the opening\n")
		fmt.Fprintf(w, "    title:        %s\n", usertext.Escape(m.Title))
		fmt.Fprintf(w, "    media type:   %s\n", usertext.Escape(m.MediaType))
		if m.CaseRef != "" {
			fmt.Fprintf(w, "    case:         %s\n", usertext.Escape(m.CaseRef))
		}
		if c := m.Capture; c != nil {
			if c.Time != "" {
				fmt.Fprintf(w, "    captured at:  %s\n", usertext.Escape(c.Time))
			}
			if c.Latitude != nil {
				fmt.Fprintf(w, "    location:     %v, %v\n", *c.Latitude, *c.Longitude)
			}
			if c.Device != "" {
				fmt.Fprintf(w, "    device:       %s\n", usertext.Escape(c.Device))
			}
			if c.SourceURL != "" {
				fmt.Fprintf(w, "    source:       %s\n", usertext.Escape(c.SourceURL))
			}
			if c.Address != "" {
				fmt.Fprintf(w, "    address:      %s\n", usertext.Escape(c.Address))
			}
		}
	} else {
		fmt.Fprintf(w, "  metadata:       not checked (no opening given)\n")
	}
}
