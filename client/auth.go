package client

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/suite"
)

// Credentials authenticate requests.
type Credentials interface {
	// Authorize adds credentials to a request whose body is body (nil for
	// a streamed body, which the signature then does not cover).
	Authorize(req *http.Request, body []byte) error
}

// KeyAuth signs requests (RFC 9421) with an account's key, or with an
// institution's node key under the keyid "node:<institution>".
type KeyAuth struct {
	KeyID string
	// Alg is the signature algorithm's name: the Name of the network
	// suite's signature scheme, which Key is a key of.
	Alg string
	Key suite.PrivateKey
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (k KeyAuth) Authorize(req *http.Request, body []byte) error {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	return httpsig.Sign(req, body, httpsig.Params{KeyID: k.KeyID, Alg: k.Alg, Created: now(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)}, k.Key)
}

// TokenAuth sends an API token.
type TokenAuth string

func (t TokenAuth) Authorize(req *http.Request, _ []byte) error {
	req.Header.Set("Authorization", "Bearer "+string(t))
	return nil
}
