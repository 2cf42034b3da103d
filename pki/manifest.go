package pki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jurichain/jurichain/suite"
)

// Names of a keyring directory's files. Credential files are named by
// role and serial (seal-<SERIAL>.pem, seal-<SERIAL>.key), so that a
// rotation never overwrites a file an older manifest names.
const (
	manifestFile = "manifest.json"
	crlFile      = "crl.der"
	lockFile     = ".lock"
	tempPrefix   = ".tmp-"
)

// manifestFormat is the version of the manifest's layout; a reader
// refuses any other rather than misreading it.
const manifestFormat = 1

// manifest is the keyring's record of every credential it ever issued and
// of its current CRL. It is the only file whose replacement changes the
// keyring, so a writer that crashes before replacing it changes nothing.
type manifest struct {
	Format      int             `json:"format"`
	Suite       string          `json:"suite"`
	CA          string          `json:"ca"`
	Credentials []manifestEntry `json:"credentials"`
	// CRL is the DER CRL the keyring serves. It lives here rather than
	// only in crl.der so that it changes in the same rename as the
	// credentials it lists; crl.der is a copy for publishing.
	CRL []byte `json:"crl"`
}

type manifestEntry struct {
	Role    Role       `json:"role"`
	Serial  string     `json:"serial"`
	Cert    string     `json:"cert"`
	Key     string     `json:"key"`
	Issued  time.Time  `json:"issued"`
	Retired *time.Time `json:"retired,omitempty"`
	Revoked *time.Time `json:"revoked,omitempty"`
	Reason  int        `json:"reason,omitempty"`
}

func credentialFile(role Role, serial *big.Int, ext string) string {
	return string(role) + "-" + serialHex(serial) + ext
}

// revocable reports whether a keyring revokes for reason: a revocation
// here is final, so certificateHold (6) is refused, as are removeFromCRL
// (8, delta CRLs only), aACompromise (10, attribute certificates) and
// codes RFC 5280 does not assign.
func revocable(reason int) bool {
	switch reason {
	case ReasonUnspecified, ReasonKeyCompromise, ReasonCACompromise, ReasonAffiliationChanged,
		ReasonSuperseded, ReasonCessationOfOperation, ReasonPrivilegeWithdrawn:
		return true
	}
	return false
}

// parseManifest reads a manifest and checks that it is consistent: a
// hand-edited or damaged one is refused with what is wrong, never half
// used.
func parseManifest(cs *suite.Suite, b []byte) (*manifest, error) {
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("reading the keyring manifest: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("reading the keyring manifest: data follows the manifest")
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("the keyring manifest has format %d; this version reads format %d", m.Format, manifestFormat)
	}
	if m.Suite != cs.Name() {
		return nil, fmt.Errorf("the keyring belongs to the %q suite, not to the %s suite", m.Suite, cs)
	}
	if m.CA == "" {
		return nil, errors.New("the keyring manifest names no certificate authority")
	}
	if len(m.CRL) == 0 {
		return nil, errors.New("the keyring manifest holds no CRL")
	}
	seen := map[string]bool{}
	current := map[Role]int{}
	for i, e := range m.Credentials {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("the keyring manifest's credential %d: %w", i+1, err)
		}
		if seen[e.Serial] {
			return nil, fmt.Errorf("the keyring manifest lists serial %s twice", e.Serial)
		}
		seen[e.Serial] = true
		if e.Retired == nil {
			current[e.Role]++
		}
	}
	for _, r := range roles() {
		if current[r] != 1 {
			return nil, fmt.Errorf("the keyring manifest has %d current %s credentials, not one", current[r], r.noun())
		}
	}
	return &m, nil
}

func (e *manifestEntry) serial() (*big.Int, error) {
	n, ok := new(big.Int).SetString(e.Serial, 16)
	if !ok || n.Sign() <= 0 || serialHex(n) != e.Serial {
		return nil, fmt.Errorf("serial %q is not a positive serial in uppercase hex", e.Serial)
	}
	return n, nil
}

func (e *manifestEntry) check() error {
	if err := e.Role.check(); err != nil {
		return err
	}
	n, err := e.serial()
	if err != nil {
		return err
	}
	// The file names follow from role and serial; holding the manifest to
	// them keeps a damaged manifest from pointing outside the directory.
	if e.Cert != credentialFile(e.Role, n, ".pem") || e.Key != credentialFile(e.Role, n, ".key") {
		return fmt.Errorf("files %q and %q are not the ones of %s credential %s", e.Cert, e.Key, e.Role, e.Serial)
	}
	if e.Issued.IsZero() {
		return fmt.Errorf("%s credential %s has no issue time", e.Role, e.Serial)
	}
	if e.Retired != nil && e.Retired.Before(e.Issued) {
		return fmt.Errorf("%s credential %s is retired before it was issued", e.Role, e.Serial)
	}
	if e.Revoked != nil {
		if e.Retired == nil {
			return fmt.Errorf("%s credential %s is revoked but still current", e.Role, e.Serial)
		}
		if !revocable(e.Reason) {
			return fmt.Errorf("%s credential %s is revoked for %s, which a keyring does not use", e.Role, e.Serial, reasonName(e.Reason))
		}
	} else if e.Reason != 0 {
		return fmt.Errorf("%s credential %s has a revocation reason but is not revoked", e.Role, e.Serial)
	}
	return nil
}

func (m *manifest) clone() *manifest {
	c := *m
	c.CRL = bytes.Clone(m.CRL)
	c.Credentials = make([]manifestEntry, len(m.Credentials))
	for i, e := range m.Credentials {
		c.Credentials[i] = e
		if e.Retired != nil {
			t := *e.Retired
			c.Credentials[i].Retired = &t
		}
		if e.Revoked != nil {
			t := *e.Revoked
			c.Credentials[i].Revoked = &t
		}
	}
	return &c
}

// writeAtomic replaces dir/name with b so that a reader or a crash sees
// the old content or the new, never a mix: a temporary file is written,
// synced and renamed over the old one, and the directory is synced so the
// rename itself survives a power cut.
func writeAtomic(dir, name string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// isKeyringFile reports whether name is a file a keyring writes (a
// temporary file, or a credential file role-SERIAL.pem or .key), and so
// one it may remove when no manifest names it. Other files an operator
// keeps in the directory are left alone.
func isKeyringFile(name string) bool {
	if strings.HasPrefix(name, tempPrefix) {
		return true
	}
	ext := filepath.Ext(name)
	if ext != ".pem" && ext != ".key" {
		return false
	}
	role, serial, ok := strings.Cut(strings.TrimSuffix(name, ext), "-")
	if !ok || Role(role).check() != nil {
		return false
	}
	n, ok := new(big.Int).SetString(serial, 16)
	return ok && n.Sign() > 0 && serialHex(n) == serial
}
