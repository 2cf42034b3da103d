package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// CRLValidity is how long a keyring's CRL announces itself valid
// (NextUpdate after ThisUpdate). The keyring issues a new one when asked
// after that, even if nothing changed.
const CRLValidity = 30 * 24 * time.Hour

// Keyring is an institution's certificate authority with its seal and
// time-stamping credentials and their history, kept in a directory (a
// node's config/pki/).
//
// The directory holds a manifest (manifest.json) listing every credential
// ever issued (role, serial, file names, issue time, the time it was
// retired by a rotation, the time and reason of a revocation) and the
// current CRL; one PEM certificate and one PKCS#8 key file per credential
// (keys readable by the owner only); and crl.der, a copy of the CRL to
// publish. Every change writes its new files first and replaces the
// manifest last, each by an atomic rename, so that a crash in the middle
// of a rotation leaves the previous state in force; the next change
// removes what the crash left behind.
//
// Another process (the command line rotating a key) may change the
// directory while a node holds a Keyring on it: writers take a lock on
// the directory, and Current notices a replaced manifest and reads it
// again. A Keyring is safe for concurrent use.
type Keyring struct {
	cs    *suite.Suite
	dir   string
	ca    *smx509.Certificate
	caKey crypto.Signer
	inst  Institution
	now   func() time.Time

	mu sync.Mutex
	// loaded is the manifest file st was read from, to notice its
	// replacement by another process.
	loaded os.FileInfo
	st     *keyringState
}

// keyringState is what a manifest says, with its files read and checked.
type keyringState struct {
	m       *manifest
	certs   []*smx509.Certificate // m.Credentials' certificates, in order
	current map[Role]*Credential
	crl     *smx509.RevocationList
}

// Option adjusts a Keyring made by OpenKeyring.
type Option func(*Keyring)

// WithClock makes the keyring read the time from now rather than
// time.Now: to refuse a revocation dated in the future, to tell when its
// CRL needs issuing again and when a current certificate has expired.
func WithClock(now func() time.Time) Option {
	return func(k *Keyring) { k.now = now }
}

// Entry is one credential in a keyring's history.
type Entry struct {
	// Role is what the credential's key signs.
	Role Role
	// Cert is the credential's certificate.
	Cert *smx509.Certificate
	// Issued is when the keyring issued it.
	Issued time.Time
	// Retired is when a rotation replaced it, or nil while it is current.
	// The CRL lists a retired certificate as superseded from then on.
	Retired *time.Time
	// Revoked is the time from which it is revoked, or nil.
	Revoked *time.Time
	// Reason is the RFC 5280 CRLReason of the revocation when Revoked is
	// set.
	Reason int
}

