package httpapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
)

// Lifetimes of codes and tokens: default and longest.
const (
	defaultCodeLife  = 7 * 24 * time.Hour
	maxCodeLife      = 30 * 24 * time.Hour
	defaultTokenLife = 90 * 24 * time.Hour
	maxTokenLife     = 365 * 24 * time.Hour
	// identityWait bounds how long a request waits for an identity
	// operation to take effect.
	identityWait = 30 * time.Second
	// maxOwnDeposits bounds GET /v1/account/deposits per key.
	maxOwnDeposits = 10_000
	// maxLiveTokens bounds the unexpired API tokens of an account, and
	// maxLiveShares the unexpired share codes of a deposit, so that their
	// lists stay short; revoking or expiring frees a place.
	maxLiveTokens = 100
	maxLiveShares = 100
)

func parseLife(field, v string, def, most time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > most {
		return 0, invalid("%s: %q is not a duration between 1s and %s, such as 72h", field, v, most)
	}
	return d, nil
}

// evidence is a committed deposit with what the access decisions need to
// know of it.
type evidence struct {
	*ledger.Record
	d access.Deposit
}

func (s *Server) evidence(r *http.Request) (*evidence, error) {
	id, err := s.lookup(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	rec, err := s.cfg.Ledger.DepositByID(id)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, &api.Error{Code: api.CodeNotFound, Message: "no committed deposit " + id}
	}
	if err != nil {
		return nil, err
	}
	return s.evidenceOf(r.Context(), rec)
}

