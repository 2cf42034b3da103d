// Package access decides who may do what on a Jurichain node's API. It is
// the one place to read the authorization rules top to bottom:
//
//   - who a request comes from ([Principal]) and whether it may act at all;
//   - the rule of every endpoint ([Endpoints]), decided before the request
//     body is looked at, from the principal's role and status alone;
//   - the decisions that depend on the object: whose deposit it is, which
//     court cases it is granted to, whether its original was uploaded
//     through it, which share code was given, which key minted a token
//     ([Describe], [ReadOriginal], [Share], [Grant], [Trail], ...);
//   - which deposits a principal may submit ([AuthorizeDeposits]), decided
//     from the depositor keys before any deposit signature is verified.
//
// Every decision is a pure function of plain inputs (the principal, the
// deposit's owner and grants, this node's institution); the HTTP server
// gathers them and calls these functions. A refusal is an *[api.Error]
// whose message says what the caller lacks.
//
// Two sets of rules live elsewhere, because the ledger must apply them
// deterministically on every validator:
//
//   - who may sign which identity operation (registrations, approvals,
//     suspensions, key changes): identity/apply.go, applied by the ledger;
//   - whether a key may deposit at a given height (approved depositor
//     account, active key): ledger/identity.go (depositRefusal), which
//     the ledger decides again when it orders the deposit. [AuthorizeDeposits]
//     asks it through [Directory].
//
// How a request is authenticated (RFC 9421 signatures, nonces, API
// tokens) is the httpsig package and httpapi/auth.go; this package only
// decides whether a token may still be used ([TokenUsable]).
package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/office"
)

// Principal is who a request comes from: an account, or an institution's
// node (its operator, signing with the node key), which acts as the
// institution's administrator.
type Principal struct {
	// Account is nil for a node.
	Account     *identity.Account
	Institution string
	Role        identity.Role
	// Key is the account key that signed the request, or that signed the
	// request which minted the API token used; nil for a node.
	Key []byte
	// ByToken is set when an API token, not a signature, authenticated
	// the request; Token is then that token's id.
	ByToken bool
	Token   string
}

// NodeKeyID is the keyid under which an institution's node signs requests.
func NodeKeyID(institution string) string { return "node:" + institution }

// ID names the principal in the access trail and in errors.
func (p *Principal) ID() string {
	if p.Account == nil {
		return NodeKeyID(p.Institution)
	}
	return p.Account.ID
}

// Approved reports whether the principal may act at all: nodes always,
// accounts once approved and while not suspended.
func (p *Principal) Approved() bool {
	return p.Account == nil || p.Account.Status == identity.Approved
}

// Is reports whether the principal is approved in one of roles at its
// institution (a node counts as its institution's admin).
func (p *Principal) Is(roles ...identity.Role) bool {
	return p.Approved() && slices.Contains(roles, p.Role)
}

// staffOf reports whether the principal audits or administers institution.
func (p *Principal) staffOf(institution string) bool {
	return p.Institution == institution && p.Is(identity.Admin, identity.Auditor)
}

// Rule is an endpoint's authorization rule, decided before the handler
// runs. Handlers add the decisions that depend on the object.
type Rule struct {
	// Name documents the rule (in /openapi.json and the tests).
	Name string
	// Public endpoints take anonymous requests; Allow is then nil.
	Public bool
	// Allow decides for an authenticated principal.
	Allow func(*Principal) bool
}

// Refusal explains why the rule refuses p, for a 403.
func (r Rule) Refusal(pattern string, p *Principal) *api.Error {
	why := fmt.Sprintf("%s needs: %s", pattern, r.Name)
	if !p.Approved() {
		return forbidden("account %s is %s; %s", p.ID(), p.Account.Status, why)
	}
	return forbidden("%s is a %s of %s; %s", p.ID(), p.Role, p.Institution, why)
}

func public() Rule { return Rule{Name: "public", Public: true} }

// invitation is anonymous, but the body must carry a valid invitation
// code: that code is the credential.
func invitation() Rule { return Rule{Name: "invitation code", Public: true} }

func anyStatus() Rule {
	return Rule{Name: "any account, whatever its status", Allow: func(*Principal) bool { return true }}
}

