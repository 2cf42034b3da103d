package web_test

// Tests of the portal's account keys, signed requests and deposits
// (src/lib: keys.js, httpsig.js, api.js, deposit.js) against the Go code
// they must agree with: golden vectors that Go makes and the Node tests
// compare with byte for byte (testdata/keys/*.json, rewritten by -update),
// and requests and deposits that the JavaScript makes, which Go's own
// verifiers must accept.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/chromedp/chromedp"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/suite"
)

var update = flag.Bool("update", false, "rewrite the golden vectors in testdata/")

const keysDir = "testdata/keys"

// Fixed inputs of the golden vectors.
const (
	vectorCreated = 1767225600 // 2026-01-01T00:00:00Z
	vectorNonce   = "AAECAwQFBgcICQoLDA0ODw"
	vectorOrigin  = "example.org/jurichain-test"
)

// vectorKey is the fixed key of a suite: an Ed25519 seed, an SM2 scalar.
func vectorKey(t testing.TB, cs *suite.Suite) suite.PrivateKey {
	t.Helper()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i + 1)
		if cs.Name() == suite.NameGM {
			raw[i] = byte(0x5a ^ i)
		}
	}
	k, err := cs.Signature().NewPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// recorder signs with a key and keeps the signature base it was given.
type recorder struct {
	key  suite.PrivateKey
	base []byte
}

func (r *recorder) Sign(msg []byte) ([]byte, error) {
	r.base = append([]byte(nil), msg...)
	return r.key.Sign(msg)
}

type requestVector struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Body    []byte            `json:"body"` // nil: not covered
	KeyID   string            `json:"key_id"`
	Alg     string            `json:"alg"`
	Created int64             `json:"created"`
	Nonce   string            `json:"nonce"`
	Base    string            `json:"signature_base"`
	Headers map[string]string `json:"headers"`
}

type suiteVectors struct {
	Suite      string          `json:"suite"`
	Alg        string          `json:"alg"`
	PrivatePEM string          `json:"private_pem"`
	PublicKey  string          `json:"public_key"` // hex
	PublicPEM  string          `json:"public_pem"`
	KeyID      string          `json:"key_id"`
	Requests   []requestVector `json:"requests"`
}

type httpsigVectors struct {
	Comment string         `json:"comment"`
	Suites  []suiteVectors `json:"suites"`
}

// signVectors signs the requests of the vectors with Go's httpsig.Sign.
func signVectors(t *testing.T) httpsigVectors {
	out := httpsigVectors{Comment: "made by web/keys_test.go (go test ./web -run TestKeyVectors -update); the SM2 signatures are random, the rest is fixed"}
	for _, cs := range suite.All() {
		key := vectorKey(t, cs)
		priv, err := key.MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := key.MarshalPublicPEM()
		if err != nil {
			t.Fatal(err)
		}
		alg := cs.Signature().Name()
		keyID := httpapi.AccountKeyID(key.Public())
		sv := suiteVectors{Suite: cs.Name(), Alg: alg, PrivatePEM: string(priv), PublicKey: hex.EncodeToString(key.Public()), PublicPEM: string(pub), KeyID: keyID}
		for _, r := range []requestVector{
			{Name: "get with query", Method: "GET", URL: "http://127.0.0.1:8080/v1/deposits?sha256=" + strings.Repeat("ab", 32) + "&after=3"},
			{Name: "post json", Method: "POST", URL: "http://127.0.0.1:8080/v1/deposits", Body: []byte(`{"idempotency_key":"web-1","size":3,"title":"证据"}`)},
			{Name: "put without body", Method: "PUT", URL: "http://127.0.0.1:8080/v1/accounts/acct-1/keys/2"},
			{Name: "escaped query, host case", Method: "GET", URL: "http://Node1.Example:8443/v1/search?case=%E6%B0%91%E5%88%9D&q=a+b"},
			{Name: "delete, empty query", Method: "DELETE", URL: "http://127.0.0.1:8080/v1/tokens/t1?"},
			{Name: "node keyid with quotes, no alg", Method: "POST", URL: "http://127.0.0.1:8080/v1/members", Body: []byte("hello"), KeyID: `node:inst "q" \ b`, Alg: "-"},
		} {
			if r.KeyID == "" {
				r.KeyID = keyID
			}
			switch r.Alg {
			case "":
				r.Alg = alg
			case "-":
				r.Alg = ""
			}
			r.Created, r.Nonce = vectorCreated, vectorNonce
			req, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{key: key}
			if err := httpsig.Sign(req, r.Body, httpsig.Params{KeyID: r.KeyID, Alg: r.Alg, Created: time.Unix(r.Created, 0), Nonce: r.Nonce}, rec); err != nil {
				t.Fatal(err)
			}
			r.Base = string(rec.base)
			r.Headers = map[string]string{}
			for _, h := range []string{"Signature-Input", "Signature", "Content-Digest"} {
				if v := req.Header.Get(h); v != "" {
					r.Headers[h] = v
				}
			}
			sv.Requests = append(sv.Requests, r)
		}
		out.Suites = append(out.Suites, sv)
	}
	return out
}

