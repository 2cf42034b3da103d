package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// metaExtension is the suffix of the metadata opening written beside a
// receipt.
const metaExtension = ".meta.json"

func defaultKeyFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "depositor.key"
	}
	return filepath.Join(dir, "jurichain", "depositor.key")
}

func newKeygen() *cobra.Command {
	var out, suiteName string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Create a depositor key pair (PEM, readable by openssl)",
		Long: `Keygen creates a private key and its public key for the signature
scheme of a crypto suite: Ed25519 for the international suite (the
default), SM2 for the GM one (--suite gm). A key works only on a network
of its suite; 'jurichain status' shows a network's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, err := suite.ByName(suiteName)
			if err != nil {
				return withHint(fmt.Errorf("--suite: %w", err), "'jurichain status' shows the suite of the network you will use the key on")
			}
			if _, err := os.Stat(out); err == nil && !force {
				return withHint(fmt.Errorf("%s already exists", out), "pass --force to replace it, or --out to write elsewhere")
			}
			key, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			priv, err := key.MarshalPEM()
			if err != nil {
				return err
			}
			pub, err := key.MarshalPublicPEM()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
				return fmt.Errorf("creating key directory: %w", err)
			}
			if err := os.WriteFile(out, priv, 0o600); err != nil {
				return fmt.Errorf("writing private key: %w", err)
			}
			if err := os.WriteFile(out+".pub", pub, 0o644); err != nil {
				return fmt.Errorf("writing public key: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key: %s (%s, for networks of the %s suite)\npublic key:  %s.pub\n", out, cs.Signature().Name(), cs, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", defaultKeyFile(), "private key file; the public key goes to FILE.pub")
	cmd.Flags().StringVar(&suiteName, "suite", suite.NameInternational, "the crypto suite of the network the key is for: intl or gm")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key")
	return cmd
}

// readKey reads a PEM private key of any suite and returns it with its
// suite.
func readKey(file string) (suite.PrivateKey, *suite.Suite, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, withHint(fmt.Errorf("no depositor key at %s", file), "create one with 'jurichain keygen', or name yours with --key")
	}
	if err != nil {
		return nil, nil, err
	}
	k, cs, err := suite.ParseAnyPrivateKey(b)
	if err != nil {
		return nil, nil, withHint(fmt.Errorf("%s: %w", file, err), "the key must be a PEM PKCS #8 private key as written by 'jurichain keygen'")
	}
	return k, cs, nil
}

// keyFor checks that a key read from file is of the network's suite cs.
func keyFor(cs *suite.Suite, file string, k suite.PrivateKey, ks *suite.Suite) (suite.PrivateKey, error) {
	if ks.Name() != cs.Name() {
		return nil, withHint(fmt.Errorf("%s is an %s key of the %s suite, but the node's network uses the %s suite", file, ks.Signature().Name(), ks, cs),
			fmt.Sprintf("create a key for this network with 'jurichain keygen --suite %s --out FILE' and name it with --key", cs.Name()))
	}
	return k, nil
}

// loadKey reads the private key in file for a network of the suite cs.
func loadKey(cs *suite.Suite, file string) (suite.PrivateKey, error) {
	k, ks, err := readKey(file)
	if err != nil {
		return nil, err
	}
	return keyFor(cs, file, k, ks)
}

// input is one thing to deposit: a file path, or "-" for standard input.
type input struct {
	path string // as given or found in a directory
	rel  string // path below the argument directory, for --out
}

func expandInputs(args []string) ([]input, error) {
	var out []input
	for _, a := range args {
		if a == "-" {
			out = append(out, input{path: "-", rel: "stdin"})
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, input{path: a, rel: filepath.Base(a)})
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(p, receipt.FileExtension) || strings.HasSuffix(p, metaExtension) {
				return nil
			}
			rel, err := filepath.Rel(a, p)
			if err != nil {
				return err
			}
			out = append(out, input{path: p, rel: filepath.Join(filepath.Base(filepath.Clean(a)), rel)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// digests are the digests of an input: the suite's content digest and,
// when asked for, the other suite's.
type digests struct {
	content, second []byte
}

// hashInput streams an input through the network suite's content hash
// (and, with both, the other suite's as well), showing progress for large
// files on a terminal. It also returns the first bytes, for media type
// detection.
func hashInput(cs *suite.Suite, in input, both bool) (sum digests, size uint64, head []byte, err error) {
	var r io.Reader = os.Stdin
	var total int64 = -1
	if in.path != "-" {
		f, err := os.Open(in.path)
		if err != nil {
			return digests{}, 0, nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			total = fi.Size()
		}
		r = f
	}
	h := cs.NewHash()
	var second hash.Hash
	if both {
		if second, err = suite.NewContentHash(cs.SecondDigest()); err != nil {
			return digests{}, 0, nil, err
		}
	}
	buf := make([]byte, 1<<20)
	p := newProgress(in.path, total)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if head == nil {
				head = append([]byte(nil), buf[:min(n, 512)]...)
			}
			h.Write(buf[:n])
			if second != nil {
				second.Write(buf[:n])
			}
			size += uint64(n)
			p.update(size)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			p.done()
			return digests{}, 0, nil, fmt.Errorf("reading %s: %w", in.path, rerr)
		}
	}
	p.done()
	sum.content = h.Sum(nil)
	if second != nil {
		sum.second = second.Sum(nil)
	}
	return sum, size, head, nil
}

// progress draws a one-line progress bar on a terminal for files over
// 64 MiB.
type progress struct {
	name  string
	total int64
	start time.Time
	last  time.Time
	on    bool
}

func newProgress(name string, total int64) *progress {
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	return &progress{name: name, total: total, start: time.Now(), on: tty && total > 64<<20}
}

func (p *progress) update(n uint64) {
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	pct := float64(n) / float64(p.total)
	bar := strings.Repeat("#", int(pct*30)) + strings.Repeat(".", 30-int(pct*30))
	rate := float64(n) / time.Since(p.start).Seconds() / (1 << 20)
	fmt.Fprintf(os.Stderr, "\rhashing %s [%s] %3.0f%% %.0f MiB/s", p.name, bar, pct*100, rate)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintf(os.Stderr, "\r%s\r", strings.Repeat(" ", 80))
	}
}

func mediaType(path string, head []byte) string {
	if t := mime.TypeByExtension(filepath.Ext(path)); t != "" {
		return t
	}
	return http.DetectContentType(head)
}

func newDeposit() *cobra.Command {
	var cred credentials
	var outDir, title, mediaTypeFlag, caseRef, idem, policyFile string
	var upload, bothDigests, withCertificate bool
	var capture deposit.Capture
	var lat, lon float64
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "deposit [flags] FILE|DIR|- ...",
		Short: "Deposit files' digests and write a receipt (FILE.tlog-proof) beside each",
		Long: `Deposit streams each file through the network suite's content hash
(SHA-256, or SM3 on a GM network; never loading it whole), signs a
deposit with your key, submits the batch, waits until it is committed, and
writes FILE.tlog-proof (the receipt) and FILE.meta.json (the metadata
opening) beside each file, or into --out. Directories are walked
recursively; "-" reads standard input. Only digests leave this machine,
unless --upload also stores each original, encrypted, in the node's vault.
With --both-digests each deposit also commits the other suite's digest
(SM3 beside SHA-256, or SHA-256 beside SM3), so that the file can be
checked with either algorithm. With --certificate it also downloads each
deposit's sealed certificate (FILE.certificate.pdf), after checking it
against the file and the policy.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := cred.connect(ctx)
			if err != nil {
				return err
			}
			if err := c.needKey("deposit"); err != nil {
				return err
			}
			key, st, cs := c.key, c.status, c.suite
			inputs, err := expandInputs(args)
			if err != nil {
				return err
			}
			if len(inputs) == 0 {
				return withHint(errors.New("no files to deposit"), "name files or directories that contain files")
			}
			if upload && slices.ContainsFunc(inputs, func(in input) bool { return in.path == "-" }) {
				return withHint(errors.New("--upload cannot send standard input"), "deposit the original from a file")
			}
			if len(inputs) > 1 && (title != "" || idem != "") {
				return withHint(errors.New("--title and --idempotency-key name one deposit"), "deposit one file at a time to set them")
			}
			cap := &capture
			if cmd.Flags().Changed("latitude") || cmd.Flags().Changed("longitude") {
				cap.Latitude, cap.Longitude = &lat, &lon
			}
			if *cap == (deposit.Capture{}) {
				cap = nil
			}
			deps := make([]api.Deposit, len(inputs))
			openings := make([]*deposit.Opening, len(inputs))
			for i, in := range inputs {
				sum, size, head, err := hashInput(cs, in, bothDigests)
				if err != nil {
					return err
				}
				m := deposit.Metadata{Title: title, MediaType: mediaTypeFlag, CaseRef: caseRef, Capture: cap}
				if m.Title == "" {
					m.Title = in.rel
				}
				if m.MediaType == "" {
					m.MediaType = mediaType(in.path, head)
				}
				deps[i], openings[i], err = client.Prepare(cs, st.Origin, key, client.Content{Digest: sum.content, Second: sum.second, Size: size, Metadata: m, IdempotencyKey: idem})
				if err != nil {
					return fmt.Errorf("%s: %w", in.path, err)
				}
			}
			pol, err := receiptPolicy(ctx, c, policyFile, cred.home, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var results []api.Result
			for start := 0; start < len(deps); start += api.MaxBatch {
				res, err := c.SubmitForReceipts(ctx, deps[start:min(start+api.MaxBatch, len(deps))], wait)
				if err != nil {
					return err
				}
				results = append(results, res...)
			}
			var failed []string
			for i, res := range results {
				in := inputs[i]
				if res.Status != api.StatusCommitted {
					failed = append(failed, fmt.Sprintf("%s: %s %s", in.path, res.Status, res.Reason))
					continue
				}
				k, err := keepChecked(ctx, c, pol, in, outDir, deps[i], res, openings[i])
				var bad *badReceipt
				if errors.As(err, &bad) {
					if upload {
						err = fmt.Errorf("%w; the original was not uploaded", err)
					}
					failed = append(failed, fmt.Sprintf("%s: %v", in.path, err))
					continue
				}
				if err != nil {
					return err
				}
				if k.Renamed {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: %s: the receipt or metadata opening of another deposit is in the way; left it as it is and wrote %s and %s (verify with 'jurichain verify --policy POLICY %s %s')\n",
						in.path, k.Receipt, k.Meta, in.path, k.Receipt)
				}
				uploaded := ""
				if upload {
					if err := uploadOriginal(ctx, c, res.ID, in.path); err != nil {
						return fmt.Errorf("%s: the deposit committed but the upload failed: %w", in.path, err)
					}
					uploaded = "\toriginal stored in the vault"
				}
				if withCertificate {
					certFile, err := keepCertificate(ctx, c, pol, in.path, k.Receipt, res.ID)
					if err != nil {
						return fmt.Errorf("%s: the deposit committed and its receipt is kept, but %w", in.path, err)
					}
					uploaded += "\tcertificate " + certFile
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\tdeposit #%d %s\tcertified %s\t%s%s\n", in.path, *res.Index, res.ID, res.Time.UTC().Format(time.RFC3339Nano), k.Receipt, uploaded)
			}
			if len(failed) > 0 {
				return withHint(fmt.Errorf("%d of %d deposits have no receipt kept:\n  %s", len(failed), len(results), strings.Join(failed, "\n  ")),
					"pending deposits commit shortly: run the same command again to collect their receipts (it does not deposit twice); a receipt that failed a check was not written, and the deposit may still be committed under the id shown")
			}
			return nil
		},
	}
	cred.flags(cmd, "depositor private key")
	f := cmd.Flags()
	f.BoolVar(&upload, "upload", false, "also upload each original to the node's vault (encrypted at rest), after its deposit commits")
	f.BoolVar(&withCertificate, "certificate", false, "also download each deposit's sealed certificate (PDF) beside its receipt, once checked")
	f.BoolVar(&bothDigests, "both-digests", false, "also commit the other suite's digest of each file (sm3 beside sha256 on an international network, sha256 beside sm3 on a GM one)")
	f.StringVar(&outDir, "out", "", "write receipts into this directory instead of beside each file")
	f.StringVar(&policyFile, "policy", "", "check each receipt against this tlog-policy file before writing it (default: the node home's with --home, or ./jurichain-data's of the same network, else the policy the node serves)")
	f.StringVar(&title, "title", "", "title (default: the file name)")
	f.StringVar(&mediaTypeFlag, "media-type", "", "media type (default: from the file name or content)")
	f.StringVar(&caseRef, "case-ref", "", "case or subject reference")
	f.StringVar(&capture.Time, "capture-time", "", "when the evidence was captured (RFC 3339)")
	f.Float64Var(&lat, "latitude", 0, "capture latitude")
	f.Float64Var(&lon, "longitude", 0, "capture longitude")
	f.StringVar(&capture.Device, "device", "", "capture device")
	f.StringVar(&capture.SourceURL, "source-url", "", "source URL of captured web content")
	f.StringVar(&capture.Address, "address", "", "where the evidence was captured, in words (printed on the certificate)")
	f.StringVar(&idem, "idempotency-key", "", "idempotency key (default: derived, so re-running returns the same deposit)")
	f.DurationVar(&wait, "wait", 60*time.Second, "how long to wait for the deposits to commit")
	return cmd
}

