// Package httpapi serves Jurichain's HTTP API: the deposit API (JSON), the
// read-only log in the C2SP tlog-tiles layout, the trust policy and the
// OpenAPI description. Every error is a JSON {"code","message"} mapped to
// an HTTP status in one place (writeError); internal causes are logged,
// never shown.
package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/semaphore"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/certificate"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/ingest"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tlog"
	"github.com/jurichain/jurichain/vault"
	"github.com/jurichain/jurichain/witness"
)

//go:embed openapi.json
var openAPI []byte

// Limits of the API.
const (
	// MaxBody bounds a request body: a full batch of 10,000 deposits with
	// generous metadata.
	MaxBody = 32 << 20
	// MaxWait bounds ?wait=.
	MaxWait = 60 * time.Second
	// maxByContent bounds a page of GET /v1/deposits?sha256= (?sm3=): each
	// deposit costs a receipt (an inclusion proof).
	maxByContent = 100
	// DefaultMaxOriginalSize bounds the declared size of a deposit's
	// content unless Config.MaxOriginalSize says otherwise: the node
	// stores an original of up to that size.
	DefaultMaxOriginalSize = 64 << 30
	// signatureSkew is how far a signed request's creation time may be
	// from the server's clock.
	signatureSkew = 5 * time.Minute
)

// Config is what the server needs.
type Config struct {
	Suite  *suite.Suite
	Origin string
	// Institution is the member running this node.
	Institution string
	Ledger      *ledger.App
	Store       *store.Store
	Pipeline    *ingest.Pipeline
	// Office keeps the institution's own records; Vault its originals.
	Office *office.Office
	Vault  *vault.Vault
	// NodeKey is the node's log key: it deposits the access trail.
	// NodeSigner is the same key as the log's note signer: it attests
	// registrations.
	NodeKey    suite.PrivateKey
	NodeSigner note.Signer
	// Submit hands a membership change or evidence transaction to the
	// network.
	Submit func(ctx context.Context, tx []byte) error
	// MempoolSize reports the number of transactions waiting for a block.
	MempoolSize func() int
	// Peers reports the number of connected peers.
	Peers  func() int
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxOriginalSize bounds the size a deposit may declare, and so the
	// upload of its original; DefaultMaxOriginalSize when zero.
	MaxOriginalSize uint64
	// PublicNames are the names, host or host:port, under which clients
	// reach this node: a request signed for another @authority is refused.
	PublicNames []string
	// Limits bound requests; zero fields take DefaultLimits.
	Limits Limits
	// Certificates issues the institution's certificates and runs its
	// time-stamping authority; without it those endpoints answer 503.
	Certificates *certificate.Issuer
	// TempDir receives imported evidence packages while they are
	// verified (under the node's data directory); without it the import
	// answers 503.
	TempDir string
	// MaxPackageSize bounds an imported package; DefaultMaxPackageSize
	// when zero.
	MaxPackageSize int64
	// Portal serves the web pages: GET and HEAD requests for the paths it
	// serves. Without it they get the API's JSON 404.
	Portal Portal
	// Witness cosigns, as a C2SP tlog-witness, the checkpoints of the
	// logs this node witnesses; without it POST /witness/add-checkpoint
	// answers 404.
	Witness *witness.Server
	// Witnesses asks outside witnesses to cosign this network's final
	// checkpoints; nil when none is configured.
	Witnesses *witness.Client
	// Outbound anchors this network's checkpoints into upstream networks;
	// nil when it anchors into none.
	Outbound Outbound
}

// Portal is the web portal as the API server mounts it.
type Portal interface {
	http.Handler
	// Serves reports whether the portal has a page or file at path.
	Serves(path string) bool
}

// Server is the HTTP API.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	verifier *httpsig.Verifier
	routes   []Route
	guesses  *guesses
	// verified counts deposit signatures verified, for the metrics.
	verified atomic.Uint64
	// bodies bounds the request bodies held in memory (Limits).
	bodies *semaphore.Weighted
	// checks bounds the public certificate checks running at once: each
	// renders a page and verifies signatures, and anyone may ask.
	checks *semaphore.Weighted
}

// Route is one endpoint and its authorization rule.
type Route struct {
	Method, Path string
	Rule         access.Rule
	// Streamed routes take a body the handler reads as a stream.
	Streamed bool
	handler  http.HandlerFunc
	// publicBody, when set, bounds a public route's body instead of
	// Limits.MaxPublicBody.
	publicBody int64
}

// Routes lists every endpoint with its rule, for documentation and tests.
func (s *Server) Routes() []Route { return s.routes }

