// Package receipt makes and checks deposit receipts: C2SP tlog-proof files
// whose extra data is exactly the leaf's canonical bytes. A receipt plus
// the trust policy prove, offline, that this content digest was signed by
// this depositor and certified at this time at this index of this log.
package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
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
	if leaf, err := deposit.ParseLeaf(r.Leaf); err == nil && !sc.SignatureVerified {
		if err := suiteOfLeaf(cs, leaf); err != nil {
			return nil, &CheckError{CheckSuite, err}
		}
	}
	res, err := checkpoint(r.Checkpoint)
	if err != nil {
		return nil, &CheckError{CheckCheckpoint, err}
	}
	cp := res.Checkpoint
	leaf, err := deposit.ParseLeaf(r.Leaf)
	if err != nil {
		return nil, &CheckError{CheckEntry, err}
	}
	if leaf.Index != r.Index {
		return nil, &CheckError{CheckEntry, fmt.Errorf("leaf says index %d, receipt says %d", leaf.Index, r.Index)}
	}
	if err := leaf.CheckSuite(cs); err != nil {
		return nil, &CheckError{CheckEntry, err}
	}
	h := cs.LogHasher()
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
