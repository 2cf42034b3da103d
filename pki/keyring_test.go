package pki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

// TestOpenKeyringCreates checks a new keyring: one credential per role,
// each verifying for its role under the CA, keys private on disk, an
// empty CRL number 1 also published as crl.der, and the same state read
// back by a second opening.
func TestOpenKeyringCreates(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := k.dir
			for _, r := range []pki.Role{pki.RoleSeal, pki.RoleTSA} {
				c, err := k.Current(r)
				if err != nil {
					t.Fatal(err)
				}
				if c.Role != r || len(c.Chain) != 1 || !sameCert(c.Chain[0], k.CA()) {
					t.Errorf("%s credential: role %s, chain of %d", r, c.Role, len(c.Chain))
				}
				if err := pki.VerifyAt(cs, r, c.Cert, k.CA(), k.CRL(), t0); err != nil {
					t.Errorf("%s credential: %v", r, err)
				}
				if err := cs.Certificates().Verify(c.Cert.PublicKey, []byte("m"), mustSign(t, cs, c, []byte("m"))); err != nil {
					t.Errorf("%s credential's key does not match its certificate: %v", r, err)
				}
			}
			if h := k.History(); len(h) != 2 || h[0].Role != pki.RoleSeal || h[1].Role != pki.RoleTSA || !h[0].Issued.Equal(t0) || h[0].Retired != nil || h[0].Revoked != nil {
				t.Errorf("history of a new keyring: %+v", h)
			}
			rl, err := pki.ParseCRL(cs, k.CRL(), k.CA())
			if err != nil {
				t.Fatal(err)
			}
			if rl.Number.Cmp(big.NewInt(1)) != 0 || len(rl.RevokedCertificateEntries) != 0 || !rl.ThisUpdate.Equal(t0) || !rl.NextUpdate.Equal(t0.Add(pki.CRLValidity)) {
				t.Errorf("first CRL: number %v, %d entries, %v to %v", rl.Number, len(rl.RevokedCertificateEntries), rl.ThisUpdate, rl.NextUpdate)
			}
			if published, _ := os.ReadFile(filepath.Join(dir, "crl.der")); !bytes.Equal(published, k.CRL()) {
				t.Error("crl.der is not the keyring's CRL")
			}
			fi, err := os.Stat(dir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("keyring directory mode %v, %v", fi.Mode(), err)
			}
			keys := mustGlob(t, filepath.Join(dir, "*.key"))
			if len(keys) != 2 {
				t.Errorf("%d key files, want 2", len(keys))
			}
			for _, p := range keys {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, %v", p, fi.Mode(), err)
				}
			}
			again, err := pki.OpenKeyring(cs, dir, k.CA(), k.caKey, testInst, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(certsOf(again.History()), certsOf(k.History())) || !bytes.Equal(again.CRL(), k.CRL()) {
				t.Error("a second opening reads another keyring")
			}
		})
	}
}

func certsOf(h []pki.Entry) [][]byte {
	var out [][]byte
	for _, e := range h {
		out = append(out, e.Cert.Raw)
	}
	return out
}

