package anchor

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
)

// ComposedHeader is the line that starts the anchored part of a composed
// receipt, after the platform receipt and an empty line.
const ComposedHeader = "jurichain.org/anchored@v1"

// ComposedMediaType is the media type of a composed receipt file.
const ComposedMediaType = "application/vnd.jurichain.anchored-proof"

// ComposedFileExtension is the conventional suffix of composed receipt
// files, in place of receipt.FileExtension.
const ComposedFileExtension = ".anchored.tlog-proof"

// MaxComposed bounds a composed receipt: two receipts, an anchored
// checkpoint as large as an add-checkpoint body (64 KiB), and the proof.
const MaxComposed = 2*receipt.MaxSize + 64<<10 + 8<<10

// maxConsistency bounds the consistency-proof lines: a proof between
// trees of fewer than 2^64 entries has at most 64 hashes.
const maxConsistency = 64

// Composed is a composed receipt: a platform network's receipt of a
// deposit, and the proof that the checkpoint it rests on is covered by
// a checkpoint the court network anchored. As a file:
//
//	<the platform receipt: a c2sp.org/tlog-proof@v1, unchanged>
//	<an empty line>
//	jurichain.org/anchored@v1
//	consistency <old size> <new size>
//	<base64 consistency-proof hashes, one a line>
//	<an empty line>
//	<the anchored platform checkpoint: a signed note>
//	<an empty line>
//	<the court's receipt of the anchor entry: a c2sp.org/tlog-proof@v1>
//
// The platform receipt's checkpoint text and its signature lines hold no
// empty line, so the platform receipt is the file up to its third empty
// line, which a C2SP tlog-proof reader can take as it is.
type Composed struct {
	// Platform is the platform receipt, byte for byte.
	Platform []byte
	// OldSize is the size of the platform receipt's checkpoint, NewSize
	// that of the anchored checkpoint, and Proof the consistency proof
	// between them.
	OldSize, NewSize uint64
	Proof            [][]byte
	// Anchored is the anchored platform checkpoint, exactly the content
	// of the court's anchor entry.
	Anchored []byte
	// Court is the court's receipt of the anchor entry.
	Court []byte
}

// Format writes c as a composed receipt file.
func (c *Composed) Format() []byte {
	var b bytes.Buffer
	b.Grow(len(c.Platform) + len(c.Anchored) + len(c.Court) + 64*(len(c.Proof)+2))
	b.Write(c.Platform)
	b.WriteString("\n" + ComposedHeader + "\n")
	fmt.Fprintf(&b, "consistency %d %d\n", c.OldSize, c.NewSize)
	for _, h := range c.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(c.Anchored)
	b.WriteByte('\n')
	b.Write(c.Court)
	return b.Bytes()
}

// emptyLine returns the offset of the n-th empty line of b (n from 1):
// the index of the second newline of the n-th "\n\n", -1 if there is
// none.
func emptyLine(b []byte, n int) int {
	off := 0
	for {
		i := bytes.Index(b[off:], []byte("\n\n"))
		if i < 0 {
			return -1
		}
		off += i + 1
		if n--; n == 0 {
			return off
		}
	}
}

// IsComposed reports whether b has the shape of a composed receipt (the
// anchored part's header after the third empty line), so that a tool can
// tell it from a plain tlog-proof without parsing either.
func IsComposed(b []byte) bool {
	i := emptyLine(b, 3)
	return i >= 0 && bytes.HasPrefix(b[i+1:], []byte(ComposedHeader+"\n"))
}