// New builds the server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxOriginalSize == 0 {
		cfg.MaxOriginalSize = DefaultMaxOriginalSize
	}
	if cfg.MaxPackageSize == 0 {
		cfg.MaxPackageSize = DefaultMaxPackageSize
	}
	cfg.Limits = cfg.Limits.withDefaults()
	s := &Server{cfg: cfg, mux: http.NewServeMux(), guesses: newGuesses(cfg.Now), bodies: semaphore.NewWeighted(cfg.Limits.MaxBodyMemory),
		checks: semaphore.NewWeighted(int64(max(1, runtime.GOMAXPROCS(0)/2)))}
	vcfg := httpsig.Config{Suite: cfg.Suite, Resolve: s.resolveKey, Authorities: cfg.PublicNames, Skew: signatureSkew, Now: cfg.Now}
	if cfg.Store != nil {
		// Nonces outlive a restart; what a crash loses of them belongs to
		// requests created before this start.
		vcfg.Nonces, vcfg.NotBefore = cfg.Store, cfg.Now().Truncate(time.Second)
	}
	s.verifier = httpsig.NewVerifier(vcfg)
	// The endpoints and their rules are access.Endpoints(); here each gets
	// its handler.
	dash := s.newDashboard()
	handlers := map[string]http.HandlerFunc{
		"GET /v1/deposits":           s.byContent,
		"GET /v1/proofs/inclusion":   s.inclusion,
		"GET /v1/proofs/consistency": s.consistency,
		"GET /v1/misbehaviour":       s.misbehaviour,
		"GET /checkpoint":            s.checkpoint,
		"GET /tile/":                 s.tile,
		"GET /policy":                s.policy,
		"GET /v1/membership":         s.membership,
		"GET /openapi.json":          s.openapi,
		"GET /v1/status":             s.status,
		"GET /metrics":               s.metricsHandler().ServeHTTP,
		"GET /healthz":               func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) },

		"POST /v1/registrations": s.register,
		"GET /v1/account":        s.ownAccount,
		"POST /v1/tokens":        s.newToken,
		"GET /v1/tokens":         s.tokens,
		"DELETE /v1/tokens/{id}": s.revokeToken,
		"POST /v1/identity":      s.identityOp,
		"POST /v1/invitations":   s.invite,
		"GET /v1/accounts":       s.accounts,

		"POST /v1/deposits":                       s.submit,
		"GET /v1/account/deposits":                s.ownDeposits,
		"GET /v1/deposits/{id}":                   s.getDeposit,
		"GET /v1/deposits/{id}/opening":           s.getOpening,
		"PUT /v1/deposits/{id}/original":          s.putOriginal,
		"GET /v1/deposits/{id}/original":          s.getOriginal,
		"POST /v1/deposits/{id}/shares":           s.share,
		"GET /v1/deposits/{id}/shares":            s.shares,
		"DELETE /v1/deposits/{id}/shares/{share}": s.revokeShare,
		"POST /v1/deposits/{id}/grants":           s.grant,
		"DELETE /v1/deposits/{id}/grants":         s.revokeGrant,
		"GET /v1/deposits/{id}/trail":             s.trail,
		"GET /v1/cases/{court}/{case}":            s.caseEvidence,
		"POST /v1/packages":                       s.createPackage,
		"POST /v1/packages/import":                s.importPackage,
		"GET /v1/packages/imports":                s.packageImports,
		"GET /v1/packages/imports/{id}":           s.packageImport,

		"POST /v1/tsa":                          s.timestamp,
		"GET /v1/pki":                           s.pkiInfo,
		"GET /v1/pki/crl":                       s.crl,
		"GET /v1/certificates/{number}":         s.certificateByNumber,
		"POST /v1/certificates/check":           s.checkCertificate,
		"GET /v1/deposits/{id}/certificate.pdf": s.certificatePDF,

		"GET /v1/stats":                dash.getStats,
		"GET /v1/explorer/blocks":      dash.getBlocks,
		"GET /v1/explorer/checkpoints": dash.getCheckpoints,
		"GET /v1/explorer/growth":      dash.getGrowth,
		"GET /v1/validators":           dash.getValidators,

		"POST /witness/add-checkpoint": s.addCheckpoint,

		"POST /v1/misbehaviour": s.reportMisbehaviour,
		"POST /v1/membership":   s.changeMembership,

		"POST /v1/anchors":            s.postAnchor,
		"GET /v1/anchors/logs":        s.anchoredLogs,
		"GET /v1/anchors/{origin...}": s.getAnchor,
		"POST /v1/anchors/logs":       s.changeOutsideLog,
		"GET /v1/anchors/outbound":    s.outboundAnchors,
		"POST /v1/receipts/upgrade":   s.upgradeReceipt,
	}
	for _, ep := range access.Endpoints() {
		h, ok := handlers[ep.Method+" "+ep.Path]
		if !ok {
			panic("httpapi: no handler for " + ep.Method + " " + ep.Path)
		}
		// The upload's and the package's bodies are streamed: the handler
		// binds an upload to the deposit's digest, a package to the SHA-256
		// the signed query or Content-Digest names.
		streamed := ep.Method == "PUT" && ep.Path == "/v1/deposits/{id}/original" ||
			ep.Method == "POST" && ep.Path == "/v1/packages/import"
		rt := Route{Method: ep.Method, Path: ep.Path, Rule: ep.Rule, Streamed: streamed, handler: h}
		if ep.Method == "POST" && ep.Path == "/v1/certificates/check" {
			// A public endpoint, but a certificate is larger than other
			// public bodies.
			rt.publicBody = maxCertificateBody
		}
		if ep.Method == "POST" && ep.Path == "/witness/add-checkpoint" {
			// The protocol's bound, whatever --max-public-body says.
			rt.publicBody = witness.MaxBody
		}
		if ep.Method == "POST" && ep.Path == "/v1/anchors" {
			rt.publicBody = witness.MaxBody
		}
		if ep.Method == "POST" && ep.Path == "/v1/receipts/upgrade" {
			rt.publicBody = maxUpgradeBody
		}
		s.routes = append(s.routes, rt)
	}
	allowed := map[string][]string{}
	for _, rt := range s.routes {
		s.mux.HandleFunc(rt.Method+" "+rt.Path, s.guard(rt, rt.handler))
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	// Other methods on a known path get a JSON 405 rather than the mux's
	// plain-text one. Each method is registered on its own (a pattern
	// without one would conflict with "GET /v1/certificates/{number}" for
	// "/v1/certificates/check"); GET covers HEAD.
	for path, methods := range allowed {
		notAllowed := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			s.writeError(w, r, &api.Error{Code: api.CodeNotAllowed, Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(methods, " or ")})
		}
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect} {
			if !slices.Contains(methods, m) {
				s.mux.HandleFunc(m+" "+path, notAllowed)
			}
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Portal != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && cfg.Portal.Serves(r.URL.Path) {
			cfg.Portal.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "no such endpoint: " + r.Method + " " + r.URL.Path + " (see /openapi.json)"})
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// httpStatus maps an error code to its HTTP status: the only place that
// does.
func httpStatus(code string) int {
	switch code {
	case api.CodeInvalid, api.CodeSignature:
		return http.StatusBadRequest
	case api.CodeConflict, api.CodeNotWitnessed, api.CodeFork, api.CodeNotAnchored:
		return http.StatusConflict
	case api.CodeUnprocessable:
		return http.StatusUnprocessableEntity
	case api.CodeNotFound:
		return http.StatusNotFound
	case api.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case api.CodeForbidden:
		return http.StatusForbidden
	case api.CodeUnauthenticated:
		return http.StatusUnauthorized
	case api.CodeUnavailable:
		return http.StatusServiceUnavailable
	case api.CodeNotAllowed:
		return http.StatusMethodNotAllowed
	case api.CodeTooManyRequests:
		return http.StatusTooManyRequests
	case api.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers with err as JSON. An error that is not an *api.Error
// is internal: it is logged and the client sees only "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *api.Error
	if !errors.As(err, &e) {
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &api.Error{Code: api.CodeInternal, Message: "internal error"}
	}
	writeJSON(w, httpStatus(e.Code), e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // an error means the client went away
}

func invalid(format string, args ...any) *api.Error {
	return &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// decodeJSON reads a JSON body strictly: size-limited, no unknown fields,
// nothing after the value, and an error that names the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		msg := fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)
		if tooBig.Limit == MaxBody { // not a public endpoint's smaller limit (guard)
			msg += "; split the batch"
		}
		return &api.Error{Code: api.CodeTooLarge, Message: msg}
	}
	if err != nil {
		return invalid("reading request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("empty request body; send a JSON document")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			return invalid("unexpected data after the JSON value")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return invalid("%s: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return invalid("malformed JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the document ends early")
	default:
		return invalid("malformed request: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func parseWait(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, invalid("wait: %q is not a duration such as 5s", v)
	}
	return min(d, MaxWait), nil
}

// parseReceipts reads ?receipts=true, which asks a submission's answer to
// carry the receipt of each committed deposit. It is opt-in because
// receipts make the answer to a large batch several times longer.
func parseReceipts(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("receipts"); v {
	case "":
		return false, nil
	case "true", "false":
		return v == "true", nil
	default:
		return false, invalid("receipts: %q is neither true nor false", v)
	}
}

// addReceipts sets the receipt of each committed result. A deposit that
// committed in a block whose checkpoint is not yet signed keeps none; its
// depositor asks GET /v1/deposits/{id} for it.
func (s *Server) addReceipts(ctx context.Context, results []api.Result) error {
	tokens := map[uint64][]byte{}
	for i := range results {
		if results[i].Status != api.StatusCommitted {
			continue
		}
		rec, err := s.cfg.Ledger.DepositByID(results[i].ID)
		if err != nil {
			return err
		}
		rc, err := s.cfg.Ledger.Receipt(rec)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		results[i].Receipt = string(rc.Format())
		if results[i].CheckpointTimestamp, err = s.checkpointToken(ctx, tokens, rc.Checkpoint); err != nil {
			return err
		}
	}
	return nil
}

// checkpointToken returns the node's RFC 3161 token of a final
// checkpoint, stamping it now if the stamper has not yet; nil when the
// node runs no time-stamping authority. seen caches tokens by tree size
// for a batch of receipts, which share their checkpoint.
func (s *Server) checkpointToken(ctx context.Context, seen map[uint64][]byte, checkpoint []byte) ([]byte, error) {
	if s.cfg.Certificates == nil {
		return nil, nil
	}
	// The note's text ends at its blank line; the slice is only read, as
	// other requests share the checkpoint.
	i := bytes.Index(checkpoint, []byte("\n\n"))
	if i < 0 {
		return nil, errors.New("reading a final checkpoint: it has no signatures")
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal(checkpoint[:i+1]); err != nil {
		return nil, fmt.Errorf("reading a final checkpoint: %w", err)
	}
	cp := c.Size
	if tok, ok := seen[cp]; ok {
		return tok, nil
	}
	tok, err := s.cfg.Office.CheckpointToken(ctx, cp)
	if errors.Is(err, office.ErrNotFound) {
		tok, err = s.cfg.Certificates.StampAndKeep(ctx, cp, checkpoint, s.cfg.Office)
	}
	if err != nil {
		return nil, err
	}
	seen[cp] = tok
	return tok, nil
}

// submitted is one deposit of a request, checked.
type submitted struct {
	item      ingest.Item
	opening   []byte // canonical encoding
	depositor []byte // public key
	field     string // path prefix for errors, "deposits[3]." in a batch
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	wait, err := parseWait(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	withReceipts, err := parseReceipts(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req api.SubmitRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	batch := req.Deposits != nil
	deps := req.Deposits
	if !batch {
		deps = []api.Deposit{req.Deposit}
	} else if req.Deposit.Digests != nil || req.Deposit.Signature != nil || req.Deposit.DepositorKey != nil {
		s.writeError(w, r, invalid("send either one deposit or a batch under \"deposits\", not both"))
		return
	}
	switch {
	case len(deps) == 0:
		s.writeError(w, r, invalid("deposits: the batch is empty"))
		return
	case len(deps) > api.MaxBatch:
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("deposits: %d deposits, at most %d per request", len(deps), api.MaxBatch)})
		return
	}
	// Authorization first: whether the caller may submit these deposits
	// depends only on their depositor keys, so a stranger's batch is
	// refused before any of its signatures is verified.
	subs, signed, err := s.parse(deps, batch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	signers := make([]access.Signer, len(subs))
	for i, sub := range subs {
		signers[i] = access.Signer{Field: sub.field, Key: sub.depositor}
	}
	if err := access.AuthorizeDeposits(principal(r), signers, s.cfg.Ledger); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.verify(subs, signed); err != nil {
		s.writeError(w, r, err)
		return
	}
	results, err := s.enqueue(subs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wait > 0 {
		if err := s.waitAll(r.Context(), results, wait); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if withReceipts {
		if err := s.addReceipts(r.Context(), results); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	status := http.StatusOK
	for _, res := range results {
		if res.Status == api.StatusPending {
			status = http.StatusAccepted
		}
	}
	if batch {
		writeJSON(w, status, api.SubmitResponse{Results: results})
	} else {
		writeJSON(w, status, results[0])
	}
}

// enqueue hands checked deposits to the ingest pipeline and reports each
// one's state: pending, or committed if it already was.
func (s *Server) enqueue(subs []submitted) ([]api.Result, error) {
	results := make([]api.Result, len(subs))
	var fresh []ingest.Item
	for i, sub := range subs {
		_, err := s.cfg.Ledger.Placement(sub.item.ID)
		if errors.Is(err, ledger.ErrNotFound) {
			fresh = append(fresh, sub.item)
			results[i] = api.Result{ID: sub.item.ID, Status: api.StatusPending}
			continue
		}
		var rec *ledger.Record
		if err == nil {
			rec, err = s.cfg.Ledger.DepositByID(sub.item.ID)
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(rec.Leaf.Statement.AppendBinary(nil), sub.item.Statement) {
			return nil, &api.Error{Code: api.CodeConflict, Message: sub.field + "idempotency_key: already used by this depositor for a different deposit (deposit " + sub.item.ID + ")"}
		}
		results[i] = committedResult(rec.ID, placementOf(rec))
	}
	if len(fresh) > 0 {
		ids := make([][]byte, 0, len(fresh))
		openings := make([][]byte, 0, len(fresh))
		for i, sub := range subs {
			if results[i].Status == api.StatusPending {
				idBytes, _ := hex.DecodeString(sub.item.ID)
				ids, openings = append(ids, idBytes), append(openings, sub.opening)
			}
		}
		if err := s.cfg.Store.PutOpenings(ids, openings); err != nil {
			return nil, err
		}
		if err := s.cfg.Pipeline.Enqueue(fresh); err != nil {
			var ce *ingest.ConflictError
			if errors.As(err, &ce) {
				field := ""
				for _, sub := range subs {
					if sub.item.ID == ce.ID {
						field = sub.field
					}
				}
				err = &api.Error{Code: api.CodeConflict, Message: field + "idempotency_key: " + ce.Error()}
			}
			return nil, err
		}
	}
	return results, nil
}

// check parses every deposit and verifies every signature; the first
// problem rejects the whole request.
func (s *Server) check(deps []api.Deposit, batch bool) ([]submitted, error) {
	subs, signed, err := s.parse(deps, batch)
	if err != nil {
		return nil, err
	}
	return subs, s.verify(subs, signed)
}

// parse parses every deposit without verifying its signature.
func (s *Server) parse(deps []api.Deposit, batch bool) ([]submitted, []*deposit.Signed, error) {
	cs := s.cfg.Suite
	subs := make([]submitted, len(deps))
	signed := make([]*deposit.Signed, len(deps))
	raw := make([][]byte, len(deps))
	seen := make(map[string]int, len(deps))
	for i := range deps {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("deposits[%d].", i)
		}
		sd, op, err := deps[i].Parse(prefix)
		if err == nil {
			err = deps[i].CheckSuite(prefix, cs)
		}
		if err != nil {
			return nil, nil, &api.Error{Code: api.CodeInvalid, Message: err.Error()}
		}
		if sd.Size > s.cfg.MaxOriginalSize {
			return nil, nil, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("%ssize: %d bytes; this node takes originals of at most %d bytes", prefix, sd.Size, s.cfg.MaxOriginalSize)}
		}
		opening := op.AppendBinary(nil)
		sd.MetadataCommitment = cs.Hash([]byte(deposit.CommitmentDomain), opening)
		signedRaw := sd.AppendBinary(nil)
		stmt := sd.StatementOf(signedRaw)
		id := sd.ID(cs)
		if j, dup := seen[id]; dup && !bytes.Equal(subs[j].item.Statement, stmt) {
			return nil, nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("%sidempotency_key: also used by deposits[%d] for a different deposit", prefix, j)}
		}
		seen[id] = i
		signed[i], raw[i] = sd, signedRaw
		subs[i] = submitted{item: ingest.Item{ID: id, Statement: stmt, Signed: raw[i]}, opening: opening, depositor: sd.Depositor, field: prefix}
	}
	return subs, signed, nil
}

// verify verifies the signatures of parsed deposits.
func (s *Server) verify(subs []submitted, signed []*deposit.Signed) error {
	raw := make([][]byte, len(subs))
	for i, sub := range subs {
		raw[i] = sub.item.Signed
	}
	s.verified.Add(uint64(len(subs)))
	for i, ok := range s.cfg.Ledger.VerifyDeposits(signed, raw) {
		if !ok {
			return &api.Error{Code: api.CodeSignature, Message: subs[i].field + "signature: does not verify for depositor_key over this deposit on log " + s.cfg.Origin}
		}
	}
	return nil
}

func committedResult(id string, p ledger.Placement) api.Result {
	return api.Result{ID: id, Status: api.StatusCommitted, Index: &p.Index, Height: p.Height, Time: &p.Time}
}

func placementOf(rec *ledger.Record) ledger.Placement {
	return ledger.Placement{Index: rec.Leaf.Index, Height: rec.Leaf.Height, Time: rec.Leaf.Time}
}

// result reports the state of one deposit id, or nil if the node knows
// nothing of it.
func (s *Server) result(id string) (*api.Result, error) {
	p, err := s.cfg.Ledger.Placement(id)
	if err == nil {
		res := committedResult(id, p)
		return &res, nil
	}
	if !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	}
	rej, rejected := s.cfg.Ledger.Rejected(id)
	if ok, signed, why := s.cfg.Pipeline.Pending(id); ok {
		switch {
		case why != "":
			return &api.Result{ID: id, Status: api.StatusRejected, Reason: why}, nil
		case rejected && rej.Signed == signed:
			return &api.Result{ID: id, Status: api.StatusRejected, Reason: rej.Reason}, nil
		}
		// A rejection of another deposit under this id does not concern
		// the one this node is carrying.
		return &api.Result{ID: id, Status: api.StatusPending}, nil
	}
	if rejected {
		return &api.Result{ID: id, Status: api.StatusRejected, Reason: rej.Reason}, nil
	}
	return nil, nil
}

// waitAll updates pending results until each is committed or rejected, or
// the wait ends.
func (s *Server) waitAll(ctx context.Context, results []api.Result, wait time.Duration) error {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		snap := s.cfg.Ledger.Committed()
		open := false
		for i := range results {
			if results[i].Status != api.StatusPending {
				continue
			}
			res, err := s.result(results[i].ID)
			if err != nil {
				return err
			}
			if res != nil {
				results[i] = *res
			}
			if results[i].Status == api.StatusPending {
				// Deposits of one request are ordered together: the rest
				// are pending too, so wait for the next block.
				open = true
				break
			}
		}
		if !open {
			return nil
		}
		select {
		case <-snap.Done:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// lookup resolves a path id: a 64-hex deposit id or a decimal deposit
// number.
func (s *Server) lookup(id string) (string, error) {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil && len(id) < 20 {
		rec, err := s.cfg.Ledger.DepositByIndex(n)
		if errors.Is(err, ledger.ErrNotFound) {
			return "", &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("no deposit number %d", n)}
		}
		if err != nil {
			return "", err
		}
		return rec.ID, nil
	}
	if b, err := hex.DecodeString(id); err != nil || len(b) != suite.HashSize || hex.EncodeToString(b) != id {
		return "", invalid("id: %q is neither a deposit number nor a 64-character lowercase hex deposit id", id)
	}
	return id, nil
}

func (s *Server) getDeposit(w http.ResponseWriter, r *http.Request) {
	wait, err := parseWait(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	witnessed, err := parseWitnessed(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.lookup(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.result(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res == nil {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "no deposit " + id + " on this node"})
		return
	}
	if err := s.mayFollow(r, principal(r), res); err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Status == api.StatusPending && wait > 0 {
		results := []api.Result{*res}
		if err := s.waitAll(r.Context(), results, wait); err != nil {
			s.writeError(w, r, err)
			return
		}
		res = &results[0]
	}
	info := api.DepositInfo{Result: *res}
	if res.Status == api.StatusCommitted {
		rec, err := s.cfg.Ledger.DepositByID(id)
		if err == nil {
			err = s.describe(r.Context(), &info, rec)
		}
		if err == nil && witnessed {
			err = s.witnessedReceipt(r, &info, rec)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	} else if witnessed {
		s.writeError(w, r, notWitnessed("deposit %s is not committed yet, so no witness cosigned a checkpoint covering it", id))
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// mayFollow decides who sees a deposit's state: for a committed deposit
// whoever may see its record, or holds a share code of it (?code=); before
// that, depositors.
func (s *Server) mayFollow(r *http.Request, p *access.Principal, res *api.Result) error {
	if res.Status != api.StatusCommitted {
		return access.Follow(p, res.ID)
	}
	rec, err := s.cfg.Ledger.DepositByID(res.ID)
	if err != nil {
		return err
	}
	e, err := s.evidenceOf(r.Context(), rec)
	if err != nil {
		return err
	}
	sh, err := s.shareOf(r, p, e)
	if err != nil {
		return err
	}
	return access.DescribeShared(p, &e.d, s.cfg.Institution, sh)
}

func (s *Server) describe(ctx context.Context, info *api.DepositInfo, rec *ledger.Record) error {
	info.Entry = api.NewEntry(rec.Leaf, rec.Bytes)
	tx, err := s.cfg.Ledger.TxHash(rec.Leaf.Index)
	if err != nil {
		return err
	}
	info.TxHash = strings.ToUpper(hex.EncodeToString(tx))
	rc, err := s.cfg.Ledger.Receipt(rec)
	if err != nil {
		return err
	}
	info.Receipt = string(rc.Format())
	if info.CheckpointTimestamp, err = s.checkpointToken(ctx, map[uint64][]byte{}, rc.Checkpoint); err != nil {
		return err
	}
	return nil
}

// byContent answers GET /v1/deposits?sha256= or ?sm3=: the deposits of
// the content with that digest. The ledger indexes deposits by the
// network suite's content digest, so that is the one a query names; the
// other suite's is refused with a hint.
func (s *Server) byContent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	alg := s.cfg.Suite.ContentDigest()
	if !q.Has(alg) {
		if other := s.cfg.Suite.SecondDigest(); q.Has(other) {
			s.writeError(w, r, invalid("%s: this network's suite is %s, which finds deposits by their %s; ask with ?%s=", other, s.cfg.Suite, alg, alg))
			return
		}
	}
	v := q.Get(alg)
	d, err := hex.DecodeString(v)
	if err != nil || len(d) != suite.HashSize || hex.EncodeToString(d) != v {
		s.writeError(w, r, invalid("%s: need %d lowercase hex characters, got %q", alg, 2*suite.HashSize, v))
		return
	}
	limit, from, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// One more than the page tells whether another page follows.
	recs, err := s.cfg.Ledger.ByContent(d, from, limit+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.DepositList{Deposits: []api.DepositInfo{}}
	if len(recs) > limit {
		recs = recs[:limit]
		next := recs[limit-1].Leaf.Index
		out.More, out.Next = true, &next
	}
	for _, rec := range recs {
		info := api.DepositInfo{Result: committedResult(rec.ID, placementOf(rec))}
		if err := s.describe(r.Context(), &info, rec); err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Deposits = append(out.Deposits, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// pageParams reads ?limit= (1 to maxByContent, default maxByContent) and
// ?after= (a log index; the page starts after it) and returns the limit
// and the first index of the page.
func pageParams(r *http.Request) (limit int, from uint64, err error) {
	q := r.URL.Query()
	limit = maxByContent
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxByContent {
			return 0, 0, invalid("limit: want 1 to %d, got %q", maxByContent, v)
		}
		limit = n
	}
	if v := q.Get("after"); v != "" {
		after, err := strconv.ParseUint(v, 10, 64)
		if err != nil || after == 1<<64-1 {
			return 0, 0, invalid("after: want the log index of the last deposit of the previous page (\"next\"), got %q", v)
		}
		from = after + 1
	}
	return limit, from, nil
}

// describable resolves the deposit a request reads the metadata of (its
// opening, or its certificate, which prints it) and checks that the
// principal may; otherwise it answers the error itself.
func (s *Server) describable(w http.ResponseWriter, r *http.Request) (*evidence, *access.Principal, bool) {
	e, err := s.evidence(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	p := principal(r)
	if err := access.Describe(p, &e.d, s.cfg.Institution); err != nil {
		s.writeError(w, r, err)
		return nil, nil, false
	}
	return e, p, true
}

// getOpening returns a deposit's metadata opening to its depositor and to
// the courts it is granted to: the opening is private, and a deposit id is
// computable by anyone reading the log. A read by anyone but the
// depositor is recorded on the access trail before it is served.
func (s *Server) getOpening(w http.ResponseWriter, r *http.Request) {
	e, p, ok := s.describable(w, r)
	if !ok {
		return
	}
	idBytes, _ := hex.DecodeString(e.ID)
	op, err := s.cfg.Store.Opening(idBytes)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "this node holds no metadata for deposit " + e.ID + "; ask the node it was deposited through"})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opening, err := deposit.ParseOpening(op)
	if err == nil && opening.Commitment(s.cfg.Suite) != e.Leaf.MetadataCommitment {
		err = errors.New("it does not match the commitment in the log")
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("stored opening of %s: %w", e.ID, err))
		return
	}
	if access.OpeningOnTrail(p, &e.d) {
		if _, err := s.recordTrail(r.Context(), p, e, api.TrailRecord{Action: api.TrailReadMetadata}); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	opening.Suite = s.cfg.Suite.Name()
	writeJSON(w, http.StatusOK, opening)
}

func (s *Server) uintParams(r *http.Request, names ...string) ([]uint64, error) {
	out := make([]uint64, len(names))
	for i, n := range names {
		v := r.URL.Query().Get(n)
		x, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, invalid("%s: need a non-negative integer, got %q", n, v)
		}
		out[i] = x
	}
	return out, nil
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request) {
	p, err := s.uintParams(r, "index", "size")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p[0] >= p[1] {
		s.writeError(w, r, invalid("index: must be less than size"))
		return
	}
	hashes, err := s.cfg.Ledger.InclusionProof(p[0], p[1])
	s.writeProof(w, r, hashes, err)
}

func (s *Server) consistency(w http.ResponseWriter, r *http.Request) {
	p, err := s.uintParams(r, "from", "to")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p[0] > p[1] {
		s.writeError(w, r, invalid("from: must not exceed to"))
		return
	}
	hashes, err := s.cfg.Ledger.ConsistencyProof(p[0], p[1])
	s.writeProof(w, r, hashes, err)
}

func (s *Server) writeProof(w http.ResponseWriter, r *http.Request, hashes [][]byte, err error) {
	if errors.Is(err, ledger.ErrOutOfRange) {
		s.writeError(w, r, invalid("size: beyond the committed tree of size %d", s.cfg.Ledger.Committed().Size))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if hashes == nil {
		hashes = [][]byte{}
	}
	writeJSON(w, http.StatusOK, api.Proof{Hashes: hashes})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	snap := s.cfg.Ledger.Committed()
	st := api.Status{
		Origin: s.cfg.Origin, Suite: s.cfg.Suite.Name(), Institution: s.cfg.Institution, Height: snap.Height,
		TreeSize: snap.Size, RootHash: snap.Root, Checkpoint: string(snap.Checkpoint), ReplicaSize: snap.TreeSize,
		Validators: []api.Validator{},
	}
	if s.cfg.MempoolSize != nil {
		st.MempoolSize = s.cfg.MempoolSize()
	}
	if s.cfg.Peers != nil {
		st.Peers = s.cfg.Peers()
	}
	cosigned := s.cfg.Ledger.Cosigners()
	for _, m := range s.cfg.Ledger.Membership().Active() {
		c := cosigned[m.Institution]
		st.Validators = append(st.Validators, api.Validator{Institution: m.Institution, Kind: string(m.Kind), Power: m.Power, API: m.API, CosignedSize: c.Size, CosignedAt: c.At})
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) misbehaviour(w http.ResponseWriter, r *http.Request) {
	recs, err := s.cfg.Ledger.Misbehaviour()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]api.Misbehaviour, 0, len(recs))
	for _, e := range recs {
		out = append(out, api.Misbehaviour(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// reportMisbehaviour takes a checkpoint signed by a member that
// contradicts the ledger; once the network has checked it, it is recorded
// on the ledger and listed by GET /v1/misbehaviour on every node.
func (s *Server) reportMisbehaviour(w http.ResponseWriter, r *http.Request) {
	s.submitNote(w, r, ledger.EncodeEvidenceTx)
}

func (s *Server) membership(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Ledger.Membership())
}

// changeMembership takes a membership change signed by members holding
// more than two thirds of the voting power.
func (s *Server) changeMembership(w http.ResponseWriter, r *http.Request) {
	s.submitNote(w, r, ledger.EncodeMembershipTx)
}

func (s *Server) submitNote(w http.ResponseWriter, r *http.Request, encode func([]byte) []byte) {
	var req api.SignedNote
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Note == "" {
		s.writeError(w, r, invalid("note: missing"))
		return
	}
	err := s.cfg.Submit(r.Context(), encode([]byte(req.Note)))
	var refused *ledger.RefusedError
	if errors.As(err, &refused) {
		s.writeError(w, r, invalid("note: %s", refused.Reason))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "submitted"})
}

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	cp := s.cfg.Ledger.LatestCheckpoint()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(cp)
}

func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	t, entries, err := tlog.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/"))
	if err != nil {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "not a tlog-tiles path: " + r.URL.Path})
		return
	}
	data, err := s.cfg.Ledger.Tile(t, entries)
	if errors.Is(err, ledger.ErrOutOfRange) {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "tile beyond the committed tree: " + r.URL.Path})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.Width == tlog.TileWidth {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(data)
}

// policy serves the tlog-policy in force at ?height= (default: now).
func (s *Server) policy(w http.ResponseWriter, r *http.Request) {
	var height uint64
	if h := r.URL.Query().Get("height"); h != "" {
		var err error
		if height, err = strconv.ParseUint(h, 10, 64); err != nil || height == 0 {
			s.writeError(w, r, invalid("height: want a block height, 1 or more"))
			return
		}
	}
	pol, err := s.cfg.Ledger.PolicyAt(height)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(pol)
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