// OpenKeyring opens the keyring in dir of the institution whose
// certificate authority is ca with key caKey. When dir holds no keyring
// yet it creates dir and issues the first seal and time-stamping
// credentials and an empty CRL, dated now. It refuses a CA of another
// suite, and a directory whose manifest names another CA.
func OpenKeyring(cs *suite.Suite, dir string, ca *smx509.Certificate, caKey crypto.Signer, inst Institution, now time.Time, opts ...Option) (*Keyring, error) {
	if err := checkCA(cs, ca, caKey); err != nil {
		return nil, fmt.Errorf("opening keyring %s: %w", dir, err)
	}
	if inst.Name == "" {
		return nil, fmt.Errorf("opening keyring %s: the institution has no name", dir)
	}
	if dir == "" {
		return nil, errors.New("opening a keyring: no directory given")
	}
	k := &Keyring{cs: cs, dir: dir, ca: ca, caKey: caKey, inst: inst, now: time.Now}
	for _, o := range opts {
		o(k)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating keyring directory: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.locked(func() error {
		_, err := os.Stat(filepath.Join(dir, manifestFile))
		if errors.Is(err, fs.ErrNotExist) {
			return k.create(now)
		}
		if err != nil {
			return fmt.Errorf("opening keyring %s: %w", dir, err)
		}
		if err := k.load(); err != nil {
			return err
		}
		if err := k.refreshCRL(); err != nil {
			return err
		}
		// A writer that crashed after replacing the manifest may have left
		// crl.der or stray files behind.
		return k.tidy()
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// create writes a new keyring: one credential per role and CRL number 1.
func (k *Keyring) create(now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	m := &manifest{Format: manifestFormat, Suite: k.cs.Name(), CA: fingerprint(k.ca)}
	var files []pendingFile
	for _, r := range roles() {
		f, err := k.issue(m, r, now)
		if err != nil {
			return err
		}
		files = append(files, f...)
	}
	if err := k.signCRL(m, big.NewInt(0), now); err != nil {
		return err
	}
	return k.commit(m, files)
}

// CA returns the institution's certificate authority.
func (k *Keyring) CA() *smx509.Certificate { return k.ca }

// Current returns the credential that signs for role now. It first reads
// the manifest again if another process replaced it, and issues a new CRL
// if the current one is past its NextUpdate.
func (k *Keyring) Current(role Role) (*Credential, error) {
	if err := role.check(); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadIfChanged(); err != nil {
		return nil, err
	}
	if k.now().After(k.st.crl.NextUpdate) {
		if err := k.locked(func() error {
			if err := k.reloadIfChanged(); err != nil {
				return err
			}
			return k.refreshCRL()
		}); err != nil {
			return nil, err
		}
	}
	c := k.st.current[role]
	if now := k.now(); now.After(c.Cert.NotAfter) {
		return nil, fmt.Errorf("the %s certificate %s expired at %s: rotate the %s credential", role.noun(), serialHex(c.Cert.SerialNumber), c.Cert.NotAfter.Format(time.RFC3339), role)
	}
	return &Credential{Role: c.Role, Cert: c.Cert, Key: c.Key, Chain: append([]*smx509.Certificate(nil), c.Chain...)}, nil
}

// Rotate replaces the credential of role with a new key and certificate
// issued at now. The old one is retired, not deleted: its certificate
// stays in the history, and the CRL lists it as superseded from the end
// of now's second on (times count whole seconds), so what it signed before
// keeps verifying and what it might sign later does not. A signer that
// took the old credential just before a rotation and got its time-stamp
// after that must sign again.
func (k *Keyring) Rotate(role Role, now time.Time) (*Credential, error) {
	if err := role.check(); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.locked(func() error {
		if err := k.reloadIfChanged(); err != nil {
			return err
		}
		now := now.UTC().Truncate(time.Second)
		if err := k.checkChangeTime(now); err != nil {
			return err
		}
		m := k.st.m.clone()
		files, err := k.rotate(m, role, now)
		if err != nil {
			return err
		}
		if err := k.signCRL(m, k.st.crl.Number, now); err != nil {
			return err
		}
		return k.commit(m, files)
	})
	if err != nil {
		return nil, fmt.Errorf("rotating the %s credential: %w", role.noun(), err)
	}
	c := k.st.current[role]
	return &Credential{Role: c.Role, Cert: c.Cert, Key: c.Key, Chain: append([]*smx509.Certificate(nil), c.Chain...)}, nil
}

// Revoke revokes the credential with serial from time at on, for reason
// (an RFC 5280 CRLReason code). at may lie in the past, when a key
// compromise is known to date from then, but not in the future nor before
// the certificate's NotBefore. Revoking the current credential of a role
// first rotates that role, so the institution keeps signing. A revoked
// credential may be revoked again only from an earlier time. Nothing is
// written when Revoke refuses.
func (k *Keyring) Revoke(serial *big.Int, at time.Time, reason int) error {
	if serial == nil {
		return errors.New("revoking a credential: no serial given")
	}
	if !revocable(reason) {
		return fmt.Errorf("revoking credential %s: reason %s is not one a keyring revokes for (use 0 unspecified, 1 keyCompromise, 2 cACompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation or 9 privilegeWithdrawn)", serialHex(serial), reasonName(reason))
	}
	if at.IsZero() {
		return fmt.Errorf("revoking credential %s: no revocation time given", serialHex(serial))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.locked(func() error {
		if err := k.reloadIfChanged(); err != nil {
			return err
		}
		m := k.st.m.clone()
		i := -1
		for j := range m.Credentials {
			if m.Credentials[j].Serial == serialHex(serial) {
				i = j
			}
		}
		if i < 0 || serial.Sign() <= 0 {
			return fmt.Errorf("revoking credential %s: no credential of keyring %s has that serial; its history lists the serials", serialHex(serial), k.dir)
		}
		cert := k.st.certs[i]
		role := m.Credentials[i].Role
		now := k.now().UTC()
		if at.After(now) {
			return fmt.Errorf("revoking %s certificate %s at %s: that is in the future (now is %s); revoke it now and again later if need be", role.noun(), serialHex(serial), at.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
		}
		if at.Before(cert.NotBefore) {
			return fmt.Errorf("revoking %s certificate %s at %s: it was issued only at %s; revoke it from then", role.noun(), serialHex(serial), at.UTC().Format(time.RFC3339), cert.NotBefore.Format(time.RFC3339))
		}
		at := at.UTC().Truncate(time.Second)
		now = now.Truncate(time.Second)
		if r := m.Credentials[i].Revoked; r != nil && !at.Before(*r) {
			return fmt.Errorf("revoking %s certificate %s at %s: it is already revoked from %s (%s)", role.noun(), serialHex(serial), at.Format(time.RFC3339), r.Format(time.RFC3339), reasonName(m.Credentials[i].Reason))
		}
		if err := k.checkChangeTime(now); err != nil {
			return err
		}
		var files []pendingFile
		if m.Credentials[i].Retired == nil {
			f, err := k.rotate(m, role, now)
			if err != nil {
				return err
			}
			files = f
		}
		m.Credentials[i].Revoked = &at
		m.Credentials[i].Reason = reason
		if err := k.signCRL(m, k.st.crl.Number, now); err != nil {
			return err
		}
		if err := k.commit(m, files); err != nil {
			return fmt.Errorf("revoking %s certificate %s: %w", role.noun(), serialHex(serial), err)
		}
		return nil
	})
}

// History lists every credential the keyring ever issued, oldest first,
// as of the last time it read its manifest (when opened, and on Current,
// Rotate, Revoke and CRL).
func (k *Keyring) History() []Entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]Entry, len(k.st.m.Credentials))
	for i, e := range k.st.m.Credentials {
		out[i] = Entry{Role: e.Role, Cert: k.st.certs[i], Issued: e.Issued, Reason: e.Reason}
		if e.Retired != nil {
			t := *e.Retired
			out[i].Retired = &t
		}
		if e.Revoked != nil {
			t := *e.Revoked
			out[i].Revoked = &t
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Issued.Before(out[b].Issued) })
	return out
}

// CRL returns the keyring's current DER CRL, signed by the CA with the
// scheme's algorithm: every retired certificate as superseded from its
// rotation, every revoked one from its revocation time with its reason.
// Its number grows with each change, its ThisUpdate is the time of the
// last change and its NextUpdate CRLValidity later. Asked after
// NextUpdate, it issues a new CRL first; should that fail, it returns the
// last one, whose NextUpdate shows it is stale, and Current reports the
// failure.
func (k *Keyring) CRL() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadIfChanged(); err == nil && k.now().After(k.st.crl.NextUpdate) {
		// A failure leaves the last CRL in place; Current, which the
		// signing path calls, makes the same attempt and reports it.
		_ = k.locked(func() error {
			if err := k.reloadIfChanged(); err != nil {
				return err
			}
			return k.refreshCRL()
		})
	}
	return bytes.Clone(k.st.m.CRL)
}

// locked runs f holding the directory's write lock.
func (k *Keyring) locked(f func() error) (err error) {
	unlock, err := lockDir(k.dir)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	return f()
}

// checkChangeTime refuses a change dated before the last one, which would
// make the CRL go back in time.
func (k *Keyring) checkChangeTime(now time.Time) error {
	if last := k.st.crl.ThisUpdate; now.Before(last) {
		return fmt.Errorf("the keyring was last changed at %s, after %s: check the clock", last.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// refreshCRL issues a new CRL when the current one is past its
// NextUpdate. Its caller holds the lock.
func (k *Keyring) refreshCRL() error {
	now := k.now().UTC().Truncate(time.Second)
	if !now.After(k.st.crl.NextUpdate) {
		return nil
	}
	if err := k.checkChangeTime(now); err != nil {
		return err
	}
	m := k.st.m.clone()
	if err := k.signCRL(m, k.st.crl.Number, now); err != nil {
		return err
	}
	return k.commit(m, nil)
}

// pendingFile is a file a change writes before its manifest.
type pendingFile struct {
	name string
	data []byte
	perm os.FileMode
}

// rotate retires the current credential of role in m at now and adds a
// new one, returning the files to write.
func (k *Keyring) rotate(m *manifest, role Role, now time.Time) ([]pendingFile, error) {
	// The old key is superseded from the end of the rotation's second:
	// revocation lists and RFC 3161 times count whole seconds (truncated),
	// so what the old key signed and had stamped earlier in that second
	// must not read as made at or after its rotation. Rotation is not
	// compromise: a signature in the rest of that second does no harm.
	for i := range m.Credentials {
		if e := &m.Credentials[i]; e.Role == role && e.Retired == nil {
			t := now.Add(time.Second)
			e.Retired = &t
		}
	}
	return k.issue(m, role, now)
}

// issue adds to m a new credential of role issued at now.
func (k *Keyring) issue(m *manifest, role Role, now time.Time) ([]pendingFile, error) {
	key, err := k.cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := Issue(k.cs, role, k.ca, k.caKey, k.inst, key.Public(), now, CredentialValidity)
	if err != nil {
		return nil, err
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("reading the %s certificate just issued: %w", role.noun(), err)
	}
	keyPEM, err := k.cs.Certificates().MarshalPrivateKey(key)
	if err != nil {
		return nil, err
	}
	e := manifestEntry{
		Role:   role,
		Serial: serialHex(cert.SerialNumber),
		Cert:   credentialFile(role, cert.SerialNumber, ".pem"),
		Key:    credentialFile(role, cert.SerialNumber, ".key"),
		Issued: now,
	}
	m.Credentials = append(m.Credentials, e)
	return []pendingFile{{e.Key, keyPEM, 0o600}, {e.Cert, EncodePEM(der), 0o644}}, nil
}

// signCRL puts into m a CRL numbered after last, dated now, listing what
// m says is retired or revoked. A retired certificate is listed as
// superseded from its rotation, unless a revocation says otherwise; one
// entry per certificate, from the earlier of the two times.
func (k *Keyring) signCRL(m *manifest, last *big.Int, now time.Time) error {
	entries, err := crlEntries(m)
	if err != nil {
		return err
	}
	der, err := smx509.CreateRevocationList(rand.Reader, &smx509.RevocationList{
		SignatureAlgorithm:        k.cs.Certificates().SignatureAlgorithm(),
		RevokedCertificateEntries: entries,
		Number:                    new(big.Int).Add(last, big.NewInt(1)),
		ThisUpdate:                now,
		NextUpdate:                now.Add(CRLValidity),
	}, k.ca, k.caKey)
	if err != nil {
		return fmt.Errorf("signing the CRL: %w", err)
	}
	m.CRL = der
	return nil
}

func crlEntries(m *manifest) ([]smx509.RevocationListEntry, error) {
	var out []smx509.RevocationListEntry
	for _, e := range m.Credentials {
		if e.Retired == nil {
			continue
		}
		serial, err := e.serial()
		if err != nil {
			return nil, err
		}
		at, reason := *e.Retired, ReasonSuperseded
		if e.Revoked != nil {
			reason = e.Reason
			if e.Revoked.Before(at) {
				at = *e.Revoked
			}
		}
		out = append(out, smx509.RevocationListEntry{SerialNumber: serial, RevocationTime: at.UTC(), ReasonCode: reason})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].RevocationTime.Before(out[b].RevocationTime) })
	return out, nil
}

// commit writes files, then the manifest, and takes what is now on disk
// as the keyring's state. Its caller holds the lock.
func (k *Keyring) commit(m *manifest, files []pendingFile) error {
	for _, f := range files {
		if err := writeAtomic(k.dir, f.name, f.data, f.perm); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the keyring manifest: %w", err)
	}
	if err := writeAtomic(k.dir, manifestFile, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := k.load(); err != nil {
		return fmt.Errorf("reading back the keyring just written: %w", err)
	}
	if err := k.tidy(); err != nil {
		return fmt.Errorf("the change is recorded, but: %w", err)
	}
	return nil
}

// tidy brings crl.der up to the manifest's CRL and removes files no
// manifest names, which a writer that crashed before replacing the
// manifest left. Its caller holds the lock, so no other writer's files are
// in flight.
func (k *Keyring) tidy() error {
	published, err := os.ReadFile(filepath.Join(k.dir, crlFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", crlFile, err)
	}
	if !bytes.Equal(published, k.st.m.CRL) {
		if err := writeAtomic(k.dir, crlFile, k.st.m.CRL, 0o644); err != nil {
			return err
		}
	}
	named := map[string]bool{}
	for _, e := range k.st.m.Credentials {
		named[e.Cert], named[e.Key] = true, true
	}
	des, err := os.ReadDir(k.dir)
	if err != nil {
		return fmt.Errorf("listing keyring %s: %w", k.dir, err)
	}
	var errs []error
	for _, de := range des {
		if name := de.Name(); de.Type().IsRegular() && isKeyringFile(name) && !named[name] {
			if err := os.Remove(filepath.Join(k.dir, name)); err != nil {
				errs = append(errs, fmt.Errorf("removing leftover %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// reloadIfChanged reads the manifest again if it is not the file last
// read: every change renames a new file over it.
func (k *Keyring) reloadIfChanged() error {
	fi, err := os.Stat(filepath.Join(k.dir, manifestFile))
	if err != nil {
		return fmt.Errorf("checking keyring %s: %w", k.dir, err)
	}
	if k.loaded != nil && os.SameFile(fi, k.loaded) && fi.ModTime().Equal(k.loaded.ModTime()) && fi.Size() == k.loaded.Size() {
		return nil
	}
	return k.load()
}

// load reads the manifest and every file it names, and checks them
// against each other and against the CA, so that a keyring in use is
// never one whose files disagree.
func (k *Keyring) load() error {
	f, err := os.Open(filepath.Join(k.dir, manifestFile))
	if err != nil {
		return fmt.Errorf("opening keyring %s: %w", k.dir, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening keyring %s: %w", k.dir, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("reading the manifest of keyring %s: %w", k.dir, err)
	}
	var probe struct {
		CA string `json:"ca"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.CA != "" && probe.CA != fingerprint(k.ca) {
		return fmt.Errorf("keyring %s belongs to the certificate authority %s, not to the one given (%s): open it with that authority's certificate and key, or move the directory away to start a new keyring under this authority", k.dir, probe.CA, fingerprint(k.ca))
	}
	m, err := parseManifest(k.cs, b)
	if err != nil {
		return fmt.Errorf("keyring %s: %w", k.dir, err)
	}
	crl, err := ParseCRL(k.cs, m.CRL, k.ca)
	if err != nil {
		return fmt.Errorf("keyring %s: %w", k.dir, err)
	}
	st := &keyringState{m: m, crl: crl, current: map[Role]*Credential{}}
	for _, e := range m.Credentials {
		c, err := k.loadCredential(e)
		if err != nil {
			return fmt.Errorf("keyring %s: %w", k.dir, err)
		}
		st.certs = append(st.certs, c.Cert)
		if e.Retired == nil {
			st.current[e.Role] = c
		}
	}
	if err := sameEntries(m, crl); err != nil {
		return fmt.Errorf("keyring %s: %w", k.dir, err)
	}
	k.st, k.loaded = st, fi
	return nil
}

// loadCredential reads a credential's certificate, and its key when it is
// current (a retired key is kept on disk but never used again).
func (k *Keyring) loadCredential(e manifestEntry) (*Credential, error) {
	b, err := os.ReadFile(filepath.Join(k.dir, e.Cert))
	if err != nil {
		return nil, fmt.Errorf("reading %s certificate %s: %w", e.Role.noun(), e.Serial, err)
	}
	der, err := DecodePEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Cert, err)
	}
	cert, err := Check(k.cs, der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Cert, err)
	}
	if serialHex(cert.SerialNumber) != e.Serial {
		return nil, fmt.Errorf("%s holds certificate %s, not %s", e.Cert, serialHex(cert.SerialNumber), e.Serial)
	}
	if err := VerifyAt(k.cs, e.Role, cert, k.ca, nil, cert.NotBefore); err != nil {
		return nil, fmt.Errorf("%s: %w", e.Cert, err)
	}
	c := &Credential{Role: e.Role, Cert: cert, Chain: []*smx509.Certificate{k.ca}}
	if e.Retired != nil {
		return c, nil
	}
	b, err = os.ReadFile(filepath.Join(k.dir, e.Key))
	if err != nil {
		return nil, fmt.Errorf("reading the key of %s certificate %s: %w", e.Role.noun(), e.Serial, err)
	}
	key, err := k.cs.Certificates().ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Key, err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if p, ok := key.Public().(equaler); !ok || !p.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s is not the key of certificate %s", e.Key, e.Cert)
	}
	c.Key = key
	return c, nil
}

// sameEntries refuses a manifest whose CRL does not list what the
// manifest says was retired and revoked: one of the two was altered.
func sameEntries(m *manifest, crl *smx509.RevocationList) error {
	want, err := crlEntries(m)
	if err != nil {
		return err
	}
	got := crl.RevokedCertificateEntries
	if len(got) != len(want) {
		return fmt.Errorf("the CRL lists %d certificates, the manifest retires or revokes %d", len(got), len(want))
	}
	for i := range want {
		if got[i].SerialNumber.Cmp(want[i].SerialNumber) != 0 || !got[i].RevocationTime.Equal(want[i].RevocationTime) || got[i].ReasonCode != want[i].ReasonCode {
			return fmt.Errorf("the CRL's entry for %s does not match the manifest's", serialHex(want[i].SerialNumber))
		}
	}
	return nil
}
