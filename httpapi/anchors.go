package httpapi

// Anchoring in: outside logs registered at this network submit their
// checkpoints as C2SP tlog-witness add-checkpoint requests. The handler
// judges each against the committed state with the ledger's own check
// (ledger.App.CheckAnchor), then hands the network an anchor transaction
// carrying the request and this node's deposit of the checkpoint, and
// waits for consensus, which checks it again. A fork is answered only
// once the same transaction has reached consensus, which records the
// fork as misbehaviour and refuses the anchor; a fork consensus would
// not record (ledger.App.CheckFork) is answered without submitting.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/ledger"
)

// defaultAnchorWait is how long POST /v1/anchors waits for the anchor to
// commit when ?wait= is not given.
const defaultAnchorWait = 30 * time.Second

// anchorConflict is the 409 answer to an add-checkpoint request whose old
// size is not the latest anchored one: Size is that size, as C2SP
// tlog-witness clients learn it.
type anchorConflict struct {
	api.Error
	Size uint64 `json:"size"`
}

// anchorError maps the ledger's refusal of an anchor to an API error.
// AnchorConflict is written by writeAnchorError; duplicates and forks are
// handled before.
func anchorError(ae *ledger.AnchorError) error {
	switch ae.Kind {
	case ledger.AnchorNotFound:
		return &api.Error{Code: api.CodeNotFound, Message: ae.Reason + "; its members register it with 'jurichain consortium propose --register-log'"}
	case ledger.AnchorForbidden:
		return &api.Error{Code: api.CodeForbidden, Message: ae.Reason}
	case ledger.AnchorMalformed:
		return invalid("body: %s", ae.Reason)
	case ledger.AnchorInvalid:
		return &api.Error{Code: api.CodeUnprocessable, Message: ae.Reason}
	case ledger.AnchorFork:
		return &api.Error{Code: api.CodeFork, Message: ae.Reason + " (GET /v1/misbehaviour)"}
	}
	return fmt.Errorf("anchor refused: %w", ae)
}

func (s *Server) writeAnchorError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *ledger.AnchorError
	if errors.As(err, &ae) && ae.Kind == ledger.AnchorConflict {
		writeJSON(w, http.StatusConflict, anchorConflict{Error: api.Error{Code: api.CodeConflict, Message: ae.Reason}, Size: ae.Size})
		return
	}
	if errors.As(err, &ae) {
		err = anchorError(ae)
	}
	s.writeError(w, r, err)
}