func mustSign(t *testing.T, cs *suite.Suite, c *pki.Credential, msg []byte) []byte {
	t.Helper()
	sig, err := cs.Certificates().Sign(c.Key, rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestRotate checks that a rotation issues a new credential and retires
// the old one without losing it: it stays in the history and verifies
// for what was stamped before the rotation, and the CRL lists it as
// superseded from the rotation on.
func TestRotate(t *testing.T) {
	for _, cs := range suite.All() {
		for _, role := range []pki.Role{pki.RoleSeal, pki.RoleTSA} {
			t.Run(cs.Name()+"/"+string(role), func(t *testing.T) {
				k := openTestKeyring(t, cs)
				dir := k.dir
				clk := k.clk
				old, _ := k.Current(role)
				otherRole := pki.RoleTSA
				if role == pki.RoleTSA {
					otherRole = pki.RoleSeal
				}
				untouched, _ := k.Current(otherRole)
				rotated := t0.Add(24 * time.Hour)
				clk.t = rotated
				nu, err := k.Rotate(role, rotated)
				if err != nil {
					t.Fatal(err)
				}
				if sameCert(nu.Cert, old.Cert) || nu.Cert.PublicKey.(*ecdsa.PublicKey).Equal(old.Cert.PublicKey) {
					t.Fatal("rotation kept the certificate or the key")
				}
				if cur, _ := k.Current(role); !sameCert(cur.Cert, nu.Cert) {
					t.Error("Current does not return the new credential")
				}
				if cur, _ := k.Current(otherRole); !sameCert(cur.Cert, untouched.Cert) {
					t.Errorf("rotating %s changed the %s credential", role, otherRole)
				}
				h := k.History()
				if len(h) != 3 || !sameCert(h[len(h)-1].Cert, nu.Cert) {
					t.Fatalf("history after a rotation: %d entries", len(h))
				}
				var oldEntry pki.Entry
				for _, e := range h {
					if sameCert(e.Cert, old.Cert) {
						oldEntry = e
					}
				}
				// Superseded from the end of the rotation's second: times
				// count whole seconds.
				superseded := rotated.Add(time.Second)
				if oldEntry.Retired == nil || !oldEntry.Retired.Equal(superseded) || oldEntry.Revoked != nil {
					t.Errorf("the old credential's entry: %+v", oldEntry)
				}
				crl := k.CRL()
				for _, at := range []time.Time{rotated.Add(-time.Second), rotated} {
					if err := pki.VerifyAt(cs, role, old.Cert, k.CA(), crl, at); err != nil {
						t.Errorf("the old certificate stamped at %v, rotated at %v: %v", at, rotated, err)
					}
				}
				var re *pki.RevokedError
				for _, at := range []time.Time{superseded, rotated.Add(time.Hour)} {
					err := pki.VerifyAt(cs, role, old.Cert, k.CA(), crl, at)
					if !errors.As(err, &re) || re.Reason != pki.ReasonSuperseded || !re.RevokedAt.Equal(superseded) || re.Serial.Cmp(old.Cert.SerialNumber) != 0 {
						t.Errorf("the old certificate at %v: %v, want superseded at %v", at, err, superseded)
					}
				}
				if err := pki.VerifyAt(cs, role, nu.Cert, k.CA(), crl, rotated); err != nil {
					t.Errorf("the new certificate at the rotation: %v", err)
				}
				rl, _ := pki.ParseCRL(cs, crl, k.CA())
				if rl.Number.Cmp(big.NewInt(2)) != 0 || !rl.ThisUpdate.Equal(rotated) {
					t.Errorf("CRL after a rotation: number %v of %v", rl.Number, rl.ThisUpdate)
				}
				// The retired key stays on disk: one certificate and key per credential.
				if n := len(mustGlob(t, filepath.Join(dir, string(role)+"-*.key"))); n != 2 {
					t.Errorf("%d %s key files after a rotation, want 2", n, role)
				}
				if _, err := k.Rotate(role, t0); err == nil || !strings.Contains(err.Error(), "check the clock") {
					t.Errorf("a rotation dated before the last change: %v", err)
				}
			})
		}
	}
}

// TestRevoke revokes credentials at a time T in the past: what was
// stamped before T verifies, what was stamped at T or later is refused
// with a *RevokedError. Revoking the current credential rotates its role
// first; a retired one can be revoked from before its rotation.
func TestRevoke(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			clk := k.clk
			seal, _ := k.Current(pki.RoleSeal)
			tsa, _ := k.Current(pki.RoleTSA)
			clk.t = t0.Add(10 * 24 * time.Hour)
			if _, err := k.Rotate(pki.RoleTSA, clk.t); err != nil {
				t.Fatal(err)
			}
			clk.advance(10 * 24 * time.Hour)
			revokedSeal := t0.Add(15 * 24 * time.Hour)
			revokedTSA := t0.Add(5 * 24 * time.Hour)
			if err := k.Revoke(seal.Cert.SerialNumber, revokedSeal, pki.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			if err := k.Revoke(tsa.Cert.SerialNumber, revokedTSA, pki.ReasonCessationOfOperation); err != nil {
				t.Fatal(err)
			}
			cur, err := k.Current(pki.RoleSeal)
			if err != nil || sameCert(cur.Cert, seal.Cert) {
				t.Fatalf("revoking the current seal did not rotate it: %v", err)
			}
			crl := k.CRL()
			for _, tc := range []struct {
				role    pki.Role
				cred    *pki.Credential
				at      time.Time
				revoked bool
				reason  int
				from    time.Time
			}{
				{pki.RoleSeal, seal, revokedSeal.Add(-time.Second), false, 0, time.Time{}},
				{pki.RoleSeal, seal, revokedSeal, true, pki.ReasonKeyCompromise, revokedSeal},
				{pki.RoleSeal, seal, revokedSeal.Add(24 * time.Hour), true, pki.ReasonKeyCompromise, revokedSeal},
				{pki.RoleTSA, tsa, revokedTSA.Add(-time.Second), false, 0, time.Time{}},
				{pki.RoleTSA, tsa, revokedTSA, true, pki.ReasonCessationOfOperation, revokedTSA},
				{pki.RoleSeal, cur, clk.t, false, 0, time.Time{}},
			} {
				err := pki.VerifyAt(cs, tc.role, tc.cred.Cert, k.CA(), crl, tc.at)
				var re *pki.RevokedError
				if !tc.revoked {
					if err != nil {
						t.Errorf("%s at %v: %v", tc.role, tc.at, err)
					}
					continue
				}
				if !errors.As(err, &re) || re.Reason != tc.reason || !re.RevokedAt.Equal(tc.from) || re.Serial.Cmp(tc.cred.Cert.SerialNumber) != 0 || re.Role != tc.role || !re.At.Equal(tc.at) {
					t.Errorf("%s at %v: %v (%+v), want revoked from %v for reason %d", tc.role, tc.at, err, re, tc.from, tc.reason)
				}
			}
			h := k.History()
			if len(h) != 4 {
				t.Fatalf("%d history entries, want 4", len(h))
			}
			if e := h[0]; e.Revoked == nil || !e.Revoked.Equal(revokedSeal) || e.Reason != pki.ReasonKeyCompromise || e.Retired == nil || !e.Retired.Equal(clk.t.Add(time.Second)) {
				t.Errorf("revoked seal entry %+v", e)
			}
			rl, _ := pki.ParseCRL(cs, crl, k.CA())
			if rl.Number.Cmp(big.NewInt(4)) != 0 || !rl.ThisUpdate.Equal(clk.t) || len(rl.RevokedCertificateEntries) != 2 {
				t.Errorf("CRL after a rotation and two revocations: number %v of %v with %d entries", rl.Number, rl.ThisUpdate, len(rl.RevokedCertificateEntries))
			}

			// A compromise found to date from earlier moves the revocation back.
			earlier := revokedSeal.Add(-24 * time.Hour)
			if err := k.Revoke(seal.Cert.SerialNumber, earlier, pki.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			var re *pki.RevokedError
			if err := pki.VerifyAt(cs, pki.RoleSeal, seal.Cert, k.CA(), k.CRL(), earlier); !errors.As(err, &re) || !re.RevokedAt.Equal(earlier) {
				t.Errorf("after moving the revocation back: %v", err)
			}
		})
	}
}

// TestRevokeRefuses gives Revoke what it must refuse, and checks that a
// refusal writes nothing.
func TestRevokeRefuses(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := k.dir
			clk := k.clk
			seal, _ := k.Current(pki.RoleSeal)
			tsa, _ := k.Current(pki.RoleTSA)
			clk.advance(48 * time.Hour)
			if err := k.Revoke(tsa.Cert.SerialNumber, t0.Add(time.Hour), pki.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name   string
				serial *big.Int
				at     time.Time
				reason int
				want   string
			}{
				{"unknown serial", big.NewInt(12345), t0, pki.ReasonKeyCompromise, "no credential of keyring"},
				{"no serial", nil, t0, pki.ReasonKeyCompromise, "no serial"},
				{"negative serial", new(big.Int).Neg(seal.Cert.SerialNumber), t0, pki.ReasonKeyCompromise, "no credential of keyring"},
				{"in the future", seal.Cert.SerialNumber, clk.t.Add(time.Minute), pki.ReasonKeyCompromise, "in the future"},
				{"before NotBefore", seal.Cert.SerialNumber, seal.Cert.NotBefore.Add(-time.Second), pki.ReasonKeyCompromise, "it was issued only at"},
				{"no time", seal.Cert.SerialNumber, time.Time{}, pki.ReasonKeyCompromise, "no revocation time"},
				{"certificateHold", seal.Cert.SerialNumber, t0, 6, "not one a keyring revokes for"},
				{"removeFromCRL", seal.Cert.SerialNumber, t0, 8, "not one a keyring revokes for"},
				{"unassigned reason", seal.Cert.SerialNumber, t0, 7, "not one a keyring revokes for"},
				{"negative reason", seal.Cert.SerialNumber, t0, -1, "not one a keyring revokes for"},
				{"already revoked earlier", tsa.Cert.SerialNumber, t0.Add(2 * time.Hour), pki.ReasonKeyCompromise, "already revoked"},
				{"already revoked then", tsa.Cert.SerialNumber, t0.Add(time.Hour), pki.ReasonKeyCompromise, "already revoked"},
			} {
				before := snapshot(t, dir)
				err := k.Revoke(tc.serial, tc.at, tc.reason)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.want)
				}
				if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
					t.Errorf("%s: a refused revocation changed the keyring: %v became %v", tc.name, names(before), names(after))
				}
			}
			if cur, _ := k.Current(pki.RoleSeal); !sameCert(cur.Cert, seal.Cert) {
				t.Error("a refused revocation rotated the seal")
			}
		})
	}
}