func approved() Rule { return Rule{Name: "any approved account", Allow: (*Principal).Approved} }

func roles(rs ...identity.Role) Rule {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return Rule{Name: strings.Join(names, " or "), Allow: func(p *Principal) bool { return p.Is(rs...) }}
}

// Endpoint is one API endpoint and its rule.
type Endpoint struct {
	Method, Path string
	Rule         Rule
}

// Endpoints lists every endpoint of the API with its rule; the server
// serves exactly these. The comment after an endpoint names the
// decision its handler adds.
func Endpoints() []Endpoint {
	depositor := roles(identity.Depositor)
	// The dashboard's figures (counts, blocks, checkpoints, validators)
	// describe the network and never one deposit, so the auditors and
	// admins of every member see them; a deposit's own trail stays with
	// this institution's (Trail).
	staff := roles(identity.Admin, identity.Auditor)
	return []Endpoint{
		// Verification, checkpoint and tiles, policy, OpenAPI and health
		// are public; everything else needs an account.
		{"GET", "/v1/deposits", public()},
		{"GET", "/v1/proofs/inclusion", public()},
		{"GET", "/v1/proofs/consistency", public()},
		{"GET", "/v1/misbehaviour", public()},
		{"GET", "/checkpoint", public()},
		{"GET", "/tile/", public()},
		{"GET", "/policy", public()},
		{"GET", "/v1/membership", public()},
		{"GET", "/openapi.json", public()},
		{"GET", "/v1/status", public()},
		{"GET", "/metrics", public()},
		{"GET", "/healthz", public()},
		// The time-stamping authority, the institution's certificates and
		// the check of a certificate are public too: a certificate's
		// holder, a judge, anyone may check one.
		{"POST", "/v1/tsa", public()},
		{"GET", "/v1/pki", public()},
		{"GET", "/v1/pki/crl", public()},
		{"GET", "/v1/certificates/{number}", public()},
		{"POST", "/v1/certificates/check", public()},
		// A log asks this node, as its witness, to cosign a checkpoint
		// (C2SP tlog-witness): anyone may, the log's signature is the
		// credential.
		{"POST", "/witness/add-checkpoint", public()},
		// Anchoring out: the anchors of this network's checkpoints in
		// upstream networks, and the receipts they upgrade, are public
		// like the receipts themselves.
		{"GET", "/v1/anchors/outbound", public()},
		{"POST", "/v1/receipts/upgrade", public()},

		{"POST", "/v1/registrations", invitation()},
		{"GET", "/v1/account", anyStatus()},
		{"POST", "/v1/tokens", approved()},                                                  // MintToken
		{"GET", "/v1/tokens", approved()},                                                   // ListTokens
		{"DELETE", "/v1/tokens/{id}", approved()},                                           // RevokeToken
		{"POST", "/v1/identity", approved()},                                                // identity/apply.go
		{"POST", "/v1/invitations", roles(identity.Reviewer, identity.Admin)},               // Invite
		{"GET", "/v1/accounts", roles(identity.Reviewer, identity.Admin, identity.Auditor)}, // ListAccounts

		{"POST", "/v1/deposits", depositor},                                                 // AuthorizeDeposits
		{"GET", "/v1/account/deposits", depositor},                                          // the caller's own
		{"GET", "/v1/deposits/{id}", approved()},                                            // Follow, Describe, DescribeShared
		{"GET", "/v1/deposits/{id}/opening", approved()},                                    // Describe, OpeningOnTrail
		{"GET", "/v1/deposits/{id}/certificate.pdf", approved()},                            // Describe, OpeningOnTrail
		{"PUT", "/v1/deposits/{id}/original", depositor},                                    // Upload
		{"GET", "/v1/deposits/{id}/original", approved()},                                   // ReadOriginal
		{"POST", "/v1/deposits/{id}/shares", depositor},                                     // Share
		{"GET", "/v1/deposits/{id}/shares", approved()},                                     // ListShares
		{"DELETE", "/v1/deposits/{id}/shares/{share}", depositor},                           // RevokeShare
		{"POST", "/v1/deposits/{id}/grants", depositor},                                     // Grant
		{"DELETE", "/v1/deposits/{id}/grants", depositor},                                   // RevokeGrant
		{"GET", "/v1/deposits/{id}/trail", approved()},                                      // Trail
		{"GET", "/v1/cases/{court}/{case}", roles(identity.Judge, identity.Clerk)},          // ListCase
		{"POST", "/v1/packages", roles(identity.Judge, identity.Clerk, identity.Depositor)}, // Package
		{"POST", "/v1/packages/import", roles(identity.Judge, identity.Clerk)},              // ImportPackage
		{"GET", "/v1/packages/imports", roles(identity.Judge, identity.Clerk)},              // ImportPackage
		{"GET", "/v1/packages/imports/{id}", roles(identity.Judge, identity.Clerk)},         // ImportPackage

		{"GET", "/v1/stats", staff},
		{"GET", "/v1/explorer/blocks", staff},
		{"GET", "/v1/explorer/checkpoints", staff},
		{"GET", "/v1/explorer/growth", staff},
		{"GET", "/v1/validators", staff},

		{"POST", "/v1/misbehaviour", roles(identity.Admin)},
		{"POST", "/v1/membership", roles(identity.Admin)},

		// Anchoring in: outside logs submit their checkpoints, and anyone
		// may read the anchors; registering a log is governance.
		{"POST", "/v1/anchors", public()},
		{"GET", "/v1/anchors/logs", public()},
		{"GET", "/v1/anchors/{origin...}", public()},
		{"POST", "/v1/anchors/logs", roles(identity.Admin)},
	}
}