// uploadOriginal streams a file to the node's vault.
func uploadOriginal(ctx context.Context, s *session, id, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return s.UploadOriginal(ctx, id, f, fi.Size())
}

// badReceipt is a receipt that failed a check: it is not written.
type badReceipt struct {
	id  string
	err error
}

func (e *badReceipt) Error() string {
	return fmt.Sprintf("receipt NOT written: it failed a check (%v); deposit %s may still be committed: run the command again, or ask another node", e.err, e.id)
}

func (e *badReceipt) Unwrap() error { return e.err }

// keepChecked checks the receipt of a committed deposit (from the
// submission's answer, else asked for) and writes it with the metadata
// opening, beside the input or under outDir.
func keepChecked(ctx context.Context, s *session, pol *policy.Policy, in input, outDir string, d api.Deposit, res api.Result, op *deposit.Opening) (kept, error) {
	proof := res.Receipt
	if proof == "" {
		info, err := s.Deposit(ctx, res.ID, 0)
		if err != nil {
			return kept{}, err
		}
		if proof = info.Receipt; proof == "" {
			return kept{}, &badReceipt{res.ID, errors.New("the node has no signed checkpoint covering it yet")}
		}
	}
	want, _, err := d.Parse("")
	if err != nil {
		return kept{}, err
	}
	// The request carries the opening; the statement signed its commitment.
	want.MetadataCommitment = op.Commitment(s.suite)
	if _, err := checkReceipt(pol, []byte(proof), want, op); err != nil {
		return kept{}, &badReceipt{res.ID, err}
	}
	base := in.path
	if in.path == "-" {
		base = "stdin"
	}
	if outDir != "" {
		base = filepath.Join(outDir, in.rel)
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			return kept{}, err
		}
	}
	meta, err := json.MarshalIndent(op, "", "  ")
	if err != nil {
		return kept{}, err
	}
	return keepEvidence(s.suite, base, res.ID, []byte(proof), append(meta, '\n'))
}

// keepCertificate downloads a deposit's certificate, checks it against the
// file and the policy, and writes it beside the receipt.
func keepCertificate(ctx context.Context, s *session, pol *policy.Policy, path, receiptFile, id string) (string, error) {
	pdf, err := s.Certificate(ctx, id)
	if err != nil {
		return "", fmt.Errorf("fetching its certificate: %w", err)
	}
	opts := certificate.Options{Policy: pol}
	// Standard input is gone by now; its digests were checked with the
	// receipt, which the certificate's must equal.
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		opts.File = f
	}
	res, err := certificate.Verify(pdf, opts)
	if err != nil {
		return "", fmt.Errorf("the node's certificate failed a check, so it was not written: %w", err)
	}
	if res.Data.Deposit != id {
		return "", fmt.Errorf("the node sent the certificate of deposit %s, not of this one; it was not written", res.Data.Deposit)
	}
	out := strings.TrimSuffix(receiptFile, receipt.FileExtension) + ".certificate.pdf"
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		return "", err
	}
	return out, nil
}