// TestCrashMidRotation makes the state a rotation leaves when the process
// dies after writing the new key and certificate but before replacing the
// manifest: the files of a real rotation made in a copy of the keyring,
// and a half-written manifest under its temporary name. The old credential
// stays current; the next rotation works and clears what the crash left.
func TestCrashMidRotation(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := k.dir
			clk := k.clk
			old, _ := k.Current(pki.RoleSeal)
			oldCRL := k.CRL()

			twin := filepath.Join(t.TempDir(), "pki")
			if err := os.CopyFS(twin, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			tk, err := pki.OpenKeyring(cs, twin, k.CA(), k.caKey, testInst, t0, clk.option())
			if err != nil {
				t.Fatal(err)
			}
			clk.advance(time.Hour)
			if _, err := tk.Rotate(pki.RoleSeal, clk.t); err != nil {
				t.Fatal(err)
			}
			var strays []string
			for _, p := range mustGlob(t, filepath.Join(twin, "seal-*")) {
				if _, err := os.Stat(filepath.Join(dir, filepath.Base(p))); err == nil {
					continue
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				pkitest.WriteFile(t, dir, filepath.Base(p), b)
				strays = append(strays, filepath.Base(p))
			}
			if len(strays) != 2 {
				t.Fatalf("the rotation in the copy wrote %v, want a key and a certificate", strays)
			}
			half, _ := os.ReadFile(filepath.Join(twin, "manifest.json"))
			pkitest.WriteFile(t, dir, ".tmp-manifest.json-4242", half[:len(half)/2])
			strays = append(strays, ".tmp-manifest.json-4242")
			// A file an operator keeps there is not the keyring's to remove.
			pkitest.WriteFile(t, dir, "seal-backup.pem", pki.EncodePEM(old.Cert.Raw))

			for _, kr := range []*pki.Keyring{k.Keyring, k.reopen(t, cs)} {
				cur, err := kr.Current(pki.RoleSeal)
				if err != nil || !sameCert(cur.Cert, old.Cert) {
					t.Fatalf("after the crash: %v, current seal changed", err)
				}
				if !bytes.Equal(kr.CRL(), oldCRL) || len(kr.History()) != 2 {
					t.Fatal("after the crash the keyring is not the one before")
				}
			}
			clk.advance(time.Hour)
			nu, err := k.Rotate(pki.RoleSeal, clk.t)
			if err != nil {
				t.Fatalf("rotating after the crash: %v", err)
			}
			if sameCert(nu.Cert, old.Cert) || len(k.History()) != 3 {
				t.Error("the rotation after the crash did not take")
			}
			if _, err := os.Stat(filepath.Join(dir, "seal-backup.pem")); err != nil {
				t.Errorf("the operator's file was removed: %v", err)
			}
			for _, s := range strays {
				if _, err := os.Stat(filepath.Join(dir, s)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s, left by the crash, is still there: %v", s, err)
				}
			}
		})
	}
}