// evidenceOf gathers the owner, grants and upload of a committed deposit.
func (s *Server) evidenceOf(ctx context.Context, rec *ledger.Record) (*evidence, error) {
	e := &evidence{Record: rec, d: access.Deposit{ID: rec.ID, Owner: s.cfg.Ledger.AccountByKey(rec.Leaf.Depositor)}}
	var err error
	if e.d.Grants, err = s.cfg.Office.GrantsOf(ctx, rec.ID); err != nil {
		return nil, err
	}
	if e.d.Uploaded, err = s.cfg.Office.Uploaded(ctx, rec.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// shareOf resolves the share code a request gives (?code=) for a deposit:
// nil without one. A wrong code counts as a failed guess: it is counted
// in the metrics, and a principal or client address that fails too often
// waits before its next try.
func (s *Server) shareOf(r *http.Request, p *access.Principal, e *evidence) (*office.Share, error) {
	code := r.URL.Query().Get("code")
	if code == "" {
		return nil, nil
	}
	keys := guessKeys(r, p)
	if wait := s.guesses.try(keys...); wait > 0 {
		return nil, &api.Error{Code: api.CodeTooManyRequests, Message: fmt.Sprintf("code: too many wrong share codes; try again in %s", wait.Round(time.Second))}
	}
	sh, err := s.cfg.Office.ShareAt(r.Context(), code, s.cfg.Now())
	if errors.Is(err, office.ErrNotFound) || (err == nil && sh.Deposit != e.ID) {
		s.guesses.wrong()
		return nil, forbidden("code: not a share code of deposit %s", e.ID)
	}
	s.guesses.refund(keys...)
	switch {
	case errors.Is(err, office.ErrExpired):
		return nil, forbidden("code: the share code has expired; ask the depositor for a new one")
	case err != nil:
		return nil, err
	}
	if err := s.shareUsable(r.Context(), sh, e); err != nil {
		return nil, err
	}
	return sh, nil
}

// shareUsable decides whether a share code still opens its deposit: the
// depositor approved, the key and the API token that issued it not
// revoked.
func (s *Server) shareUsable(ctx context.Context, sh *office.Share, e *evidence) error {
	revoked := false
	if sh.Token != "" {
		_, err := s.cfg.Office.TokenByID(ctx, sh.Token)
		if err != nil && !errors.Is(err, office.ErrNotFound) {
			return err
		}
		revoked = err != nil
	}
	return access.ShareUsable(sh, e.d.Owner, s.cfg.Ledger.Committed().Height, revoked)
}

func forbidden(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeForbidden, Message: fmt.Sprintf(format, a...)}
}

// recordTrail deposits an access-trail record with the node's key and
// waits until it is committed: an access is served only once its trace is
// on the ledger.
func (s *Server) recordTrail(ctx context.Context, p *access.Principal, e *evidence, rec api.TrailRecord) (*api.Result, error) {
	results, err := s.recordTrails(ctx, p, []trailRead{{e, rec}})
	if err != nil {
		return nil, err
	}
	return &results[0], nil
}

// recordTrails deposits access-trail records in one batch and waits until
// every one is committed.
func (s *Server) recordTrails(ctx context.Context, p *access.Principal, reads []trailRead) ([]api.Result, error) {
	if len(reads) == 0 {
		return nil, nil
	}
	recs := make([]nodeRecord, len(reads))
	for i, tr := range reads {
		rec, e := tr.rec, tr.e
		rec.Type, rec.Network, rec.Node, rec.At = api.TrailRecordType, s.cfg.Origin, s.cfg.Institution, s.cfg.Now().UTC()
		rec.Actor, rec.ActorRole, rec.ActorInstitution = p.ID(), string(p.Role), p.Institution
		rec.Deposit = e.ID
		rec.SetContent(s.cfg.Suite.ContentDigest(), hex.EncodeToString(e.Leaf.ContentDigest(s.cfg.Suite)))
		if p.Key != nil {
			rec.Key = hex.EncodeToString(p.Key)
		}
		rec.Token = p.Token
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		recs[i] = nodeRecord{b: b, title: "access trail: " + rec.Action + " " + e.ID, idempotency: "trail"}
	}
	return s.depositRecords(ctx, "access-trail", recs, func(i int, entry string) error {
		return s.cfg.Office.AppendTrail(ctx, reads[i].e.ID, office.TrailEntry{Record: recs[i].b, Entry: entry})
	})
}

// nodeRecord is a JSON record this node makes (an access-trail record, a
// package verdict) and deposits with its log key.
type nodeRecord struct {
	b []byte
	// title is the deposit's metadata title; idempotency prefixes its
	// idempotency key, which ends with the record's digest.
	title, idempotency string
}

// depositRecords deposits records this node makes, in one batch, as
// deposits signed with the node's log key: the ledger takes them as
// "deposited by a member node". index records each entry id node-locally
// before the wait, so that a record still pending when the wait ends
// stays findable. It returns the results once every record committed;
// what names the records in errors.
func (s *Server) depositRecords(ctx context.Context, what string, recs []nodeRecord, index func(i int, entry string) error) ([]api.Result, error) {
	deps := make([]api.Deposit, len(recs))
	for i, rec := range recs {
		sum := s.cfg.Suite.Hash(rec.b)
		d, _, err := client.Prepare(s.cfg.Suite, s.cfg.Origin, s.cfg.NodeKey, client.Content{
			Digest: sum[:], Size: uint64(len(rec.b)),
			Metadata:       deposit.Metadata{Title: rec.title, MediaType: "application/json"},
			IdempotencyKey: rec.idempotency + "-" + hex.EncodeToString(sum[:16]),
		})
		if err != nil {
			return nil, err
		}
		deps[i] = d
	}
	subs, err := s.check(deps, len(deps) > 1)
	if err != nil {
		return nil, fmt.Errorf("%s deposit: %w", what, err)
	}
	results, err := s.enqueue(subs)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if err := index(i, results[i].ID); err != nil {
			return nil, err
		}
	}
	if err := s.waitAll(ctx, results, MaxWait); err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.Status != api.StatusCommitted {
			return nil, &api.Error{Code: api.CodeUnavailable, Message: fmt.Sprintf("the %s record did not commit in %s (%s %s); try again", what, MaxWait, res.Status, res.Reason)}
		}
	}
	return results, nil
}

