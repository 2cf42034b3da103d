// Package receipt makes and checks deposit receipts: C2SP tlog-proof files
// whose extra data is exactly the leaf's canonical bytes. A receipt plus
// the trust policy prove, offline, that this content digest was signed by
// this depositor and certified at this time at this index of this log.
package receipt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/formats/proof"
	mproof "github.com/transparency-dev/merkle/proof"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// MaxSize bounds a receipt file. A proof has at most 64 hashes and the
// checkpoint a few hundred bytes per cosignature.
const MaxSize = 256 << 10

// FileExtension is the conventional suffix of receipt files.
const FileExtension = ".tlog-proof"

// Receipt is a parsed tlog-proof.
type Receipt struct {
	Index      uint64
	Proof      [][]byte
	Checkpoint []byte
	// Leaf is the leaf's canonical encoding (the proof's extra data).
	Leaf []byte
}

// Format encodes r as a tlog-proof.
func (r *Receipt) Format() []byte {
	p := proof.TLogProof{Index: r.Index, Checkpoint: r.Checkpoint, ExtraData: r.Leaf}
	for _, h := range r.Proof {
		p.Hashes = append(p.Hashes, [suite.HashSize]byte(h))
	}
	return p.Marshal()
}

// Parse reads a tlog-proof. It accepts only the canonical encoding (what
// Format writes), so a receipt has one spelling.
func Parse(b []byte) (*Receipt, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("receipt is %d bytes, at most %d", len(b), MaxSize)
	}
	// A package verifier parses tens of thousands of receipts: the usual
	// shape is read in one pass, and anything else (a refusal included)
	// takes the general path, which alone writes the errors.
	if r, ok := parseCanonical(b); ok {
		return r, nil
	}
	return parseGeneral(b)
}

// parseGeneral is Parse by the tlog-proof reader and a canonical round
// trip.
func parseGeneral(b []byte) (*Receipt, error) {
	var p proof.TLogProof
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("parsing receipt: %w", err)
	}
	if p.ExtraData == nil {
		return nil, errors.New("parsing receipt: no extra line carrying the leaf")
	}
	r := &Receipt{Index: p.Index, Checkpoint: p.Checkpoint, Leaf: p.ExtraData}
	for _, h := range p.Hashes {
		r.Proof = append(r.Proof, bytes.Clone(h[:]))
	}
	if !bytes.Equal(r.Format(), b) {
		return nil, errors.New("parsing receipt: not in canonical tlog-proof form")
	}
	return r, nil
}

// canonicalLine bounds the lines parseCanonical reads, far below the
// 64 KiB at which the tlog-proof reader's line scanner gives up: a longer
// line takes the general path, which refuses it as that reader does.
const canonicalLine = 16 << 10