// TestReload has a second Keyring on the same directory (the command
// line, while a node runs) rotate and revoke; the first sees each change
// on its next call.
func TestReload(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			node := openTestKeyring(t, cs)
			clk := node.clk
			before, _ := node.Current(pki.RoleSeal)
			cli := node.reopen(t, cs)
			clk.advance(time.Hour)
			nu, err := cli.Rotate(pki.RoleSeal, clk.t)
			if err != nil {
				t.Fatal(err)
			}
			got, err := node.Current(pki.RoleSeal)
			if err != nil || !sameCert(got.Cert, nu.Cert) || sameCert(got.Cert, before.Cert) {
				t.Fatalf("the node's keyring still returns the old seal after another process rotated it: %v", err)
			}
			if len(node.History()) != 3 {
				t.Errorf("the node's history has %d entries after the other rotation, want 3", len(node.History()))
			}
			clk.advance(time.Hour)
			tsa, _ := cli.Current(pki.RoleTSA)
			if err := cli.Revoke(tsa.Cert.SerialNumber, t0.Add(30*time.Minute), pki.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(node.CRL(), cli.CRL()) {
				t.Error("the node serves another CRL than the one the other process wrote")
			}
			var re *pki.RevokedError
			if err := pki.VerifyAt(cs, pki.RoleTSA, tsa.Cert, node.CA(), node.CRL(), t0.Add(time.Hour)); !errors.As(err, &re) {
				t.Errorf("the node's CRL does not carry the other process's revocation: %v", err)
			}
			// And the node can change the keyring after the other process did.
			clk.advance(time.Hour)
			if _, err := node.Rotate(pki.RoleSeal, clk.t); err != nil {
				t.Fatal(err)
			}
			if c, _ := cli.Current(pki.RoleSeal); sameCert(c.Cert, nu.Cert) {
				t.Error("the other process does not see the node's rotation")
			}
		})
	}
}

