// Package evidencepack makes and checks evidence packages: one ZIP that
// carries a court case's evidence from a Jurichain network to a court,
// with every receipt, original (where the packager may read it), metadata
// opening, certificate, access-trail record, composed (anchored) receipt
// and the network's trust policies with their history, all listed in a
// manifest signed by the packaging node's log key. Since that key is in
// the network's policy, a court checks the whole package offline with
// nothing but the policy, and Verify names the item and the check of
// whatever fails.
//
// The layout, at the ZIP's root:
//
//	manifest.txt                        the signed note listing every other file
//	index.html                          one offline page, Chinese and English
//	items.json                          the items, machine-readable
//	policies/<origin>.policy            the policy in force now, per network
//	policies/<origin>/height-<H>.policy every earlier policy, from height H
//	items/<n>/receipt.tlog-proof        and, when available: anchored.tlog-proof,
//	                                    original/<name>, opening.json,
//	                                    certificate.pdf, trail/<k>.json and
//	                                    trail/<k>.tlog-proof
//
// Nothing else is at the root, under policies/ or under items/. Every
// entry is a regular file without setuid, setgid or sticky bits; the only
// other entries accepted are the empty directory entries zip tools write
// before the files of a directory (policies/, policies/<origin>/, items/,
// items/<n>/, items/<n>/original/, items/<n>/trail/), which carry nothing
// and are ignored. No two names are the same to a file system that folds
// case or normalizes Unicode.
package evidencepack

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Paths and names of the layout.
const (
	ManifestPath = "manifest.txt"
	IndexPath    = "index.html"
	ItemsPath    = "items.json"
	// ManifestHeader is the first line of a manifest's text.
	ManifestHeader = "jurichain evidence package v1"

	receiptName     = "receipt.tlog-proof"
	anchoredName    = "anchored.tlog-proof"
	openingName     = "opening.json"
	certificateName = "certificate.pdf"
	originalDir     = "original/"
	trailDir        = "trail/"
	policiesDir     = "policies/"
	itemsDir        = "items/"
)

// Manifest is the text of manifest.txt before it is signed: who made the
// package, for which case, and every file with its SHA-256 and size.
type Manifest struct {
	// Network is the packaging network's origin.
	Network string
	// Institution is the member whose node made the package.
	Institution string
	Court, Case string
	Created     time.Time
	Files       []FileEntry
}

// FileEntry is one "file" line of a manifest.
type FileEntry struct {
	SHA256 [32]byte
	Size   uint64
	Path   string
}

// maxManifestLine bounds a manifest line: a path and the fixed fields.
const maxManifestLine = 1024

// Text writes the manifest's note text. Court and case are base64url
// (unpadded) so that any case number, spaces included, stays one field.
func (m *Manifest) Text() string {
	var b strings.Builder
	b.WriteString(ManifestHeader + "\n")
	fmt.Fprintf(&b, "network %s\n", m.Network)
	fmt.Fprintf(&b, "institution %s\n", m.Institution)
	fmt.Fprintf(&b, "case %s %s\n", base64.RawURLEncoding.EncodeToString([]byte(m.Court)), base64.RawURLEncoding.EncodeToString([]byte(m.Case)))
	fmt.Fprintf(&b, "created %s\n", m.Created.UTC().Format(time.RFC3339))
	// File lines without fmt: a package lists tens of thousands.
	n := b.Len()
	for _, f := range m.Files {
		n += len("file ") + 2*len(f.SHA256) + 22 + len(f.Path)
	}
	b.Grow(n - b.Len())
	var line []byte
	for _, f := range m.Files {
		line = append(line[:0], "file "...)
		line = hex.AppendEncode(line, f.SHA256[:])
		line = append(line, ' ')
		line = strconv.AppendUint(line, f.Size, 10)
		line = append(line, ' ')
		line = append(line, f.Path...)
		line = append(line, '\n')
		b.Write(line)
	}
	return b.String()
}

