package evidencepack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
)

// Limits bound what Verify reads of a package, so that a hostile ZIP (a
// bomb, millions of entries) is refused from its central directory before
// anything is decompressed. Zero fields take DefaultLimits'.
type Limits struct {
	// Entries bounds the number of ZIP entries.
	Entries int
	// Total bounds the sum of the declared uncompressed sizes.
	Total uint64
	// Original bounds one original; Other any other file (they are held
	// in memory while verified).
	Original, Other uint64
	// Ratio bounds a compressed entry's uncompressed size over its
	// compressed size, for entries above 1 MiB.
	Ratio uint64
	// Directory bounds the central directory, in bytes: what it declares,
	// and what lies from where it starts to the end of the file (its end
	// records and the ZIP comment too), which a ZIP reader reads entries
	// from whatever count it declares.
	Directory uint64
}

// DefaultLimits returns limits generous for real packages: a case of
// 100,000 items, originals of up to 64 GiB, a directory of 1,000,000
// entries of 268 bytes (paths of 200 bytes and their extra fields).
func DefaultLimits() Limits {
	return Limits{Entries: 1_000_000, Total: 1 << 40, Original: 64 << 30, Other: 64 << 20, Ratio: 200, Directory: 256 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Entries > 0 {
		d.Entries = l.Entries
	}
	if l.Total > 0 {
		d.Total = l.Total
	}
	if l.Original > 0 {
		d.Original = l.Original
	}
	if l.Other > 0 {
		d.Other = l.Other
	}
	if l.Ratio > 0 {
		d.Ratio = l.Ratio
	}
	if l.Directory > 0 {
		d.Directory = l.Directory
	}
	return d
}

// Anchor is what a verified composed receipt proves beyond the platform
// receipt: where it is anchored.
type Anchor struct {
	// Court is the origin of the log holding the anchor; Number its
	// ledger index there.
	Court     string
	Number    uint64
	Certified time.Time
}

// Options are what a verifier holds besides the package.
type Options struct {
	// Policies are the trusted policies by origin; nil uses the
	// package's own (policies/), which proves only that the package is
	// consistent, not that it comes from the network a court trusts.
	Policies map[string]*policy.Policy
	// Now is the clock, for the report; time.Now when nil.
	Now func() time.Time
	// Limits bound the package; zero fields take DefaultLimits'.
	Limits Limits
}

// Report is what Verify found.
type Report struct {
	// Origin is the packaging network's; Institution the member whose
	// node signed the manifest (as it says).
	Origin, Institution string
	Court, Case         string
	Created             time.Time
	// ManifestDigest is the SHA-256 (hex) of manifest.txt.
	ManifestDigest string
	// PolicySource is "given" (Options.Policies) or "package".
	PolicySource string
	// Policies are the origins of the policies used, with the file each
	// came from ("given" for a trusted one).
	Policies []PolicyUsed
	// Problems are failures of the package as a whole or of a file of
	// no item: its structure, the manifest, unlisted or missing files.
	Problems []Problem
	Items    []ItemResult
	// OK is set when there are no problems and every item verified.
	OK         bool
	VerifiedAt time.Time
}

// PolicyUsed names a policy a report relied on.
type PolicyUsed struct {
	Origin string
	Source string
}

// Problem is one failure outside the items' own checks.
type Problem struct {
	Path, Check, Reason string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Check + ": " + p.Reason
	}
	return p.Path + ": " + p.Check + ": " + p.Reason
}

// Verdicts of an item.
const (
	Verified = "verified"
	Failed   = "failed"
)

// ItemResult is the verdict on one item.
type ItemResult struct {
	// Path is the item's directory, items/<n>.
	Path    string
	Deposit string
	Number  uint64
	// Digests are the deposit's content digests by algorithm, hex.
	Digests   map[string]string
	Certified time.Time
	// Anchored is "<court origin> #<number>" when a composed receipt
	// verified, "" otherwise.
	Anchored string
	Verdict  string
	// Check names the failed check and Reason says why (Verdict failed);
	// Path of the failing file is in Reason.
	Check, Reason string
	// Notes say what was not checked, and why (no original, ...).
	Notes []string
}

// Checks named in reports.
const (
	CheckZIP          = "zip"
	CheckEntryType    = "entry type"
	CheckUnsafePath   = "path"
	CheckDuplicate    = "duplicate entry"
	CheckSize         = "size"
	CheckManifest     = "manifest"
	CheckSignature    = "manifest signature"
	CheckPolicy       = "policy"
	CheckFile         = "file digest"
	CheckUnlisted     = "unlisted file"
	CheckMissing      = "missing file"
	CheckItems        = "items.json"
	CheckLayout       = "layout"
	CheckReceipt      = "receipt"
	CheckOriginal     = "original"
	CheckOpening      = "opening"
	CheckCertificate  = "certificate"
	CheckTrail        = "trail"
	CheckComposed     = "composed receipt"
	CheckItemMismatch = "item"
)