// TestConcurrentRotations has two Keyrings on one directory rotate at
// the same time: the directory lock makes their changes queue, so no
// rotation is lost and the keyring stays consistent.
func TestConcurrentRotations(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			a := openTestKeyring(t, cs)
			b := a.reopen(t, cs)
			const n = 4
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for _, k := range []*pki.Keyring{a.Keyring, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range n {
						if _, err := k.Rotate(pki.RoleSeal, t0); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			h := a.reopen(t, cs).History()
			if len(h) != 2+2*n {
				t.Errorf("%d history entries after %d rotations, want %d", len(h), 2*n, 2+2*n)
			}
			rl, err := pki.ParseCRL(cs, a.CRL(), a.CA())
			if err != nil || rl.Number.Cmp(big.NewInt(1+2*n)) != 0 || len(rl.RevokedCertificateEntries) != 2*n {
				t.Errorf("CRL after %d concurrent rotations: %v, number %v, %d entries", 2*n, err, rl.Number, len(rl.RevokedCertificateEntries))
			}
		})
	}
}

// TestOpenKeyringRefuses opens keyrings with what does not belong to them.
func TestOpenKeyringRefuses(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := k.dir
			otherCA, otherKey := newCA(t, cs)
			var other *suite.Suite
			for _, o := range suite.All() {
				if o.Name() != cs.Name() {
					other = o
				}
			}
			foreignCA, foreignKey := newCA(t, other)
			for _, tc := range []struct {
				name string
				cs   *suite.Suite
				dir  string
				ca   *smx509.Certificate
				key  crypto.Signer
				want []string
			}{
				{"another CA", cs, dir, otherCA, otherKey, []string{"belongs to the certificate authority sha256:", "move the directory away"}},
				{"a CA of the other suite", cs, t.TempDir(), foreignCA, foreignKey, []string{"suite"}},
				{"the other suite's CA on this keyring", other, dir, foreignCA, foreignKey, []string{"belongs to the certificate authority"}},
				{"the CA with another key", cs, dir, k.CA(), otherKey, []string{"not the key of certificate authority"}},
				{"no directory", cs, "", k.CA(), k.caKey, []string{"no directory"}},
			} {
				before := snapshot(t, dir)
				_, err := pki.OpenKeyring(tc.cs, tc.dir, tc.ca, tc.key, testInst, t0)
				for _, w := range tc.want {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("%s: %v; want an error saying %q", tc.name, err, w)
					}
				}
				if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
					t.Errorf("%s: a refused opening changed the keyring", tc.name)
				}
			}
		})
	}
}

