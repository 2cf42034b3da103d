package httpapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/tlog"
	"github.com/jurichain/jurichain/tsa"
)

// maxCertificateBody bounds a certificate PDF sent to be checked: a
// certificate is about 100 KB.
const maxCertificateBody = 4 << 20

func (s *Server) issuer() (*certificate.Issuer, error) {
	if s.cfg.Certificates == nil {
		return nil, &api.Error{Code: api.CodeUnavailable, Message: "this node issues no certificates and runs no time-stamping authority"}
	}
	return s.cfg.Certificates, nil
}

// timestamp answers POST /v1/tsa: RFC 3161 over HTTP (application/
// timestamp-query in, application/timestamp-reply out). A query the
// authority refuses is answered with a rejection whose status text says
// why, as RFC 3161 clients expect, and the HTTP status 400.
func (s *Server) timestamp(w http.ResponseWriter, r *http.Request) {
	is, err := s.issuer()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/timestamp-query" {
		s.writeError(w, r, &api.Error{Code: api.CodeUnsupportedMedia, Message: "Content-Type: send an RFC 3161 query as application/timestamp-query (openssl ts -query -data FILE -sha256 -cert)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, tsa.MaxRequestSize+1))
	if err != nil {
		s.writeError(w, r, bodyError(err))
		return
	}
	a, err := is.Authority()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := a.Respond(body)
	status := http.StatusOK
	if err != nil {
		var te *tsa.Error
		if !errors.As(err, &te) {
			s.cfg.Logger.Error("time-stamping", "err", err)
			status = http.StatusInternalServerError
		} else {
			status = http.StatusBadRequest
		}
	}
	if resp == nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.WriteHeader(status)
	w.Write(resp)
}

// bodyError turns a body read error into the API's.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)}
	}
	return invalid("reading the request body: %v", err)
}

// certificatePDF answers GET /v1/deposits/{id}/certificate.pdf. The
// certificate prints the deposit's metadata, so it is read under the
// opening's rule, and on the access trail when the opening would be.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) {
	e, p, ok := s.describable(w, r)
	if !ok {
		return
	}
	c, err := s.certificateOf(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if access.OpeningOnTrail(p, &e.d) {
		if _, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: api.TrailReadMetadata}); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Number+`.pdf"`)
	w.Header().Set("X-Certificate-Number", c.Number)
	w.Write(c.PDF)
}

// certificateOf returns the deposit's certificate, issuing it on first
// request: it proves the deposit at the first checkpoint that covers it
// and has this institution's time-stamp. A certificate kept earlier is
// checked again under the current revocation list, and issued again under
// its number if a revocation dated back has made it fail.
func (s *Server) certificateOf(ctx context.Context, e *evidence) (*office.Certificate, error) {
	is, err := s.issuer()
	if err != nil {
		return nil, err
	}
	_, pol, err := s.currentPolicy()
	if err != nil {
		return nil, err
	}
	kept, err := s.cfg.Office.CertificateOf(ctx, e.ID)
	if err == nil {
		_, verr := is.Verify(kept.PDF, certificate.Options{Policy: pol, CRL: is.CRL()})
		if verr == nil {
			return kept, nil
		}
		s.cfg.Logger.Warn("issuing a certificate again: the one kept no longer verifies", "number", kept.Number, "deposit", e.ID, "err", verr)
	} else if !errors.Is(err, office.ErrNotFound) {
		return nil, err
	}
	in, size, err := s.certificateInput(ctx, e)
	if err != nil {
		return nil, err
	}
	if kept != nil {
		in.Number = kept.Number
	}
	pdf, data, err := is.Issue(in)
	if errors.Is(err, certificate.ErrTimeStampRevoked) {
		// The checkpoint's token is by a key revoked from before it:
		// stamp it again with the current one.
		if in.CheckpointToken, err = is.StampCheckpoint(in.Receipt.Checkpoint); err != nil {
			return nil, err
		}
		if err := s.cfg.Office.ReplaceCheckpointToken(ctx, size, in.CheckpointToken); err != nil {
			return nil, err
		}
		pdf, data, err = is.Issue(in)
	}
	if err != nil {
		return nil, err
	}
	c := office.Certificate{Number: data.Number, Deposit: e.ID, Issued: data.Issued, PDF: pdf}
	if kept != nil {
		return &c, s.cfg.Office.ReplaceCertificate(ctx, c)
	}
	return s.cfg.Office.PutCertificate(ctx, c)
}