// ParseComposed reads a composed receipt. It accepts only the canonical
// encoding (what Format writes), whose platform and court parts are
// canonical receipts.
func ParseComposed(b []byte) (*Composed, error) {
	if len(b) > MaxComposed {
		return nil, fmt.Errorf("composed receipt is %d bytes, at most %d", len(b), MaxComposed)
	}
	cut := emptyLine(b, 3)
	if cut < 0 {
		return nil, errors.New("composed receipt: no empty line after the platform receipt's signatures; is it a plain tlog-proof?")
	}
	c := &Composed{Platform: b[:cut]}
	if err := receiptShape(c.Platform); err != nil {
		return nil, fmt.Errorf("composed receipt: the platform receipt (the file up to its third empty line): %w", err)
	}
	rest, ok := bytes.CutPrefix(b[cut+1:], []byte(ComposedHeader+"\n"))
	if !ok {
		return nil, fmt.Errorf("composed receipt: the line after the platform receipt must be %q", ComposedHeader)
	}
	line, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, errors.New("composed receipt: truncated after the header")
	}
	var err error
	if c.OldSize, c.NewSize, err = parseConsistencyLine(string(line)); err != nil {
		return nil, err
	}
	for n := 1; ; n++ {
		if line, rest, ok = bytes.Cut(rest, []byte("\n")); !ok {
			return nil, errors.New("composed receipt: truncated in the consistency proof")
		}
		if len(line) == 0 {
			break
		}
		if n > maxConsistency {
			return nil, fmt.Errorf("composed receipt: more than %d consistency-proof lines", maxConsistency)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != suite.HashSize {
			return nil, fmt.Errorf("composed receipt: consistency-proof line %d is not the base64 of a %d-byte hash", n, suite.HashSize)
		}
		c.Proof = append(c.Proof, h)
	}
	// The anchored checkpoint is a signed note: its text, an empty line,
	// its signature lines; the empty line after them ends it.
	end := emptyLine(rest, 2)
	if end < 0 {
		return nil, errors.New("composed receipt: no empty line after the anchored checkpoint's signatures")
	}
	c.Anchored, c.Court = rest[:end], rest[end+1:]
	if err := signedNoteShape(c.Anchored); err != nil {
		return nil, fmt.Errorf("composed receipt: the anchored checkpoint: %w", err)
	}
	if err := receiptShape(c.Court); err != nil {
		return nil, fmt.Errorf("composed receipt: the court receipt: %w", err)
	}
	if !bytes.Equal(c.Format(), b) {
		return nil, errors.New("composed receipt: not in canonical form")
	}
	return c, nil
}

// parseConsistencyLine reads "consistency <old> <new>" in canonical
// decimal.
func parseConsistencyLine(line string) (old, new uint64, err error) {
	bad := fmt.Errorf("composed receipt: want 'consistency <old size> <new size>' after the header, not %q", line)
	fields := strings.Split(line, " ")
	if len(fields) != 3 || fields[0] != "consistency" {
		return 0, 0, bad
	}
	var sizes [2]uint64
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil || strconv.FormatUint(v, 10) != f {
			return 0, 0, bad
		}
		sizes[i] = v
	}
	return sizes[0], sizes[1], nil
}

// receiptShape checks that b is a canonical receipt whose checkpoint is
// a signed note and nothing after it.
func receiptShape(b []byte) error {
	r, err := receipt.Parse(b)
	if err != nil {
		return err
	}
	if err := signedNoteShape(r.Checkpoint); err != nil {
		return fmt.Errorf("its checkpoint: %w", err)
	}
	return nil
}

// signedNoteShape checks that b is text lines, an empty line, then
// signature lines only: what ends the note must be the empty line that
// the format puts after it, not one inside it.
func signedNoteShape(b []byte) error {
	text, sigs, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok || len(text) == 0 || len(sigs) == 0 {
		return errors.New("not a signed note: want text lines, an empty line, then signature lines")
	}
	for line := range bytes.Lines(sigs) {
		if !bytes.HasPrefix(line, []byte("— ")) || !bytes.HasSuffix(line, []byte("\n")) {
			return errors.New("not a signed note: a line after the empty line is not a signature line")
		}
	}
	return nil
}