// parseCanonical reads b when it is exactly what Format writes of a
// receipt with a leaf and a non-empty checkpoint, and reports false for
// anything else, so that whatever it accepts parseGeneral accepts with
// the same result. Every field is compared with its canonical spelling:
// base64 re-encoded, the index formatted back, checkpoint lines ending in
// "\n" with no "\r" before it (the line scanner would drop it).
func parseCanonical(b []byte) (*Receipt, bool) {
	const header = "c2sp.org/tlog-proof@v1\n"
	rest, ok := bytes.CutPrefix(b, []byte(header))
	if !ok {
		return nil, false
	}
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 || i >= canonicalLine {
			return nil, false
		}
		l := rest[:i]
		rest = rest[i+1:]
		return l, true
	}
	l, ok := line()
	if !ok {
		return nil, false
	}
	enc, ok := bytes.CutPrefix(l, []byte("extra "))
	if !ok || len(enc) == 0 {
		return nil, false
	}
	leaf := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Decode(leaf, enc)
	if err != nil || base64.StdEncoding.EncodedLen(n) != len(enc) {
		return nil, false
	}
	leaf = leaf[:n:n]
	var scratch [512]byte
	re := scratch[:0]
	if len(enc) > len(scratch) {
		re = make([]byte, 0, len(enc))
	}
	if re = base64.StdEncoding.AppendEncode(re, leaf); !bytes.Equal(re, enc) {
		return nil, false
	}
	if l, ok = line(); !ok {
		return nil, false
	}
	digits, ok := bytes.CutPrefix(l, []byte("index "))
	if !ok {
		return nil, false
	}
	index, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil || !bytes.Equal(strconv.AppendUint(scratch[:0], index, 10), digits) {
		return nil, false
	}
	// Hash lines up to the blank line, each 44 characters of base64.
	const hashLine = 44
	var hashes []byte
	for {
		if l, ok = line(); !ok {
			return nil, false
		}
		if len(l) == 0 {
			break
		}
		// Decode may write DecodedLen(44) = 33 bytes.
		var h [suite.HashSize + 1]byte
		if len(l) != hashLine {
			return nil, false
		}
		if n, err := base64.StdEncoding.Decode(h[:], l); err != nil || n != suite.HashSize {
			return nil, false
		}
		if re := base64.StdEncoding.AppendEncode(scratch[:0], h[:suite.HashSize]); !bytes.Equal(re, l) {
			return nil, false
		}
		hashes = append(hashes, h[:suite.HashSize]...)
	}
	// The checkpoint: the line scanner keeps every line but a final "\r"
	// and ends each with "\n".
	if len(rest) == 0 || rest[len(rest)-1] != '\n' || bytes.Contains(rest, []byte("\r\n")) {
		return nil, false
	}
	for cp := rest; len(cp) > 0; {
		i := bytes.IndexByte(cp, '\n')
		if i >= canonicalLine {
			return nil, false
		}
		cp = cp[i+1:]
	}
	r := &Receipt{Index: index, Checkpoint: bytes.Clone(rest), Leaf: leaf}
	if len(hashes) > 0 {
		r.Proof = make([][]byte, len(hashes)/suite.HashSize)
		for i := range r.Proof {
			r.Proof[i] = hashes[i*suite.HashSize : (i+1)*suite.HashSize : (i+1)*suite.HashSize]
		}
	}
	return r, true
}

// Check names one step of verification.
type Check string

// The verification steps, in order.
const (
	CheckSuite      Check = "crypto suite"
	CheckCheckpoint Check = "checkpoint signatures"
	CheckEntry      Check = "entry"
	CheckInclusion  Check = "inclusion proof"
	CheckSignature  Check = "depositor signature"
	CheckContent    Check = "content digest"
	CheckMetadata   Check = "metadata opening"
)

// CheckError reports which check failed.
type CheckError struct {
	Check Check
	Err   error
}

func (e *CheckError) Error() string { return fmt.Sprintf("%s: %v", e.Check, e.Err) }
func (e *CheckError) Unwrap() error { return e.Err }

// Proven is what a receipt establishes once every check passed.
type Proven struct {
	// Suite is the crypto suite of the network, the policy's.
	Suite      *suite.Suite
	Leaf       *deposit.Leaf
	Checkpoint log.Checkpoint
	Cosigners  []string
	// Metadata is set when an opening was supplied and matched.
	Metadata *deposit.Metadata
}

// Origin is the log the deposit is in.
func (p *Proven) Origin() string { return p.Checkpoint.Origin }

// CertifiedTime is the block time the validators agreed for the deposit.
func (p *Proven) CertifiedTime() time.Time { return p.Leaf.Time }

// Evidence is what the verifier holds besides the receipt: the digests it
// computed of the file, and the metadata opening if it has one.
type Evidence struct {
	// Digests are digests of the file (see ContentDigests); each must
	// equal the deposit's digest of the same algorithm. None skips the
	// content check.
	Digests []deposit.Digest
	Opening *deposit.Opening
}