// certificateInput gathers what a deposit's certificate is made of, and
// the size of the checkpoint it is proven at.
func (s *Server) certificateInput(ctx context.Context, e *evidence) (certificate.Input, uint64, error) {
	var in certificate.Input
	idBytes, _ := hex.DecodeString(e.ID)
	raw, err := s.cfg.Store.Opening(idBytes)
	if errors.Is(err, store.ErrNotFound) {
		return in, 0, &api.Error{Code: api.CodeNotFound, Message: "this node holds no metadata for deposit " + e.ID + ", which a certificate prints; ask the node it was deposited through"}
	}
	if err != nil {
		return in, 0, err
	}
	if in.Opening, err = deposit.ParseOpening(raw); err != nil {
		return in, 0, fmt.Errorf("stored opening of %s: %w", e.ID, err)
	}
	in.Opening.Suite = s.cfg.Suite.Name()
	index := e.Leaf.Index
	size, token, err := s.cfg.Office.FirstCheckpointToken(ctx, index+1)
	if errors.Is(err, office.ErrNotFound) {
		// The stamper has not reached it yet: stamp the latest final
		// checkpoint now.
		snap := s.cfg.Ledger.Committed()
		if snap.Checkpoint == nil || snap.Size <= index {
			return in, 0, &api.Error{Code: api.CodeConflict, Message: "deposit " + e.ID + " is not yet in a final checkpoint; ask again in a few seconds"}
		}
		size = snap.Size
		token, err = s.cfg.Certificates.StampAndKeep(ctx, snap.Size, snap.Checkpoint, s.cfg.Office)
	}
	if err != nil {
		return in, 0, err
	}
	in.CheckpointToken = token
	checkpoint, err := s.cfg.Store.Final(size)
	if err != nil {
		return in, 0, fmt.Errorf("final checkpoint %d: %w", size, err)
	}
	hashes, err := s.cfg.Ledger.InclusionProof(index, size)
	if err != nil {
		return in, 0, err
	}
	in.Receipt = &receipt.Receipt{Index: index, Proof: hashes, Checkpoint: checkpoint, Leaf: e.Record.Bytes}
	if in.PolicyText, in.Policy, err = s.currentPolicy(); err != nil {
		return in, 0, err
	}
	tx, err := s.cfg.Ledger.TxHash(index)
	if err != nil {
		return in, 0, err
	}
	in.TxHash = hex.EncodeToString(tx)
	if owner := e.d.Owner; owner != nil {
		in.Depositor.Account = owner.ID
		reg, err := s.cfg.Office.Registration(ctx, owner.ID)
		switch {
		case err == nil:
			in.Depositor.Name = reg.RealName.Name
		case !errors.Is(err, office.ErrNotFound):
			return in, 0, err
		}
	}
	return in, size, nil
}

// currentPolicy returns the policy in force now, as text and parsed.
func (s *Server) currentPolicy() ([]byte, *policy.Policy, error) {
	text, err := s.cfg.Ledger.PolicyAt(0)
	if err != nil {
		return nil, nil, err
	}
	pol, err := policy.Parse(text)
	if err != nil {
		return nil, nil, fmt.Errorf("the policy in force: %w", err)
	}
	return text, pol, nil
}

// certificateByNumber answers GET /v1/certificates/{number}: whether this
// institution issued it, what it proves, and whether the deposit is still
// in the log. A wrong number counts as a failed guess, as share codes do.
func (s *Server) certificateByNumber(w http.ResponseWriter, r *http.Request) {
	number, err := certificate.ParseNumber(r.PathValue("number"))
	if err != nil {
		s.writeError(w, r, invalid("number: %v", err))
		return
	}
	keys := guessKeys(r, principal(r))
	if wait := s.guesses.try(keys...); wait > 0 {
		s.writeError(w, r, &api.Error{Code: api.CodeTooManyRequests, Message: fmt.Sprintf("number: too many unknown certificate numbers; try again in %s", wait.Round(time.Second))})
		return
	}
	c, err := s.cfg.Office.CertificateByNumber(r.Context(), number)
	if errors.Is(err, office.ErrNotFound) {
		s.guesses.wrong()
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "no certificate " + number + " was issued by " + s.cfg.Institution + "; a certificate is looked up at the institution that sealed it, or checked offline with jurichain verify"})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.guesses.refund(keys...)
	res, err := s.checkPDF(r.Context(), c.PDF)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Certificate != nil {
		// A number alone does not show who deposited what.
		res.Certificate = res.Certificate.Public()
	}
	writeJSON(w, http.StatusOK, res)
}