func forbidden(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeForbidden, Message: fmt.Sprintf(format, a...)}
}

func unauthenticated(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeUnauthenticated, Message: fmt.Sprintf(format, a...)}
}

// Deposit is what the decisions need to know of a committed deposit.
type Deposit struct {
	ID string
	// Owner is the account whose key signed the deposit; nil for a
	// node's own access-trail records.
	Owner *identity.Account
	// Grants are the deposit's grants to court cases at this node.
	Grants []office.Grant
	// Uploaded reports whether the deposit's depositor uploaded the
	// original through this deposit. The vault keeps one copy per content
	// digest, but a digest is public: an original is reachable only
	// through a deposit it was uploaded through.
	Uploaded bool
}

// OwnedBy reports whether p is the account that made the deposit.
func (d *Deposit) OwnedBy(p *Principal) bool {
	return d.Owner != nil && p.Account != nil && d.Owner.ID == p.Account.ID
}

// grantedTo reports whether the deposit is granted to a case at p's court
// and p is a judge or clerk there; with caseNo, to that case.
func (d *Deposit) grantedTo(p *Principal, caseNo string) bool {
	if !p.Is(identity.Judge, identity.Clerk) {
		return false
	}
	return slices.ContainsFunc(d.Grants, func(g office.Grant) bool {
		return g.Court == p.Institution && (caseNo == "" || g.Case == caseNo)
	})
}

// Describe decides who sees a deposit's record and metadata opening: its
// owner, a judge or clerk of a court it is granted to, and the auditors
// and admins of the institution running this node (here).
func Describe(p *Principal, d *Deposit, here string) error {
	if d.OwnedBy(p) || p.staffOf(here) || d.grantedTo(p, "") {
		return nil
	}
	return forbidden("deposit %s is not yours and not granted to your court", d.ID)
}

// DescribeShared lets the holder of a valid share code of the deposit
// (share, already checked unexpired; nil when no code was given) see its
// record and receipt, which the original it downloads needs. The record
// holds nothing the original does not show; the metadata opening stays
// closed to the holder.
func DescribeShared(p *Principal, d *Deposit, here string, share *office.Share) error {
	if share != nil && share.Deposit == d.ID {
		return nil
	}
	return Describe(p, d, here)
}

// OpeningOnTrail reports whether reading the deposit's metadata opening
// is recorded on the access trail: every read but its owner's.
func OpeningOnTrail(p *Principal, d *Deposit) bool { return !d.OwnedBy(p) }

