package api

import (
	"encoding/json"
	"time"

	"github.com/jurichain/jurichain/identity"
)

// InvitationRequest is the body of POST /v1/invitations.
type InvitationRequest struct {
	// ValidFor is how long the code may be used, such as "72h"; at most
	// 30 days, default 7 days.
	ValidFor string `json:"valid_for,omitempty"`
}

// Invitation is an invitation code, shown once.
type Invitation struct {
	Code        string    `json:"code"`
	Institution string    `json:"institution"`
	Expires     time.Time `json:"expires"`
}

// RegistrationRequest is the body of POST /v1/registrations: a depositor's
// registration, signed with the key it registers, with the real-name data
// and salt behind the commitment it carries.
type RegistrationRequest struct {
	Invitation string            `json:"invitation"`
	RealName   identity.RealName `json:"real_name"`
	// Salt is the commitment salt (base64, at least 16 bytes).
	Salt []byte `json:"salt"`
	// Note is the identity operation "register", a signed note.
	Note string `json:"note"`
}

// AccountInfo is an account as the ledger holds it, with its real-name
// data when the caller may see it and this node registered it.
type AccountInfo struct {
	*identity.Account
	RealName *identity.RealName `json:"real_name,omitempty"`
	// Applied is false when an operation was submitted but had not yet
	// taken effect when the server answered.
	Applied *bool `json:"applied,omitempty"`
}

// AccountList is the answer of GET /v1/accounts.
type AccountList struct {
	Accounts []AccountInfo `json:"accounts"`
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Label string `json:"label,omitempty"`
	// ValidFor is the token's lifetime, such as "720h"; at most a year,
	// default 90 days.
	ValidFor string `json:"valid_for,omitempty"`
}

// Token is a new API token, shown once.
type Token struct {
	Token string `json:"token"`
	// ID names the token in GET /v1/tokens and DELETE /v1/tokens/{id}.
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Expires time.Time `json:"expires"`
}

// TokenInfo describes an API token without its secret.
type TokenInfo struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Key is the account key that minted the token; the token stops
	// working when that key is revoked.
	Key []byte `json:"key"`
}

// TokenList is the answer of GET /v1/tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// ShareRequest is the body of POST /v1/deposits/{id}/shares.
type ShareRequest struct {
	// ValidFor is how long the share code works, such as "24h"; at most
	// 30 days, default 7 days.
	ValidFor string `json:"valid_for,omitempty"`
}

// Share is a share (extraction) code for a deposit's original, shown once.
type Share struct {
	Code string `json:"code"`
	// ID names the code in DELETE /v1/deposits/{id}/shares/{share}.
	ID      string    `json:"id"`
	Deposit string    `json:"deposit"`
	Expires time.Time `json:"expires"`
}

// ShareInfo describes a share code without the code.
type ShareInfo struct {
	ID      string    `json:"id"`
	Deposit string    `json:"deposit"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Key is the account key that issued the code (signing the request,
	// or having minted the API token used); Token is that token's id.
	Key   []byte `json:"key,omitempty"`
	Token string `json:"token,omitempty"`
	// Refused says why the code no longer opens the original (its key or
	// token was revoked, the account suspended, the code expired); empty
	// while it works.
	Refused string `json:"refused,omitempty"`
}

// ShareList is the answer of GET /v1/deposits/{id}/shares.
type ShareList struct {
	Shares []ShareInfo `json:"shares"`
}

// GrantRequest is the body of POST /v1/deposits/{id}/grants.
type GrantRequest struct {
	// Court is the court's institution name, a member of the network.
	Court string `json:"court"`
	// Case is the case number, as the court writes it.
	Case string `json:"case"`
}

// Grant is a deposit granted to a court case.
type Grant struct {
	Deposit string    `json:"deposit"`
	Court   string    `json:"court"`
	Case    string    `json:"case"`
	Granted time.Time `json:"granted"`
	// Trail is the access-trail deposit that records the grant.
	Trail *Result `json:"trail,omitempty"`
}

// CaseEvidence is the answer of GET /v1/cases/{court}/{case}: exactly the
// deposits granted to the case.
type CaseEvidence struct {
	Court    string        `json:"court"`
	Case     string        `json:"case"`
	Deposits []DepositInfo `json:"deposits"`
}

// OwnDeposits is the answer of GET /v1/account/deposits.
type OwnDeposits struct {
	Deposits []Result `json:"deposits"`
}

// TrailRecord is one access-trail record: what the node deposits on the
// ledger (as the exact JSON bytes of this document) when an original is
// read, uploaded, shared or granted, or a grant is revoked.
type TrailRecord struct {
	Type    string `json:"type"`
	Network string `json:"network"`
	// Node is the institution whose node served the access.
	Node   string `json:"node"`
	Action string `json:"action"`
	// Actor is the account (or node:<institution>) that acted.
	Actor            string `json:"actor"`
	ActorRole        string `json:"actor_role"`
	ActorInstitution string `json:"actor_institution"`
	// Deposit is the evidence deposit's id; SHA256 or SM3 its content
	// digest, the one the network's suite addresses content by
	// (SetContent). An international record has always had sha256.
	Deposit string `json:"deposit"`
	SHA256  string `json:"sha256,omitempty"`
	SM3     string `json:"sm3,omitempty"`
	// Court and Case name the case for a grant, a revocation or a read
	// under a grant; Via says on what ground an original was read.
	Court string `json:"court,omitempty"`
	Case  string `json:"case,omitempty"`
	Via   string `json:"via,omitempty"`
	// Share is the share code's id, for issuing, revoking or reading with
	// a share code.
	Share string `json:"share,omitempty"`
	// Key is the actor's account key (hex) that signed the request or
	// minted the API token used; Token is that token's id.
	Key   string    `json:"key,omitempty"`
	Token string    `json:"token,omitempty"`
	At    time.Time `json:"at"`
}

// SetContent records the accessed deposit's content digest, named alg:
// the network suite's ContentDigest, "sha256" or "sm3".
func (r *TrailRecord) SetContent(alg, digestHex string) {
	switch alg {
	case "sm3":
		r.SM3 = digestHex
	default:
		r.SHA256 = digestHex
	}
}

// TrailRecordType is TrailRecord.Type.
const TrailRecordType = "jurichain access trail v1"

// Trail actions.
const (
	TrailRead   = "read-original"
	TrailUpload = "upload-original"
	TrailShare  = "share"
	TrailGrant  = "grant"
	TrailRevoke = "revoke-grant"
	// TrailReadMetadata is a read of a deposit's metadata opening by
	// anyone but its depositor.
	TrailReadMetadata = "read-metadata"
	TrailRevokeShare  = "revoke-share"
)

// TrailEntry is one access-trail record with the deposit that put it on
// the ledger. Record holds the exact bytes deposited: their SHA-256 is
// the trail deposit's content digest, so the receipt proves the record.
type TrailEntry struct {
	Record json.RawMessage `json:"record"`
	DepositInfo
}

// Trail is the answer of GET /v1/deposits/{id}/trail.
type Trail struct {
	Deposit string       `json:"deposit"`
	Entries []TrailEntry `json:"entries"`
}

// PackageRequest is the body of POST /v1/packages: the case whose
// evidence to package.
type PackageRequest struct {
	Court string `json:"court"`
	Case  string `json:"case"`
}