type coordinateVector struct {
	Value float64 `json:"value"`
	Text  string  `json:"text"`
}

type depositVector struct {
	Name           string            `json:"name"`
	Suite          string            `json:"suite"`
	Origin         string            `json:"origin"`
	PrivatePEM     string            `json:"private_pem"`
	Digests        map[string]string `json:"digests"`
	Size           uint64            `json:"size"`
	Metadata       deposit.Metadata  `json:"metadata"`
	Salt           []byte            `json:"salt"`
	IdempotencyKey string            `json:"idempotency_key"`

	OpeningBytes   string          `json:"opening_bytes"`
	Commitment     string          `json:"commitment"`
	Statement      string          `json:"statement"`
	SigningMessage string          `json:"signing_message"`
	ID             string          `json:"id"`
	Request        api.Deposit     `json:"request"`
	Opening        deposit.Opening `json:"opening"`
}

type depositVectors struct {
	Comment     string             `json:"comment"`
	Coordinates []coordinateVector `json:"coordinates"`
	Deposits    []depositVector    `json:"deposits"`
}

func ptr(v float64) *float64 { return &v }

// depositVectorSet builds deposits from fixed inputs with Go's deposit
// and api packages, as client.Prepare does with a given salt and
// idempotency key.
func depositVectorSet(t *testing.T) depositVectors {
	out := depositVectors{Comment: "made by web/keys_test.go (go test ./web -run TestKeyVectors -update); the SM2 signatures are random, the rest is fixed"}
	for _, v := range []float64{0, math.Copysign(0, -1), 1e-05, -2.5e-07, 0.0001, 9.99e-05, 1.5e-10, 39.9087, -116.3975, 0.30000000000000004, 90, -180, 123.456789012345} {
		out.Coordinates = append(out.Coordinates, coordinateVector{v, formatCoordinate(v)})
	}
	content := []byte("the scene at 9:30\n")
	sha := sha256.Sum256(content)
	sm := sm3.Sum(content)
	for _, cs := range suite.All() {
		key := vectorKey(t, cs)
		priv, err := key.MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			name    string
			both    bool
			size    uint64
			meta    deposit.Metadata
			idemKey string
		}{
			{"minimal", false, uint64(len(content)), deposit.Metadata{Title: "photo.jpg", MediaType: "image/jpeg"}, "web-00112233445566778899aabbccddeeff"},
			{"full", true, 1 << 40, deposit.Metadata{Title: "现场照片 photo.jpg", MediaType: "video/mp4", CaseRef: "(2026)京0491民初123号", Capture: &deposit.Capture{
				Time: "2026-05-01T09:30:00+08:00", Latitude: ptr(39.9087), Longitude: ptr(116.3975), Device: "Pixel 9",
				SourceURL: "https://example.com/a?b=c", Address: "北京市海淀区中关村大街1号",
			}}, "web-ffeeddccbbaa99887766554433221100"},
			{"small coordinates, no address", false, 0, deposit.Metadata{Title: "t", MediaType: "text/plain; charset=utf-8", Capture: &deposit.Capture{
				Latitude: ptr(1e-05), Longitude: ptr(-2.5e-07),
			}}, "retry-key"},
			{"device only", true, 7, deposit.Metadata{Title: "scan.pdf", MediaType: "application/pdf", Capture: &deposit.Capture{Device: "scanner"}}, "web-0"},
		} {
			saltSum := sha256.Sum256([]byte(fmt.Sprintf("salt %s %d", cs.Name(), i)))
			op := &deposit.Opening{Metadata: c.meta, Salt: saltSum[:], Suite: cs.Name()}
			if err := op.Validate(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			digests := []deposit.Digest{{Algorithm: deposit.SHA256, Value: sha[:]}, {Algorithm: deposit.SM3, Value: sm[:]}}
			if !c.both {
				a, _ := deposit.ParseAlgorithm(cs.ContentDigest())
				digests = []deposit.Digest{{Algorithm: a, Value: map[deposit.Algorithm][]byte{deposit.SHA256: sha[:], deposit.SM3: sm[:]}[a]}}
			}
			s := &deposit.Signed{Statement: deposit.Statement{
				Digests: digests, Size: c.size, MetadataCommitment: op.Commitment(cs), Depositor: key.Public(), IdempotencyKey: c.idemKey,
			}}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			msg := s.SigningMessage(vectorOrigin)
			if s.Signature, err = key.Sign(msg); err != nil {
				t.Fatal(err)
			}
			req := api.NewDeposit(s, op)
			commit := op.Commitment(cs)
			out.Deposits = append(out.Deposits, depositVector{
				Name: cs.Name() + " " + c.name, Suite: cs.Name(), Origin: vectorOrigin, PrivatePEM: string(priv),
				Digests: req.Digests, Size: c.size, Metadata: c.meta, Salt: op.Salt, IdempotencyKey: c.idemKey,
				OpeningBytes: hex.EncodeToString(op.AppendBinary(nil)), Commitment: hex.EncodeToString(commit[:]),
				Statement: hex.EncodeToString(s.Statement.AppendBinary(nil)), SigningMessage: hex.EncodeToString(msg),
				ID: s.ID(cs), Request: req, Opening: *op,
			})
		}
	}
	return out
}

