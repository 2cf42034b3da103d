// Package api defines the JSON documents of Jurichain's HTTP API, shared by
// the server (package httpapi) and the Go client (package client), and the
// conversion between a deposit request and the signed statement it carries.
package api

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// MaxBatch is the largest number of deposits one request may carry.
const MaxBatch = 10_000

// Deposit is one deposit request: the signed statement's fields plus the
// metadata opening in clear (which stays with the node, off the ledger).
type Deposit struct {
	// Digests maps an algorithm name ("sha256", "sm3", "sha512") to the
	// hex digest of the content. The network suite's content digest
	// (sha256, or sm3 on a GM network) is required.
	Digests map[string]string `json:"digests"`
	// Size is the content length in bytes.
	Size uint64 `json:"size"`
	deposit.Metadata
	// Salt is the 32-byte metadata salt (base64).
	Salt []byte `json:"salt"`
	// DepositorKey is the depositor's public key (base64).
	DepositorKey []byte `json:"depositor_key"`
	// IdempotencyKey names the deposit for its depositor; it is public.
	IdempotencyKey string `json:"idempotency_key"`
	// Signature is the depositor's signature over the statement's signing
	// message (base64).
	Signature []byte `json:"signature"`
}

// SubmitRequest is the body of POST /v1/deposits: either one Deposit, or a
// batch under "deposits".
type SubmitRequest struct {
	Deposits []Deposit `json:"deposits,omitempty"`
	Deposit
}

// Deposit statuses.
const (
	StatusPending   = "pending"
	StatusCommitted = "committed"
	StatusRejected  = "rejected"
)

// Result is the state of one deposit.
type Result struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Reason says why a deposit was rejected.
	Reason string `json:"reason,omitempty"`
	// Index is the deposit number: its leaf index in the log.
	Index *uint64 `json:"index,omitempty"`
	// Height is the block that committed the deposit.
	Height uint64 `json:"height,omitempty"`
	// Time is the certified time: the block time agreed by the validators.
	Time *time.Time `json:"time,omitempty"`
	// Receipt is the deposit's tlog-proof once committed: in answers to
	// GET /v1/deposits/{id}, and to a submission asked for ?receipts=true.
	Receipt string `json:"receipt,omitempty"`
	// CheckpointTimestamp is the RFC 3161 token (DER) that the node's
	// time-stamping authority gave the receipt's checkpoint: its imprint
	// is the hash (SHA-256, or SM3 on a GM network) of the checkpoint's
	// text, so it bounds the deposit's time from above. A certificate
	// carries it with the institution's certificates to check it.
	CheckpointTimestamp []byte `json:"checkpoint_timestamp,omitempty"`
}

// SubmitResponse answers a batch submission, one result per deposit in
// request order.
type SubmitResponse struct {
	Results []Result `json:"results"`
}

// Entry is a committed log entry, decoded.
type Entry struct {
	Digests            map[string]string `json:"digests"`
	Size               uint64            `json:"size"`
	MetadataCommitment string            `json:"metadata_commitment"`
	DepositorKey       []byte            `json:"depositor_key"`
	IdempotencyKey     string            `json:"idempotency_key"`
	Signature          []byte            `json:"signature"`
	// Leaf is the canonical leaf encoding (base64).
	Leaf []byte `json:"leaf"`
}

// DepositInfo answers GET /v1/deposits/{id}.
type DepositInfo struct {
	Result
	Entry  *Entry `json:"entry,omitempty"`
	TxHash string `json:"tx_hash,omitempty"`
}

// DepositList answers GET /v1/deposits?sha256= (?sm3= on a GM network):
// one page of deposits.
type DepositList struct {
	Deposits []DepositInfo `json:"deposits"`
	// More is set when deposits follow this page; Next is then the
	// ?after= of the next page (the log index of this page's last).
	More bool    `json:"more"`
	Next *uint64 `json:"next,omitempty"`
}

// Proof answers the proof endpoints: base64 hashes, leaf side first.
type Proof struct {
	Hashes [][]byte `json:"hashes"`
}

// Status answers GET /v1/status.
type Status struct {
	Origin string `json:"origin"`
	Suite  string `json:"suite"`
	// Institution is the member that runs this node.
	Institution string `json:"institution"`
	Height      uint64 `json:"height"`
	// TreeSize, RootHash and Checkpoint are those of the latest final
	// checkpoint (cosigned by a quorum of validators).
	TreeSize   uint64 `json:"tree_size"`
	RootHash   []byte `json:"root_hash"`
	Checkpoint string `json:"checkpoint"`
	// ReplicaSize is the size of this node's tree, which may be ahead of
	// the final checkpoint by the deposits awaiting cosignatures.
	ReplicaSize uint64 `json:"replica_size"`
	MempoolSize int    `json:"mempool_size"`
	Peers       int    `json:"peers"`
	// Validators are the network's members with voting power.
	Validators []Validator `json:"validators"`
}