// ParseManifest reads a manifest's note text strictly: the header lines
// in order, then file lines with safe, unique paths. It accepts only what
// Text writes.
func ParseManifest(text string) (*Manifest, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("manifest: the text does not end with a newline")
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("manifest: not UTF-8")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 5 || lines[0] != ManifestHeader {
		return nil, fmt.Errorf("manifest: the first line is not %q", ManifestHeader)
	}
	for i, l := range lines {
		if len(l) > maxManifestLine {
			return nil, fmt.Errorf("manifest line %d: longer than %d bytes", i+1, maxManifestLine)
		}
		for _, r := range l {
			if unicode.IsControl(r) {
				return nil, fmt.Errorf("manifest line %d: contains a control character (%U)", i+1, r)
			}
		}
	}
	m := &Manifest{}
	field := func(i int, name string) (string, error) {
		v, ok := strings.CutPrefix(lines[i], name+" ")
		if !ok || v == "" {
			return "", fmt.Errorf("manifest line %d: want %q and a value", i+1, name)
		}
		return v, nil
	}
	var err error
	if m.Network, err = field(1, "network"); err != nil {
		return nil, err
	}
	if strings.ContainsAny(m.Network, " ") {
		return nil, errors.New("manifest line 2: the network origin contains a space")
	}
	if m.Institution, err = field(2, "institution"); err != nil {
		return nil, err
	}
	c, err := field(3, "case")
	if err != nil {
		return nil, err
	}
	court, caseNo, ok := strings.Cut(c, " ")
	cb, err1 := base64.RawURLEncoding.Strict().DecodeString(court)
	kb, err2 := base64.RawURLEncoding.Strict().DecodeString(caseNo)
	if !ok || err1 != nil || err2 != nil || !utf8.Valid(cb) || !utf8.Valid(kb) {
		return nil, errors.New("manifest line 4: want \"case <court> <case>\", each base64url without padding")
	}
	m.Court, m.Case = string(cb), string(kb)
	created, err := field(4, "created")
	if err != nil {
		return nil, err
	}
	if m.Created, err = time.Parse(time.RFC3339, created); err != nil || m.Created.UTC().Format(time.RFC3339) != created {
		return nil, fmt.Errorf("manifest line 5: created %q is not an RFC 3339 UTC time", created)
	}
	seen := make(map[string]bool, len(lines)-5)
	m.Files = make([]FileEntry, 0, len(lines)-5)
	for i := 5; i < len(lines); i++ {
		f, err := parseFileLine(lines[i])
		if err != nil {
			return nil, fmt.Errorf("manifest line %d: %w", i+1, err)
		}
		key := foldName(f.Path)
		if seen[key] {
			return nil, fmt.Errorf("manifest line %d: %s is listed twice", i+1, f.Path)
		}
		seen[key] = true
		m.Files = append(m.Files, f)
	}
	if m.Text() != text {
		return nil, errors.New("manifest: not in canonical form")
	}
	return m, nil
}

func parseFileLine(l string) (FileEntry, error) {
	var f FileEntry
	rest, ok := strings.CutPrefix(l, "file ")
	if !ok {
		return f, errors.New(`want "file <sha256 hex> <size> <path>"`)
	}
	parts := strings.SplitN(rest, " ", 3)
	if len(parts) != 3 {
		return f, errors.New(`want "file <sha256 hex> <size> <path>"`)
	}
	// Lowercase hex only: the one spelling of the digest.
	if len(parts[0]) != 2*len(f.SHA256) || strings.IndexFunc(parts[0], func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) >= 0 {
		return f, fmt.Errorf("the digest %q is not 64 lowercase hex characters", parts[0])
	}
	if _, err := hex.Decode(f.SHA256[:], []byte(parts[0])); err != nil {
		return f, fmt.Errorf("the digest %q is not 64 lowercase hex characters", parts[0])
	}
	var err error
	if f.Size, err = strconv.ParseUint(parts[1], 10, 64); err != nil || strconv.FormatUint(f.Size, 10) != parts[1] {
		return f, fmt.Errorf("the size %q is not a decimal number", parts[1])
	}
	if err := CheckPath(parts[2]); err != nil {
		return f, err
	}
	f.Path = parts[2]
	return f, nil
}

// CheckPath refuses a path that could escape the directory a package is
// unpacked in, or that tools would read differently: absolute paths, ".."
// and "." elements, backslashes, drive letters, empty elements, spaces,
// control characters and the manifest itself.
func CheckPath(p string) error {
	switch {
	case p == "" || len(p) > 512:
		return fmt.Errorf("path %q: empty or longer than 512 bytes", p)
	case !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("path %q: not a relative path inside the package (no leading /, no . or .. elements)", p)
	case strings.ContainsAny(p, "\\: "):
		return fmt.Errorf("path %q: contains a backslash, colon or space", p)
	case p == ManifestPath:
		return fmt.Errorf("path %q: the manifest does not list itself", p)
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == utf8.RuneError || isFormat(r) {
			return fmt.Errorf("path %q: contains a control or formatting character (%U)", p, r)
		}
	}
	for el := range strings.SplitSeq(p, "/") {
		if strings.HasPrefix(el, ".") {
			return fmt.Errorf("path %q: an element starts with a dot", p)
		}
	}
	return nil
}

// foldName is the key under which two paths are the same to a file
// system that folds case or normalizes Unicode (macOS, Windows): NFC,
// and each character replaced by the least of its case-folding orbit
// (what strings.EqualFold equates).
func foldName(p string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, norm.NFC.String(p))
}

// isFormat reports bidirectional and other invisible formatting
// characters, which could make a path read as another.
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

// SafeName turns a file name into one path element that CheckPath
// accepts: letters and digits of any script, '.', '-' and '_' are kept,
// everything else becomes '_', a leading dot too; at most 120 bytes.
func SafeName(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		ok := r == '.' || r == '-' || r == '_' || ((unicode.IsLetter(r) || unicode.IsDigit(r)) && !isFormat(r))
		if !ok || (b.Len() == 0 && r == '.') {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > 120 {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 || strings.Trim(b.String(), "_") == "" {
		return "original"
	}
	return b.String()
}

// originFile turns an origin into a file name for policies/.
func originFile(origin string) string {
	var b bytes.Buffer
	for _, c := range []byte(origin) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || (c == '.' && b.Len() > 0)) {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