// pkgFile is one listed file, read and checked against its line.
type pkgFile struct {
	entry *zip.File
	line  FileEntry
	// data holds a file other than an original; digests an original's.
	data    []byte
	digests []deposit.Digest
}

type verifier struct {
	ctx     context.Context
	zr      *zip.Reader
	opts    Options
	lim     Limits
	rep     *Report
	entries map[string]*zip.File
	// outside are the files outside the layout, reported and not read.
	outside map[string]bool
	files   map[string]*pkgFile
	// itemProblems are file failures inside items/<n>/, by item path.
	itemProblems map[string][]Problem
	pol          *policy.Policy
	// candidates are tried in order on a checkpoint: the policy in force
	// now, then (package policies only) the earlier ones.
	candidates []*policy.Policy
	policies   map[string]*policy.Policy
	// logKeys are the policy's members' log keys (see logKeys).
	logKeys [][]byte
	mu      sync.Mutex
	checked map[string]checkpointResult
}

type checkpointResult struct {
	res *policy.Result
	err error
}

// Verify checks a package offline: its ZIP structure and limits, the
// manifest's signature under the network's policy, every file against
// its manifest line (and no file unlisted), items.json, and each item's
// receipt, original, opening, certificate, trail records and composed
// receipt. Every finding about the package is in the Report; the error
// is for a cancelled context only.
func Verify(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &verifier{ctx: ctx, opts: opts, lim: opts.Limits.withDefaults(), rep: &Report{PolicySource: "package"},
		entries: map[string]*zip.File{}, outside: map[string]bool{}, files: map[string]*pkgFile{}, itemProblems: map[string][]Problem{}, checked: map[string]checkpointResult{}}
	if opts.Policies != nil {
		v.rep.PolicySource = "given"
	}
	v.rep.VerifiedAt = opts.Now().UTC()
	v.run(r, size)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.rep.OK = len(v.rep.Problems) == 0 && len(v.rep.Items) > 0 && !slices.ContainsFunc(v.rep.Items, func(it ItemResult) bool { return it.Verdict != Verified })
	if len(v.rep.Items) == 0 && len(v.rep.Problems) == 0 {
		v.problem("", CheckItems, "the package has no items")
	}
	return v.rep, nil
}

