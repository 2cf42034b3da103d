package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/tlog"
)

// State keeps, durably, the latest checkpoint the server cosigned for each
// log (a *store.Store does, node-locally).
type State interface {
	// WitnessedLog returns the latest checkpoint cosigned for origin, or
	// an error wrapping store.ErrNotFound.
	WitnessedLog(origin string) ([]byte, error)
	// PutWitnessedLog records it durably before the cosignature leaves.
	PutWitnessedLog(origin string, checkpoint []byte) error
}

// ServerConfig is what a witness server needs.
type ServerConfig struct {
	// Logs are the logs it witnesses.
	Logs []Log
	// Own is the origin of the node's own network, which it may not
	// witness (Log.Check).
	Own string
	// Cosigner makes the cosignatures (c2sp.org/tlog-cosignature,
	// timestamped): the node's cosignature key.
	Cosigner note.Signer
	State    State
	Logger   *slog.Logger
}

// Server is the add-checkpoint endpoint of a witness.
type Server struct {
	cosigner note.Signer
	state    State
	logger   *slog.Logger
	logs     map[string]*witnessed
	// mu makes each check of the stored checkpoint and the write of the
	// new one atomic, as the protocol requires: otherwise two requests
	// racing could roll the stored size back.
	mu sync.Mutex
}

type witnessed struct {
	verifiers note.Verifiers
	hasher    merkle.LogHasher
}

// NewServer checks the configuration and returns the server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Cosigner == nil || cfg.State == nil {
		return nil, errors.New("witness server: a cosigner and a state store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cosigner: cfg.Cosigner, state: cfg.State, logger: cfg.Logger, logs: map[string]*witnessed{}}
	vs := map[string][]note.Verifier{}
	for _, l := range cfg.Logs {
		if err := l.Check(cfg.Own); err != nil {
			return nil, err
		}
		v, err := l.Verifier()
		if err != nil {
			return nil, err
		}
		h, err := l.Hasher()
		if err != nil {
			return nil, err
		}
		if w, ok := s.logs[l.Origin]; ok && w.hasher != h {
			return nil, fmt.Errorf("witnessed log %s is listed with two hashes", l.Origin)
		}
		s.logs[l.Origin] = &witnessed{hasher: h}
		vs[l.Origin] = append(vs[l.Origin], v)
	}
	for o, w := range s.logs {
		w.verifiers = note.VerifierList(vs[o]...)
	}
	return s, nil
}

// Response is the server's answer: an HTTP status, a content type and a
// body, exactly as C2SP tlog-witness prescribes.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Reason says, for logs and tests, why a request was refused.
	Reason string
}

// refuse answers with the protocol's status and, as every Jurichain API
// error, a JSON {"code","message"}: the protocol leaves those bodies
// open, and its clients read only the status.
func refuse(status int, format string, args ...any) *Response {
	reason := fmt.Sprintf(format, args...)
	code := map[int]string{
		http.StatusBadRequest:            "invalid_request",
		http.StatusForbidden:             "forbidden",
		http.StatusNotFound:              "not_found",
		http.StatusConflict:              "conflict",
		http.StatusRequestEntityTooLarge: "too_large",
		http.StatusUnprocessableEntity:   "invalid_proof",
	}[status]
	body, err := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, reason})
	if err != nil { // strings always marshal
		panic(err)
	}
	return &Response{Status: status, ContentType: "application/json", Body: append(body, '\n'), Reason: reason}
}