// Follow decides who sees a deposit that is not committed yet:
// depositors, who follow what they submitted (the id, a hash of their key
// and idempotency key, says nothing about the evidence).
func Follow(p *Principal, id string) error {
	if p.Is(identity.Depositor) {
		return nil
	}
	return forbidden("deposit %s is not committed; only depositors follow pending deposits", id)
}

// Ground is on what ground an original is read, as the trail records it.
type Ground struct {
	// Via is "owner", "grant" or "share code".
	Via         string
	Court, Case string
}

// ReadOriginal decides whether p reads a deposit's original: with a share
// code of this deposit (share, already checked unexpired; nil when no
// code was given), as a judge or clerk of the case caseNo it is granted
// to, or as its owner. A deposit through which no original was uploaded
// has none to read (404), whoever asks.
func ReadOriginal(p *Principal, d *Deposit, caseNo string, share *office.Share) (Ground, error) {
	var g Ground
	switch {
	case share != nil:
		if share.Deposit != d.ID {
			return g, forbidden("code: not a share code of deposit %s", d.ID)
		}
		g.Via = "share code"
	case caseNo != "":
		if !d.grantedTo(p, caseNo) {
			return g, forbidden("deposit %s is not granted to case %q at your court", d.ID, caseNo)
		}
		g = Ground{Via: "grant", Court: p.Institution, Case: caseNo}
	case d.OwnedBy(p):
		g.Via = "owner"
	default:
		return g, forbidden("deposit %s is not yours: name the case it is granted to (?case=) or give a share code (?code=)", d.ID)
	}
	return g, uploaded(d)
}

func uploaded(d *Deposit) error {
	if !d.Uploaded {
		return &api.Error{Code: api.CodeNotFound, Message: "no original uploaded for this deposit " + d.ID + "; its depositor uploads it with 'jurichain deposit --upload'"}
	}
	return nil
}

// Upload lets only the depositor upload a deposit's original.
func Upload(p *Principal, d *Deposit) error {
	if !d.OwnedBy(p) {
		return forbidden("only the depositor of %s uploads its original", d.ID)
	}
	return nil
}

// Share lets only the depositor issue share codes, and only for an
// original uploaded through the deposit.
func Share(p *Principal, d *Deposit) error {
	if !d.OwnedBy(p) {
		return forbidden("only the depositor of %s shares it", d.ID)
	}
	return uploaded(d)
}

// ShareUsable decides whether a share code still opens its deposit: like
// an API token, it dies with what issued it. The depositor's account
// (owner, nil if not on the ledger) must be approved, the key that issued
// the code (s.Key) still active at the committed height, and the API
// token that issued it, if any, not revoked (tokenRevoked). A code issued
// with a stolen token or key stops working once the owner revokes it.
func ShareUsable(s *office.Share, owner *identity.Account, height uint64, tokenRevoked bool) error {
	switch {
	case len(s.Key) == 0:
		return forbidden("code: this share code was issued before codes were bound to the key that issued them; ask the depositor for a new one")
	case owner == nil || owner.ID != s.Owner:
		return forbidden("code: the depositor's account %s is not on the ledger; its share codes do not work", s.Owner)
	case owner.Status != identity.Approved:
		return forbidden("code: the depositor's account %s is %s; its share codes do not work", owner.ID, owner.Status)
	case tokenRevoked:
		return forbidden("code: the API token that issued this share code was revoked; ask the depositor for a new code")
	}
	if _, ok := owner.ActiveKey(s.Key, height); !ok {
		return forbidden("code: the key that issued this share code was revoked; ask the depositor for a new code")
	}
	return nil
}

// ListShares lets a deposit's owner and this institution's auditors and
// admins list its share codes (never the codes themselves), as they read
// its trail, where each issue and revocation is recorded.
func ListShares(p *Principal, d *Deposit, here string) error {
	if d.OwnedBy(p) || p.staffOf(here) {
		return nil
	}
	return forbidden("the share codes of %s are listed for its depositor and this institution's auditors", d.ID)
}

// RevokeShare lets only the depositor revoke a share code of its deposit
// (share, nil if there is no such code).
func RevokeShare(p *Principal, d *Deposit, share *office.Share) error {
	if !d.OwnedBy(p) {
		return forbidden("only the depositor of %s revokes its share codes", d.ID)
	}
	if share == nil || share.Deposit != d.ID {
		return &api.Error{Code: api.CodeNotFound, Message: "share: no such share code of deposit " + d.ID}
	}
	return nil
}