func (v *verifier) problem(path, check, format string, a ...any) {
	p := Problem{Path: path, Check: check, Reason: fmt.Sprintf(format, a...)}
	if dir := itemOf(path); dir != "" {
		v.itemProblems[dir] = append(v.itemProblems[dir], p)
		return
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

// itemOf returns "items/<n>" for a path inside an item directory.
func itemOf(path string) string {
	rest, ok := strings.CutPrefix(path, itemsDir)
	if !ok {
		return ""
	}
	n, _, ok := strings.Cut(rest, "/")
	if !ok || !isNumber(n) {
		return ""
	}
	return itemsDir + n
}

func isNumber(s string) bool {
	n, err := strconv.ParseUint(s, 10, 32)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == s
}

func (v *verifier) run(r io.ReaderAt, size int64) {
	if !v.directoryEnd(r, size) {
		return
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		v.problem("", CheckZIP, "not a readable ZIP file: %v", err)
		return
	}
	v.zr = zr
	if !v.structure() {
		return
	}
	m, ok := v.manifest()
	if !ok {
		return
	}
	v.listed(m)
	if v.ctx.Err() != nil {
		return
	}
	list := v.itemList()
	v.items(list)
}

// structure checks the central directory before anything is read.
func (v *verifier) structure() bool {
	if len(v.zr.File) > v.lim.Entries {
		v.problem("", CheckSize, "%d entries, more than the %d accepted", len(v.zr.File), v.lim.Entries)
		return false
	}
	ok := true
	// Structural problems stay with the package: nothing of it is read.
	refuse := func(name, check, format string, a ...any) {
		v.rep.Problems = append(v.rep.Problems, Problem{Path: name, Check: check, Reason: fmt.Sprintf(format, a...)})
		ok = false
	}
	v.entries = make(map[string]*zip.File, len(v.zr.File))
	folded := make(map[string]string, len(v.zr.File))
	// once refuses a second entry that a file system would unpack onto
	// the first: the same name but for case or Unicode normalization.
	once := func(name string) bool {
		key := foldName(name)
		if prev, dup := folded[key]; dup {
			refuse(name, CheckDuplicate, "the ZIP has %s twice (as %q and %q, the same name to a file system that folds case or normalizes Unicode); a package names each file once", name, prev, name)
			return false
		}
		folded[key] = name
		return true
	}
	var total uint64
	for _, f := range v.zr.File {
		name, mode := f.Name, f.Mode()
		if dir, isDir := strings.CutSuffix(name, "/"); isDir {
			// A directory entry, as zip tools write one before the files
			// in it: accepted when it is an empty directory of the
			// layout, and then ignored (it carries nothing).
			switch err := CheckPath(dir); {
			case err != nil:
				refuse(name, CheckUnsafePath, "%v", err)
			case mode.Type() != fs.ModeDir || mode&specialBits != 0 || f.UncompressedSize64 != 0:
				refuse(name, CheckEntryType, "%s with %d bytes: a package's directory entries are empty directories", entryKind(mode), f.UncompressedSize64)
			case !layoutDir(dir):
				v.rep.Problems = append(v.rep.Problems, Problem{Path: name, Check: CheckLayout, Reason: "not a directory of the package layout (policies/, items/<n>/ and its original/ and trail/)"})
			default:
				once(dir)
			}
			continue
		}
		if name != ManifestPath {
			if err := CheckPath(name); err != nil {
				refuse(name, CheckUnsafePath, "%v", err)
				continue
			}
		}
		if mode.Type() != 0 || mode&specialBits != 0 {
			refuse(name, CheckEntryType, "%s (mode %v): a package holds regular files only, which unpack as nothing else", entryKind(mode), mode)
			continue
		}
		if !once(name) {
			continue
		}
		if !inLayout(name) {
			// Like an unlisted file, never read: the rest of the package
			// is still judged.
			v.rep.Problems = append(v.rep.Problems, Problem{Path: name, Check: CheckLayout, Reason: "not a file of the package layout (manifest.txt, index.html, items.json, policies/, items/<n>/): a package carries no other file"})
			v.outside[name] = true
			continue
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			refuse(name, CheckZIP, "compression method %d; a package uses store or deflate", f.Method)
			continue
		}
		limit := v.lim.Other
		if strings.Contains(name, "/"+originalDir) {
			limit = v.lim.Original
		}
		switch {
		case f.UncompressedSize64 > limit:
			refuse(name, CheckSize, "declares %d bytes, more than the %d accepted for it", f.UncompressedSize64, limit)
			continue
		case f.UncompressedSize64 > 1<<20 && f.UncompressedSize64/max(f.CompressedSize64, 1) > v.lim.Ratio:
			refuse(name, CheckSize, "declares %d bytes from %d compressed, a ratio above %d (a ZIP bomb?)", f.UncompressedSize64, f.CompressedSize64, v.lim.Ratio)
			continue
		}
		total += f.UncompressedSize64
		v.entries[name] = f
	}
	if total > v.lim.Total {
		refuse("", CheckSize, "the files declare %d bytes in all, more than the %d accepted", total, v.lim.Total)
	}
	return ok
}

// specialBits are the mode bits an unpacking tool may restore that a
// package's files never need.
const specialBits = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// entryKind names what an entry's mode makes of it when unpacked.
func entryKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDir != 0 && m&specialBits != 0:
		return "a directory with the setuid, setgid or sticky bit"
	case m&fs.ModeDir != 0:
		return "a directory"
	case m&specialBits != 0:
		return "a file with the setuid, setgid or sticky bit"
	}
	return "not a regular file"
}

// inLayout reports whether a file's path is one the layout has at the
// root, under policies/ or in an item directory (whose files item checks
// one by one).
func inLayout(name string) bool {
	switch name {
	case ManifestPath, IndexPath, ItemsPath:
		return true
	}
	if rest, ok := strings.CutPrefix(name, policiesDir); ok {
		// <origin>.policy or <origin>/height-<H>.policy; which origin and
		// height is checked when the policy is read.
		return strings.HasSuffix(rest, ".policy") && strings.Count(rest, "/") <= 1
	}
	return itemOf(name) != ""
}

// layoutDir reports whether dir (no trailing slash) is a directory of
// the layout: one a zip tool writes an entry for before the files in it.
func layoutDir(dir string) bool {
	if dir == "policies" || dir == "items" {
		return true
	}
	if rest, ok := strings.CutPrefix(dir, policiesDir); ok {
		return !strings.Contains(rest, "/")
	}
	item := itemOf(dir + "/")
	return item == dir || dir == item+"/"+strings.TrimSuffix(originalDir, "/") || dir == item+"/"+strings.TrimSuffix(trailDir, "/")
}

// read reads an entry whole, checking it is exactly its declared size.
func (v *verifier) read(f *zip.File, w io.Writer) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.Copy(w, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err == nil && uint64(n) != f.UncompressedSize64 {
		err = fmt.Errorf("%d bytes, but the ZIP declares %d", n, f.UncompressedSize64)
	}
	return n, err
}

// readAll reads an entry other than an original whole into a buffer of
// its declared size (which the limits bound), checking it is exactly that
// size: one read past it reaches the end, where the ZIP reader checks the
// CRC-32 (and keeps reporting a failure it met with the last bytes).
func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data := make([]byte, f.UncompressedSize64)
	n, err := io.ReadFull(rc, data)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%d bytes, but the ZIP declares %d: %w", n, f.UncompressedSize64, err)
		}
		return nil, err
	}
	var one [1]byte
	switch m, err := io.ReadFull(rc, one[:]); {
	case m > 0:
		return nil, fmt.Errorf("more bytes than the %d the ZIP declares", f.UncompressedSize64)
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	return data, nil
}

