package api

import "time"

// The documents of cross-chain anchoring: a court network accepts the
// checkpoints of outside logs registered by its members, and a platform
// network anchors its own checkpoints into upstream networks.

// Anchor is one anchored checkpoint of an outside log, as the court
// network recorded it: POST /v1/anchors answers it, GET
// /v1/anchors/{origin} and GET /v1/anchors/outbound list it.
type Anchor struct {
	// Origin, Size and RootHash are the anchored checkpoint's.
	Origin   string `json:"origin"`
	Size     uint64 `json:"size"`
	RootHash []byte `json:"root_hash"`
	// Number is the court ledger's index of the anchor entry: the
	// anchoring number a court cites.
	Number uint64 `json:"number"`
	// Deposit is the id of the anchor entry on the court ledger.
	Deposit       string    `json:"deposit"`
	CertifiedTime time.Time `json:"certified_time"`
	// CourtOrigin is the court network's origin.
	CourtOrigin string `json:"court_origin"`
	// Checkpoint is the anchor record: the outside log's signed
	// checkpoint exactly as received, the content of the anchor entry.
	Checkpoint string `json:"checkpoint"`
	// Receipt is the court's tlog-proof of the anchor entry.
	Receipt string `json:"receipt"`
}

// AnchoredLogs answers GET /v1/anchors/logs: the outside logs registered
// at this network.
type AnchoredLogs struct {
	// Version counts the outside-log changes applied so far; a change
	// is proposed for the current version.
	Version uint64        `json:"version"`
	Logs    []AnchoredLog `json:"logs"`
}

// AnchoredLog is one registered outside log.
type AnchoredLog struct {
	Origin string `json:"origin"`
	// Policy is the outside log's tlog-policy, as registered.
	Policy           string `json:"policy"`
	RegisteredHeight uint64 `json:"registered_height"`
	// Latest is the latest anchored checkpoint, nil before the first.
	Latest *LatestAnchor `json:"latest"`
	// Anchors is the number of checkpoints anchored.
	Anchors uint64 `json:"anchors"`
	// Retired logs take no more anchors; their anchors stay.
	Retired bool `json:"retired,omitempty"`
}

// LatestAnchor is the latest anchored checkpoint of an outside log.
type LatestAnchor struct {
	Size       uint64 `json:"size"`
	RootHash   []byte `json:"root_hash"`
	Checkpoint string `json:"checkpoint"`
	Number     uint64 `json:"number"`
	Height     uint64 `json:"height"`
}

// OutboundAnchors answers GET /v1/anchors/outbound: how this node anchors
// its network's checkpoints into upstream networks, and the anchors it
// holds.
type OutboundAnchors struct {
	Upstreams []Upstream `json:"upstreams"`
	// Anchors are the anchors this node stored, newest first.
	Anchors []Anchor `json:"anchors"`
}

// Upstream is one network this node anchors into.
type Upstream struct {
	URL string `json:"url"`
	// Origin is the upstream network's, empty until first reached.
	Origin       string `json:"origin"`
	AnchoredSize uint64 `json:"anchored_size"`
	// LastSuccess, LastError and NextAttempt describe the anchoring
	// loop: a node keeps trying, with backoff, while the upstream is
	// down.
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error,omitempty"`
	NextAttempt *time.Time `json:"next_attempt"`
	Anchors     uint64     `json:"anchors"`
}