// ContentDigests reads r once and returns its digests with each of the
// named algorithms ("sha256", "sm3").
func ContentDigests(r io.Reader, algs ...string) ([]deposit.Digest, error) {
	hs := make([]hash.Hash, len(algs))
	ws := make([]io.Writer, len(algs))
	out := make([]deposit.Digest, len(algs))
	for i, name := range algs {
		alg, err := deposit.ParseAlgorithm(name)
		if err != nil {
			return nil, err
		}
		h, err := suite.NewContentHash(name)
		if err != nil {
			return nil, err
		}
		hs[i], ws[i] = h, h
		out[i].Algorithm = alg
	}
	if _, err := io.Copy(io.MultiWriter(ws...), r); err != nil {
		return nil, fmt.Errorf("reading the content: %w", err)
	}
	for i, h := range hs {
		out[i].Value = h.Sum(nil)
	}
	return out, nil
}

// suiteOfLeaf refuses a leaf whose depositor key is not of the policy's
// suite but is a key of another suite: the receipt comes from a network
// of that suite. A key of no suite is left to the signature check.
func suiteOfLeaf(cs *suite.Suite, leaf *deposit.Leaf) error {
	if cs.Signature().CheckPublicKey(leaf.Depositor) == nil {
		return nil
	}
	for _, o := range suite.All() {
		if o.Name() != cs.Name() && o.Signature().CheckPublicKey(leaf.Depositor) == nil {
			return fmt.Errorf("the receipt's leaf carries an %s depositor key, a key of the %s suite, and the policy is of the %s suite: the receipt is of another network or was altered", o.Signature().Name(), o, cs)
		}
	}
	return nil
}

// Verify runs every check of r against the policy, offline, in the
// policy's suite.
func Verify(pol *policy.Policy, r *Receipt, ev Evidence) (*Proven, error) {
	return VerifyWith(pol, r, ev, Shortcuts{})
}

// Shortcuts let a verifier of many receipts of one log share work.
type Shortcuts struct {
	// Checkpoint, when set, checks the checkpoint instead of pol.Verify:
	// it remembers each checkpoint's result, or tries the policies in
	// force earlier.
	Checkpoint func([]byte) (*policy.Result, error)
	// SignatureVerified says the caller checked the leaf's depositor key
	// (CheckPublicKey) and verified its signature for the policy's log
	// itself, in a batch.
	SignatureVerified bool
}