// AddCheckpoint answers one add-checkpoint body. An error is internal (the
// store failed): the caller answers 500 and nothing was cosigned.
func (s *Server) AddCheckpoint(ctx context.Context, body []byte) (*Response, error) {
	req, err := ParseRequest(body)
	if err != nil {
		return refuse(http.StatusBadRequest, "%v", err), nil
	}
	origin, _, _ := bytes.Cut(req.Checkpoint, []byte("\n"))
	w, ok := s.logs[string(origin)]
	if !ok {
		return refuse(http.StatusNotFound, "this witness does not witness the log %q", truncate(origin)), nil
	}
	// A signature line that names a trusted key but does not verify makes
	// the note malformed, and refused like one without a trusted
	// signature.
	n, err := note.Open(req.Checkpoint, w.verifiers)
	if err != nil {
		return refuse(http.StatusForbidden, "the checkpoint carries no valid signature by a key this witness trusts for %s", origin), nil
	}
	var cp log.Checkpoint
	if rest, err := cp.Unmarshal([]byte(n.Text)); err != nil || cp.Origin != string(origin) || len(rest) != 0 {
		return refuse(http.StatusBadRequest, "the signed note is not a checkpoint of %s without extension lines", origin), nil
	}
	if req.Old > cp.Size {
		return refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's size %d", req.Old, cp.Size), nil
	}
	if cp.Size == 0 && !bytes.Equal(cp.Hash, w.hasher.EmptyRoot()) {
		return refuse(http.StatusUnprocessableEntity, "a checkpoint of size 0 must have the empty tree's root"), nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var prevSize uint64
	var prevHash []byte
	prev, err := s.state.WitnessedLog(cp.Origin)
	switch {
	case err == nil:
		// The stored checkpoint was checked before it was stored.
		var p log.Checkpoint
		i := bytes.Index(prev, []byte("\n\n"))
		if i < 0 {
			return nil, fmt.Errorf("the stored checkpoint of %s is corrupt", cp.Origin)
		}
		if _, err := p.Unmarshal(prev[:i+1]); err != nil {
			return nil, fmt.Errorf("the stored checkpoint of %s is corrupt: %w", cp.Origin, err)
		}
		prevSize, prevHash = p.Size, p.Hash
	case errors.Is(err, store.ErrNotFound):
		prevHash = w.hasher.EmptyRoot()
	default:
		return nil, err
	}
	if req.Old != prevSize {
		return &Response{Status: http.StatusConflict, ContentType: ContentTypeSize, Body: fmt.Appendf(nil, "%d\n", prevSize),
			Reason: fmt.Sprintf("old size %d, but the latest checkpoint cosigned is of size %d", req.Old, prevSize)}, nil
	}
	switch {
	case cp.Size == prevSize && !bytes.Equal(cp.Hash, prevHash):
		s.logger.Error("witnessed log forked: a validly signed checkpoint of the size already cosigned has another root",
			"origin", cp.Origin, "size", cp.Size, "cosigned", string(prev), "refused", string(req.Checkpoint))
		return refuse(http.StatusConflict, "the checkpoint of size %d has another root than the one cosigned", cp.Size), nil
	case cp.Size == prevSize && len(req.Proof) != 0:
		return refuse(http.StatusUnprocessableEntity, "the proof between two trees of the same size must be empty"), nil
	case prevSize == 0 && len(req.Proof) != 0:
		return refuse(http.StatusUnprocessableEntity, "the proof must be empty when the old size is 0"), nil
	case prevSize > 0 && cp.Size > prevSize:
		if err := tlog.VerifyConsistency(w.hasher, prevSize, cp.Size, req.Proof, prevHash, cp.Hash); err != nil {
			s.logger.Warn("witnessed log sent a consistency proof that does not verify", "origin", cp.Origin, "old", prevSize, "size", cp.Size, "err", err)
			return refuse(http.StatusUnprocessableEntity, "the consistency proof from size %d to %d does not verify", prevSize, cp.Size), nil
		}
	}
	sig, err := s.cosigner.Sign([]byte(n.Text))
	if err != nil {
		return nil, fmt.Errorf("cosigning %s size %d: %w", cp.Origin, cp.Size, err)
	}
	if cp.Size != prevSize || prev == nil {
		if err := s.state.PutWitnessedLog(cp.Origin, req.Checkpoint); err != nil {
			return nil, err
		}
	}
	line := "— " + s.cosigner.Name() + " " + base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, s.cosigner.KeyHash()), sig...)) + "\n"
	s.logger.Debug("cosigned a witnessed checkpoint", "origin", cp.Origin, "size", cp.Size)
	return &Response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(line)}, nil
}

// ServeHTTP answers POST .../add-checkpoint with a body of at most
// MaxBody bytes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Write(w, refuse(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", MaxBody))
		return
	}
	if err != nil {
		Write(w, refuse(http.StatusBadRequest, "reading the body: %v", err))
		return
	}
	resp, err := s.AddCheckpoint(r.Context(), body)
	if err != nil {
		s.logger.Error("witness add-checkpoint failed", "err", err)
		resp = &Response{Status: http.StatusInternalServerError, ContentType: "application/json", Body: []byte(`{"code":"internal","message":"internal error"}` + "\n")}
	}
	Write(w, resp)
}

// Write sends resp.
func Write(w http.ResponseWriter, resp *Response) {
	if resp.ContentType != "" {
		w.Header().Set("Content-Type", resp.ContentType)
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}
