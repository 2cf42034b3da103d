package tsa_test

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenData stands for the signature value of a sealed PDF.
const goldenData = "the signature value of a golden seal"

// goldenPKI is the stored authority of a suite: testdata/<suite>-ca.pem,
// -tsa.pem and -tsa.key.
type goldenPKI struct {
	scheme *suite.CertificateScheme
	ca     *smx509.Certificate
	cert   *smx509.Certificate
	a      *tsa.Authority
}

func goldenName(cs *suite.Suite, file string) string {
	return filepath.Join("testdata", cs.Name()+"-"+file)
}

func loadGolden(t testing.TB, cs *suite.Suite) *goldenPKI {
	t.Helper()
	g := &goldenPKI{scheme: cs.Certificates()}
	g.ca = pkitest.ReadCert(t, goldenName(cs, "ca.pem"))
	g.cert = pkitest.ReadCert(t, goldenName(cs, "tsa.pem"))
	keyPEM, err := os.ReadFile(goldenName(cs, "tsa.key"))
	if err != nil {
		t.Fatalf("%v (go test ./tsa -run TestGolden -update writes it)", err)
	}
	key, err := g.scheme.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	// A seeded generator makes the serial number, and so the TSTInfo,
	// the same on every run.
	g.a, err = tsa.NewAuthority(tsa.Authority{Scheme: g.scheme, Cert: g.cert, Chain: []*smx509.Certificate{g.ca}, Key: key,
		Now: stampTime, Rand: rand.NewChaCha8([32]byte{'j', 'u', 'r', 'i'})})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// stamp has the stored authority stamp the golden request and returns
// the request, the token and the token parsed.
func (g *goldenPKI) stamp(t testing.TB) (*tsa.Request, []byte, *cms.SignedData) {
	t.Helper()
	req := g.request(t)
	token, err := g.a.Stamp(req)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	return req, token, sd
}

func (g *goldenPKI) request(t testing.TB) *tsa.Request {
	t.Helper()
	h := g.scheme.NewHash()
	h.Write([]byte(goldenData))
	r, err := tsa.NewRequest(g.scheme.DigestOID(), h.Sum(nil), big.NewInt(0x0123456789abcdef), true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden keeps the encoding stable: for the stored authority, a fixed
// clock and a seeded serial number the TSTInfo is byte for byte that of
// testdata, the stored responses still verify, and the stored OpenSSL
// queries still parse. go test ./tsa -run TestGolden -update rewrites the
// files.
func TestGolden(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			if *update {
				writeGolden(t, cs)
			}
			g := loadGolden(t, cs)
			req, _, sd := g.stamp(t)
			want, err := os.ReadFile(goldenName(cs, "tstinfo.hex"))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sd.Content) + "\n"; got != string(want) {
				t.Errorf("TSTInfo changed:\ngot  %s\nwant %s", got, want)
			}

			stored, err := os.ReadFile(goldenName(cs, "granted.tsr"))
			if err != nil {
				t.Fatal(err)
			}
			storedToken, err := tsa.ParseResponse(stored)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := tsa.Verify(g.scheme, storedToken, req.HashAlgorithm, req.HashedMessage, g.cert)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.GenTime.Equal(stampTime().Truncate(1e9)) || tok.Nonce.Cmp(req.Nonce) != 0 {
				t.Errorf("stored token: %+v", tok)
			}
			rejected, err := os.ReadFile(goldenName(cs, "rejected.tsr"))
			if err != nil {
				t.Fatal(err)
			}
			var e *tsa.Error
			if _, err := tsa.ParseResponse(rejected); !errors.As(err, &e) || e.FailInfo != tsa.FailUnacceptedPolicy {
				t.Errorf("stored rejection: %v", err)
			}
			query, err := os.ReadFile(goldenName(cs, "openssl.tsq"))
			if err != nil {
				t.Fatal(err)
			}
			if r, err := tsa.ParseRequest(query); err != nil || !r.CertReq || r.Nonce == nil {
				t.Errorf("stored OpenSSL query: %+v, %v", r, err)
			}
		})
	}
	sha1Query, err := os.ReadFile(filepath.Join("testdata", "openssl-sha1.tsq"))
	if err != nil {
		t.Fatal(err)
	}
	var e *tsa.Error
	if _, err := tsa.ParseRequest(sha1Query); !errors.As(err, &e) || e.FailInfo != tsa.FailBadAlg {
		t.Errorf("stored sha1 query: %v", err)
	}
}

