// Package identity holds the accounts of a Jurichain network: who may
// deposit, review, judge or audit, at which institution, with which keys.
//
// Accounts change only through identity operations, which are ledger
// transactions: the text of a C2SP signed note, signed by whoever the
// operation needs (the registrant's new key, the institution's node, a
// reviewer, an administrator, the account itself). Personal data never
// appears in an operation: a registration carries only a salted
// commitment to it, and the data stays at the registering institution's
// node. Every key an account ever had is kept with the heights at which
// it was added and revoked, so signatures made before a rotation still
// verify.
package identity

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// Role is what an account may do, always at one institution.
type Role string

// Roles.
const (
	Admin     Role = "admin"     // manages the institution's staff accounts
	Reviewer  Role = "reviewer"  // notary staff: invites and reviews depositors
	Judge     Role = "judge"     // court: opens cases, reads granted evidence
	Clerk     Role = "clerk"     // court: opens cases, reads granted evidence
	Depositor Role = "depositor" // an individual or enterprise that deposits
	Auditor   Role = "auditor"   // read-only statistics and access trails
)

// ValidRole reports whether r is a role.
func ValidRole(r Role) bool {
	return slices.Contains([]Role{Admin, Reviewer, Judge, Clerk, Depositor, Auditor}, r)
}

// Kind is who holds a depositor account.
type Kind string

// Kinds of account holder. Staff accounts are of kind Staff.
const (
	Individual Kind = "individual"
	Enterprise Kind = "enterprise"
	Staff      Kind = "staff"
)

// Status is where an account is in its life.
type Status string

// Statuses.
const (
	Pending   Status = "pending"   // registered, awaiting review
	Approved  Status = "approved"  // may act in its role
	Rejected  Status = "rejected"  // review refused; final
	Suspended Status = "suspended" // approved, then stopped; may be reinstated
)

// Key is one public key of an account and when it was valid.
type Key struct {
	Alg    string `json:"alg"`
	Public []byte `json:"public"`
	// Added is the height of the block that added the key.
	Added uint64 `json:"added"`
	// Revoked is the height of the block that revoked it, or 0.
	Revoked uint64 `json:"revoked,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ActiveAt reports whether the key could sign at height h.
func (k Key) ActiveAt(h uint64) bool { return k.Added <= h && (k.Revoked == 0 || h < k.Revoked) }

// Event is one change of an account, as the ledger recorded it.
type Event struct {
	Height uint64 `json:"height"`
	Op     string `json:"op"`
	// By names the accounts (or the institution's node) that signed it.
	By     []string `json:"by"`
	Reason string   `json:"reason,omitempty"`
}

// Account is one account on the ledger.
type Account struct {
	ID          string `json:"id"`
	Institution string `json:"institution"`
	Role        Role   `json:"role"`
	Kind        Kind   `json:"kind"`
	Status      Status `json:"status"`
	// Commitment is the salted commitment, by the network suite's hash,
	// to the holder's real-name data (see Commit); the data stays at the
	// institution.
	Commitment []byte `json:"commitment"`
	Keys       []Key  `json:"keys"`
	// Version counts the operations applied to the account; an operation
	// names the version it applies to, so it cannot be replayed.
	Version uint64  `json:"version"`
	History []Event `json:"history"`
}

// ActiveKey returns the account's key pub if it could sign at height h.
func (a *Account) ActiveKey(pub []byte, h uint64) (*Key, bool) {
	for i := range a.Keys {
		if string(a.Keys[i].Public) == string(pub) && a.Keys[i].ActiveAt(h) {
			return &a.Keys[i], true
		}
	}
	return nil, false
}

// CanAct reports whether the account is approved for role at institution.
func (a *Account) CanAct(institution string, roles ...Role) bool {
	return a.Status == Approved && a.Institution == institution && slices.Contains(roles, a.Role)
}

// AccountID derives an account's id from its institution and first key,
// so two registrations of one key at one institution are the same account.
// The hash is the network suite's (SHA-256 on an international network,
// as ids have always been, SM3 on a GM one).
func AccountID(cs *suite.Suite, institution string, firstKey []byte) string {
	h := cs.Hash([]byte("jurichain account\n"+institution+"\n"), firstKey)
	return "acct-" + hex.EncodeToString(h[:10])
}

// Commit is the commitment to a holder's real-name data put on the
// ledger: the suite hash over a domain tag, a random salt of at least 16
// bytes and the data. Whoever holds the salt and the data can show that
// they are what was registered; the commitment alone reveals nothing.
func Commit(cs *suite.Suite, salt, data []byte) ([]byte, error) {
	if len(salt) < 16 {
		return nil, fmt.Errorf("commitment salt: %d bytes, want at least 16", len(salt))
	}
	h := cs.Hash([]byte("jurichain identity commitment v1\n"), salt, data)
	return h[:], nil
}

// validReason keeps reasons on one line, short, and free of characters
// that would steer the screens they are shown on (usertext.Check).
func validReason(s string) error {
	if len(s) > 500 || strings.ContainsAny(s, "\n\r") || s != strings.TrimSpace(s) {
		return fmt.Errorf("reason: at most 500 characters on one line, without surrounding spaces")
	}
	return usertext.Field("reason", s)
}
