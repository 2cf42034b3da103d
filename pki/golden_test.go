package pki_test

import (
	"crypto/rand"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

var update = flag.Bool("update", false, "rewrite the golden keyrings in testdata/")

// The golden keyrings' story: a CA made the day before the keyring was
// opened; the seal rotated a month later; the first time-stamping key
// found compromised from mid-February and revoked on 1 March, which
// rotated it.
var (
	goldenCAMade      = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	goldenOpened      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	goldenRotated     = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	goldenCompromised = time.Date(2026, 2, 15, 12, 0, 0, 0, time.UTC)
	goldenRevoked     = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func goldenDir(cs *suite.Suite) string { return filepath.Join("testdata", "keyring-"+cs.Name()) }

// readGoldenCA reads a golden keyring's certificate authority.
func readGoldenCA(t testing.TB, cs *suite.Suite) (*smx509.Certificate, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(cs), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.DecodePEM(b)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.Check(cs, der)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(goldenDir(cs), "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	return ca, keyPEM
}

// writeGolden makes the golden keyring of the suite (go test ./pki -run
// TestGoldenKeyring -update).
func writeGolden(t *testing.T, cs *suite.Suite) {
	dir := goldenDir(cs)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key, err := cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.NewCA(cs, key, testInst, goldenCAMade)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := cs.Certificates().MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkitest.WriteFile(t, dir, "ca.pem", pki.EncodePEM(der))
	pkitest.WriteFile(t, dir, "ca.key", keyPEM)
	ca, _ := pki.Check(cs, der)
	clk := newClock(goldenOpened)
	k, err := pki.OpenKeyring(cs, filepath.Join(dir, "pki"), ca, key, testInst, goldenOpened, clk.option())
	if err != nil {
		t.Fatal(err)
	}
	tsa, _ := k.Current(pki.RoleTSA)
	if _, err := k.Rotate(pki.RoleSeal, goldenRotated); err != nil {
		t.Fatal(err)
	}
	clk.t = goldenRevoked
	if err := k.Revoke(tsa.Cert.SerialNumber, goldenCompromised, pki.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "pki", ".lock")); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenKeyring opens a keyring written when the format was first
// defined (testdata/keyring-*): a change to the manifest, the file names
// or the CRL that made an existing keyring unreadable, or that made
// opening it rewrite anything, fails here.
func TestGoldenKeyring(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			if *update {
				writeGolden(t, cs)
			}
			ca, keyPEM := readGoldenCA(t, cs)
			caKey, err := cs.Certificates().ParsePrivateKey(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "pki")
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(goldenDir(cs), "pki"))); err != nil {
				t.Fatal(err)
			}
			// Keys must stay private even in a copy.
			for _, e := range mustGlob(t, filepath.Join(dir, "*.key")) {
				if err := os.Chmod(e, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, dir)
			clk := newClock(goldenRevoked.Add(24 * time.Hour))
			k, err := pki.OpenKeyring(cs, dir, ca, caKey, testInst, clk.now(), clk.option())
			if err != nil {
				t.Fatal(err)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Errorf("opening the golden keyring rewrote it: %v became %v", names(before), names(after))
			}

			h := k.History()
			type row struct {
				role             pki.Role
				issued           time.Time
				retired, revoked time.Time
				reason           int
			}
			var got []row
			for _, e := range h {
				r := row{role: e.Role, issued: e.Issued, reason: e.Reason}
				if e.Retired != nil {
					r.retired = *e.Retired
				}
				if e.Revoked != nil {
					r.revoked = *e.Revoked
				}
				got = append(got, r)
			}
			want := []row{
				{pki.RoleSeal, goldenOpened, goldenRotated, time.Time{}, 0},
				{pki.RoleTSA, goldenOpened, goldenRevoked, goldenCompromised, pki.ReasonKeyCompromise},
				{pki.RoleSeal, goldenRotated, time.Time{}, time.Time{}, 0},
				{pki.RoleTSA, goldenRevoked, time.Time{}, time.Time{}, 0},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("golden history\n got %+v\nwant %+v", got, want)
			}

			crl := k.CRL()
			rl, err := pki.ParseCRL(cs, crl, ca)
			if err != nil {
				t.Fatal(err)
			}
			if rl.Number.Cmp(big.NewInt(3)) != 0 || !rl.ThisUpdate.Equal(goldenRevoked) {
				t.Errorf("golden CRL number %v of %v, want 3 of %v", rl.Number, rl.ThisUpdate, goldenRevoked)
			}
			for _, tc := range []struct {
				e      pki.Entry
				at     time.Time
				reason int // -1: verifies
			}{
				{h[0], goldenRotated.Add(-time.Second), -1},
				{h[0], goldenRotated, pki.ReasonSuperseded},
				{h[1], goldenCompromised.Add(-time.Second), -1},
				{h[1], goldenCompromised, pki.ReasonKeyCompromise},
				{h[2], goldenRotated, -1},
				{h[3], goldenRevoked, -1},
			} {
				err := pki.VerifyAt(cs, tc.e.Role, tc.e.Cert, ca, crl, tc.at)
				var re *pki.RevokedError
				switch {
				case tc.reason < 0 && err != nil:
					t.Errorf("%s certificate issued %v at %v: %v", tc.e.Role, tc.e.Issued, tc.at, err)
				case tc.reason >= 0 && (!errors.As(err, &re) || re.Reason != tc.reason):
					t.Errorf("%s certificate issued %v at %v: %v, want revoked for reason %d", tc.e.Role, tc.e.Issued, tc.at, err, tc.reason)
				}
			}
			for _, r := range []pki.Role{pki.RoleSeal, pki.RoleTSA} {
				c, err := k.Current(r)
				if err != nil || !sameCert(c.Cert, h[len(h)-2+indexOf(r)].Cert) {
					t.Errorf("current %s credential is not the golden one: %v", r, err)
				}
			}
		})
	}
}

func indexOf(r pki.Role) int {
	if r == pki.RoleTSA {
		return 1
	}
	return 0
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
