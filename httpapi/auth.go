package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/httpsig"
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
	// ByToken is set when an API token, not a signature, authenticated
	// the request.
	ByToken bool
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

// approved reports whether the principal may act at all: nodes always,
// accounts once approved and while not suspended.
func (p *Principal) approved() bool {
	return p.Account == nil || p.Account.Status == identity.Approved
}

// Is reports whether the principal is approved in one of roles at its
// institution (a node counts as its institution's admin).
func (p *Principal) Is(roles ...identity.Role) bool {
	return p.approved() && slices.Contains(roles, p.Role)
}

// Rule is an endpoint's authorization rule. Handlers add the checks that
// depend on the object (owner, grant, institution).
type Rule struct {
	// Name documents the rule (in /openapi.json and the tests).
	Name string
	// Public endpoints take anonymous requests; Allow is then nil.
	Public bool
	// Allow decides for an authenticated principal.
	Allow func(*Principal) bool
}

// Authorization rules.
var (
	rulePublic = Rule{Name: "public", Public: true}
	// ruleInvitation is anonymous, but the body must carry a valid
	// invitation code: that code is the credential.
	ruleInvitation = Rule{Name: "invitation code", Public: true}
	ruleAnyStatus  = Rule{Name: "any account, whatever its status", Allow: func(*Principal) bool { return true }}
	ruleApproved   = Rule{Name: "any approved account", Allow: (*Principal).approved}
)

func roles(rs ...identity.Role) Rule {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return Rule{Name: strings.Join(names, " or "), Allow: func(p *Principal) bool { return p.Is(rs...) }}
}

type principalKey struct{}

// principal returns the authenticated principal of a request, or nil on a
// public endpoint.
func principal(r *http.Request) *Principal {
	p, _ := r.Context().Value(principalKey{}).(*Principal)
	return p
}

// unauthenticated is a 401.
func unauthenticated(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeUnauthenticated, Message: fmt.Sprintf(format, a...)}
}

func forbidden(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeForbidden, Message: fmt.Sprintf(format, a...)}
}