// The checks of a composed receipt, in the order VerifyComposed runs
// them; each failure is a *receipt.CheckError naming one of them.
const (
	// CheckPlatform is the platform receipt under the platform policy;
	// the wrapped error is the receipt's own CheckError.
	CheckPlatform receipt.Check = "platform receipt"
	// CheckAnchored is the anchored checkpoint under the platform policy,
	// of the receipt's log.
	CheckAnchored receipt.Check = "anchored checkpoint"
	// CheckConsistency is the receipt's checkpoint being a prefix of the
	// anchored one.
	CheckConsistency receipt.Check = "consistency proof"
	// CheckCourt is the court receipt under the court policy.
	CheckCourt receipt.Check = "court receipt"
	// CheckAnchorEntry is the court entry being a deposit of exactly the
	// anchored checkpoint, by a court member node.
	CheckAnchorEntry receipt.Check = "anchor entry"
)

// Proven is what a composed receipt establishes once every check passed:
// the deposit, as the platform receipt proves it, and the court's
// certified record of a checkpoint that contains it.
type Proven struct {
	// Platform is what the platform receipt proves.
	Platform *receipt.Proven
	// Anchored is the anchored platform checkpoint, and AnchoredCosigners
	// the platform witnesses whose cosignatures on it verified.
	Anchored          log.Checkpoint
	AnchoredCosigners []string
	// Court is what the court receipt proves about the anchor entry.
	Court *receipt.Proven
}

// CourtOrigin is the court network's log.
func (p *Proven) CourtOrigin() string { return p.Court.Origin() }

// Number is the anchor's number: the court ledger's index of the anchor
// entry.
func (p *Proven) Number() uint64 { return p.Court.Leaf.Index }

// CourtCertifiedTime is when the court network certified the anchor.
func (p *Proven) CourtCertifiedTime() time.Time { return p.Court.CertifiedTime() }

// CourtCosigners are the court witnesses that cosigned the court
// checkpoint.
func (p *Proven) CourtCosigners() []string { return p.Court.Cosigners }

// AnchoredSize is the size of the anchored platform checkpoint.
func (p *Proven) AnchoredSize() uint64 { return p.Anchored.Size }

// VerifyComposed runs every check of a composed receipt, offline: the
// platform receipt under the platform policy with the evidence; the
// anchored checkpoint under the platform policy, of the same log; the
// consistency proof from the receipt's checkpoint to the anchored one
// with the platform suite's hasher; the court receipt under the court
// policy; and that its entry is a deposit of exactly the anchored
// checkpoint (the court suite's content digest of its bytes) by one of
// the court's member nodes (a log key of the court policy). The two
// networks may be of different suites.
func VerifyComposed(platform, court *policy.Policy, c *Composed, ev receipt.Evidence) (*Proven, error) {
	fail := func(check receipt.Check, format string, args ...any) error {
		return &receipt.CheckError{Check: check, Err: fmt.Errorf(format, args...)}
	}
	pr, err := receipt.Parse(c.Platform)
	if err != nil {
		return nil, &receipt.CheckError{Check: CheckPlatform, Err: err}
	}
	cr, err := receipt.Parse(c.Court)
	if err != nil {
		return nil, &receipt.CheckError{Check: CheckCourt, Err: err}
	}
	// The three signed parts are independent until they are compared, and
	// their signatures are nearly all the cost: they are checked at once,
	// and their failures reported in the order of the checks.
	var (
		wg          sync.WaitGroup
		anchoredRes *policy.Result
		anchoredErr error
		cp          *receipt.Proven
		courtErr    error
	)
	sameAsReceipts := bytes.Equal(c.Anchored, pr.Checkpoint)
	if !sameAsReceipts {
		wg.Go(func() { anchoredRes, anchoredErr = platform.Verify(c.Anchored) })
	}
	wg.Go(func() { cp, courtErr = verifyCourt(platform, court, cr, c.Anchored) })
	pp, platformErr := receipt.Verify(platform, pr, ev)
	wg.Wait()

	if platformErr != nil {
		return nil, &receipt.CheckError{Check: CheckPlatform, Err: platformErr}
	}
	cs := pp.Suite
	// The receipt's own checkpoint anchored: the same bytes under the
	// same policy, verified once above.
	anchored, anchoredCosigners := pp.Checkpoint, pp.Cosigners
	if !sameAsReceipts {
		if anchoredErr != nil {
			return nil, fail(CheckAnchored, "under the platform policy: %w", anchoredErr)
		}
		anchored, anchoredCosigners = anchoredRes.Checkpoint, anchoredRes.Cosigners
	}
	if anchored.Origin != pp.Origin() {
		return nil, fail(CheckAnchored, "it is of the log %q, the receipt of %q", anchored.Origin, pp.Origin())
	}

	old := pp.Checkpoint
	if c.OldSize != old.Size || c.NewSize != anchored.Size {
		return nil, fail(CheckConsistency, "the proof is from size %d to %d, the receipt's checkpoint is of size %d and the anchored one of %d", c.OldSize, c.NewSize, old.Size, anchored.Size)
	}
	if anchored.Size < old.Size {
		return nil, fail(CheckConsistency, "the anchored checkpoint (size %d) is older than the receipt's (size %d): it does not cover the deposit", anchored.Size, old.Size)
	}
	if err := tlog.VerifyConsistency(cs.LogHasher(), old.Size, anchored.Size, c.Proof, old.Hash, anchored.Hash); err != nil {
		return nil, fail(CheckConsistency, "the receipt's tree of size %d is not a prefix of the anchored tree of size %d: %w", old.Size, anchored.Size, err)
	}

	if courtErr != nil {
		return nil, courtErr
	}
	return &Proven{Platform: pp, Anchored: anchored, AnchoredCosigners: anchoredCosigners, Court: cp}, nil
}

