package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/office"
)

// NodeKeyID is the keyid under which an institution's node signs requests.
func NodeKeyID(institution string) string { return access.NodeKeyID(institution) }

// AccountKeyID is a keyid that names an account key itself ("key:" and the
// public key in unpadded base64url) rather than the account. An account's
// id depends on the institution that registered it, which a client talking
// to another member's node does not know; a key belongs to one account on
// the whole ledger, so any node finds the account from the key.
func AccountKeyID(pub []byte) string { return "key:" + base64.RawURLEncoding.EncodeToString(pub) }

// accountOf returns the committed account a keyid names, by account id or
// by key (AccountKeyID), or nil.
func (s *Server) accountOf(keyID string) *identity.Account {
	if enc, ok := strings.CutPrefix(keyID, "key:"); ok {
		pub, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			return nil
		}
		return s.cfg.Ledger.AccountByKey(pub)
	}
	return s.cfg.Ledger.Account(keyID)
}

type principalKey struct{}

// principal returns the authenticated principal of a request, or nil on a
// public endpoint.
func principal(r *http.Request) *access.Principal {
	p, _ := r.Context().Value(principalKey{}).(*access.Principal)
	return p
}

// signedKey is where resolveKey notes which of an account's keys verified
// a request's signature.
type signedKey struct{}

// unauthenticated is a 401.
func unauthenticated(format string, a ...any) *api.Error {
	return &api.Error{Code: api.CodeUnauthenticated, Message: fmt.Sprintf(format, a...)}
}

// guard authenticates a request and applies an endpoint's rule before its
// handler runs, and before the request's body is read: a public endpoint
// reads at most Limits.MaxPublicBody; a request without valid credentials
// (no token, an unknown key, malformed or bad signature headers) is
// refused unread, as is one the rule refuses; then the body, up to
// MaxBody, is checked against the signed Content-Digest. A streamed
// route's body is not read here: its signature does not cover a
// Content-Digest, the handler binds the body otherwise.
func (s *Server) guard(rt Route, h http.HandlerFunc) http.HandlerFunc {
	rule, streamed := rt.Rule, rt.Streamed
	limit := s.cfg.Limits.MaxPublicBody
	if rt.publicBody > 0 {
		limit = rt.publicBody
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !rule.Public {
			// Answers to an account (real names, openings, originals)
			// must not stay in a browser's or a proxy's cache.
			w.Header().Set("Cache-Control", "no-store")
		}
		if rule.Public {
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
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
			s.writeError(w, r, rule.Refusal(r.Pattern, p))
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
func (s *Server) authenticate(r *http.Request) (*access.Principal, *httpsig.Checked, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		t, err := s.cfg.Office.TokenAt(r.Context(), tok, s.cfg.Now())
		switch {
		case errors.Is(err, office.ErrNotFound):
			return nil, nil, unauthenticated("Authorization: unknown API token, or revoked (tokens work only at the node that issued them)")
		case errors.Is(err, office.ErrExpired):
			return nil, nil, unauthenticated("Authorization: the API token has expired; issue a new one")
		case err != nil:
			return nil, nil, err
		}
		acc := s.cfg.Ledger.Account(t.Account)
		if err := access.TokenUsable(t, acc, s.cfg.Ledger.Committed().Height); err != nil {
			return nil, nil, err
		}
		return &access.Principal{Account: acc, Institution: acc.Institution, Role: acc.Role, Key: t.Key, ByToken: true, Token: t.ID}, nil, nil
	}
	// The key that verifies the signature is recorded as the principal's
	// (an account may hold several).
	var used []byte
	checked, err := s.verifier.Check(r.WithContext(context.WithValue(r.Context(), signedKey{}, &used)))
	if errors.Is(err, httpsig.ErrUnsigned) {
		return nil, nil, unauthenticated("authentication required: sign the request with your account key (RFC 9421, see /openapi.json) or send an API token as Authorization: Bearer")
	}
	if err != nil {
		return nil, nil, signatureError(err)
	}
	if inst, ok := strings.CutPrefix(checked.KeyID, "node:"); ok {
		return &access.Principal{Institution: inst, Role: identity.Admin}, checked, nil
	}
	acc := s.accountOf(checked.KeyID)
	return &access.Principal{Account: acc, Institution: acc.Institution, Role: acc.Role, Key: used}, checked, nil
}

// resolveKey finds the key a signature's keyid names: an account's keys
// active at the committed height, or a member node's log key.
func (s *Server) resolveKey(ctx context.Context, keyID string) (httpsig.Key, error) {
	sig := s.cfg.Suite.Signature()
	if inst, ok := strings.CutPrefix(keyID, "node:"); ok {
		m, ok := s.cfg.Ledger.Membership().Member(inst)
		if !ok || m.Power == 0 {
			return httpsig.Key{}, errors.New("no such member institution") // the verifier names the keyid
		}
		pub := []byte(m.LogPubKey())
		return httpsig.Key{Alg: sig.Name(), Verify: func(msg, sg []byte) bool { return sig.Verify(pub, msg, sg) }}, nil
	}
	acc := s.accountOf(keyID)
	if acc == nil {
		return httpsig.Key{}, errors.New("no such account on the ledger")
	}
	h := s.cfg.Ledger.Committed().Height
	var keys [][]byte
	for _, k := range acc.Keys {
		// A keyid naming a key is verified with that key alone.
		if k.ActiveAt(h) && (!strings.HasPrefix(keyID, "key:") || AccountKeyID(k.Public) == keyID) {
			keys = append(keys, k.Public)
		}
	}
	if len(keys) == 0 && strings.HasPrefix(keyID, "key:") {
		return httpsig.Key{}, fmt.Errorf("the key is not an active key of account %s (revoked, or not yet in force at this node); sign with a current key", acc.ID)
	}
	used, _ := ctx.Value(signedKey{}).(*[]byte)
	return httpsig.Key{Alg: sig.Name(), Verify: func(msg, sg []byte) bool {
		for _, pub := range keys {
			if sig.Verify(pub, msg, sg) {
				if used != nil {
					*used = pub
				}
				return true
			}
		}
		return false
	}}, nil
}
