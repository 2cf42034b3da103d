// Package receipt makes and checks deposit receipts: C2SP tlog-proof files
// whose extra data is exactly the leaf's canonical bytes. A receipt plus
// the trust policy prove, offline, that this content digest was signed by
// this depositor and certified at this time at this index of this log.
package receipt

import (
	"bytes"
	"errors"
	"fmt"
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

// Evidence is what the verifier holds besides the receipt: the digest it
// computed of the file, and the metadata opening if it has one.
type Evidence struct {
	// SHA256 is the SHA-256 of the file; nil skips the content check.
	SHA256  []byte
	Opening *deposit.Opening
}

// Verify runs every check of r against the policy, offline.
func Verify(cs *suite.Suite, pol *policy.Policy, r *Receipt, ev Evidence) (*Proven, error) {
	res, err := pol.Verify(r.Checkpoint)
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
	h := cs.LogHasher()
	if err := mproof.VerifyInclusion(h, r.Index, cp.Size, h.HashLeaf(r.Leaf), r.Proof, cp.Hash); err != nil {
		return nil, &CheckError{CheckInclusion, fmt.Errorf("entry %d is not in the tree of size %d: %w", r.Index, cp.Size, err)}
	}
	// A weak key would let anyone have made the signature, and its holder
	// deny it: the deposit proves nothing about who made it.
	if err := cs.Signature().CheckPublicKey(leaf.Depositor); err != nil {
		return nil, &CheckError{CheckSignature, fmt.Errorf("the depositor key: %w", err)}
	}
	if !leaf.Verify(cs, cp.Origin) {
		return nil, &CheckError{CheckSignature, errors.New("the depositor's signature does not verify")}
	}
	p := &Proven{Leaf: leaf, Checkpoint: cp, Cosigners: res.Cosigners}
	if ev.SHA256 != nil && !bytes.Equal(ev.SHA256, leaf.SHA256()) {
		return nil, &CheckError{CheckContent, fmt.Errorf("file SHA-256 %x differs from the deposited %x", ev.SHA256, leaf.SHA256())}
	}
	if ev.Opening != nil {
		// Wellformed, not Validate: an opening committed before the
		// usertext rules still proves its metadata; printers escape it.
		if err := ev.Opening.Wellformed(); err != nil {
			return nil, &CheckError{CheckMetadata, err}
		}
		if ev.Opening.Commitment(cs) != leaf.MetadataCommitment {
			return nil, &CheckError{CheckMetadata, errors.New("the metadata does not match the commitment in the entry")}
		}
		p.Metadata = &ev.Opening.Metadata
	}
	return p, nil
}