// Validator is a member as a node sees it.
type Validator struct {
	Institution string `json:"institution"`
	// Kind is what body the institution is: court, notary, arbitration,
	// appraisal or enterprise.
	Kind  string `json:"kind"`
	Power int64  `json:"power"`
	API   string `json:"api,omitempty"`
	// CosignedSize is the tree size of the latest final checkpoint that
	// carries this validator's cosignature, and CosignedAt when it signed
	// it; both zero if none seen since the node started.
	CosignedSize uint64    `json:"cosigned_size"`
	CosignedAt   time.Time `json:"cosigned_at,omitzero"`
}

// Misbehaviour is recorded evidence that a member signed a checkpoint
// inconsistent with the ledger.
type Misbehaviour struct {
	// Kind is "equivocation" (a member signed a checkpoint inconsistent
	// with the ledger) or "fork" (an outside log signed a checkpoint
	// contradicting one this network anchored).
	Kind string `json:"kind"`
	// Origin is the outside log's, for a fork.
	Origin      string `json:"origin,omitempty"`
	Institution string `json:"institution"`
	// Size is the tree size both checkpoints describe.
	Size uint64 `json:"size"`
	// Height is the block that recorded the evidence.
	Height uint64 `json:"height"`
	// Theirs is the member's (or outside log's) signed checkpoint, Ours
	// the ledger's (or the anchored one).
	Theirs string `json:"theirs"`
	Ours   string `json:"ours"`
}

// SignedNote carries a signed note: a checkpoint offered as evidence, or a
// membership change signed by members.
type SignedNote struct {
	Note string `json:"note"`
}

// Error is every error response.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes.
const (
	CodeInvalid   = "invalid_request"
	CodeSignature = "bad_signature"
	CodeConflict  = "conflict"
	CodeNotFound  = "not_found"
	CodeTooLarge  = "too_large"
	CodeForbidden = "forbidden"
	// CodeUnauthenticated is a request without valid credentials (401).
	CodeUnauthenticated = "unauthenticated"
	// CodeUnavailable is a request the node cannot serve right now (503).
	CodeUnavailable = "unavailable"
	CodeInternal    = "internal"
	CodeNotAllowed  = "method_not_allowed"
	// CodeTooManyRequests is a request refused until the client slows
	// down (429), such as after wrong share codes.
	CodeTooManyRequests = "too_many_requests"
	// CodeUnsupportedMedia is a body of another Content-Type than the
	// endpoint reads (415).
	CodeUnsupportedMedia = "unsupported_media_type"
	// CodeNotWitnessed is a receipt asked for with ?witnessed=1 that no
	// checkpoint cosigned by every outside witness covers yet (409).
	CodeNotWitnessed = "not_witnessed"
	// CodeUnprocessable is a well-formed request that proves nothing,
	// such as a consistency proof that does not verify (422).
	CodeUnprocessable = "invalid"
	// CodeFork is an outside log's checkpoint that contradicts one this
	// network anchored: proof that the log forked (409).
	CodeFork = "fork"
)

// FieldError names the request field that is wrong, as a path such as
// "deposits[3].digests.sha256".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// prefixed is an error whose message already starts with a field name,
// placed under a path prefix ("deposits[3].").
type prefixed struct {
	prefix string
	err    error
}

func (e *prefixed) Error() string { return e.prefix + e.err.Error() }
func (e *prefixed) Unwrap() error { return e.err }