// guard authenticates a request and applies an endpoint's rule before its
// handler runs, and before the request's body is read: a public endpoint
// reads at most Limits.MaxPublicBody; a request without valid credentials
// (no token, an unknown key, malformed or bad signature headers) is
// refused unread, as is one the rule refuses; then the body, up to
// MaxBody, is checked against the signed Content-Digest. A streamed
// route's body is not read here: its signature does not cover a
// Content-Digest, the handler binds the body otherwise.
func (s *Server) guard(rule Rule, streamed bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if rule.Public {
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxPublicBody)
			}
			h(w, r)
			return
		}
		p, checked, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !rule.Allow(p) {
			why := fmt.Sprintf("%s needs: %s", r.Pattern, rule.Name)
			if !p.approved() {
				why = fmt.Sprintf("account %s is %s; %s", p.ID(), p.Account.Status, why)
			} else {
				why = fmt.Sprintf("%s is a %s of %s; %s", p.ID(), p.Role, p.Institution, why)
			}
			s.writeError(w, r, forbidden("%s", why))
			return
		}
		// Large uploads and downloads are bounded by their pace, not by
		// the server's read and write timeouts.
		rc := http.NewResponseController(w)
		w = streamingWriter{ResponseWriter: w, rc: rc, idle: s.cfg.Limits.StreamIdle}
		var body []byte
		switch {
		case streamed:
			if r.Body != nil {
				r.Body = streamingBody{ReadCloser: r.Body, rc: rc, idle: s.cfg.Limits.StreamIdle}
			}
		case r.Body != nil && r.Body != http.NoBody:
			// A declared length past the limit is refused unread.
			if r.ContentLength <= MaxBody {
				size := int64(MaxBody)
				if r.ContentLength >= 0 {
					size = max(r.ContentLength, 1)
				}
				release, busy := s.reserveBody(r.Context(), size)
				if busy != nil {
					s.writeError(w, r, busy)
					return
				}
				defer release() // the handler holds the body
				body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
			}
			var tooBig *http.MaxBytesError
			if r.ContentLength > MaxBody || errors.As(err, &tooBig) {
				s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", MaxBody)})
				return
			}
			if err != nil {
				s.writeError(w, r, invalid("reading request body: %v", err))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		default:
			body = []byte{}
		}
		if checked != nil {
			if err := checked.Accept(body); err != nil {
				s.writeError(w, r, signatureError(err))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// signatureError is a 401 for a signature the verifier refused, and an
// internal error otherwise.
func signatureError(err error) error {
	var se *httpsig.Error
	if errors.As(err, &se) {
		return unauthenticated("%s", err)
	}
	return err
}

// authenticate finds the principal of a request from its headers: an API
// token, or an RFC 9421 signature by an account's active key or an
// institution's node key. For a signature it returns the check to finish
// with the body (Accept), which also spends the nonce.
func (s *Server) authenticate(r *http.Request) (*Principal, *httpsig.Checked, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		t, err := s.cfg.Office.TokenAt(r.Context(), tok, s.cfg.Now())
		switch {
		case errors.Is(err, office.ErrNotFound):
			return nil, nil, unauthenticated("Authorization: unknown API token (tokens work only at the node that issued them)")
		case errors.Is(err, office.ErrExpired):
			return nil, nil, unauthenticated("Authorization: the API token has expired; issue a new one")
		case err != nil:
			return nil, nil, err
		}
		acc := s.cfg.Ledger.Account(t.Account)
		if acc == nil {
			return nil, nil, unauthenticated("Authorization: the token's account %s is not on the ledger", t.Account)
		}
		return &Principal{Account: acc, Institution: acc.Institution, Role: acc.Role, ByToken: true}, nil, nil
	}
	checked, err := s.verifier.Check(r)
	if errors.Is(err, httpsig.ErrUnsigned) {
		return nil, nil, unauthenticated("authentication required: sign the request with your account key (RFC 9421, see /openapi.json) or send an API token as Authorization: Bearer")
	}
	if err != nil {
		return nil, nil, signatureError(err)
	}
	if inst, ok := strings.CutPrefix(checked.KeyID, "node:"); ok {
		return &Principal{Institution: inst, Role: identity.Admin}, checked, nil
	}
	acc := s.cfg.Ledger.Account(checked.KeyID)
	return &Principal{Account: acc, Institution: acc.Institution, Role: acc.Role}, checked, nil
}

// resolveKey finds the key a signature's keyid names: an account's keys
// active at the committed height, or a member node's log key.
func (s *Server) resolveKey(_ context.Context, keyID string) (httpsig.Key, error) {
	sig := s.cfg.Suite.Signature()
	if inst, ok := strings.CutPrefix(keyID, "node:"); ok {
		m, ok := s.cfg.Ledger.Membership().Member(inst)
		if !ok || m.Power == 0 {
			return httpsig.Key{}, errors.New("no such member institution") // the verifier names the keyid
		}
		pub := []byte(m.LogPubKey())
		return httpsig.Key{Alg: sig.Name(), Verify: func(msg, sg []byte) bool { return sig.Verify(pub, msg, sg) }}, nil
	}
	acc := s.cfg.Ledger.Account(keyID)
	if acc == nil {
		return httpsig.Key{}, errors.New("no such account on the ledger")
	}
	h := s.cfg.Ledger.Committed().Height
	var keys [][]byte
	for _, k := range acc.Keys {
		if k.ActiveAt(h) {
			keys = append(keys, k.Public)
		}
	}
	return httpsig.Key{Alg: sig.Name(), Verify: func(msg, sg []byte) bool {
		return slices.ContainsFunc(keys, func(pub []byte) bool { return sig.Verify(pub, msg, sg) })
	}}, nil
}