// manifest reads, parses and authenticates manifest.txt and picks the
// policies.
func (v *verifier) manifest() (*Manifest, bool) {
	f := v.entries[ManifestPath]
	if f == nil {
		v.problem(ManifestPath, CheckMissing, "the package has no manifest.txt")
		return nil, false
	}
	signed, err := readAll(f)
	if err != nil {
		v.problem(ManifestPath, CheckZIP, "reading: %v", err)
		return nil, false
	}
	sum := sha256.Sum256(signed)
	v.rep.ManifestDigest = hex.EncodeToString(sum[:])
	_, err = note.Open(signed, note.VerifierList())
	var un *note.UnverifiedNoteError
	if !errors.As(err, &un) {
		v.problem(ManifestPath, CheckManifest, "not a signed note: %v", err)
		return nil, false
	}
	m, err := ParseManifest(un.Note.Text)
	if err != nil {
		v.problem(ManifestPath, CheckManifest, "%v", err)
		return nil, false
	}
	v.rep.Origin, v.rep.Institution, v.rep.Court, v.rep.Case, v.rep.Created = m.Network, m.Institution, m.Court, m.Case, m.Created
	// The policy files are read before the signature is checked: without
	// trusted policies, the package's own are all there is (and the
	// report says so).
	if !v.choosePolicies(m) {
		return nil, false
	}
	var vs []note.Verifier
	for _, l := range v.pol.Logs {
		if nv, err := policy.NewLogVerifier(l.VKey); err == nil && nv.Name() == m.Network {
			vs = append(vs, nv)
		}
	}
	if _, err := note.Open(signed, note.VerifierList(vs...)); err != nil {
		v.problem(ManifestPath, CheckSignature, "not signed by a log key of %s's policy (%s): %v", m.Network, v.policySource(m.Network), err)
		return nil, false
	}
	return m, true
}

func (v *verifier) policySource(origin string) string {
	for _, p := range v.rep.Policies {
		if p.Origin == origin {
			return p.Source
		}
	}
	return "none"
}

// choosePolicies settles the policy of each origin: the given ones, or
// the package's current ones and their history.
func (v *verifier) choosePolicies(m *Manifest) bool {
	v.policies = map[string]*policy.Policy{}
	if v.opts.Policies != nil {
		for o, p := range v.opts.Policies {
			v.policies[o] = p
		}
		origins := make([]string, 0, len(v.policies))
		for o := range v.policies {
			origins = append(origins, o)
		}
		sort.Strings(origins)
		for _, o := range origins {
			v.rep.Policies = append(v.rep.Policies, PolicyUsed{Origin: o, Source: "given"})
		}
	} else {
		history := map[string][]*policy.Policy{}
		names := make([]string, 0)
		for name := range v.entries {
			if strings.HasPrefix(name, policiesDir) && strings.HasSuffix(name, ".policy") {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		type dated struct {
			h uint64
			p *policy.Policy
		}
		var earlier []dated
		for _, name := range names {
			text, err := readAll(v.entries[name])
			if err != nil {
				v.problem(name, CheckPolicy, "reading: %v", err)
				continue
			}
			p, err := policy.Parse(text)
			if err != nil {
				v.problem(name, CheckPolicy, "%v", err)
				continue
			}
			rest := strings.TrimPrefix(name, policiesDir)
			if dir, file, ok := strings.Cut(rest, "/"); ok {
				h, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(file, "height-"), ".policy"), 10, 64)
				if dir != originFile(p.Origin()) || !strings.HasPrefix(file, "height-") || err != nil {
					v.problem(name, CheckPolicy, "want policies/%s/height-<H>.policy for a policy of %s", originFile(p.Origin()), p.Origin())
					continue
				}
				earlier = append(earlier, dated{h, p})
				history[p.Origin()] = append(history[p.Origin()], p)
				continue
			}
			if rest != originFile(p.Origin())+".policy" {
				v.problem(name, CheckPolicy, "want policies/%s.policy for a policy of %s", originFile(p.Origin()), p.Origin())
				continue
			}
			if _, dup := v.policies[p.Origin()]; dup {
				v.problem(name, CheckPolicy, "a second current policy of %s", p.Origin())
				continue
			}
			v.policies[p.Origin()] = p
			v.rep.Policies = append(v.rep.Policies, PolicyUsed{Origin: p.Origin(), Source: name})
		}
		// Newest first: a receipt is tried under the policies in force
		// before this one in that order.
		sort.Slice(earlier, func(i, j int) bool { return earlier[i].h > earlier[j].h })
		for _, d := range earlier {
			if d.p.Origin() == m.Network {
				v.candidates = append(v.candidates, d.p)
			}
		}
	}
	v.pol = v.policies[m.Network]
	if v.pol == nil {
		v.problem("", CheckPolicy, "no policy of the network %s: pass it with --policy (Options.Policies)", m.Network)
		return false
	}
	v.candidates = append([]*policy.Policy{v.pol}, v.candidates...)
	v.logKeys = logKeys(v.pol)
	return true
}