// Parse checks a deposit request and returns the signed statement it
// carries and its metadata opening. It does not check the signature.
// Errors are *FieldError naming the field, under prefix.
func (d *Deposit) Parse(prefix string) (*deposit.Signed, *deposit.Opening, error) {
	fe := func(field string, err error) error {
		if field == "" { // err already names the field
			return &prefixed{prefix: prefix, err: err}
		}
		return &FieldError{Field: prefix + field, Err: err}
	}
	s := &deposit.Signed{Statement: deposit.Statement{Size: d.Size, Depositor: d.DepositorKey, IdempotencyKey: d.IdempotencyKey}, Signature: d.Signature}
	if len(d.Digests) == 0 {
		return nil, nil, fe("digests", errors.New("required, with at least the network's content digest (sha256, or sm3 on a GM network)"))
	}
	if len(d.Digests) > deposit.MaxDigests {
		return nil, nil, fe("digests", fmt.Errorf("at most %d", deposit.MaxDigests))
	}
	for name, v := range d.Digests {
		a, err := deposit.ParseAlgorithm(name)
		if err != nil {
			return nil, nil, fe("digests."+name, err)
		}
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != a.Size() || hex.EncodeToString(b) != v {
			return nil, nil, fe("digests."+name, fmt.Errorf("need %d lowercase hex characters", 2*a.Size()))
		}
		s.Digests = append(s.Digests, deposit.Digest{Algorithm: a, Value: b})
	}
	sort.Slice(s.Digests, func(i, j int) bool { return s.Digests[i].Algorithm < s.Digests[j].Algorithm })
	if s.Digest(deposit.SHA256) == nil && s.Digest(deposit.SM3) == nil {
		// Which one is the suite's (CheckSuite).
		return nil, nil, fe("digests", errors.New("need a sha256 or sm3 content digest"))
	}
	o := &deposit.Opening{Metadata: d.Metadata, Salt: d.Salt}
	if len(d.Salt) != deposit.SaltSize {
		return nil, nil, fe("salt", fmt.Errorf("need %d bytes (base64), got %d", deposit.SaltSize, len(d.Salt)))
	}
	if err := o.Metadata.Validate(); err != nil {
		return nil, nil, fe("", err)
	}
	if len(d.DepositorKey) == 0 {
		return nil, nil, fe("depositor_key", errors.New("required"))
	}
	if err := deposit.ValidateIdempotencyKey(d.IdempotencyKey); err != nil {
		return nil, nil, fe("", err)
	}
	if len(d.Signature) == 0 {
		return nil, nil, fe("signature", errors.New("required"))
	}
	return s, o, nil
}

// CheckSuite checks the request against the network's suite: the content
// digest the suite addresses content by, and key and signature lengths.
// It does not decode the key: a depositor key must be a key of the
// depositor's account, checked (suite.SignatureScheme.CheckPublicKey) when
// it entered the ledger, and signature verification refuses a weak key
// too; decoding it here cost 5% of a node's CPU per deposit.
func (d *Deposit) CheckSuite(prefix string, cs *suite.Suite) error {
	if _, ok := d.Digests[cs.ContentDigest()]; !ok {
		return &FieldError{prefix + "digests." + cs.ContentDigest(), fmt.Errorf("required: this network's suite is %s, whose deposits carry a %s content digest", cs, cs.ContentDigest())}
	}
	sig := cs.Signature()
	if len(d.DepositorKey) != sig.PublicKeySize() {
		return &FieldError{prefix + "depositor_key", fmt.Errorf("need a %d-byte %s public key, got %d bytes", sig.PublicKeySize(), sig.Name(), len(d.DepositorKey))}
	}
	if len(d.Signature) == 0 || len(d.Signature) > sig.MaxSignatureSize() {
		return &FieldError{prefix + "signature", fmt.Errorf("need an %s signature of at most %d bytes, got %d bytes", sig.Name(), sig.MaxSignatureSize(), len(d.Signature))}
	}
	return nil
}

// NewDeposit builds the request for a signed statement and its opening.
func NewDeposit(s *deposit.Signed, o *deposit.Opening) Deposit {
	d := Deposit{
		Digests:        map[string]string{},
		Size:           s.Size,
		Metadata:       o.Metadata,
		Salt:           o.Salt,
		DepositorKey:   s.Depositor,
		IdempotencyKey: s.IdempotencyKey,
		Signature:      s.Signature,
	}
	for _, dg := range s.Digests {
		d.Digests[dg.Algorithm.String()] = hex.EncodeToString(dg.Value)
	}
	return d
}

// NewEntry describes a leaf.
func NewEntry(l *deposit.Leaf, leafBytes []byte) *Entry {
	e := &Entry{
		Digests:            map[string]string{},
		Size:               l.Size,
		MetadataCommitment: hex.EncodeToString(l.MetadataCommitment[:]),
		DepositorKey:       l.Depositor,
		IdempotencyKey:     l.IdempotencyKey,
		Signature:          l.Signature,
		Leaf:               leafBytes,
	}
	for _, dg := range l.Digests {
		e.Digests[dg.Algorithm.String()] = hex.EncodeToString(dg.Value)
	}
	return e
}
