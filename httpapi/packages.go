package httpapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/store"
)

// createPackage streams the evidence package of a court case: for the
// court's judges and clerks every deposit granted to the case, for a
// depositor its own. The reads of originals and openings it includes are
// recorded on the access trail, and committed, before the first byte is
// sent; the manifest is signed with the node's log key.
func (s *Server) createPackage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req api.PackageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := req.CheckText(); err != nil {
		s.writeError(w, r, invalid("%v", err))
		return
	}
	if err := s.checkCase(req.Court, req.Case); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := access.Package(p, req.Court); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	src, err := s.packageSource(ctx, p, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", packageDisposition(req.Case))
	h := evidencepack.Header{Network: s.cfg.Origin, Institution: s.cfg.Institution, Court: req.Court, Case: req.Case, Created: s.cfg.Now()}
	if err := evidencepack.Build(ctx, w, h, src, s.cfg.NodeSigner); err != nil {
		// The status is sent: the client sees a ZIP without its end, which
		// no reader accepts.
		s.cfg.Logger.Error("writing an evidence package failed", "court", req.Court, "case", req.Case, "err", err)
	}
}

// packageDisposition names the download: an ASCII name for every client,
// and the case number itself (RFC 6266, RFC 8187) for those that read it.
func packageDisposition(caseNo string) string {
	var b strings.Builder
	for _, c := range []byte(caseNo) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteByte(c)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
		if b.Len() >= 60 {
			break
		}
	}
	ascii := "evidence-package-" + strings.Trim(b.String(), "_") + ".zip"
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(evidencepack.SafeName("evidence-package-"+caseNo)+".zip"))
}

// nodeSource is a case's evidence on this node, as the requester may
// read it.
type nodeSource struct {
	s     *Server
	p     *access.Principal
	req   api.PackageRequest
	items []*evidence
	// originals are the deposits whose original goes in; openings those
	// whose metadata opening does.
	originals, openings map[string]bool
}

