package pki_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

var testInst = pki.Institution{Name: "haidian-court", Kind: "court"}

// t0 is a fixed time the tests' keyrings start at, so their times are
// easy to read in a failure.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newCA makes a certificate authority of the suite valid from before t0.
func newCA(t *testing.T, cs *suite.Suite) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.NewCA(cs, key, testInst, t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.Check(cs, der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

// testClock is a keyring's clock a test moves by hand.
type testClock struct{ t time.Time }

func newClock(at time.Time) *testClock       { return &testClock{t: at} }
func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func (c *testClock) option() pki.Option      { return pki.WithClock(c.now) }

func sameCert(a, b *smx509.Certificate) bool { return bytes.Equal(a.Raw, b.Raw) }

// fixture is a test keyring with what a test needs besides: its
// directory, its clock and its CA's key, which a Keyring does not give
// out.
type fixture struct {
	*pki.Keyring
	dir   string
	clk   *testClock
	caKey crypto.Signer
}

// openTestKeyring opens a new keyring of the suite in a temporary
// directory, created at t0, with a clock at t0.
func openTestKeyring(t *testing.T, cs *suite.Suite) *fixture {
	t.Helper()
	ca, key := newCA(t, cs)
	dir := filepath.Join(t.TempDir(), "pki")
	clk := newClock(t0)
	k, err := pki.OpenKeyring(cs, dir, ca, key, testInst, t0, clk.option())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Keyring: k, dir: dir, clk: clk, caKey: key}
}

// reopen opens the fixture's keyring again, as another process would.
func (f *fixture) reopen(t *testing.T, cs *suite.Suite) *pki.Keyring {
	t.Helper()
	k, err := pki.OpenKeyring(cs, f.dir, f.CA(), f.caKey, testInst, f.clk.t, f.clk.option())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// snapshot records every file of dir with its content and modification
// time, to show that a refused operation wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		// The lock file is created by whoever writes or opens first.
		if err != nil || d.IsDir() || d.Name() == ".lock" {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[d.Name()] = fi.ModTime().String() + " " + fi.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(m map[string]string) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