// formatCoordinate is the form deposit writes a coordinate in, read back
// from an opening's encoding (deposit does not export it): the latitude,
// after the salt and four empty fields (title, media type, case, time).
func formatCoordinate(v float64) string {
	op := deposit.Opening{Salt: make([]byte, deposit.SaltSize), Metadata: deposit.Metadata{Capture: &deposit.Capture{Latitude: &v, Longitude: &v}}}
	b := op.AppendBinary(nil)[deposit.SaltSize+4*4:]
	return string(b[4 : 4+binary.BigEndian.Uint32(b)])
}

// TestKeyVectors checks the golden vectors the Node tests read against
// what Go makes now (rewriting them with -update). SM2 signatures are
// random: the stored ones must verify over the signature base and
// message Go makes now.
func TestKeyVectors(t *testing.T) {
	for _, tc := range []struct {
		file string
		make func(t *testing.T) any
		// keep copies the stored random signatures into the fresh
		// vectors after checking them.
		keep func(t *testing.T, fresh any, stored []byte)
	}{
		{"httpsig.json", func(t *testing.T) any { return signVectors(t) }, keepRequestSignatures},
		{"deposit.json", func(t *testing.T) any { return depositVectorSet(t) }, keepDepositSignatures},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(keysDir, tc.file)
			fresh := tc.make(t)
			if *update {
				b, err := json.MarshalIndent(fresh, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			stored, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (write the vectors with go test ./web -run TestKeyVectors -update)", err)
			}
			tc.keep(t, fresh, stored)
			b, err := json.MarshalIndent(fresh, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(b, '\n'), stored) {
				t.Fatalf("%s differs from what Go makes now; if the change is intended, rewrite it with -update", path)
			}
		})
	}
}

