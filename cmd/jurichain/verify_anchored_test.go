package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/anchor/anchortest"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// anchoredFiles are the files of a deposit proven through a court
// anchor, as written by writeAnchored.
type anchoredFiles struct {
	file, receipt, composed, platformPolicy, courtPolicy string
	m                                                    *anchortest.Material
}

// writeAnchored writes, in a new directory, a deposited file, its plain
// receipt, its composed receipt (FILE.anchored.tlog-proof) and the two
// networks' policies.
func writeAnchored(t *testing.T, platform, court *suite.Suite) anchoredFiles {
	t.Helper()
	dir := t.TempDir()
	m := anchortest.New(t, platform, court, 4)
	f := anchoredFiles{
		file: filepath.Join(dir, "work.png"), platformPolicy: filepath.Join(dir, "platform.policy"),
		courtPolicy: filepath.Join(dir, "court.policy"), m: m,
	}
	f.receipt = f.file + receipt.FileExtension
	f.composed = f.file + anchor.ComposedFileExtension
	for name, b := range map[string][]byte{
		f.file: m.Content, f.receipt: m.Composed.Platform, f.composed: m.Composed.Format(),
		f.platformPolicy: m.Platform.PolicyText, f.courtPolicy: m.Court.PolicyText,
	} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestVerifyComposedReceipt verifies a composed receipt in every pair of
// suites: the usual lines, then where it is anchored (court, anchor
// number, certified time, cosigners, anchored size).
func TestVerifyComposedReceipt(t *testing.T) {
	for _, p := range suite.All() {
		for _, c := range suite.All() {
			t.Run(p.Name()+"-into-"+c.Name(), func(t *testing.T) {
				f := writeAnchored(t, p, c)
				for _, args := range [][]string{
					{"--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, f.file, f.composed},
					// The composed receipt beside the file is the default.
					{"--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, f.file},
				} {
					out, err := runVerify(args...)
					if err != nil {
						t.Fatalf("%v\n%s", err, out)
					}
					for _, want := range []string{
						"VERIFIED " + f.file, "suite:          " + p.String(), "log:            " + anchortest.PlatformOrigin + ", deposit #1, in a tree of 3",
						"anchored in:    " + anchortest.CourtOrigin + ", anchor #2, certified 2026-09-21T",
						"cosigned by " + strings.Join(f.m.Court.Members, ", ") + "\n",
						"court suite:  " + c.String(),
						"anchored:     " + anchortest.PlatformOrigin + " at size 5, which contains the receipt's tree of 3",
					} {
						if !strings.Contains(out, want) {
							t.Errorf("output lacks %q:\n%s", want, out)
						}
					}
				}
			})
		}
	}
}

// TestVerifyComposedReceiptFailures covers what verify does with a
// composed receipt that lacks its court policy, a plain receipt given a
// court policy, and composed receipts that do not prove what they claim.
func TestVerifyComposedReceiptFailures(t *testing.T) {
	f := writeAnchored(t, suite.International(), suite.GM())
	other := writeAnchored(t, suite.International(), suite.GM())

	out, err := runVerify("--policy", f.platformPolicy, f.file, f.composed)
	var failed *verifyFailed
	if err == nil || errors.As(err, &failed) || !strings.Contains(err.Error(), "composed receipt") || !strings.Contains(hintOf(err), "--anchor-policy") {
		t.Errorf("a composed receipt without --anchor-policy: %v (hint %q), want a usage error telling to pass it\n%s", err, hintOf(err), out)
	}

	out, err = runVerify("--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, f.file, f.receipt)
	if err != nil || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "anchored in:    not anchored") {
		t.Errorf("a plain receipt with --anchor-policy: %v\n%s", err, out)
	}

	tampered := filepath.Join(t.TempDir(), "tampered"+anchor.ComposedFileExtension)
	c := *f.m.Composed
	c.Court = f.m.Court.Receipt(0, f.m.Court.Size()).Format()
	if err := os.WriteFile(tampered, c.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "changed.png")
	if err := os.WriteFile(changed, []byte("another picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbled := filepath.Join(t.TempDir(), "garbled"+anchor.ComposedFileExtension)
	if err := os.WriteFile(garbled, append(f.m.Composed.Format(), "\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"the court receipt of another entry", []string{"--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, f.file, tampered}, "anchor entry: "},
		{"another file", []string{"--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, changed, f.composed}, "content digest: "},
		{"another court's policy", []string{"--policy", f.platformPolicy, "--anchor-policy", other.courtPolicy, f.file, f.composed}, "court receipt: checkpoint signatures: "},
		{"another platform's policy", []string{"--policy", other.platformPolicy, "--anchor-policy", f.courtPolicy, f.file, f.composed}, "checkpoint signatures: "},
		{"the policies swapped", []string{"--policy", f.courtPolicy, "--anchor-policy", f.platformPolicy, f.file, f.composed}, "crypto suite: "},
		{"a malformed composed receipt", []string{"--policy", f.platformPolicy, "--anchor-policy", f.courtPolicy, f.file, garbled}, "composed receipt " + garbled},
	} {
		out, err := runVerify(tc.args...)
		if !errors.As(err, &failed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a verification failure with %q\n%s", tc.name, err, tc.want, out)
		}
	}
}

// hintOf returns the hint an error carries for the user, "" if none.
func hintOf(err error) string {
	var h *hintError
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}