// listed checks every manifest line against its file, and every file
// against the manifest.
func (v *verifier) listed(m *Manifest) {
	inManifest := make(map[string]bool, len(m.Files)+1)
	inManifest[ManifestPath] = true
	for _, line := range m.Files {
		inManifest[line.Path] = true
	}
	// Files are read and hashed in parallel: the ZIP reader opens entries
	// independently on its io.ReaderAt.
	type found struct {
		pf       *pkgFile
		problems []Problem
	}
	got := make([]found, len(m.Files))
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				got[i].pf, got[i].problems = v.readListed(m.Files[i])
			}
		})
	}
	for i := range m.Files {
		if v.ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	v.files = make(map[string]*pkgFile, len(got))
	for _, g := range got {
		for _, p := range g.problems {
			v.problem(p.Path, p.Check, "%s", p.Reason)
		}
		if g.pf != nil {
			v.files[g.pf.line.Path] = g.pf
		}
	}
	names := make([]string, 0, len(v.entries))
	for name := range v.entries {
		if !inManifest[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v.problem(name, CheckUnlisted, "in the ZIP but not in the signed manifest; a package carries only listed files")
	}
}

// readListed reads one listed file and checks it against its line.
func (v *verifier) readListed(line FileEntry) (*pkgFile, []Problem) {
	fail := func(check, format string, a ...any) (*pkgFile, []Problem) {
		return nil, []Problem{{Path: line.Path, Check: check, Reason: fmt.Sprintf(format, a...)}}
	}
	f := v.entries[line.Path]
	if f == nil && v.outside[line.Path] {
		return nil, nil // a problem of the layout already
	}
	if f == nil {
		return fail(CheckMissing, "listed in the manifest, absent from the ZIP")
	}
	if f.UncompressedSize64 != line.Size {
		return fail(CheckFile, "%d bytes, the manifest says %d", f.UncompressedSize64, line.Size)
	}
	pf := &pkgFile{entry: f, line: line}
	if !strings.Contains(line.Path, "/"+originalDir) {
		data, err := readAll(f)
		if err != nil {
			return fail(CheckZIP, "reading: %v", err)
		}
		if got := sha256.Sum256(data); got != line.SHA256 {
			return fail(CheckFile, "its SHA-256 is %x, the manifest says %x: the file was changed", got, line.SHA256)
		}
		pf.data = data
		return pf, nil
	}
	// An original is hashed once, with every content digest a suite
	// knows, beside the manifest's SHA-256.
	h := sha256.New()
	algs := []deposit.Algorithm{deposit.SHA256}
	hs := []hash.Hash{sha256.New()}
	if a, aerr := deposit.ParseAlgorithm("sm3"); aerr == nil {
		if sh, herr := newContentHash(a); herr == nil {
			algs, hs = append(algs, a), append(hs, sh)
		}
	}
	ws := []io.Writer{h}
	for _, x := range hs {
		ws = append(ws, x)
	}
	_, err := v.read(f, io.MultiWriter(ws...))
	for i, a := range algs {
		pf.digests = append(pf.digests, deposit.Digest{Algorithm: a, Value: hs[i].Sum(nil)})
	}
	if err != nil {
		return fail(CheckZIP, "reading: %v", err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, line.SHA256[:]) {
		return fail(CheckFile, "its SHA-256 is %x, the manifest says %x: the file was changed", got, line.SHA256)
	}
	return pf, nil
}

// itemList reads items.json; the items are checked against it.
func (v *verifier) itemList() map[string]ItemInfo {
	f := v.files[ItemsPath]
	if f == nil {
		if v.entries[ItemsPath] == nil {
			v.problem(ItemsPath, CheckMissing, "the package has no items.json")
		}
		return map[string]ItemInfo{}
	}
	var l ItemList
	if err := json.Unmarshal(f.data, &l); err != nil {
		v.problem(ItemsPath, CheckItems, "%v", err)
		return map[string]ItemInfo{}
	}
	out := make(map[string]ItemInfo, len(l.Items))
	if l.Network != v.rep.Origin || l.Court != v.rep.Court || l.Case != v.rep.Case {
		v.problem(ItemsPath, CheckItems, "its network, court or case differs from the manifest's")
	}
	for _, it := range l.Items {
		if _, dup := out[it.Path]; dup || itemOf(it.Path+"/") != it.Path {
			v.problem(ItemsPath, CheckItems, "item %q is not an item directory, or is listed twice", it.Path)
			continue
		}
		out[it.Path] = it
	}
	return out
}

// items verifies every item directory, in parallel.
func (v *verifier) items(list map[string]ItemInfo) {
	dirs := make(map[string][]string, len(list))
	for name := range v.entries {
		if d := itemOf(name); d != "" {
			dirs[d] = append(dirs[d], name)
		}
	}
	for d := range v.itemProblems {
		if _, ok := dirs[d]; !ok {
			dirs[d] = nil
		}
	}
	for d := range list {
		if _, ok := dirs[d]; !ok {
			v.problem(ItemsPath, CheckItems, "lists %s, which the package does not hold", d)
		}
	}
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	sort.Slice(order, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(order[i], itemsDir))
		b, _ := strconv.Atoi(strings.TrimPrefix(order[j], itemsDir))
		return a < b
	})
	results := make([]ItemResult, len(order))
	// Items go to the workers in chunks: the depositor signatures of a
	// chunk (its receipts and trail receipts) are verified in one batch,
	// which coalesces signatures by key (a few depositors and the node
	// made most of them).
	const chunk = 256
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for start := range next {
				end := min(start+chunk, len(order))
				signed := v.batchSignatures(order[start:end], dirs)
				for i := start; i < end; i++ {
					d := order[i]
					info, listedInItems := list[d]
					results[i] = v.item(d, dirs[d], info, listedInItems, signed)
				}
			}
		})
	}
	for start := 0; start < len(order); start += chunk {
		if v.ctx.Err() != nil {
			break
		}
		next <- start
	}
	close(next)
	wg.Wait()
	v.rep.Items = results
}