func keepRequestSignatures(t *testing.T, fresh any, stored []byte) {
	v := fresh.(httpsigVectors)
	var old httpsigVectors
	if err := json.Unmarshal(stored, &old); err != nil {
		t.Fatal(err)
	}
	if len(old.Suites) != len(v.Suites) {
		t.Fatalf("%d suites stored, %d made", len(old.Suites), len(v.Suites))
	}
	for i, s := range v.Suites {
		if s.Suite != suite.NameGM {
			continue
		}
		scheme := suite.GM().Signature()
		pub, _ := hex.DecodeString(s.PublicKey)
		for j, r := range s.Requests {
			if j >= len(old.Suites[i].Requests) {
				t.Fatalf("request %q is not stored", r.Name)
			}
			stored := old.Suites[i].Requests[j].Headers["Signature"]
			sig := signatureOf(t, stored)
			if !scheme.Verify(pub, []byte(r.Base), sig) {
				t.Fatalf("%s %q: the stored signature does not verify over the base Go makes now", s.Suite, r.Name)
			}
			r.Headers["Signature"] = stored
		}
	}
}

// signatureOf decodes a Signature header "jurichain=:BASE64:".
func signatureOf(t *testing.T, header string) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(header, httpsig.Label+"=:")
	if !ok || !strings.HasSuffix(b64, ":") {
		t.Fatalf("Signature %q is not %s=:...:", header, httpsig.Label)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(b64, ":"))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func keepDepositSignatures(t *testing.T, fresh any, stored []byte) {
	v := fresh.(depositVectors)
	var old depositVectors
	if err := json.Unmarshal(stored, &old); err != nil {
		t.Fatal(err)
	}
	for i := range v.Deposits {
		d := &v.Deposits[i]
		if d.Suite != suite.NameGM {
			continue
		}
		if i >= len(old.Deposits) {
			t.Fatalf("deposit %q is not stored", d.Name)
		}
		msg, _ := hex.DecodeString(d.SigningMessage)
		sig := old.Deposits[i].Request.Signature
		if !suite.GM().Signature().Verify(d.Request.DepositorKey, msg, sig) {
			t.Fatalf("%q: the stored signature does not verify over the message Go makes now", d.Name)
		}
		d.Request.Signature = sig
	}
}

// jsKey is one key's output of testdata/keys/jsmake.mjs.
type jsKey struct {
	Source    string `json:"source"`
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
	PublicPEM string `json:"public_pem"`
	Requests  []struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Body    []byte            `json:"body"`
		Headers map[string]string `json:"headers"`
	} `json:"requests"`
	Deposits []struct {
		Request json.RawMessage `json:"request"`
		Opening json.RawMessage `json:"opening"`
		ID      string          `json:"id"`
	} `json:"deposits"`
	Live []struct {
		Name   string `json:"name"`
		Result struct {
			KeyID      string `json:"keyid"`
			Method     string `json:"method"`
			Path       string `json:"path"`
			Query      string `json:"query"`
			BodySHA256 string `json:"body_sha256"`
		} `json:"result"`
		Error *struct {
			Status  int    `json:"status"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"live"`
}

// accountKeyResolver resolves a keyid naming a key of the scheme
// (AccountKeyID) to that key, as a node does for a key on its ledger.
func accountKeyResolver(scheme suite.SignatureScheme) httpsig.KeyResolver {
	return func(_ context.Context, keyID string) (httpsig.Key, error) {
		enc, ok := strings.CutPrefix(keyID, "key:")
		if !ok {
			return httpsig.Key{}, errors.New("not a key: keyid")
		}
		pub, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			return httpsig.Key{}, err
		}
		if err := scheme.CheckPublicKey(pub); err != nil {
			return httpsig.Key{}, err
		}
		return httpsig.Key{Alg: scheme.Name(), Verify: func(msg, sig []byte) bool { return scheme.Verify(pub, msg, sig) }}, nil
	}
}