// postAnchor takes an outside log's checkpoint to anchor.
func (s *Server) postAnchor(w http.ResponseWriter, r *http.Request) {
	wait, err := parseWait(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.URL.Query().Get("wait") == "" {
		wait = defaultAnchorWait
	}
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)})
		return
	}
	if err != nil {
		s.writeError(w, r, invalid("reading request body: %v", err))
		return
	}
	want, err := s.cfg.Ledger.CheckAnchor(body)
	var ae *ledger.AnchorError
	switch {
	case errors.As(err, &ae) && ae.Kind == ledger.AnchorDuplicate:
		s.answerAnchor(w, r, ae.Existing, wait)
		return
	case errors.As(err, &ae) && ae.Kind == ledger.AnchorFork:
		// A fork consensus would not record (recorded already, or beyond
		// what it records of a log) is answered at once: replayed, it
		// costs the network nothing.
		if err := s.cfg.Ledger.CheckFork(ae); err != nil {
			s.writeAnchorError(w, r, err)
			return
		}
		// Consensus records the fork: the same transaction, refused.
		if err := s.submitAnchor(r.Context(), body, ae.Evidence.Origin, ae.Evidence.Size, []byte(ae.Evidence.Theirs)); err != nil && !isRefusal(err) {
			s.writeError(w, r, err)
			return
		}
		answer := *ae
		if s.awaitFork(r.Context(), ae.Evidence, wait) {
			answer.Reason += "; recorded as misbehaviour"
		} else {
			answer.Reason += "; not recorded yet: consensus records it as misbehaviour"
		}
		s.writeAnchorError(w, r, &answer)
		return
	case err != nil:
		s.writeAnchorError(w, r, err)
		return
	}
	if err := s.submitAnchor(r.Context(), body, want.Origin, want.Size, want.Checkpoint); err != nil {
		if !isRefusal(err) {
			s.writeError(w, r, err)
			return
		}
		// Judged against a newer state: another request anchored first.
		if _, err := s.cfg.Ledger.CheckAnchor(body); errors.As(err, &ae) && ae.Kind == ledger.AnchorDuplicate {
			s.answerAnchor(w, r, ae.Existing, wait)
		} else if err != nil {
			s.writeAnchorError(w, r, err)
		} else {
			s.writeError(w, r, errors.New("the ledger refused an anchor its check accepted"))
		}
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	for {
		snap := s.cfg.Ledger.Committed()
		rec, err := s.cfg.Ledger.AnchorAtLeast(want.Origin, want.Size)
		if err != nil && !errors.Is(err, ledger.ErrNotFound) {
			s.writeError(w, r, err)
			return
		}
		if rec != nil && rec.Size == want.Size {
			s.answerAnchor(w, r, rec, max(time.Until(deadlineOf(ctx)), 0))
			return
		}
		// Not yet ordered: still acceptable, or overtaken (another
		// anchor of this log took its place)? Or committed since the
		// lookup above: then it is anchored already.
		if _, err := s.cfg.Ledger.CheckAnchor(body); errors.As(err, &ae) && ae.Kind == ledger.AnchorDuplicate {
			s.answerAnchor(w, r, ae.Existing, max(time.Until(deadlineOf(ctx)), 0))
			return
		} else if err != nil {
			s.writeAnchorError(w, r, err)
			return
		}
		select {
		case <-snap.Done:
		case <-ctx.Done():
			writeJSON(w, http.StatusAccepted, api.Anchor{Origin: want.Origin, Size: want.Size, RootHash: want.Root, CourtOrigin: s.cfg.Origin, Checkpoint: string(want.Checkpoint)})
			return
		}
	}
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func isRefusal(err error) bool {
	var refused *ledger.RefusedError
	return errors.As(err, &refused)
}

// submitAnchor hands the network an anchor transaction: the request as
// received and this node's deposit of the checkpoint, whose metadata
// opening the node keeps like any deposit's.
func (s *Server) submitAnchor(ctx context.Context, body []byte, origin string, size uint64, checkpoint []byte) error {
	cs := s.cfg.Suite
	sum := cs.Hash(checkpoint)
	d, _, err := client.Prepare(cs, s.cfg.Origin, s.cfg.NodeKey, client.Content{
		Digest: sum[:], Size: uint64(len(checkpoint)),
		Metadata:       deposit.Metadata{Title: ledger.AnchorTitle(origin, size), MediaType: "text/plain; charset=utf-8"},
		IdempotencyKey: ledger.AnchorIdempotencyKey(cs, checkpoint),
	})
	if err != nil {
		return err
	}
	subs, err := s.check([]api.Deposit{d}, false)
	if err != nil {
		return fmt.Errorf("anchor deposit: %w", err)
	}
	id, err := hex.DecodeString(subs[0].item.ID)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.PutOpenings([][]byte{id}, [][]byte{subs[0].opening}); err != nil {
		return err
	}
	return s.cfg.Submit(ctx, ledger.EncodeAnchorTx(body, subs[0].item.Signed))
}

// awaitFork waits until consensus has recorded a fork, or the wait ends,
// and reports whether it is recorded: the fork is proven either way.
func (s *Server) awaitFork(ctx context.Context, e *ledger.Evidence, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		snap := s.cfg.Ledger.Committed()
		ok, err := s.cfg.Ledger.ForkRecorded(e)
		if err != nil {
			s.cfg.Logger.Error("reading the recorded forks", "err", err)
			return false
		}
		if ok {
			return true
		}
		select {
		case <-snap.Done:
		case <-ctx.Done():
			return false
		}
	}
}

