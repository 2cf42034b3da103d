// Package evidencepack makes and checks evidence packages (ZIP).
//
// STAND-IN: this file carries only the contract's verification API so
// that the court's import builds before the package lands; the real
// package replaces it (delete this file when merging it).
package evidencepack

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
)

// Options are what Verify trusts.
type Options struct {
	// Policies are the trusted policies by origin; nil uses the package's.
	Policies map[string]*policy.Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Report is the outcome of Verify.
type Report struct {
	Origin, Institution, Case string
	ManifestDigest            string
	Items                     []ItemResult
	OK                        bool
}

// ItemResult is one item's verdict.
type ItemResult struct {
	Path, Deposit string
	Number        uint64
	Digests       []string
	Certified     time.Time
	Anchored      string
	Verdict       string
	Check, Reason string
}

// Verify checks the manifest's signature under the trusted policy of its
// network, every listed file's digest and each item's receipt.
func Verify(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Report, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a ZIP file: %w", err)
	}
	read := func(name string) ([]byte, error) {
		f, err := zr.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	signed, err := read("manifest.txt")
	if err != nil {
		return nil, fmt.Errorf("manifest.txt: %w", err)
	}
	lines := strings.Split(string(signed), "\n")
	if len(lines) < 5 || lines[0] != "jurichain evidence package v1" || !strings.HasPrefix(lines[1], "network ") {
		return nil, errors.New("manifest.txt: not an evidence package manifest")
	}
	sum := sha256.Sum256(signed)
	rep := &Report{Origin: strings.TrimPrefix(lines[1], "network "), ManifestDigest: hex.EncodeToString(sum[:])}
	pol := opts.Policies[rep.Origin]
	if pol == nil {
		return nil, fmt.Errorf("manifest.txt: no trusted policy of network %s", rep.Origin)
	}
	var vs []note.Verifier
	for _, l := range pol.Logs {
		if v, err := policy.NewLogVerifier(l.VKey); err == nil {
			vs = append(vs, v)
		}
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("manifest.txt: not signed by a log key of %s's trusted policy: %w", rep.Origin, err)
	}
	items := map[string]*ItemResult{}
	fail := func(it *ItemResult, check, reason string) {
		if it.Verdict != "failed" {
			it.Verdict, it.Check, it.Reason = "failed", check, reason
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n") {
		if c, ok := strings.CutPrefix(l, "case "); ok {
			_, c, _ = strings.Cut(c, " ")
			b, _ := base64.RawURLEncoding.DecodeString(c)
			rep.Case = string(b)
		}
		f := strings.SplitN(strings.TrimPrefix(l, "file "), " ", 3)
		if !strings.HasPrefix(l, "file ") || len(f) != 3 || !fs.ValidPath(f[2]) || !strings.HasPrefix(f[2], "items/") {
			continue
		}
		dir := strings.Join(strings.SplitN(f[2], "/", 3)[:2], "/")
		it := items[dir]
		if it == nil {
			it = &ItemResult{Path: dir, Verdict: "verified"}
			items[dir] = it
		}
		b, err := read(f[2])
		got := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(got[:]) != f[0] {
			fail(it, "file", f[2]+": its SHA-256 is not the manifest's")
			continue
		}
		if strings.HasSuffix(f[2], "/receipt.tlog-proof") {
			rc, err := receipt.Parse(b)
			if err == nil {
				var p *receipt.Proven
				if p, err = receipt.Verify(pol, rc, receipt.Evidence{}); err == nil {
					it.Deposit, it.Number, it.Certified = p.Leaf.ID(p.Suite), p.Leaf.Index, p.CertifiedTime()
				}
			}
			if err != nil {
				fail(it, "receipt", err.Error())
			}
		}
	}
	rep.OK = true
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range items {
			if !yield(k) {
				return
			}
		}
	}) {
		rep.Items = append(rep.Items, *items[k])
		rep.OK = rep.OK && items[k].Verdict == "verified"
	}
	return rep, ctx.Err()
}