// verifierServer verifies the requests api() sends under /SUITE/ with
// httpsig's Verifier and answers what it verified; under /wrong/SUITE/ it
// answers as a node of another name, as httpapi answers a signature it
// refuses.
func verifierServer(t *testing.T) *httptest.Server {
	srv := httptest.NewUnstartedServer(nil)
	verifiers := map[string]*httpsig.Verifier{}
	for _, cs := range suite.All() {
		for _, prefix := range []string{"", "wrong/"} {
			authority := srv.Listener.Addr().String()
			if prefix != "" {
				authority = "node.example"
			}
			verifiers[prefix+cs.Name()] = httpsig.NewVerifier(httpsig.Config{
				Suite: cs, Resolve: accountKeyResolver(cs.Signature()), Authorities: []string{authority}, Skew: 5 * time.Minute,
			})
		}
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		name := strings.TrimPrefix(r.URL.Path, "/")
		if !strings.HasPrefix(name, "wrong/") {
			name, _, _ = strings.Cut(name, "/")
		} else {
			name = "wrong/" + strings.Split(name, "/")[1]
		}
		v, ok := verifiers[name]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(api.Error{Code: api.CodeNotFound, Message: "no such path"})
			return
		}
		checked, err := v.Check(r)
		var body []byte
		if err == nil {
			if body, err = io.ReadAll(r.Body); err == nil {
				err = checked.Accept(body)
			}
		}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(api.Error{Code: api.CodeUnauthenticated, Message: err.Error()})
			return
		}
		sum := sha256.Sum256(body)
		json.NewEncoder(w).Encode(map[string]string{
			"keyid": checked.KeyID, "method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "body_sha256": hex.EncodeToString(sum[:]),
		})
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestJSSignaturesVerifyInGo has the JavaScript library sign requests and
// prepare deposits, with a random key and with the key of the PEM file Go
// wrote, for both suites, and checks them with Go: the requests with
// httpsig's Verifier (printed, and sent through api() to a server), the
// deposits with api.Deposit.Parse, the suite's checks, deposit.Signed.Verify
// and the opening's commitment.
func TestJSSignaturesVerifyInGo(t *testing.T) {
	node := nodeTool(t)
	srv := verifierServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testjs", "keys", "jsmake.mjs"), keysDir, srv.URL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node jsmake.mjs: %v\n%s", err, stderr.Bytes())
	}
	var got struct {
		Suites []struct {
			Suite string  `json:"suite"`
			Keys  []jsKey `json:"keys"`
		} `json:"suites"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("jsmake.mjs printed %q: %v", out, err)
	}
	if len(got.Suites) != 2 {
		t.Fatalf("jsmake.mjs made %d suites, want intl and gm", len(got.Suites))
	}
	for _, s := range got.Suites {
		cs, err := suite.ByName(s.Suite)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range s.Keys {
			t.Run(s.Suite+"/"+k.Source, func(t *testing.T) {
				pub, err := hex.DecodeString(k.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				if err := cs.Signature().CheckPublicKey(pub); err != nil {
					t.Fatalf("public key: %v", err)
				}
				if want := httpapi.AccountKeyID(pub); k.KeyID != want {
					t.Errorf("key id %q, want %q", k.KeyID, want)
				}
				if k.Source == "pem" {
					if want := vectorKey(t, cs).Public(); !bytes.Equal(pub, want) {
						t.Errorf("the PEM key's public key is %x in JS, %x in Go", pub, want)
					}
				}
				if goPEM, err := cs.Signature().PublicPEM(pub); err != nil || string(goPEM) != k.PublicPEM {
					t.Errorf("exportPublicPEM:\n%s\nGo writes:\n%s (%v)", k.PublicPEM, goPEM, err)
				}
				checkJSRequests(t, cs, k)
				checkJSDeposits(t, cs, pub, k)
				checkLive(t, cs, k)
			})
		}
	}
}

func checkJSRequests(t *testing.T, cs *suite.Suite, k jsKey) {
	if len(k.Requests) == 0 {
		t.Fatal("no request made")
	}
	v := httpsig.NewVerifier(httpsig.Config{Suite: cs, Resolve: accountKeyResolver(cs.Signature()), Authorities: []string{"127.0.0.1:8080"}, Skew: 5 * time.Minute})
	request := func(i int, url string, body []byte) *http.Request {
		r := k.Requests[i]
		req := httptest.NewRequest(r.Method, url, bytes.NewReader(body))
		for h, val := range r.Headers {
			req.Header.Set(h, val)
		}
		return req
	}
	for i, r := range k.Requests {
		body := r.Body
		if body == nil {
			body = []byte{}
		}
		// A changed query or body must not verify: the check is real.
		if _, err := v.Check(request(i, r.URL+"&x=1", body)); err == nil {
			t.Errorf("%s %s: verifies with another query", r.Method, r.URL)
		}
		if len(body) > 0 {
			changed := append([]byte("x"), body...)
			if c, err := v.Check(request(i, r.URL, changed)); err != nil || c.Accept(changed) == nil {
				t.Errorf("%s %s: a changed body was accepted (or the signature failed: %v)", r.Method, r.URL, err)
			}
		}
		c, err := v.Check(request(i, r.URL, body))
		if err != nil {
			t.Errorf("%s %s: %v", r.Method, r.URL, err)
			continue
		}
		if err := c.Accept(body); err != nil {
			t.Errorf("%s %s: %v", r.Method, r.URL, err)
		}
		if c.KeyID != k.KeyID {
			t.Errorf("%s %s: verified as %q, want %q", r.Method, r.URL, c.KeyID, k.KeyID)
		}
	}
}

func checkJSDeposits(t *testing.T, cs *suite.Suite, pub []byte, k jsKey) {
	if len(k.Deposits) == 0 {
		t.Fatal("no deposit made")
	}
	for i, d := range k.Deposits {
		var req api.Deposit
		if err := json.Unmarshal(d.Request, &req); err != nil {
			t.Fatalf("deposit %d: %v", i, err)
		}
		s, op, err := req.Parse("")
		if err != nil {
			t.Fatalf("deposit %d: Parse: %v\n%s", i, err, d.Request)
		}
		if err := req.CheckSuite("", cs); err != nil {
			t.Errorf("deposit %d: CheckSuite: %v", i, err)
		}
		// As a node does: the commitment is the opening's, and the
		// signature verifies only if the JS committed to the same bytes.
		s.MetadataCommitment = op.Commitment(cs)
		if err := s.Validate(); err != nil {
			t.Errorf("deposit %d: Validate: %v", i, err)
		}
		if err := s.CheckSuite(cs); err != nil {
			t.Errorf("deposit %d: %v", i, err)
		}
		if !bytes.Equal(s.Depositor, pub) {
			t.Errorf("deposit %d: depositor %x, want the key %x", i, s.Depositor, pub)
		}
		if !s.Verify(cs, vectorOrigin) {
			t.Errorf("deposit %d: the signature does not verify", i)
		}
		if s.Verify(cs, vectorOrigin+"x") {
			t.Errorf("deposit %d: the signature verifies for another log", i)
		}
		if got := s.ID(cs); got != d.ID {
			t.Errorf("deposit %d: id %s in JS, %s in Go", i, d.ID, got)
		}
		if !strings.HasPrefix(s.IdempotencyKey, "web-") || len(s.IdempotencyKey) != 36 {
			t.Errorf("deposit %d: idempotency key %q, want web- and 32 hex digits", i, s.IdempotencyKey)
		}
		// The opening the depositor keeps: deposit.Opening's JSON, which
		// proves the committed metadata.
		var opening deposit.Opening
		if err := json.Unmarshal(d.Opening, &opening); err != nil {
			t.Fatalf("deposit %d: opening: %v", i, err)
		}
		if err := opening.Validate(); err != nil {
			t.Errorf("deposit %d: opening: %v", i, err)
		}
		if opening.Suite != cs.Name() || opening.Commitment(cs) != s.MetadataCommitment {
			t.Errorf("deposit %d: the opening (suite %q) does not open the commitment", i, opening.Suite)
		}
		if again, _ := json.Marshal(opening); !bytes.Equal(again, d.Opening) {
			t.Errorf("deposit %d: opening JSON\n%s\nGo writes\n%s", i, d.Opening, again)
		}
	}
}

func checkLive(t *testing.T, cs *suite.Suite, k jsKey) {
	want := map[string]struct{ method, path, query, body string }{
		"get":        {"GET", "/" + cs.Name() + "/v1/deposits", "case=%E6%B0%91&after=3", ""},
		"post-json":  {"POST", "/" + cs.Name() + "/v1/deposits", "", `{"title":"证据","size":3}`},
		"put-empty":  {"PUT", "/" + cs.Name() + "/v1/accounts/acct-1/keys/2", "", ""},
		"post-bytes": {"POST", "/" + cs.Name() + "/v1/raw", "", "\x00\x01\x02\xff"},
	}
	if len(k.Live) != len(want)+1 {
		t.Fatalf("%d live calls, want %d", len(k.Live), len(want)+1)
	}
	for _, l := range k.Live {
		if l.Name == "wrong-authority" {
			// The node's refusal reaches the caller as an ApiError with
			// the node's code and message.
			if l.Error == nil || l.Error.Status != http.StatusUnauthorized || l.Error.Code != api.CodeUnauthenticated || !strings.Contains(l.Error.Message, "@authority") {
				t.Errorf("a request signed for another node: %+v, want the node's unauthenticated error naming @authority", l.Error)
			}
			continue
		}
		w, ok := want[l.Name]
		if !ok {
			t.Errorf("unexpected live call %q", l.Name)
			continue
		}
		if l.Error != nil {
			t.Errorf("%s: the node refused it: %+v", l.Name, *l.Error)
			continue
		}
		sum := sha256.Sum256([]byte(w.body))
		r := l.Result
		if r.KeyID != k.KeyID || r.Method != w.method || r.Path != w.path || r.Query != w.query || r.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: the node verified %+v, want %s %s?%s by %s with body %q", l.Name, r, w.method, w.path, w.query, k.KeyID, w.body)
		}
	}
}

// storeResult is what testdata/keys/store.js posts from the browser.
type storeResult struct {
	Error  string `json:"error"`
	Suites []struct {
		Suite      string `json:"suite"`
		AgainLabel string `json:"again_label"`
		Listed     []struct {
			ID, Label, Account string
		} `json:"listed"`
		Made, Imported struct {
			PublicKey string `json:"public_key"`
			Msg       string `json:"msg"`
			Signature []byte `json:"signature"`
		}
		Stored struct {
			Fields      string `json:"fields"`
			PrivateType string `json:"private_type"`
			Extractable *bool  `json:"extractable"`
		} `json:"stored"`
		WrongSuite  string   `json:"wrong_suite"`
		AfterDelete string   `json:"after_delete"`
		Remaining   []string `json:"remaining"`
	} `json:"suites"`
}

// TestKeyStoreInChromium runs the IndexedDB key store of keys.js in
// headless Chromium, for both suites: keys made and imported there are
// kept (an Ed25519 key as a non-extractable CryptoKey), listed, labelled,
// read back and deleted, and what they sign verifies in Go.
func TestKeyStoreInChromium(t *testing.T) {
	results := make(chan storeResult, 1)
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(".")))
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res storeResult
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			res.Error = "the page posted: " + err.Error()
		}
		select {
		case results <- res:
		default:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tab := browsertest.Start(t).Tab(t)
	tab.Run("open the key store page", chromedp.Navigate(srv.URL+"/testdata/keys/store.html"))
	var res storeResult
	select {
	case res = <-results:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the page reported nothing in time; script errors: %v", tab.TakeErrors())
	}

	if res.Error != "" {
		t.Fatalf("the page failed: %s", res.Error)
	}
	if len(res.Suites) != 2 {
		t.Fatalf("the page tested %d suites, want 2", len(res.Suites))
	}
	for _, s := range res.Suites {
		t.Run(s.Suite, func(t *testing.T) {
			cs, err := suite.ByName(s.Suite)
			if err != nil {
				t.Fatal(err)
			}
			scheme := cs.Signature()
			goKey := vectorKey(t, cs)
			importedID := httpapi.AccountKeyID(goKey.Public())
			for what, sg := range map[string]struct {
				PublicKey string `json:"public_key"`
				Msg       string `json:"msg"`
				Signature []byte `json:"signature"`
			}{"made": s.Made, "imported": s.Imported} {
				pub, _ := hex.DecodeString(sg.PublicKey)
				if !scheme.Verify(pub, []byte(sg.Msg), sg.Signature) {
					t.Errorf("the %s key's signature, read back from IndexedDB, does not verify", what)
				}
			}
			if s.Imported.PublicKey != hex.EncodeToString(goKey.Public()) {
				t.Errorf("imported public key %s, Go's is %x", s.Imported.PublicKey, goKey.Public())
			}
			wantType, wantExtractable := "[object Uint8Array]", (*bool)(nil)
			if s.Suite == suite.NameInternational {
				no := false
				wantType, wantExtractable = "[object CryptoKey]", &no
			}
			if s.Stored.PrivateType != wantType || (wantExtractable == nil) != (s.Stored.Extractable == nil) ||
				wantExtractable != nil && *s.Stored.Extractable != *wantExtractable {
				t.Errorf("the private key is stored as %s (extractable %v), want %s (%v)", s.Stored.PrivateType, s.Stored.Extractable, wantType, wantExtractable)
			}
			if s.Stored.Fields != "created,id,label,privateKey,publicKey,suite" {
				t.Errorf("a stored record has the fields %s", s.Stored.Fields)
			}
			if s.AgainLabel != "alice.key" {
				t.Errorf("importing a kept key again gave label %q, want the kept %q", s.AgainLabel, "alice.key")
			}
			if len(s.Listed) != 2 {
				t.Fatalf("listKeys: %+v, want the made key and the imported one", s.Listed)
			}
			for _, k := range s.Listed {
				if k.ID == importedID && (k.Label != "alice.key" || k.Account != "acct-1") {
					t.Errorf("the imported key is listed as %+v, want label alice.key, account acct-1", k)
				}
			}
			if s.WrongSuite != "keys.wrong_suite" {
				t.Errorf("importing the other suite's key: %s, want keys.wrong_suite", s.WrongSuite)
			}
			if s.AfterDelete != "keys.not_found" {
				t.Errorf("loading a deleted key: %s, want keys.not_found", s.AfterDelete)
			}
			if len(s.Remaining) != 1 || s.Remaining[0] != importedID {
				t.Errorf("after deleting the made key, %v remain, want only %s", s.Remaining, importedID)
			}
		})
	}
}
