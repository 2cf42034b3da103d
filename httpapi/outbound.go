package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/transparency-dev/formats/log"
	mproof "github.com/transparency-dev/merkle/proof"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/tlog"
)

// maxUpgradeBody bounds POST /v1/receipts/upgrade: a receipt is a few
// KiB, a checkpoint with a few dozen cosignatures included.
const maxUpgradeBody = 256 << 10

// Outbound is the anchoring-out worker as the API sees it (package
// upstream's Worker): the state of each upstream, and its metrics.
type Outbound interface {
	Upstreams() []api.Upstream
	// Policies are the policies of the upstreams reached so far.
	Policies() [][]byte
	prometheus.Collector
}

// outboundAnchors answers GET /v1/anchors/outbound[?before=SIZE][&limit=N]:
// the upstreams' state and the anchors this node stored, newest first.
func (s *Server) outboundAnchors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	before, err := pageBefore(q, "an anchored tree size")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.OutboundAnchors{Upstreams: []api.Upstream{}, Anchors: []api.Anchor{}}
	if s.cfg.Outbound != nil {
		out.Upstreams = s.cfg.Outbound.Upstreams()
	}
	var bad error
	err = s.cfg.Store.OutboundAnchors(before, limit, func(_ uint64, _ string, record []byte) bool {
		var a api.Anchor
		if bad = json.Unmarshal(record, &a); bad != nil {
			return false
		}
		out.Anchors = append(out.Anchors, a)
		return true
	})
	if err = errors.Join(err, bad); err != nil {
		s.writeError(w, r, fmt.Errorf("listing the stored anchors: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// upgradeReceipt answers POST /v1/receipts/upgrade: the receipt, a
// tlog-proof of this log, composed with the earliest stored anchor that
// covers its checkpoint.
func (s *Server) upgradeReceipt(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, bodyError(err))
		return
	}
	composed, err := s.upgrade(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", api.MediaAnchoredProof)
	w.WriteHeader(http.StatusOK)
	w.Write(composed)
}

func (s *Server) upgrade(body []byte) ([]byte, error) {
	if anchor.IsComposed(body) {
		return nil, invalid("body: a composed receipt already; send the tlog-proof it starts with")
	}
	rc, err := receipt.Parse(body)
	if err != nil {
		return nil, invalid("body: not a tlog-proof of this log: %v", err)
	}
	// The checkpoint runs to the end of the file, so a tlog-proof parser
	// takes whatever follows it as part of it: only signature lines may.
	text, sigs, ok := bytes.Cut(rc.Checkpoint, []byte("\n\n"))
	var cp log.Checkpoint
	if ok {
		_, err = cp.Unmarshal(append(text, '\n'))
	}
	if !ok || err != nil || !signatureLines(sigs) {
		return nil, invalid("body: the receipt's checkpoint is not a signed checkpoint")
	}
	if cp.Origin != s.cfg.Origin {
		return nil, invalid("body: the receipt is of the log %q; this node's is %q", cp.Origin, s.cfg.Origin)
	}
	final, err := s.cfg.Store.Final(cp.Size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid("body: the receipt's checkpoint of size %d is not a final checkpoint of this log", cp.Size)
	}
	if err != nil {
		return nil, err
	}
	text, _, _ = bytes.Cut(final, []byte("\n\n"))
	var ours log.Checkpoint
	if _, err := ours.Unmarshal(append(text, '\n')); err != nil {
		return nil, fmt.Errorf("this node's final checkpoint %d: %w", cp.Size, err)
	}
	h := s.cfg.Suite.LogHasher()
	if !bytes.Equal(ours.Hash, cp.Hash) {
		return nil, invalid("body: the receipt's checkpoint of size %d has another root than this log's", cp.Size)
	}
	if err := mproof.VerifyInclusion(h, rc.Index, cp.Size, h.HashLeaf(rc.Leaf), rc.Proof, cp.Hash); err != nil {
		return nil, invalid("body: the receipt's entry is not in its checkpoint: the receipt was altered")
	}
	size, _, record, err := s.cfg.Store.OutboundAnchorCovering(cp.Size)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &api.Error{Code: api.CodeNotAnchored, Message: fmt.Sprintf("no anchor covers the receipt's checkpoint of size %d yet; %s", cp.Size, s.nextAnchor())}
	}
	if err != nil {
		return nil, err
	}
	var a api.Anchor
	if err := json.Unmarshal(record, &a); err != nil {
		return nil, fmt.Errorf("the stored anchor of size %d: %w", size, err)
	}
	var prf [][]byte
	if size > cp.Size {
		if prf, err = tlog.ConsistencyProof(h, s.cfg.Store, cp.Size, size); err != nil {
			return nil, err
		}
	}
	c := anchor.Composed{Platform: body, OldSize: cp.Size, NewSize: size, Proof: prf, Anchored: []byte(a.Checkpoint), Court: []byte(a.Receipt)}
	return c.Format(), nil
}

// signatureLines reports whether b is one or more signed-note signature
// lines and nothing else.
func signatureLines(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return false
	}
	for _, l := range bytes.Split(b[:len(b)-1], []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("\u2014 ")) {
			return false
		}
	}
	return true
}

// nextAnchor says when the next anchor is due, for a receipt none covers.
func (s *Server) nextAnchor() string {
	if s.cfg.Outbound == nil {
		return "this node anchors into no upstream network (jurichain serve --anchor-to URL)"
	}
	ups := s.cfg.Outbound.Upstreams()
	if len(ups) == 0 {
		return "this node anchors into no upstream network (jurichain serve --anchor-to URL)"
	}
	var next *time.Time
	var errs []string
	for _, u := range ups {
		if u.NextAttempt != nil && (next == nil || u.NextAttempt.Before(*next)) {
			next = u.NextAttempt
		}
		if u.LastError != "" {
			errs = append(errs, u.URL)
		}
	}
	msg := "the next anchor is due once a new final checkpoint covers it"
	if next != nil {
		msg = "the next anchor is due at " + next.UTC().Format(time.RFC3339)
	}
	if len(errs) > 0 {
		msg += " (anchoring into " + strings.Join(errs, ", ") + " is failing: see GET /v1/anchors/outbound)"
	}
	return msg + "; try again then"
}