// putOriginal stores a deposit's original, streamed, encrypted at rest.
// The vault checks the content against the deposit's SHA-256 as it
// streams: a different file is refused and nothing is stored. The vault
// keeps one copy per digest; the upload is recorded per deposit, and only
// a deposit through which the original was uploaded opens it.
func (s *Server) putOriginal(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.Upload(p, &e.d); err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.ContentLength >= 0 && uint64(r.ContentLength) != e.Leaf.Size {
		s.writeError(w, r, invalid("body: %d bytes, but deposit %s is of %d bytes", r.ContentLength, e.ID, e.Leaf.Size))
		return
	}
	if e.Leaf.Size > s.cfg.MaxOriginalSize {
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("deposit %s declares %d bytes; this node stores originals of at most %d bytes", e.ID, e.Leaf.Size, s.cfg.MaxOriginalSize)})
		return
	}
	// A chunked body has no length: stop it at the declared size. The
	// vault checks the suite's digest; the deposit's other digests are
	// checked on the way, so that an original whose SHA-256 and SM3 do not
	// both match is not stored.
	body := checkOtherDigests(http.MaxBytesReader(w, r.Body, int64(e.Leaf.Size)), &e.Leaf.Statement, s.cfg.Suite)
	n, err := s.cfg.Vault.Put(r.Context(), e.Leaf.ContentDigest(s.cfg.Suite), body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("body: longer than the %d bytes deposit %s declares; nothing was stored", e.Leaf.Size, e.ID)})
		return
	}
	if errors.Is(err, vault.ErrDigestMismatch) {
		s.writeError(w, r, invalid("body: its %s is not the deposit's %x; nothing was stored", s.cfg.Suite.ContentDigest(), e.Leaf.ContentDigest(s.cfg.Suite)))
		return
	}
	var other *otherDigestMismatch
	if errors.As(err, &other) {
		s.writeError(w, r, invalid("body: its %s is not the deposit's %x; nothing was stored", other.Algorithm, other.Value))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Office.PutUpload(r.Context(), e.ID, office.Upload{Account: p.ID(), Uploaded: s.cfg.Now().UTC()}); err != nil {
		s.writeError(w, r, err)
		return
	}
	trail, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: api.TrailUpload})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"deposit": e.ID, "size": n, "trail": trail})
}

// getOriginal streams a deposit's original to its owner, to a judge or
// clerk of a case it is granted to (?case=), or to whoever holds a valid
// share code (?code=), after recording the read on the ledger.
func (s *Server) getOriginal(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sh, err := s.shareOf(r, p, e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := access.ReadOriginal(p, &e.d, r.URL.Query().Get("case"), sh)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	has, err := s.cfg.Vault.Has(r.Context(), e.Leaf.ContentDigest(s.cfg.Suite))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !has {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "this node holds no original of deposit " + e.ID})
		return
	}
	rec := api.TrailRecord{Action: api.TrailRead, Via: g.Via, Court: g.Court, Case: g.Case}
	if sh != nil {
		rec.Share = sh.ID
	}
	trail, err := s.recordTrail(r.Context(), p, e, rec)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.cfg.Vault.Get(r.Context(), e.Leaf.ContentDigest(s.cfg.Suite))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(e.Leaf.Size))
	w.Header().Set("Jurichain-Trail-Entry", trail.ID)
	if _, err := io.Copy(w, body); err != nil {
		// The status is sent; the client sees a short body, and a damaged
		// object fails its authentication before its last segment.
		s.cfg.Logger.Error("streaming an original failed", "deposit", e.ID, "err", err)
	}
}

// share issues a share code for a deposit's original.
func (s *Server) share(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req api.ShareRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	life, err := parseLife("valid_for", req.ValidFor, defaultCodeLife, maxCodeLife)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.Share(p, &e.d); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now()
	code, sh, err := s.cfg.Office.NewShare(r.Context(), office.Share{Deposit: e.ID, Owner: p.ID(), Key: p.Key, Token: p.Token, Created: now, Expires: now.Add(life)}, maxLiveShares)
	if errors.Is(err, office.ErrTooMany) {
		err = &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("deposit %s has %d unexpired share codes, the most; revoke some first ('jurichain share %s --list', then --revoke SHARE-ID)", e.ID, maxLiveShares, e.ID)}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: api.TrailShare, Share: sh.ID}); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Share{Code: code, ID: sh.ID, Deposit: e.ID, Expires: now.Add(life)})
}

// revokeShare withdraws a share code, named by its id.
func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("share")
	sh, err := s.cfg.Office.ShareByID(r.Context(), id)
	if errors.Is(err, office.ErrNotFound) {
		sh, err = nil, nil
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.RevokeShare(p, &e.d, sh); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Office.RevokeShare(r.Context(), id); err != nil {
		if errors.Is(err, office.ErrNotFound) { // revoked meanwhile by another request
			err = &api.Error{Code: api.CodeNotFound, Message: "share: no such share code of deposit " + e.ID}
		}
		s.writeError(w, r, err)
		return
	}
	trail, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: api.TrailRevokeShare, Share: id})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deposit": e.ID, "share": id, "revoked": true, "trail": trail})
}