// checkpoint verifies a checkpoint once per distinct bytes, under the
// first candidate policy that accepts it.
func (v *verifier) checkpoint(cp []byte) (*policy.Result, error) {
	v.mu.Lock()
	c, ok := v.checked[string(cp)]
	v.mu.Unlock()
	if ok {
		return c.res, c.err
	}
	for _, p := range v.candidates {
		c.res, c.err = p.Verify(cp)
		if c.err == nil {
			break
		}
	}
	if c.err != nil && len(v.candidates) > 1 {
		c.err = fmt.Errorf("%w (tried the policy in force now and %d earlier ones)", c.err, len(v.candidates)-1)
	}
	v.mu.Lock()
	v.checked[string(cp)] = c
	v.mu.Unlock()
	return c.res, c.err
}

// batchSignatures verifies in one batch the depositor signatures of the
// receipts in the items dirs, for the policy's log, and returns the paths
// of the receipts whose signature is thereby verified: all of them, or
// none when the batch fails (each is then verified alone, which names the
// bad one).
func (v *verifier) batchSignatures(dirs []string, files map[string][]string) map[string]*parsedReceipt {
	cs := v.pol.Suite()
	origin := v.pol.Origin()
	b := cs.Signature().NewBatch(len(dirs) * 2)
	var paths []string
	out := map[string]*parsedReceipt{}
	// Each distinct depositor key is checked once: a few depositors and
	// the node made most receipts.
	keyOK := map[string]bool{}
	for _, d := range dirs {
		for _, name := range files[d] {
			if !strings.HasSuffix(name, receipt.FileExtension) || strings.HasSuffix(name, anchoredName) {
				continue
			}
			f := v.files[name]
			if f == nil {
				continue
			}
			rc, err := receipt.Parse(f.data)
			if err != nil {
				continue
			}
			out[name] = &parsedReceipt{rc: rc}
			leaf, err := deposit.ParseLeaf(rc.Leaf)
			if err != nil {
				continue
			}
			ok, seen := keyOK[string(leaf.Depositor)]
			if !seen {
				ok = cs.Signature().CheckPublicKey(leaf.Depositor) == nil
				keyOK[string(leaf.Depositor)] = ok
			}
			if !ok {
				continue
			}
			b.Add(leaf.Depositor, leaf.SigningMessage(origin), leaf.Signature)
			paths = append(paths, name)
		}
	}
	if len(paths) > 0 && b.Verify() {
		for _, p := range paths {
			out[p].verified = true
		}
	}
	return out
}

// parsedReceipt is a receipt of the package, parsed once; verified says
// its depositor signature verified in a batch.
type parsedReceipt struct {
	rc       *receipt.Receipt
	verified bool
}

// parse returns the parsed receipt at path.
func parse(parsed map[string]*parsedReceipt, path string, data []byte) (*receipt.Receipt, bool, error) {
	if p := parsed[path]; p != nil {
		return p.rc, p.verified, nil
	}
	rc, err := receipt.Parse(data)
	return rc, false, err
}

type itemCheck struct {
	res  *ItemResult
	fail bool
}

func (c *itemCheck) failf(check, format string, a ...any) {
	if c.fail {
		return
	}
	c.fail = true
	c.res.Verdict, c.res.Check, c.res.Reason = Failed, check, fmt.Sprintf(format, a...)
}