// VerifyWith is Verify with shortcuts; pol still gives the suite.
func VerifyWith(pol *policy.Policy, r *Receipt, ev Evidence, sc Shortcuts) (*Proven, error) {
	checkpoint := sc.Checkpoint
	if checkpoint == nil {
		checkpoint = pol.Verify
	}
	cs := pol.Suite()
	if cs == nil {
		return nil, &CheckError{CheckSuite, errors.New("the policy's keys are of no known suite")}
	}
	// The suite is checked first so that a receipt of another suite's
	// network is reported as such, not as a checkpoint signed by unknown
	// keys (their key IDs cannot match the policy's: a key ID hashes the
	// signature type along with the key).
	leaf, leafErr := deposit.ParseLeaf(r.Leaf)
	if leafErr == nil && !sc.SignatureVerified {
		if err := suiteOfLeaf(cs, leaf); err != nil {
			return nil, &CheckError{CheckSuite, err}
		}
	}
	res, err := checkpoint(r.Checkpoint)
	if err != nil {
		return nil, &CheckError{CheckCheckpoint, err}
	}
	cp := res.Checkpoint
	if leafErr != nil {
		return nil, &CheckError{CheckEntry, leafErr}
	}
	if leaf.Index != r.Index {
		return nil, &CheckError{CheckEntry, fmt.Errorf("leaf says index %d, receipt says %d", leaf.Index, r.Index)}
	}
	if err := leaf.CheckSuite(cs); err != nil {
		return nil, &CheckError{CheckEntry, err}
	}
	h := newTreeHasher(cs, len(r.Proof)+1)
	if err := mproof.VerifyInclusion(h, r.Index, cp.Size, h.HashLeaf(r.Leaf), r.Proof, cp.Hash); err != nil {
		return nil, &CheckError{CheckInclusion, fmt.Errorf("entry %d is not in the tree of size %d: %w", r.Index, cp.Size, err)}
	}
	// A weak key would let anyone have made the signature, and its holder
	// deny it: the deposit proves nothing about who made it.
	// A caller that batch-verified the signature checked the key too.
	if !sc.SignatureVerified || cp.Origin != pol.Origin() {
		if err := cs.Signature().CheckPublicKey(leaf.Depositor); err != nil {
			return nil, &CheckError{CheckSignature, fmt.Errorf("the depositor key: %w", err)}
		}
		if !leaf.Verify(cs, cp.Origin) {
			return nil, &CheckError{CheckSignature, errors.New("the depositor's signature does not verify")}
		}
	}
	p := &Proven{Suite: cs, Leaf: leaf, Checkpoint: cp, Cosigners: res.Cosigners}
	for _, got := range ev.Digests {
		want := digestOf(leaf, got.Algorithm)
		if want == nil {
			return nil, &CheckError{CheckContent, fmt.Errorf("the deposit carries no %s digest to compare the file's with", got.Algorithm)}
		}
		if !bytes.Equal(got.Value, want) {
			return nil, &CheckError{CheckContent, fmt.Errorf("file %s %x differs from the deposited %x", got.Algorithm, got.Value, want)}
		}
	}
	if ev.Opening != nil {
		// Wellformed, not Validate: an opening committed before the
		// usertext rules still proves its metadata; printers escape it.
		if err := ev.Opening.Wellformed(); err != nil {
			return nil, &CheckError{CheckMetadata, err}
		}
		if s := ev.Opening.Suite; s != "" && s != cs.Name() {
			named := s
			if o, err := suite.ByName(s); err == nil {
				named = o.String()
			}
			return nil, &CheckError{CheckMetadata, fmt.Errorf("the metadata opening is of the %s suite, the policy of the %s suite", named, cs)}
		}
		if ev.Opening.Commitment(cs) != leaf.MetadataCommitment {
			return nil, &CheckError{CheckMetadata, errors.New("the metadata does not match the commitment in the entry")}
		}
		p.Metadata = &ev.Opening.Metadata
	}
	return p, nil
}

// treeHasher is the suite's RFC 6962 tree hash (cs.LogHasher) with one
// hash state for a whole inclusion proof and the results cut from one
// buffer, instead of a state and a result allocated per node: a package
// verifier checks tens of thousands of proofs. Not for concurrent use.
type treeHasher struct {
	h      hash.Hash
	prefix [1]byte
	out    []byte
}

func newTreeHasher(cs *suite.Suite, nodes int) *treeHasher {
	h := cs.NewHash()
	return &treeHasher{h: h, out: make([]byte, 0, nodes*h.Size())}
}

// sum appends the hash to out and returns it; earlier results stay as
// they are (append moves out, never them).
func (t *treeHasher) sum() []byte {
	n := len(t.out)
	t.out = t.h.Sum(t.out)
	return t.out[n:len(t.out):len(t.out)]
}

func (t *treeHasher) EmptyRoot() []byte {
	t.h.Reset()
	return t.sum()
}

func (t *treeHasher) HashLeaf(leaf []byte) []byte {
	t.h.Reset()
	t.prefix[0] = 0
	t.h.Write(t.prefix[:])
	t.h.Write(leaf)
	return t.sum()
}

func (t *treeHasher) HashChildren(l, r []byte) []byte {
	t.h.Reset()
	t.prefix[0] = 1
	t.h.Write(t.prefix[:])
	t.h.Write(l)
	t.h.Write(r)
	return t.sum()
}

func (t *treeHasher) Size() int { return t.h.Size() }

// digestOf returns the leaf's digest with algorithm alg, nil if it has
// none.
func digestOf(leaf *deposit.Leaf, alg deposit.Algorithm) []byte {
	for _, d := range leaf.Digests {
		if d.Algorithm == alg {
			return d.Value
		}
	}
	return nil
}