// TestDamagedKeyring refuses a keyring whose files were altered, rather
// than serving credentials that do not match their record: on opening,
// and on the next call of an open keyring when the manifest changed.
func TestDamagedKeyring(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				damage func(t *testing.T, dir string)
				want   string
			}{
				{"manifest not JSON", func(t *testing.T, dir string) {
					pkitest.WriteFile(t, dir, "manifest.json", []byte("{"))
				}, "manifest"},
				{"a revocation deleted from the manifest", func(t *testing.T, dir string) {
					b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
					b = bytes.Replace(b, []byte(`"reason": 1`), []byte(`"reason": 4`), 1)
					pkitest.WriteFile(t, dir, "manifest.json", b)
				}, "does not match the manifest"},
				{"a file name pointing elsewhere", func(t *testing.T, dir string) {
					b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
					b = bytes.Replace(b, []byte(`"cert": "seal-`), []byte(`"cert": "../seal-`), 1)
					pkitest.WriteFile(t, dir, "manifest.json", b)
				}, "are not the ones of"},
				{"a certificate swapped", func(t *testing.T, dir string) {
					seals := mustGlob(t, filepath.Join(dir, "seal-*.pem"))
					tsas := mustGlob(t, filepath.Join(dir, "tsa-*.pem"))
					b, _ := os.ReadFile(tsas[0])
					pkitest.WriteFile(t, dir, filepath.Base(seals[0]), b)
				}, "holds certificate"},
				{"a key removed", func(t *testing.T, dir string) {
					for _, p := range mustGlob(t, filepath.Join(dir, "tsa-*.key")) {
						os.Remove(p)
					}
				}, "reading the key"},
			} {
				k := openTestKeyring(t, cs)
				dir := k.dir
				clk := k.clk
				tsa, _ := k.Current(pki.RoleTSA)
				clk.advance(time.Hour)
				if err := k.Revoke(tsa.Cert.SerialNumber, t0, pki.ReasonKeyCompromise); err != nil {
					t.Fatal(err)
				}
				tc.damage(t, dir)
				if _, err := pki.OpenKeyring(cs, dir, k.CA(), k.caKey, testInst, t0); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: opening: %v; want an error saying %q", tc.name, err, tc.want)
				}
				// An open keyring reads the files again only when the
				// manifest changes; it keeps what it read before.
				if !strings.Contains(tc.name, "manifest") {
					continue
				}
				if _, err := k.Current(pki.RoleSeal); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: the open keyring's Current: %v; want an error saying %q", tc.name, err, tc.want)
				}
			}
		})
	}
}

// TestCRLReissued checks that a CRL asked for after its NextUpdate is
// issued again: a new number, dated now, listing the same revocations.
func TestCRLReissued(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			k := openTestKeyring(t, cs)
			dir := k.dir
			clk := k.clk
			clk.advance(time.Hour)
			if _, err := k.Rotate(pki.RoleSeal, clk.t); err != nil {
				t.Fatal(err)
			}
			first, _ := pki.ParseCRL(cs, k.CRL(), k.CA())
			clk.t = first.NextUpdate
			if again, _ := pki.ParseCRL(cs, k.CRL(), k.CA()); again.Number.Cmp(first.Number) != 0 {
				t.Error("a CRL still within its NextUpdate was issued again")
			}
			for i, ask := range []func() []byte{k.CRL, func() []byte { k.Current(pki.RoleTSA); return k.CRL() }} {
				clk.advance(pki.CRLValidity + time.Second)
				now := clk.t.Truncate(time.Second)
				rl, err := pki.ParseCRL(cs, ask(), k.CA())
				if err != nil {
					t.Fatal(err)
				}
				if rl.Number.Cmp(big.NewInt(first.Number.Int64()+int64(i)+1)) != 0 || !rl.ThisUpdate.Equal(now) || !rl.NextUpdate.Equal(now.Add(pki.CRLValidity)) {
					t.Errorf("re-issued CRL: number %v, %v to %v", rl.Number, rl.ThisUpdate, rl.NextUpdate)
				}
				if len(rl.RevokedCertificateEntries) != 1 || rl.RevokedCertificateEntries[0].SerialNumber.Cmp(first.RevokedCertificateEntries[0].SerialNumber) != 0 {
					t.Error("the re-issued CRL lost the superseded seal")
				}
				if published, _ := os.ReadFile(filepath.Join(dir, "crl.der")); !bytes.Equal(published, k.CRL()) {
					t.Error("crl.der is not the re-issued CRL")
				}
			}
		})
	}
}

// TestCurrentExpired refuses to sign with a certificate past its
// validity and says to rotate.
func TestCurrentExpired(t *testing.T) {
	for _, cs := range suite.All() {
		k := openTestKeyring(t, cs)
		clk := k.clk
		clk.advance(pki.CredentialValidity + time.Hour)
		if _, err := k.Current(pki.RoleSeal); err == nil || !strings.Contains(err.Error(), "rotate") {
			t.Errorf("%s: an expired seal: %v", cs.Name(), err)
		}
		if _, err := k.Rotate(pki.RoleSeal, clk.t); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Current(pki.RoleSeal); err != nil {
			t.Errorf("%s: after the rotation: %v", cs.Name(), err)
		}
	}
}