// packageSource gathers the case's deposits the requester may package and
// records, in one batch, the reads the package makes.
func (s *Server) packageSource(ctx context.Context, p *access.Principal, req api.PackageRequest) (*nodeSource, error) {
	ids, err := s.cfg.Office.CaseEvidence(ctx, req.Court, req.Case)
	if err != nil {
		return nil, err
	}
	src := &nodeSource{s: s, p: p, req: req, originals: map[string]bool{}, openings: map[string]bool{}}
	for _, id := range ids {
		rec, err := s.cfg.Ledger.DepositByID(id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue // granted, not yet committed
		}
		if err != nil {
			return nil, err
		}
		e, err := s.evidenceOf(ctx, rec)
		if err != nil {
			return nil, err
		}
		if access.PackageHolds(p, &e.d) {
			src.items = append(src.items, e)
		}
	}
	if len(src.items) == 0 {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("case: no committed evidence granted to case %q at %s that %s may package", req.Case, req.Court, p.ID())}
	}
	sort.Slice(src.items, func(i, j int) bool { return src.items[i].Leaf.Index < src.items[j].Leaf.Index })
	var reads []trailRead
	for _, e := range src.items {
		idBytes, _ := hex.DecodeString(e.ID)
		if _, err := s.cfg.Store.Opening(idBytes); err == nil {
			src.openings[e.ID] = true
			if access.OpeningOnTrail(p, &e.d) {
				reads = append(reads, trailRead{e, api.TrailRecord{Action: api.TrailReadMetadata}})
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		caseNo := req.Case
		if e.d.OwnedBy(p) {
			caseNo = ""
		}
		g, err := access.ReadOriginal(p, &e.d, caseNo, nil)
		if err != nil || s.cfg.Vault == nil {
			continue // no original it may read: the item goes without
		}
		has, err := s.cfg.Vault.Has(ctx, e.Leaf.ContentDigest(s.cfg.Suite))
		if err != nil {
			return nil, err
		}
		if has {
			src.originals[e.ID] = true
			reads = append(reads, trailRead{e, api.TrailRecord{Action: api.TrailRead, Via: g.Via, Court: g.Court, Case: g.Case}})
		}
	}
	if _, err := s.recordTrails(ctx, p, reads); err != nil {
		return nil, err
	}
	return src, nil
}

func (n *nodeSource) Items(context.Context) ([]string, error) {
	ids := make([]string, len(n.items))
	for i, e := range n.items {
		ids[i] = e.ID
	}
	return ids, nil
}

func (n *nodeSource) evidence(id string) (*evidence, error) {
	for _, e := range n.items {
		if e.ID == id {
			return e, nil
		}
	}
	return nil, fmt.Errorf("deposit %s is not in the package", id)
}

func (n *nodeSource) Item(ctx context.Context, id string) (*evidencepack.Item, error) {
	s := n.s
	e, err := n.evidence(id)
	if err != nil {
		return nil, err
	}
	rc, err := s.cfg.Ledger.Receipt(e.Record)
	if err != nil {
		return nil, err
	}
	it := &evidencepack.Item{Deposit: id, Receipt: rc.Format()}
	if it.Composed, err = s.anchoredReceipt(e.Record); err != nil {
		return nil, err
	}
	if n.openings[id] {
		idBytes, _ := hex.DecodeString(id)
		raw, err := s.cfg.Store.Opening(idBytes)
		if err != nil {
			return nil, err
		}
		op, err := deposit.ParseOpening(raw)
		if err != nil {
			return nil, fmt.Errorf("stored opening of %s: %w", id, err)
		}
		op.Suite = s.cfg.Suite.Name()
		if it.Opening, err = json.Marshal(op); err != nil {
			return nil, err
		}
	}
	if access.Describe(n.p, &e.d, s.cfg.Institution) == nil {
		c, err := s.cfg.Office.CertificateOf(ctx, id)
		switch {
		case err == nil:
			it.Certificate = c.PDF
		case !errors.Is(err, office.ErrNotFound):
			return nil, err
		}
	}
	if access.Trail(n.p, &e.d, s.cfg.Institution) == nil {
		entries, err := s.cfg.Office.Trail(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, te := range entries {
			var rec api.TrailRecord
			if err := json.Unmarshal(te.Record, &rec); err != nil {
				return nil, fmt.Errorf("access-trail record %s of %s: %w", te.Entry, id, err)
			}
			if !access.TrailShows(n.p, &e.d, s.cfg.Institution, rec) {
				continue
			}
			trec, err := s.cfg.Ledger.DepositByID(te.Entry)
			if errors.Is(err, ledger.ErrNotFound) {
				continue // not committed (yet, or refused): nothing proves it
			}
			if err != nil {
				return nil, err
			}
			trc, err := s.cfg.Ledger.Receipt(trec)
			if errors.Is(err, ledger.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			it.Trail = append(it.Trail, evidencepack.TrailEntry{Record: te.Record, Receipt: trc.Format()})
		}
	}
	return it, nil
}

func (n *nodeSource) Original(ctx context.Context, id string) (string, io.ReadCloser, error) {
	s := n.s
	e, err := n.evidence(id)
	if err != nil {
		return "", nil, err
	}
	if !n.originals[id] {
		return "", nil, evidencepack.ErrNoOriginal
	}
	name := "original"
	idBytes, _ := hex.DecodeString(id)
	if raw, err := s.cfg.Store.Opening(idBytes); err == nil {
		if op, err := deposit.ParseOpening(raw); err == nil && op.Title != "" {
			name = op.Title
		}
	}
	body, err := s.cfg.Vault.Get(ctx, e.Leaf.ContentDigest(s.cfg.Suite))
	if err != nil {
		return "", nil, err
	}
	return name, body, nil
}

func (n *nodeSource) Policies(context.Context) ([]evidencepack.PolicyVersion, error) {
	var out []evidencepack.PolicyVersion
	err := n.s.cfg.Store.Policies(func(from uint64, text []byte) error {
		out = append(out, evidencepack.PolicyVersion{Height: from, Text: text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("the node holds no policy")
	}
	out[len(out)-1].Current = true
	// The courts this network anchors into: their policies prove the
	// items' anchored receipts.
	if n.s.cfg.Outbound != nil {
		for _, text := range n.s.cfg.Outbound.Policies() {
			out = append(out, evidencepack.PolicyVersion{Current: true, Text: text})
		}
	}
	return out, nil
}

// anchoredReceipt is the deposit's receipt at the earliest checkpoint of
// this network anchored upstream that covers it, composed with that
// anchor; nil when no anchor this node stored covers it yet. The receipt
// at the newest checkpoint would do only once an anchor covered that
// checkpoint too, and the packaging itself grows the tree (its trail
// records).
func (s *Server) anchoredReceipt(rec *ledger.Record) ([]byte, error) {
	size, _, _, err := s.cfg.Store.OutboundAnchorCovering(rec.Leaf.Index + 1)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rc, err := s.cfg.Ledger.ReceiptAt(rec, size)
	if err != nil {
		return nil, fmt.Errorf("the receipt of deposit #%d at the anchored size %d: %w", rec.Leaf.Index, size, err)
	}
	return s.upgrade(rc.Format())
}

// trailRead is one access-trail record to deposit about a deposit.
type trailRead struct {
	e   *evidence
	rec api.TrailRecord
}
