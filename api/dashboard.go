package api

import "time"

// The documents of the dashboard's endpoints, for an institution's
// auditors and admins: counts of deposits, the ledger explorer (blocks,
// final checkpoints, the growth of the tree) and the validators.

// MediaTypesScope is what Stats.MediaTypesScope says: a deposit's media
// type is in its metadata opening, which only the node it was deposited
// through holds.
const MediaTypesScope = "deposits through this node"

// MediaTypesHidden is what Stats.MediaTypesScope says to the staff of
// another institution, who see no media types: they come from this
// institution's private metadata openings.
const MediaTypesHidden = "shown only to this institution's staff"

// Stats answers GET /v1/stats: the deposits certified on the UTC days
// From to To, counted.
type Stats struct {
	// From and To are the first and last day counted (YYYY-MM-DD, UTC).
	From string `json:"from"`
	To   string `json:"to"`
	// TreeSize is the size of the tree counted: the latest final
	// checkpoint's when the node answered.
	TreeSize uint64 `json:"tree_size"`
	// Total is the number of deposits certified in the range.
	Total uint64 `json:"total"`
	// PerDay has every day of the range, those without deposits too.
	PerDay []DayCount `json:"per_day"`
	// MediaTypes counts the deposits of the range made through this node
	// by media type (MediaTypesScope); MediaTypesUnknown is the number of
	// the others, whose opening this node does not hold.
	MediaTypes        []Count `json:"media_types"`
	MediaTypesScope   string  `json:"media_types_scope"`
	MediaTypesUnknown uint64  `json:"media_types_unknown"`
	// Institutions counts by the institution of the depositor's account
	// (an institution's node deposits its own access-trail records).
	Institutions []Count `json:"institutions"`
	// AccountKinds counts by the kind of the depositor's account:
	// individual, enterprise, staff, or "node" for the access-trail
	// records nodes deposit.
	AccountKinds []Count `json:"account_kinds"`
}

// DayCount is the number of deposits certified on a UTC day.
type DayCount struct {
	Date  string `json:"date"`
	Count uint64 `json:"count"`
}

// Count is the number of deposits with one value of a property, largest
// count first.
type Count struct {
	Key   string `json:"key"`
	Count uint64 `json:"count"`
}

// Block is a committed block as the node recorded it.
type Block struct {
	Height uint64    `json:"height"`
	Time   time.Time `json:"time"`
	Txs    int       `json:"txs"`
	// Deposits entered the log in this block, certified at its time;
	// Ordered were ordered by it and enter the log in the next block.
	Deposits int `json:"deposits"`
	Ordered  int `json:"ordered"`
	// TreeSize is the size of the tree after the block; FinalSize that of
	// the latest final checkpoint, and Finalized is set when this block
	// made it final.
	TreeSize  uint64 `json:"tree_size"`
	FinalSize uint64 `json:"final_size"`
	Finalized bool   `json:"finalized"`
	// AppHash is the application state's hash after the block (upper-case
	// hex, as CometBFT shows it in the next block's header).
	AppHash string `json:"app_hash"`
	// LastCommitSigners are the members whose precommit for the previous
	// block this block carries.
	LastCommitSigners []string `json:"last_commit_signers"`
}

// BlockList answers GET /v1/explorer/blocks: newest first.
type BlockList struct {
	Blocks []Block `json:"blocks"`
	// More is set when older blocks follow; Next is then the ?before= of
	// the next page.
	More bool    `json:"more"`
	Next *uint64 `json:"next,omitempty"`
}

// FinalCheckpoint is a checkpoint cosigned by a quorum of validators.
type FinalCheckpoint struct {
	Size     uint64 `json:"size"`
	RootHash []byte `json:"root_hash"`
	// Time is when the last of its cosigners signed it (whole seconds).
	Time time.Time `json:"time,omitzero"`
	// Checkpoint is the signed note, with every signature.
	Checkpoint   string        `json:"checkpoint"`
	Cosignatures []Cosignature `json:"cosignatures"`
	// Timestamped is set when this node keeps an RFC 3161 token of the
	// checkpoint from its institution's time-stamping authority;
	// TimeStamp then describes it.
	Timestamped bool       `json:"timestamped"`
	TimeStamp   *TimeStamp `json:"timestamp,omitempty"`
}

// Cosignature is one member's timestamped cosignature of a checkpoint.
type Cosignature struct {
	Institution string    `json:"institution"`
	Time        time.Time `json:"time"`
}

// TimeStamp is an RFC 3161 token the node keeps, as it reads.
type TimeStamp struct {
	GenTime time.Time `json:"gen_time"`
	// TSASerial is the serial number of the time-stamping certificate
	// that signed it (hex, as GET /v1/pki lists it), TSA its subject's
	// common name.
	TSASerial string `json:"tsa_serial"`
	TSA       string `json:"tsa"`
}

// CheckpointList answers GET /v1/explorer/checkpoints: the largest tree
// first.
type CheckpointList struct {
	Checkpoints []FinalCheckpoint `json:"checkpoints"`
	// More is set when smaller ones follow; Next is then the ?before= of
	// the next page.
	More bool    `json:"more"`
	Next *uint64 `json:"next,omitempty"`
}

// Growth answers GET /v1/explorer/growth: the size of the tree over the
// chain's life, at evenly spaced times from its first deposit to its
// latest final one.
type Growth struct {
	TreeSize uint64        `json:"tree_size"`
	Points   []GrowthPoint `json:"points"`
}

// GrowthPoint is the size of the tree at a time: every deposit certified
// until then.
type GrowthPoint struct {
	Time     time.Time `json:"time"`
	TreeSize uint64    `json:"tree_size"`
}

// ValidatorList answers GET /v1/validators.
type ValidatorList struct {
	// LastBlock is the block whose commit signatures SignedLastBlock
	// reports: the one before the latest, whose commit the latest block
	// carries. Zero when the node has no record of it.
	LastBlock  uint64            `json:"last_block"`
	Validators []ValidatorHealth `json:"validators"`
}

// ValidatorHealth is a member institution with voting power as this node
// sees it.
type ValidatorHealth struct {
	Institution string `json:"institution"`
	Kind        string `json:"kind"`
	Power       int64  `json:"power"`
	// API is the URL of its API, from its member card.
	API string `json:"api,omitempty"`
	// SignedLastBlock reports whether its precommit for LastBlock is in
	// the chain; null when the node has no record of that block.
	SignedLastBlock *bool `json:"signed_last_block"`
	// CosignedSize is the tree size of the latest final checkpoint it
	// cosigned, CosignedAt when; zero if none of the latest 1,000 carries
	// its cosignature.
	CosignedSize uint64    `json:"cosigned_size"`
	CosignedAt   time.Time `json:"cosigned_at,omitzero"`
	Health       Health    `json:"health"`
}

// Health states of a member's API.
const (
	HealthOK          = "healthy"
	HealthFailing     = "unhealthy"
	HealthUnreachable = "unreachable"
	HealthUnknown     = "unknown"
)

// Health is the result of this node's probe of a member's API
// (GET <api>/healthz), which it repeats at most every 10 seconds.
type Health struct {
	Status    string    `json:"status"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// Message says what failed and what to check.
	Message string `json:"message,omitempty"`
}