// shares lists a deposit's share codes, never the codes themselves, with
// the key or token that issued each and why it no longer works, for the
// depositor and this institution's auditors and admins.
func (s *Server) shares(w http.ResponseWriter, r *http.Request) {
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.ListShares(principal(r), &e.d, s.cfg.Institution); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.cfg.Office.Shares(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.ShareList{Shares: []api.ShareInfo{}}
	now := s.cfg.Now()
	for _, sh := range list {
		info := api.ShareInfo{ID: sh.ID, Deposit: sh.Deposit, Created: sh.Created, Expires: sh.Expires, Key: sh.Key, Token: sh.Token}
		err := s.shareUsable(r.Context(), &sh, e)
		var ae *api.Error
		switch {
		case !now.Before(sh.Expires):
			info.Refused = "expired"
		case errors.As(err, &ae):
			info.Refused = strings.TrimPrefix(ae.Message, "code: ")
		case err != nil:
			s.writeError(w, r, err)
			return
		}
		out.Shares = append(out.Shares, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// grant gives a court case access to a deposit; revokeGrant withdraws it.
func (s *Server) grant(w http.ResponseWriter, r *http.Request) {
	var req api.GrantRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := req.CheckText(); err != nil {
		s.writeError(w, r, invalid("%v", err))
		return
	}
	s.changeGrant(w, r, req, api.TrailGrant)
}

func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) {
	s.changeGrant(w, r, api.GrantRequest{Court: r.URL.Query().Get("court"), Case: r.URL.Query().Get("case")}, api.TrailRevoke)
}

// checkCase refuses a case that cannot exist: one at an institution that
// is no voting member holding cases (a court or an arbitration
// commission), or without a case number.
func (s *Server) checkCase(court, caseNo string) error {
	m, ok := s.cfg.Ledger.Membership().Member(court)
	switch {
	case !ok || m.Power == 0:
		return invalid("court: %q is not a member institution of the network", court)
	case !m.Kind.HoldsCases():
		return invalid("court: %s is a %s institution; cases are held at a court or an arbitration commission", court, m.Kind)
	case caseNo == "" || len(caseNo) > 200:
		return invalid("case: need the case number, at most 200 bytes")
	}
	return nil
}

func (s *Server) changeGrant(w http.ResponseWriter, r *http.Request, req api.GrantRequest, action string) {
	p := principal(r)
	if err := s.checkCase(req.Court, req.Case); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	decide := access.Grant
	if action == api.TrailRevoke {
		decide = access.RevokeGrant
	}
	if err := decide(p, &e.d); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	if action == api.TrailGrant {
		err = s.cfg.Office.PutGrant(r.Context(), office.Grant{Deposit: e.ID, Owner: p.ID(), Court: req.Court, Case: req.Case, Granted: now})
	} else {
		err = s.cfg.Office.RevokeGrant(r.Context(), e.ID, req.Court, req.Case)
		if errors.Is(err, office.ErrNotFound) {
			err = &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("deposit %s is not granted to case %q at %s", e.ID, req.Case, req.Court)}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	trail, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: action, Court: req.Court, Case: req.Case})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if action == api.TrailRevoke {
		status = http.StatusOK
	}
	writeJSON(w, status, api.Grant{Deposit: e.ID, Court: req.Court, Case: req.Case, Granted: now, Trail: trail})
}

// caseEvidence lists exactly the deposits granted to a case, for its
// court's judges and clerks.
func (s *Server) caseEvidence(w http.ResponseWriter, r *http.Request) {
	court, caseNo := r.PathValue("court"), r.PathValue("case")
	if err := access.ListCase(principal(r), court); err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := s.cfg.Office.CaseEvidence(r.Context(), court, caseNo)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.CaseEvidence{Court: court, Case: caseNo, Deposits: []api.DepositInfo{}}
	for _, id := range ids {
		rec, err := s.cfg.Ledger.DepositByID(id)
		var info api.DepositInfo
		if err == nil {
			info.Result = committedResult(rec.ID, placementOf(rec))
			err = s.describe(r.Context(), &info, rec)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Deposits = append(out.Deposits, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// trail lists the access-trail records about a deposit with their
// receipts (access.Trail says for whom).
func (s *Server) trail(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.Trail(p, &e.d, s.cfg.Institution); err != nil {
		s.writeError(w, r, err)
		return
	}
	entries, err := s.cfg.Office.Trail(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.Trail{Deposit: e.ID, Entries: []api.TrailEntry{}}
	for _, te := range entries {
		res, err := s.result(te.Entry)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var rec api.TrailRecord
		if err := json.Unmarshal(te.Record, &rec); err != nil {
			s.writeError(w, r, fmt.Errorf("access-trail record %s of %s: %w", te.Entry, e.ID, err))
			return
		}
		if !access.TrailShows(p, &e.d, s.cfg.Institution, rec) {
			continue
		}
		entry := api.TrailEntry{Record: te.Record, DepositInfo: api.DepositInfo{Result: api.Result{ID: te.Entry, Status: api.StatusPending}}}
		if res != nil {
			entry.Result = *res
		}
		if entry.Status == api.StatusCommitted {
			rec, err := s.cfg.Ledger.DepositByID(te.Entry)
			if err == nil {
				err = s.describe(r.Context(), &entry.DepositInfo, rec)
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		out.Entries = append(out.Entries, entry)
	}
	writeJSON(w, http.StatusOK, out)
}

// ownDeposits lists the caller's committed deposits, made with any key
// the account ever held, through any node.
func (s *Server) ownDeposits(w http.ResponseWriter, r *http.Request) {
	acc := principal(r).Account
	keys := make([][]byte, len(acc.Keys))
	for i, k := range acc.Keys {
		keys[i] = k.Public
	}
	recs, err := s.cfg.Ledger.ByKeys(keys, maxOwnDeposits)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.OwnDeposits{Deposits: []api.Result{}}
	for _, rec := range recs {
		out.Deposits = append(out.Deposits, committedResult(rec.ID, placementOf(rec)))
	}
	writeJSON(w, http.StatusOK, out)
}

// invite issues an invitation code to register at this institution.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req api.InvitationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	life, err := parseLife("valid_for", req.ValidFor, defaultCodeLife, maxCodeLife)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.Invite(p, s.cfg.Institution); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now()
	code, err := s.cfg.Office.Invite(r.Context(), office.Invitation{Institution: s.cfg.Institution, IssuedBy: p.ID(), Issued: now, Expires: now.Add(life)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Invitation{Code: code, Institution: s.cfg.Institution, Expires: now.Add(life)})
}

// register takes a depositor's registration with an invitation code: the
// node checks the real-name data against the commitment, keeps the data,
// attests the registration with its key and puts it on the ledger. The
// account is pending until a reviewer approves it.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req api.RegistrationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Invitation == "" {
		s.writeError(w, r, unauthenticated("invitation: missing; a reviewer of %s issues invitation codes", s.cfg.Institution))
		return
	}
	op, err := parseOpNote(req.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case op.Action != identity.Register || op.Role != identity.Depositor:
		s.writeError(w, r, invalid("note: want the registration of a depositor, got %s", op.Action))
		return
	case op.Institution != s.cfg.Institution:
		s.writeError(w, r, invalid("note: the registration is for %s; this node is %s's", op.Institution, s.cfg.Institution))
		return
	}
	if err := req.RealName.Check(op.Kind); err != nil {
		s.writeError(w, r, invalid("%v", err))
		return
	}
	commitment, err := identity.Commit(s.cfg.Suite, req.Salt, req.RealName.Canonical())
	if err != nil {
		s.writeError(w, r, invalid("salt: %v", err))
		return
	}
	if string(commitment) != string(op.Commitment) {
		s.writeError(w, r, invalid("note: its commitment is not that of real_name with salt"))
		return
	}
	signed, err := s.attest(op, []byte(req.Note))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Ledger.CheckIdentity(signed); err != nil {
		s.writeError(w, r, invalid("note: %v", err))
		return
	}
	now := s.cfg.Now()
	_, err = s.cfg.Office.UseInvitation(r.Context(), req.Invitation, op.Account, now)
	switch {
	case errors.Is(err, office.ErrNotFound):
		s.writeError(w, r, unauthenticated("invitation: unknown code"))
		return
	case errors.Is(err, office.ErrUsed):
		s.writeError(w, r, unauthenticated("invitation: the code was already used; ask the reviewer for a new one"))
		return
	case errors.Is(err, office.ErrExpired):
		s.writeError(w, r, unauthenticated("invitation: the code has expired; ask the reviewer for a new one"))
		return
	case err != nil:
		s.writeError(w, r, err)
		return
	}
	reg := office.Registration{Account: op.Account, Kind: op.Kind, RealName: req.RealName, Salt: req.Salt, Registered: now}
	if err := s.cfg.Office.PutRegistration(r.Context(), reg); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submitIdentity(w, r, signed, op)
}

// parseOpNote reads the identity operation of a signed note without
// checking its signatures, which is the ledger's job.
func parseOpNote(signed string) (*identity.Op, error) {
	_, err := note.Open([]byte(signed), note.VerifierList())
	var un *note.UnverifiedNoteError
	if !errors.As(err, &un) {
		return nil, invalid("note: not a signed note")
	}
	op, err := identity.ParseOp(un.Note.Text)
	if err != nil {
		return nil, invalid("note: %v", err)
	}
	return op, nil
}

// attest adds this node's signature to a registration of a key of the
// network's suite.
func (s *Server) attest(op *identity.Op, signed []byte) ([]byte, error) {
	if err := op.CheckSuite(s.cfg.Suite); err != nil {
		return nil, invalid("note: %v", err)
	}
	v, err := identity.KeyVerifier(op.Account, op.Alg, op.Public)
	if err != nil {
		return nil, invalid("note: %v", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, invalid("note: not signed by the key it registers")
	}
	return note.Sign(n, s.cfg.NodeSigner)
}

// identityOp submits a signed identity operation (approve, reject,
// suspend, reinstate, add-key, revoke-key, or a staff registration); the
// ledger checks its signatures.
func (s *Server) identityOp(w http.ResponseWriter, r *http.Request) {
	var req api.SignedNote
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	op, err := parseOpNote(req.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if op.Action == identity.Register && op.Role == identity.Depositor {
		s.writeError(w, r, invalid("note: depositors register with an invitation code at POST /v1/registrations"))
		return
	}
	s.submitIdentity(w, r, []byte(req.Note), op)
}

// submitIdentity hands an identity operation to the network and waits
// until it takes effect.
func (s *Server) submitIdentity(w http.ResponseWriter, r *http.Request, signed []byte, op *identity.Op) {
	err := s.cfg.Submit(r.Context(), ledger.EncodeIdentityTx(signed))
	var refused *ledger.RefusedError
	if errors.As(err, &refused) {
		s.writeError(w, r, invalid("note: %s", refused.Reason))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), identityWait)
	defer cancel()
	for {
		snap := s.cfg.Ledger.Committed()
		if acc := s.cfg.Ledger.Account(op.Account); acc != nil && acc.Version > op.Version {
			applied := true
			writeJSON(w, http.StatusOK, api.AccountInfo{Account: acc, Applied: &applied})
			return
		}
		select {
		case <-snap.Done:
		case <-ctx.Done():
			applied := false
			writeJSON(w, http.StatusAccepted, api.AccountInfo{Account: s.cfg.Ledger.Account(op.Account), Applied: &applied})
			return
		}
	}
}

// ownAccount shows the caller its account and real-name data, whatever its
// status, so a pending depositor can follow its review.
func (s *Server) ownAccount(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if p.Account == nil {
		s.writeError(w, r, invalid("the node key has no account; use an account key"))
		return
	}
	info, err := s.accountInfo(r.Context(), p.Account, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) accountInfo(ctx context.Context, acc *identity.Account, withRealName bool) (api.AccountInfo, error) {
	info := api.AccountInfo{Account: acc}
	if !withRealName {
		return info, nil
	}
	reg, err := s.cfg.Office.Registration(ctx, acc.ID)
	switch {
	case err == nil:
		info.RealName = &reg.RealName
	case !errors.Is(err, office.ErrNotFound):
		return info, err
	}
	return info, nil
}

// accounts lists this institution's accounts (?status= filters), for its
// reviewers, admins and auditors; auditors do not see real-name data.
func (s *Server) accounts(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := access.ListAccounts(p, s.cfg.Institution); err != nil {
		s.writeError(w, r, err)
		return
	}
	status := identity.Status(r.URL.Query().Get("status"))
	out := api.AccountList{Accounts: []api.AccountInfo{}}
	for _, acc := range s.cfg.Ledger.Accounts(s.cfg.Institution) {
		if status != "" && acc.Status != status {
			continue
		}
		info, err := s.accountInfo(r.Context(), acc, access.SeesRealNames(p))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Accounts = append(out.Accounts, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// newToken issues an API token for the caller's account, bound to the key
// that signed the request. It needs a signed request: a token does not
// beget tokens.
func (s *Server) newToken(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req api.TokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	life, err := parseLife("valid_for", req.ValidFor, defaultTokenLife, maxTokenLife)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.MintToken(p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Label) > 100 {
		s.writeError(w, r, invalid("label: at most 100 bytes"))
		return
	}
	if err := req.CheckText(); err != nil {
		s.writeError(w, r, invalid("%v", err))
		return
	}
	now := s.cfg.Now()
	tok, t, err := s.cfg.Office.NewToken(r.Context(), office.Token{Account: p.ID(), Key: p.Key, Label: req.Label, Created: now, Expires: now.Add(life)}, maxLiveTokens)
	if errors.Is(err, office.ErrTooMany) {
		err = &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("account %s has %d unexpired API tokens at this node, the most; revoke some first ('jurichain token list', then 'jurichain token revoke ID')", p.ID(), maxLiveTokens)}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Token{Token: tok, ID: t.ID, Account: p.ID(), Expires: now.Add(life)})
}

// tokens lists the caller's API tokens, or (?account=) those of an
// account of the caller's institution for its admins and node; never
// their secrets.
func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	account := r.URL.Query().Get("account")
	switch {
	case account == "" && p.Account == nil:
		s.writeError(w, r, invalid("account: the node key has no account; name the account whose tokens to list"))
		return
	case account == "":
		account = p.ID()
	}
	if err := access.ListTokens(p, account, s.cfg.Ledger.Account(account)); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.cfg.Office.Tokens(r.Context(), account)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.TokenList{Tokens: []api.TokenInfo{}}
	for _, t := range list {
		out.Tokens = append(out.Tokens, tokenInfo(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func tokenInfo(t office.Token) api.TokenInfo {
	return api.TokenInfo{ID: t.ID, Account: t.Account, Label: t.Label, Created: t.Created, Expires: t.Expires, Key: t.Key}
}

// revokeToken revokes an API token: its owner's, or one of an account of
// the caller's institution for its admins and node.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	t, err := s.cfg.Office.TokenByID(r.Context(), id)
	if errors.Is(err, office.ErrNotFound) {
		err = &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("id: no API token %q at this node", id)}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.RevokeToken(principal(r), t, s.cfg.Ledger.Account(t.Account)); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Office.RevokeToken(r.Context(), id); err != nil {
		if errors.Is(err, office.ErrNotFound) { // revoked meanwhile by another request
			err = &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("id: no API token %q at this node", id)}
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenInfo(*t))
}

// otherDigestMismatch is the read error of an upload whose digest under
// one of the deposit's other algorithms differs from the deposit's.
type otherDigestMismatch struct{ deposit.Digest }

func (e *otherDigestMismatch) Error() string {
	return fmt.Sprintf("the upload's %s is not the deposit's", e.Algorithm)
}

// checkOtherDigests returns r hashed on the way with every digest the
// deposit carries besides the suite's (which the vault checks itself); at
// the end of r, a mismatch is returned as the read error, so the vault
// stores nothing.
func checkOtherDigests(r io.Reader, st *deposit.Statement, cs *suite.Suite) io.Reader {
	c := &digestCheck{r: r}
	for _, d := range st.Digests {
		if d.Algorithm.String() == cs.ContentDigest() {
			continue
		}
		h, err := suite.NewContentHash(d.Algorithm.String())
		if err != nil {
			continue // a digest no suite computes is not checked, as verify does not
		}
		c.hashes = append(c.hashes, h)
		c.want = append(c.want, d)
	}
	return c
}

type digestCheck struct {
	r      io.Reader
	hashes []hash.Hash
	want   []deposit.Digest
}

func (c *digestCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, h := range c.hashes {
		h.Write(p[:n])
	}
	if err == io.EOF {
		for i, h := range c.hashes {
			if !bytes.Equal(h.Sum(nil), c.want[i].Value) {
				return n, &otherDigestMismatch{c.want[i]}
			}
		}
	}
	return n, err
}