// Grant lets only the depositor grant a court case access to a deposit.
// A deposit without an uploaded original may be granted: the court sees
// its record and metadata, and ReadOriginal still finds no original.
func Grant(p *Principal, d *Deposit) error {
	if !d.OwnedBy(p) {
		return forbidden("only the depositor of %s grants access to it", d.ID)
	}
	return nil
}

// RevokeGrant lets only the depositor withdraw a grant.
func RevokeGrant(p *Principal, d *Deposit) error {
	if !d.OwnedBy(p) {
		return forbidden("only the depositor of %s revokes its grants", d.ID)
	}
	return nil
}

// Trail lets a deposit's owner, this institution's auditors and admins,
// and the judges and clerks of a court it is granted to read its access
// trail: a court weighing evidence sees who handled it.
func Trail(p *Principal, d *Deposit, here string) error {
	if d.OwnedBy(p) || p.staffOf(here) || d.grantedTo(p, "") {
		return nil
	}
	return forbidden("the access trail of %s is for its depositor, this institution's auditors and the courts it is granted to", d.ID)
}

// TrailShows decides which records of a deposit's trail p, whom Trail let
// read it, sees: every record for its owner and this institution's staff;
// for a court's judges and clerks, the upload of the original and what
// concerns their own court (its grants, its reads), not the share codes
// or other courts' cases.
func TrailShows(p *Principal, d *Deposit, here string, rec api.TrailRecord) bool {
	if d.OwnedBy(p) || p.staffOf(here) {
		return true
	}
	ofCourt := rec.ActorInstitution == p.Institution && (rec.ActorRole == string(identity.Judge) || rec.ActorRole == string(identity.Clerk))
	return rec.Action == api.TrailUpload || rec.Court == p.Institution || ofCourt
}

// ListCase lets a court's judges and clerks list a case's evidence, at
// their own court only.
func ListCase(p *Principal, court string) error {
	if !p.Is(identity.Judge, identity.Clerk) || p.Institution != court {
		return forbidden("%s is a %s of %s, not of %s", p.ID(), p.Role, p.Institution, court)
	}
	return nil
}

// ImportPackage lets the judges and clerks of this node's institution
// (here, of kind) import evidence packages and read the imports, when
// it is a court or an arbitration commission: the verdict goes on the
// ledger in its name.
func ImportPackage(p *Principal, here string, kind identity.InstitutionKind) error {
	switch {
	case !kind.HoldsCases():
		return forbidden("%s is a %s institution; evidence packages are imported at a court or an arbitration commission", here, kind)
	case !p.Is(identity.Judge, identity.Clerk) || p.Institution != here:
		return forbidden("%s is a %s of %s; packages imported at %s are for its own judges and clerks", p.ID(), p.Role, p.Institution, here)
	}
	return nil
}

// Package decides who packages a court case's evidence: the judges and
// clerks of that court (every deposit granted to the case), and
// depositors (only their own deposits granted to it; PackageHolds).
func Package(p *Principal, court string) error {
	switch {
	case p.Is(identity.Judge, identity.Clerk) && p.Institution == court:
		return nil
	case p.Is(identity.Depositor):
		return nil
	}
	return forbidden("%s is a %s of %s; the evidence of a case at %s is packaged by its judges and clerks, or by a depositor for their own deposits", p.ID(), p.Role, p.Institution, court)
}

// PackageHolds decides whether a deposit granted to the case goes into
// p's package: all of them for the court's judges and clerks, a
// depositor's own only.
func PackageHolds(p *Principal, d *Deposit) bool {
	return p.Is(identity.Judge, identity.Clerk) || d.OwnedBy(p)
}

// Invite lets reviewers and admins of this node's institution invite
// depositors to it.
func Invite(p *Principal, here string) error {
	if !p.Is(identity.Reviewer, identity.Admin) || p.Institution != here {
		return forbidden("%s is staff of %s; invitations to %s come from its own reviewers", p.ID(), p.Institution, here)
	}
	return nil
}