// item verifies one item directory.
func (v *verifier) item(dir string, names []string, info ItemInfo, listedInItems bool, signed map[string]*parsedReceipt) ItemResult {
	res := ItemResult{Path: dir, Verdict: Verified, Digests: map[string]string{}}
	c := &itemCheck{res: &res}
	for _, p := range v.itemProblems[dir] {
		c.failf(p.Check, "%s: %s", p.Path, p.Reason)
	}
	sort.Strings(names)
	prefix := dir + "/"
	var original string
	trail := map[int][2]string{}
	for _, name := range names {
		rel := strings.TrimPrefix(name, prefix)
		switch {
		case rel == receiptName, rel == anchoredName, rel == openingName, rel == certificateName:
		case strings.HasPrefix(rel, originalDir) && !strings.Contains(strings.TrimPrefix(rel, originalDir), "/"):
			if original != "" {
				c.failf(CheckLayout, "%s: a second original (besides %s)", name, original)
			}
			original = name
		case strings.HasPrefix(rel, trailDir):
			k, ext, _ := strings.Cut(strings.TrimPrefix(rel, trailDir), ".")
			n, err := strconv.Atoi(k)
			if err != nil || !isNumber(k) || (ext != "json" && ext != "tlog-proof") {
				c.failf(CheckLayout, "%s: not trail/<k>.json or trail/<k>.tlog-proof", name)
				continue
			}
			pair := trail[n]
			if ext == "json" {
				pair[0] = name
			} else {
				pair[1] = name
			}
			trail[n] = pair
		default:
			c.failf(CheckLayout, "%s: not a file of the package layout", name)
		}
	}
	rf := v.files[prefix+receiptName]
	if rf == nil {
		c.failf(CheckMissing, "%s%s: the item has no receipt", prefix, receiptName)
		return res
	}
	rc, sigOK, err := parse(signed, prefix+receiptName, rf.data)
	if err != nil {
		c.failf(CheckReceipt, "%s%s: %v", prefix, receiptName, err)
		return res
	}
	cs := v.pol.Suite()
	if leaf, err := deposit.ParseLeaf(rc.Leaf); err == nil {
		res.Deposit, res.Number, res.Certified = leaf.ID(cs), leaf.Index, leaf.Time.UTC()
		for _, d := range leaf.Digests {
			res.Digests[d.Algorithm.String()] = hex.EncodeToString(d.Value)
		}
	}
	var ev receipt.Evidence
	var origFile *pkgFile
	if original != "" {
		origFile = v.files[original]
		if origFile != nil {
			// Compared: every digest the deposit carries that a suite
			// computes.
			for _, d := range origFile.digests {
				if _, ok := res.Digests[d.Algorithm.String()]; ok {
					ev.Digests = append(ev.Digests, d)
				}
			}
			if len(ev.Digests) == 0 {
				c.failf(CheckOriginal, "%s: the deposit carries no digest this verifier computes", original)
			}
		}
	} else {
		res.Notes = append(res.Notes, "original not in the package: content not checked")
	}
	if of := v.files[prefix+openingName]; of != nil {
		var op deposit.Opening
		if err := json.Unmarshal(of.data, &op); err != nil {
			c.failf(CheckOpening, "%s%s: %v", prefix, openingName, err)
		} else {
			ev.Opening = &op
		}
	} else if v.entries[prefix+openingName] == nil {
		res.Notes = append(res.Notes, "no metadata opening: metadata not checked")
	}
	proven, err := receipt.VerifyWith(v.pol, rc, ev, receipt.Shortcuts{Checkpoint: v.checkpoint, SignatureVerified: sigOK})
	if err != nil {
		var ce *receipt.CheckError
		path := prefix + receiptName
		if errors.As(err, &ce) && ce.Check == receipt.CheckContent {
			path = original
		} else if errors.As(err, &ce) && ce.Check == receipt.CheckMetadata {
			path = prefix + openingName
		}
		c.failf(CheckReceipt, "%s: %v", path, err)
		return res
	}
	if listedInItems {
		if info.Deposit != res.Deposit || info.Number != res.Number || !info.Certified.Equal(res.Certified) || !maps2Equal(info.Digests, res.Digests) {
			c.failf(CheckItems, "%s: the entry of %s differs from what its receipt proves (deposit, number, digests or certified time)", ItemsPath, dir)
		}
	} else {
		c.failf(CheckItems, "%s: %s is not listed", ItemsPath, dir)
	}
	if cf := v.files[prefix+certificateName]; cf != nil {
		v.certificate(c, prefix+certificateName, cf.data, proven, origFile)
	}
	keys := make([]int, 0, len(trail))
	for k := range trail {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		v.trailRecord(c, prefix, k, trail[k], res.Deposit, signed)
	}
	if af := v.files[prefix+anchoredName]; af != nil {
		if a, err := verifyAnchored(v.pol, v.policies, af.data, rc, ev); err != nil {
			c.failf(CheckComposed, "%s%s: %v", prefix, anchoredName, err)
		} else {
			res.Anchored = fmt.Sprintf("%s #%d", a.Court, a.Number)
		}
	}
	return res
}