// verifyCourt checks the court receipt cr under the court policy, and
// that its entry is a deposit of exactly the anchored checkpoint by a
// court member node.
func verifyCourt(platform, court *policy.Policy, cr *receipt.Receipt, anchored []byte) (*receipt.Proven, error) {
	if court.Suite() != nil && court.Origin() == platform.Origin() {
		return nil, &receipt.CheckError{Check: CheckCourt, Err: fmt.Errorf("the court policy is the platform's (%q): a network does not anchor into itself; pass the court network's policy", court.Origin())}
	}
	return VerifyEntry(court, cr, anchored)
}

// VerifyEntry checks a court's receipt of an anchor entry under the
// court's policy: the entry is a deposit of exactly the anchor record (the
// anchored checkpoint's bytes), made with the log key of a court member
// node. It returns what the receipt proves (the anchor number is its
// index).
func VerifyEntry(court *policy.Policy, cr *receipt.Receipt, record []byte) (*receipt.Proven, error) {
	fail := func(check receipt.Check, format string, args ...any) error {
		return &receipt.CheckError{Check: check, Err: fmt.Errorf(format, args...)}
	}
	ccs := court.Suite()
	if ccs == nil {
		return nil, fail(CheckCourt, "the court policy's keys are of no known suite")
	}
	alg, err := deposit.ParseAlgorithm(ccs.ContentDigest())
	if err != nil {
		return nil, fail(CheckCourt, "the court suite's content digest: %w", err)
	}
	sum := ccs.Hash(record)
	cp, err := receipt.Verify(court, cr, receipt.Evidence{Digests: []deposit.Digest{{Algorithm: alg, Value: sum[:]}}})
	var ce *receipt.CheckError
	switch {
	case errors.As(err, &ce) && ce.Check == receipt.CheckContent:
		return nil, fail(CheckAnchorEntry, "the court entry is not a deposit of this anchored checkpoint: %w", err)
	case err != nil:
		return nil, &receipt.CheckError{Check: CheckCourt, Err: err}
	}
	if !court.IsLogKey(cp.Leaf.Depositor) {
		return nil, fail(CheckAnchorEntry, "the court entry #%d was deposited by a key that is no log key of the court policy: not an anchor made by a court node", cp.Leaf.Index)
	}
	return cp, nil
}