// answerAnchor answers an anchor once its entry is in the final tree,
// waiting for it at most wait: 200 with its receipt, or 202 without.
func (s *Server) answerAnchor(w http.ResponseWriter, r *http.Request, rec *ledger.AnchorRecord, wait time.Duration) {
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	for {
		snap := s.cfg.Ledger.Committed()
		a, done, err := s.anchorOf(rec)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if done {
			writeJSON(w, http.StatusOK, a)
			return
		}
		select {
		case <-snap.Done:
		case <-ctx.Done():
			writeJSON(w, http.StatusAccepted, a)
			return
		}
	}
}

// anchorOf is the API's view of an anchor; done once its entry is in the
// final tree, with its certified time and receipt.
func (s *Server) anchorOf(rec *ledger.AnchorRecord) (api.Anchor, bool, error) {
	a := api.Anchor{Origin: rec.Origin, Size: rec.Size, RootHash: rec.Root, Number: rec.Number, Deposit: rec.Deposit,
		CourtOrigin: s.cfg.Origin, Checkpoint: string(rec.Checkpoint)}
	entry, err := s.cfg.Ledger.AnchorEntry(rec)
	if errors.Is(err, ledger.ErrNotFound) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	if entry.ID != rec.Deposit {
		return a, false, fmt.Errorf("anchor of %s size %d: entry %d is deposit %s, not %s", rec.Origin, rec.Size, rec.Number, entry.ID, rec.Deposit)
	}
	rc, err := s.cfg.Ledger.Receipt(entry)
	if errors.Is(err, ledger.ErrNotFound) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	a.CertifiedTime, a.Receipt = entry.Leaf.Time, string(rc.Format())
	return a, true, nil
}

// anchoredLogs lists the registered outside logs.
func (s *Server) anchoredLogs(w http.ResponseWriter, r *http.Request) {
	version, logs := s.cfg.Ledger.OutsideLogs()
	out := api.AnchoredLogs{Version: version, Logs: make([]api.AnchoredLog, 0, len(logs))}
	for _, l := range logs {
		al := api.AnchoredLog{Origin: l.Origin, Policy: string(l.Policy), RegisteredHeight: l.RegisteredHeight, Anchors: l.Anchors, Retired: l.Retired}
		if l.Latest != nil {
			al.Latest = &api.LatestAnchor{Size: l.Latest.Size, RootHash: l.Latest.Root, Checkpoint: string(l.Latest.Checkpoint), Number: l.Latest.Number, Height: l.Latest.Height}
		}
		out.Logs = append(out.Logs, al)
	}
	writeJSON(w, http.StatusOK, out)
}

// getAnchor answers the anchor of an outside log with the smallest
// anchored size not below ?size= (default: the latest anchor).
func (s *Server) getAnchor(w http.ResponseWriter, r *http.Request) {
	wait, err := parseWait(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	origin := r.PathValue("origin")
	_, logs := s.cfg.Ledger.OutsideLogs()
	var latest *ledger.AnchorRecord
	known := false
	for _, l := range logs {
		if l.Origin == origin {
			known, latest = true, l.Latest
		}
	}
	if !known {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("no outside log %q is registered at this network (GET /v1/anchors/logs)", origin)})
		return
	}
	rec := latest
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, r, invalid("size: need a non-negative integer, got %q", v))
			return
		}
		if rec, err = s.cfg.Ledger.AnchorAtLeast(origin, n); errors.Is(err, ledger.ErrNotFound) {
			rec = nil
		} else if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if rec == nil {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("no anchor of %s covers that size yet", origin)})
		return
	}
	s.answerAnchor(w, r, rec, wait)
}

// changeOutsideLog takes an outside-log change signed by members holding
// more than two thirds of the voting power.
func (s *Server) changeOutsideLog(w http.ResponseWriter, r *http.Request) {
	s.submitNote(w, r, ledger.EncodeOutsideLogTx)
}