// ListAccounts lets the reviewers, admins and auditors of this node's
// institution list its accounts.
func ListAccounts(p *Principal, here string) error {
	if !p.Is(identity.Reviewer, identity.Admin, identity.Auditor) || p.Institution != here {
		return forbidden("%s is staff of %s, not of %s", p.ID(), p.Institution, here)
	}
	return nil
}

// SeesRealNames reports whether p sees the real-name data of the accounts
// it lists: reviewers and admins do, auditors do not.
func SeesRealNames(p *Principal) bool { return p.Is(identity.Reviewer, identity.Admin) }

// Directory is what the ledger knows of depositor keys.
type Directory interface {
	// AccountByKey returns the account that holds or held a key, or nil.
	AccountByKey(pub []byte) *identity.Account
	// DepositRefusal says why a key may not deposit in the next block,
	// or "" if it may.
	DepositRefusal(pub []byte) string
}

// Signer is the depositor key of one submitted deposit, with the path
// prefix that names it in errors ("deposits[3]." in a batch).
type Signer struct {
	Field string
	Key   []byte
}

// AuthorizeDeposits lets an approved depositor submit only deposits
// signed with its own active keys. It looks only at the keys, so a
// request is refused before any of its signatures is verified.
func AuthorizeDeposits(p *Principal, signers []Signer, dir Directory) error {
	for _, s := range signers {
		if acc := dir.AccountByKey(s.Key); acc == nil || acc.ID != p.ID() {
			return forbidden("%sdepositor_key: not a key of account %s; sign deposits with your own key", s.Field, p.ID())
		}
		if why := dir.DepositRefusal(s.Key); why != "" {
			return forbidden("%sdepositor_key: %s", s.Field, why)
		}
	}
	return nil
}

// MintToken lets an approved account mint API tokens with a signed
// request: a token does not beget tokens, and a node has no account.
func MintToken(p *Principal) error {
	switch {
	case p.ByToken:
		return forbidden("issue API tokens with a request signed by your account key, not with a token")
	case p.Account == nil:
		return &api.Error{Code: api.CodeInvalid, Message: "the node key has no account; tokens are for accounts"}
	}
	return nil
}

// TokenUsable decides whether an API token still authenticates: its
// account (acc, nil if not on the ledger) must be approved and the key
// that minted it still active at the committed height. A token dies with
// its key.
func TokenUsable(t *office.Token, acc *identity.Account, height uint64) error {
	switch {
	case acc == nil:
		return unauthenticated("Authorization: the token's account %s is not on the ledger", t.Account)
	case acc.Status != identity.Approved:
		return unauthenticated("Authorization: the token's account %s is %s; its tokens do not work", acc.ID, acc.Status)
	case len(t.Key) == 0:
		return unauthenticated("Authorization: this API token was issued before tokens were bound to a key; issue a new one with 'jurichain token'")
	}
	if _, ok := acc.ActiveKey(t.Key, height); !ok {
		return unauthenticated("Authorization: the key that issued this API token was revoked; issue a new token with an active key")
	}
	return nil
}

// RevokeToken lets a token's owner revoke it, and the admins (or node) of
// the owner's institution.
func RevokeToken(p *Principal, t *office.Token, owner *identity.Account) error {
	if holdsOrAdministers(p, t.Account, owner) {
		return nil
	}
	return forbidden("token %s is not yours; only its owner and the admins of its institution revoke it", t.ID)
}

// ListTokens lets an account list its own API tokens, and the admins (or
// node) of an account's institution list that account's (owner, nil if
// not on the ledger).
func ListTokens(p *Principal, account string, owner *identity.Account) error {
	if holdsOrAdministers(p, account, owner) {
		return nil
	}
	return forbidden("account: %s is not yours and not an account of your institution; only its owner and the admins of its institution list its tokens", account)
}

// holdsOrAdministers reports whether p is the account, or an admin (or
// the node) of the account's institution.
func holdsOrAdministers(p *Principal, account string, owner *identity.Account) bool {
	if p.Account != nil && p.Account.ID == account {
		return true
	}
	return owner != nil && owner.ID == account && p.Is(identity.Admin) && p.Institution == owner.Institution
}