func writeGolden(t *testing.T, cs *suite.Suite) {
	p := newTestPKI(t, cs)
	keyPEM, err := p.issuer.Scheme.MarshalPrivateKey(p.key)
	if err != nil {
		t.Fatal(err)
	}
	for file, b := range map[string][]byte{"ca.pem": pkitest.CertPEM(p.issuer.Cert), "tsa.pem": pkitest.CertPEM(p.cert), "tsa.key": keyPEM} {
		if err := os.WriteFile(goldenName(cs, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := loadGolden(t, cs)
	req, token, sd := g.stamp(t)
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	granted, err := g.a.Respond(body)
	if err != nil {
		t.Fatal(err)
	}
	other := *req
	other.Policy = mustOID(t, "1.2.3.4")
	otherBody, err := other.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rejected, _ := g.a.Respond(otherBody)

	openssl := pkitest.Tool(t, "openssl")
	dir := t.TempDir()
	data := pkitest.WriteFile(t, dir, "data", []byte(goldenData))
	queries := map[string]string{goldenName(cs, "openssl.tsq"): "-" + cs.ContentDigest()}
	if cs.Name() == suite.NameInternational {
		queries[filepath.Join("testdata", "openssl-sha1.tsq")] = "-sha1"
	}
	for out, hashFlag := range queries {
		if msg, err := pkitest.Run(t, openssl, "ts", "-query", "-data", data, hashFlag, "-cert", "-out", out); err != nil {
			t.Fatalf("openssl ts -query: %v\n%s", err, msg)
		}
	}
	for file, b := range map[string][]byte{
		"tstinfo.hex":  []byte(hex.EncodeToString(sd.Content) + "\n"),
		"granted.tsr":  granted,
		"rejected.tsr": rejected,
		"token.der":    token,
	} {
		if err := os.WriteFile(goldenName(cs, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustOID(t testing.TB, s string) x509.OID {
	t.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// FuzzParseRequest feeds ParseRequest arbitrary bytes. What it accepts is
// DER, so it must re-encode to exactly the input; and the authority must
// answer any body with a response that reads back.
func FuzzParseRequest(f *testing.F) {
	pkitest.AddSeedFiles(f, "*.tsq")
	g := loadGolden(f, suite.International())
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := tsa.ParseRequest(body)
		if err == nil {
			again, err := r.Marshal()
			if err != nil || !bytes.Equal(again, body) {
				t.Fatalf("accepted %x but re-encodes it as %x (%v)", body, again, err)
			}
		} else if e := new(tsa.Error); !errors.As(err, &e) {
			t.Fatalf("a refusal that is not a *tsa.Error: %v", err)
		}
		resp, respErr := g.a.Respond(body)
		token, err := tsa.ParseResponse(resp)
		if (respErr == nil) != (err == nil) {
			t.Fatalf("Respond said %v, the response reads as %v", respErr, err)
		}
		if err == nil {
			if _, err := tsa.Verify(g.scheme, token, r.HashAlgorithm, r.HashedMessage, g.cert); err != nil {
				t.Fatalf("a granted token does not verify: %v", err)
			}
		}
	})
}

// FuzzParseResponse feeds ParseResponse arbitrary bytes.
func FuzzParseResponse(f *testing.F) {
	pkitest.AddSeedFiles(f, "*.tsr")
	f.Fuzz(func(t *testing.T, resp []byte) {
		token, err := tsa.ParseResponse(resp)
		if err == nil && (len(token) == 0 || token[0] != 0x30) {
			t.Fatalf("a granted response with token %x", token)
		}
	})
}

// FuzzVerify feeds Verify arbitrary tokens, checked against the golden
// request's digest under both suites.
func FuzzVerify(f *testing.F) {
	for _, cs := range suite.All() {
		b, err := os.ReadFile(goldenName(cs, "token.der"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var gs []*goldenPKI
	var reqs []*tsa.Request
	for _, cs := range suite.All() {
		g := loadGolden(f, cs)
		gs = append(gs, g)
		reqs = append(reqs, g.request(f))
	}
	f.Fuzz(func(t *testing.T, token []byte) {
		for i, g := range gs {
			for _, signer := range []*smx509.Certificate{nil, g.cert} {
				tok, err := tsa.Verify(g.scheme, token, reqs[i].HashAlgorithm, reqs[i].HashedMessage, signer)
				if err == nil && (!bytes.Equal(tok.HashedMessage, reqs[i].HashedMessage) || tok.Signer == nil) {
					t.Fatalf("verified %+v", tok)
				}
			}
		}
	})
}