// verifyAnchored verifies an item's composed receipt with the platform's
// policy and the trusted policy of the court its anchor is in, and that
// it proves the entry of the item's receipt rc: without the original, the
// evidence would accept any deposit's composed receipt. Its checkpoint
// may differ from rc's (an earlier, anchored size).
func verifyAnchored(platform *policy.Policy, policies map[string]*policy.Policy, b []byte, rc *receipt.Receipt, ev receipt.Evidence) (*Anchor, error) {
	c, err := anchor.ParseComposed(b)
	if err != nil {
		return nil, err
	}
	pr, err := receipt.Parse(c.Platform)
	if err != nil {
		return nil, fmt.Errorf("the platform receipt: %w", err)
	}
	if pr.Index != rc.Index || !bytes.Equal(pr.Leaf, rc.Leaf) {
		return nil, fmt.Errorf("its platform receipt is of entry #%d, not of this item's %s (entry #%d): a composed receipt of another deposit", pr.Index, receiptName, rc.Index)
	}
	court, err := receipt.Parse(c.Court)
	if err != nil {
		return nil, fmt.Errorf("the court's receipt: %w", err)
	}
	origin, _, _ := bytes.Cut(court.Checkpoint, []byte("\n"))
	pol := policies[string(origin)]
	if pol == nil {
		return nil, fmt.Errorf("no trusted policy of the anchoring network %q: give it with --policy", origin)
	}
	p, err := anchor.VerifyComposed(platform, pol, c, ev)
	if err != nil {
		return nil, err
	}
	return &Anchor{Court: p.CourtOrigin(), Number: p.Number(), Certified: p.CourtCertifiedTime()}, nil
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		if b[k] != x {
			return false
		}
	}
	return true
}

// certificate checks the item's certificate: genuine under the policy,
// of this very deposit, and of the original when the package has it.
func (v *verifier) certificate(c *itemCheck, path string, pdf []byte, proven *receipt.Proven, orig *pkgFile) {
	o := certificate.Options{Policy: v.pol}
	if orig != nil {
		rc, err := orig.entry.Open()
		if err != nil {
			c.failf(CheckCertificate, "%s: reading the original: %v", path, err)
			return
		}
		defer rc.Close()
		o.File = rc
	}
	res, err := certificate.Verify(pdf, o)
	if err != nil {
		c.failf(CheckCertificate, "%s: %v", path, err)
		return
	}
	if res.Proven.Leaf.Index != proven.Leaf.Index || res.Proven.Leaf.ID(proven.Suite) != proven.Leaf.ID(proven.Suite) {
		c.failf(CheckCertificate, "%s: the certificate is of deposit #%d, not of this item's #%d", path, res.Proven.Leaf.Index, proven.Leaf.Index)
	}
}

// trailRecord checks one access-trail record: its receipt under the
// policy, deposited by a member node, of exactly these bytes, about this
// deposit.
func (v *verifier) trailRecord(c *itemCheck, prefix string, k int, pair [2]string, depositID string, signed map[string]*parsedReceipt) {
	if pair[0] == "" || pair[1] == "" {
		name := fmt.Sprintf("%s%s%d", prefix, trailDir, k)
		c.failf(CheckTrail, "%s: a record needs both %s.json and %s%s", name, name, name, receipt.FileExtension)
		return
	}
	jf, rf := v.files[pair[0]], v.files[pair[1]]
	if jf == nil || rf == nil {
		return // already failed against the manifest
	}
	rc, sigOK, err := parse(signed, pair[1], rf.data)
	if err != nil {
		c.failf(CheckTrail, "%s: %v", pair[1], err)
		return
	}
	cs := v.pol.Suite()
	alg, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		c.failf(CheckTrail, "%s: %v", pair[0], err)
		return
	}
	h, err := newContentHash(alg)
	if err != nil {
		c.failf(CheckTrail, "%s: %v", pair[0], err)
		return
	}
	h.Write(jf.data)
	ds := []deposit.Digest{{Algorithm: alg, Value: h.Sum(nil)}}
	p, err := receipt.VerifyWith(v.pol, rc, receipt.Evidence{Digests: ds}, receipt.Shortcuts{Checkpoint: v.checkpoint, SignatureVerified: sigOK})
	if err != nil {
		c.failf(CheckTrail, "%s: %v", pair[1], err)
		return
	}
	if !slices.ContainsFunc(v.logKeys, func(k []byte) bool { return bytes.Equal(k, p.Leaf.Depositor) }) {
		c.failf(CheckTrail, "%s: deposited by a key that is no member node's log key", pair[1])
		return
	}
	var rec api.TrailRecord
	if err := json.Unmarshal(jf.data, &rec); err != nil || rec.Type != api.TrailRecordType {
		c.failf(CheckTrail, "%s: not an access-trail record (%q)", pair[0], api.TrailRecordType)
		return
	}
	if rec.Deposit != depositID {
		c.failf(CheckTrail, "%s: a record about deposit %s, not this item's %s", pair[0], rec.Deposit, depositID)
	}
}

// logKeys returns the log keys of the policy's members: the keys a node
// deposits access-trail records with.
func logKeys(pol *policy.Policy) [][]byte {
	cs := pol.Suite()
	var out [][]byte
	for _, l := range pol.Logs {
		if _, k, err := cs.KeyOf(l.VKey); err == nil {
			out = append(out, k)
		}
	}
	return out
}