// checkCertificate answers POST /v1/certificates/check: a certificate PDF
// in, the node's verdict out. It stores nothing.
func (s *Server) checkCertificate(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/pdf" {
		s.writeError(w, r, &api.Error{Code: api.CodeUnsupportedMedia, Message: "Content-Type: send the certificate as application/pdf"})
		return
	}
	pdf, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, bodyError(err))
		return
	}
	res, err := s.checkPDF(r.Context(), pdf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// checkPDF verifies a certificate under the policy in force and, when this
// institution sealed it, its current revocation list; then it proves the
// certificate's checkpoint consistent with the latest final one.
func (s *Server) checkPDF(ctx context.Context, pdf []byte) (*api.CertificateCheck, error) {
	// Public checks take at most half the cores, so that a flood of them
	// leaves the ledger its share; a check that waits too long is refused.
	wait, cancel := context.WithTimeout(ctx, checkWait)
	defer cancel()
	if err := s.checks.Acquire(wait, 1); err != nil {
		return nil, &api.Error{Code: api.CodeUnavailable, Message: "the node is busy checking other certificates; try again in a moment"}
	}
	defer s.checks.Release(1)
	return s.verifyCertificate(ctx, pdf), nil
}

// checkWait bounds how long a certificate check waits for its turn.
const checkWait = 10 * time.Second

// verifyCertificate is checkPDF's verification itself.
func (s *Server) verifyCertificate(ctx context.Context, pdf []byte) *api.CertificateCheck {
	_, pol, err := s.currentPolicy()
	if err != nil {
		s.cfg.Logger.Error("certificate check", "err", err)
		return &api.CertificateCheck{FailedCheck: "policy", Message: "the node could not read its policy; try again later"}
	}
	opts := certificate.Options{Policy: pol}
	// This institution's current revocation list, for its own
	// certificates; another member's are judged by the list they carry.
	if d, err := certificate.Peek(pdf); err == nil && s.cfg.Certificates != nil && d.Institution.Name == s.cfg.Institution {
		opts.CRL = s.cfg.Certificates.CRL()
	}
	verify := certificate.Verify
	if s.cfg.Certificates != nil {
		verify = s.cfg.Certificates.Verify // its fonts parsed once
	}
	res, err := verify(pdf, opts)
	if err != nil {
		out := &api.CertificateCheck{Message: err.Error()}
		var ce *certificate.CheckError
		if errors.As(err, &ce) {
			out.FailedCheck, out.Message = string(ce.Check), ce.Err.Error()
		}
		return out
	}
	out := &api.CertificateCheck{Genuine: true, Certificate: res.Data, SealedAt: &res.SealedAt, CheckpointTime: &res.CheckpointTime}
	snap := s.cfg.Ledger.Committed()
	still := &api.StillInLog{LatestSize: snap.Size}
	old := res.Proven.Checkpoint
	if hashes, err := s.cfg.Ledger.ConsistencyProof(old.Size, snap.Size); err == nil {
		h := s.cfg.Suite.LogHasher()
		still.Consistent = tlog.VerifyConsistency(h, old.Size, snap.Size, hashes, old.Hash, snap.Root) == nil
	} else {
		s.cfg.Logger.Error("consistency proof for a certificate check", "from", old.Size, "to", snap.Size, "err", err)
	}
	out.StillInLog = still
	return out
}

// pkiInfo answers GET /v1/pki.
func (s *Server) pkiInfo(w http.ResponseWriter, r *http.Request) {
	is, err := s.issuer()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.PKI{Institution: s.cfg.Institution, CA: string(pki.EncodePEM(is.CA().Raw)), Endorsement: string(is.Endorsement()), CRL: is.CRL()}
	for _, e := range is.History() {
		out.Credentials = append(out.Credentials, api.PKICredential{
			Role: string(e.Role), Serial: e.Cert.SerialNumber.Text(16), Subject: e.Cert.Subject.CommonName,
			Issued: e.Issued, Retired: e.Retired, Revoked: e.Revoked, Reason: e.Reason,
			Certificate: string(pki.EncodePEM(e.Cert.Raw)),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// crl answers GET /v1/pki/crl with the current revocation list (DER).
func (s *Server) crl(w http.ResponseWriter, r *http.Request) {
	is, err := s.issuer()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Write(is.CRL())
}
