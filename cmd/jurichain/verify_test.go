package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// writeDeposit writes, in dir, a file, its receipt of a one-deposit log of
// the suite cs whose deposit carries the digests algs, and the log's
// policy; it returns the file's and the policy's paths.
func writeDeposit(t *testing.T, cs *suite.Suite, dir string, algs ...string) (file, pol string) {
	t.Helper()
	const origin = "verify.test/log"
	content := []byte("the scene at 9:30\n")
	key, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lskey, lvkey, _ := cs.GenerateNoteKey(rand.Reader, origin)
	wskey, wvkey, _ := cs.GenerateNoteKey(rand.Reader, "court")
	ls, _ := cs.NewSigner(lskey)
	ws, _ := cs.NewCosigner(wskey, time.Now)
	wcv, _ := cs.CosignatureVerifierKey(wvkey)
	ds, err := receipt.ContentDigests(bytes.NewReader(content), algs...)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ds, func(a, b deposit.Digest) int { return int(a.Algorithm) - int(b.Algorithm) })
	s := deposit.Signed{Statement: deposit.Statement{Digests: ds, Size: uint64(len(content)), Depositor: key.Public(), IdempotencyKey: "k"}}
	if err := s.Validate(); err != nil {
		// While deposits must carry SHA-256 whatever the suite, a GM
		// deposit of SM3 alone is not one.
		return "", ""
	}
	if s.Signature, err = key.Sign(s.SigningMessage(origin)); err != nil {
		t.Fatal(err)
	}
	leaf := (&deposit.Leaf{Signed: s, Height: 1, Time: time.Unix(1_790_000_000, 0)}).AppendBinary(nil)
	tree := testonly.New(cs.LogHasher())
	tree.AppendData(leaf)
	cp := log.Checkpoint{Origin: origin, Size: 1, Hash: tree.Hash()}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(cp)}, ls, ws)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "photo.jpg")
	pol = filepath.Join(dir, "court.policy")
	r := receipt.Receipt{Index: 0, Checkpoint: signed, Leaf: leaf}
	for name, b := range map[string][]byte{
		file:                         content,
		file + receipt.FileExtension: r.Format(),
		pol:                          []byte(fmt.Sprintf("log %s\nwitness court %s\nquorum court\n", lvkey, wcv)),
	} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return file, pol
}

func runVerify(args ...string) (string, error) {
	cmd := newVerify()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestVerifyInEachSuite verifies a receipt of each suite from its policy
// alone: the output names the suite and its scheme, every digest the
// deposit carries is checked, and a changed file fails.
func TestVerifyInEachSuite(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			for _, algs := range [][]string{{cs.ContentDigest()}, {cs.ContentDigest(), cs.SecondDigest()}} {
				dir := t.TempDir()
				file, pol := writeDeposit(t, cs, dir, algs...)
				if file == "" {
					t.Logf("the deposit package refuses a deposit with the digests %v", algs)
					continue
				}
				out, err := runVerify("--policy", pol, file)
				if err != nil {
					t.Fatalf("%v: %v\n%s", algs, err, out)
				}
				for _, want := range []string{
					"VERIFIED", "suite:          " + cs.String(),
					"content:        " + cs.ContentDigest() + " ",
					"depositor:      " + cs.Signature().Name() + " ",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("%v: output lacks %q:\n%s", algs, want, out)
					}
				}
				if len(algs) == 2 && !strings.Contains(out, "also:           "+cs.SecondDigest()+" ") || !strings.Contains(out, "(checked too)") == (len(algs) == 2) {
					t.Errorf("%v: the second digest is not reported as checked:\n%s", algs, out)
				}
				if err := os.WriteFile(file, []byte("changed"), 0o644); err != nil {
					t.Fatal(err)
				}
				var failed *verifyFailed
				if _, err := runVerify("--policy", pol, file); !errors.As(err, &failed) {
					t.Fatalf("%v: a changed file: %v", algs, err)
				}
			}
		})
	}
}

// TestVerifyRefusesAnotherSuite verifies a receipt of each suite under a
// policy of the other: it fails, naming both suites.
func TestVerifyRefusesAnotherSuite(t *testing.T) {
	for _, cs := range suite.All() {
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			file, _ := writeDeposit(t, cs, t.TempDir(), cs.ContentDigest(), cs.SecondDigest())
			_, pol := writeDeposit(t, other, t.TempDir(), other.ContentDigest(), other.SecondDigest())
			_, err := runVerify("--policy", pol, file)
			var failed *verifyFailed
			if !errors.As(err, &failed) || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
				t.Errorf("a %s receipt under a %s policy: %v, want a failure naming both suites", cs.Name(), other.Name(), err)
			}
		}
	}
}
