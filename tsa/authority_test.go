package tsa_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

func TestTimeStampingExtension(t *testing.T) {
	e := tsa.TimeStampingExtension()
	want := []byte{0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08}
	if !e.Critical || e.Id.String() != "2.5.29.37" || !bytes.Equal(e.Value, want) {
		t.Fatalf("%+v", e)
	}
	e.Value[0] = 0
	if tsa.TimeStampingExtension().Value[0] != 0x30 {
		t.Fatal("TimeStampingExtension shares its bytes between calls")
	}
	// smx509 reads it as timeStamping, and keeps it critical.
	p := newTestPKI(t, suite.International())
	if len(p.cert.ExtKeyUsage) != 1 || p.cert.ExtKeyUsage[0] != smx509.ExtKeyUsageTimeStamping {
		t.Fatalf("extended key usage %v", p.cert.ExtKeyUsage)
	}
}

func TestDefaultPolicy(t *testing.T) {
	const want = "2.25.287261339115500005706991704561958287881" // UUID d81c8580-278a-4dc9-a6bd-8b2be0907a09
	if got := tsa.DefaultPolicy().String(); got != want {
		t.Fatalf("DefaultPolicy %s, want %s: tokens already made name the old one", got, want)
	}
	uuid, _ := new(big.Int).SetString("d81c8580278a4dc9a6bd8b2be0907a09", 16)
	if "2.25."+uuid.String() != want {
		t.Fatal("the policy is not the UUID's X.667 OID")
	}
}

func TestNewAuthorityRefuses(t *testing.T) {
	p := newTestPKI(t, suite.International())
	gm := newTestPKI(t, suite.GM())
	nonCritical, ncKey := p.issue(t, 10, "non-critical", func(c *smx509.Certificate) {
		c.ExtKeyUsage = []smx509.ExtKeyUsage{smx509.ExtKeyUsageTimeStamping}
	})
	noEKU, noKey := p.issue(t, 11, "no EKU", func(*smx509.Certificate) {})
	twoEKU, twoKey := p.issue(t, 12, "two EKUs", func(c *smx509.Certificate) {
		value, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}, {1, 3, 6, 1, 5, 5, 7, 3, 4}})
		c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: value}}
	})
	signing, signingKey := p.issue(t, 13, "cert signing", func(c *smx509.Certificate) {
		c.KeyUsage = smx509.KeyUsageDigitalSignature | smx509.KeyUsageCertSign
		c.ExtraExtensions = []pkix.Extension{tsa.TimeStampingExtension()}
	})
	base := func() tsa.Authority {
		return tsa.Authority{Scheme: p.issuer.Scheme, Cert: p.cert, Key: p.key, Now: time.Now, Rand: rand.Reader}
	}
	cases := []struct {
		name string
		edit func(a *tsa.Authority)
		want string
	}{
		{"no scheme", func(a *tsa.Authority) { a.Scheme = nil }, "Scheme is nil"},
		{"no clock", func(a *tsa.Authority) { a.Now = nil }, "Now is nil"},
		{"no randomness", func(a *tsa.Authority) { a.Rand = nil }, "Rand is nil"},
		{"wrong key", func(a *tsa.Authority) { a.Key = p.issuer.Key }, "not the key of the certificate"},
		{"other scheme", func(a *tsa.Authority) { a.Scheme = gm.issuer.Scheme }, "does not fit the sm2-sm3 scheme"},
		{"non-critical EKU", func(a *tsa.Authority) { a.Cert, a.Key = nonCritical, ncKey }, "not critical"},
		{"no EKU", func(a *tsa.Authority) { a.Cert, a.Key = noEKU, noKey }, "no extended key usage"},
		{"two EKUs", func(a *tsa.Authority) { a.Cert, a.Key = twoEKU, twoKey }, "timeStamping and nothing else"},
		{"certificate signing", func(a *tsa.Authority) { a.Cert, a.Key = signing, signingKey }, "digitalSignature or nonRepudiation only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			tc.edit(&a)
			_, err := tsa.NewAuthority(a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if _, err := tsa.NewAuthority(base()); err != nil {
		t.Fatal(err)
	}
	var unmade tsa.Authority = base()
	if _, err := unmade.Stamp(&tsa.Request{}); err == nil || !strings.Contains(err.Error(), "NewAuthority") {
		t.Fatalf("an Authority not made by NewAuthority stamped: %v", err)
	}
}

func TestStampVerify(t *testing.T) {
	for _, cs := range suite.All() {
		p := newTestPKI(t, cs)
		a := p.authority(t)
		for _, tc := range []struct {
			name    string
			hash    string
			nonce   *big.Int
			certReq bool
		}{
			{"suite hash with certificates", cs.ContentDigest(), big.NewInt(0x0102030405060708), true},
			{"sha512 without certificates", "sha512", nil, false},
		} {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				oid, newHash, err := tsa.HashAlgorithm(tc.hash)
				if err != nil {
					t.Fatal(err)
				}
				h := newHash()
				h.Write([]byte("a sealed certificate"))
				digest := h.Sum(nil)
				req, err := tsa.NewRequest(oid, digest, tc.nonce, tc.certReq)
				if err != nil {
					t.Fatal(err)
				}
				token, err := a.Stamp(req)
				if err != nil {
					t.Fatal(err)
				}
				var signer *smx509.Certificate
				if !tc.certReq {
					if _, err := tsa.Verify(p.issuer.Scheme, token, oid, digest, nil); err == nil || !strings.Contains(err.Error(), "carries no certificates") {
						t.Fatalf("a token without certificates verified without a signer: %v", err)
					}
					signer = p.cert
				}
				tok, err := tsa.Verify(p.issuer.Scheme, token, oid, digest, signer)
				if err != nil {
					t.Fatal(err)
				}
				if !tok.GenTime.Equal(stampTime().Truncate(time.Second)) || tok.GenTime.Location() != time.UTC {
					t.Errorf("genTime %v, want %v to the second", tok.GenTime, stampTime())
				}
				if tok.Accuracy != time.Second {
					t.Errorf("accuracy %v", tok.Accuracy)
				}
				if !tok.Policy.Equal(tsa.DefaultPolicy()) {
					t.Errorf("policy %s", tok.Policy)
				}
				if tok.Serial.Sign() <= 0 || tok.Serial.BitLen() > 128 {
					t.Errorf("serial %x is not a positive 128-bit number", tok.Serial)
				}
				if (tc.nonce == nil) != (tok.Nonce == nil) || (tc.nonce != nil && tok.Nonce.Cmp(tc.nonce) != 0) {
					t.Errorf("nonce %v, want %v", tok.Nonce, tc.nonce)
				}
				if !tok.Signer.Equal(p.cert) || !tok.HashAlgorithm.Equal(oid) || !bytes.Equal(tok.HashedMessage, digest) || !bytes.Equal(tok.Raw, token) {
					t.Errorf("token %+v", tok)
				}
				wantCerts := 0
				if tc.certReq {
					wantCerts = 2
				}
				if len(tok.Certificates) != wantCerts {
					t.Errorf("%d certificates, want %d", len(tok.Certificates), wantCerts)
				}
				sd, err := cms.Parse(token)
				if err != nil {
					t.Fatal(err)
				}
				if sd.Version != 3 || !sd.ContentType.Equal(cms.OIDTSTInfo()) {
					t.Errorf("SignedData version %d, content %v", sd.Version, sd.ContentType)
				}
				again, err := a.Stamp(req)
				if err != nil {
					t.Fatal(err)
				}
				tok2, err := tsa.Verify(p.issuer.Scheme, again, oid, digest, p.cert)
				if err != nil {
					t.Fatal(err)
				}
				if tok2.Serial.Cmp(tok.Serial) == 0 {
					t.Error("two tokens share a serial number")
				}
			})
		}
	}
}

func TestStampRefuses(t *testing.T) {
	p := newTestPKI(t, suite.GM())
	a := p.authority(t)
	digest := p.digest(t, []byte("x"))
	sm3OID, _, _ := tsa.HashAlgorithm("sm3")
	other, _ := x509.ParseOID("1.2.3.4")
	stopped, err := tsa.NewAuthority(tsa.Authority{Scheme: p.issuer.Scheme, Cert: p.cert, Key: p.key, Now: func() time.Time { return time.Time{} }, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	late, err := tsa.NewAuthority(tsa.Authority{Scheme: p.issuer.Scheme, Cert: p.cert, Key: p.key, Now: func() time.Time { return p.cert.NotAfter.Add(time.Hour) }, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := tsa.NewAuthority(tsa.Authority{Scheme: p.issuer.Scheme, Cert: p.cert, Key: p.key, Now: stampTime, Rand: bytes.NewReader(nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    *tsa.Authority
		req  *tsa.Request
		fail tsa.FailInfo
	}{
		{"other policy", a, &tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest, Policy: other}, tsa.FailUnacceptedPolicy},
		{"no clock", stopped, &tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest}, tsa.FailTimeNotAvailable},
		{"expired certificate", late, &tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest}, tsa.FailSystemFailure},
		{"no randomness", broken, &tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest}, tsa.FailSystemFailure},
		{"bad digest", a, &tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest[:5]}, tsa.FailBadDataFormat},
		{"no request", a, nil, tsa.FailBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.Stamp(tc.req)
			var e *tsa.Error
			if !errors.As(err, &e) || e.FailInfo != tc.fail {
				t.Fatalf("got %v, want %v", err, tc.fail)
			}
		})
	}
	// A system failure keeps its cause for the log, not for the client.
	_, err = broken.Stamp(&tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest})
	var e *tsa.Error
	if !errors.As(err, &e) || errors.Unwrap(e) == nil || !strings.Contains(err.Error(), "drawing a serial number") || strings.Contains(e.Message, "serial") {
		t.Fatalf("system failure %v", err)
	}
	// The authority's own policy, asked for by name, is fine.
	if _, err := a.Stamp(&tsa.Request{HashAlgorithm: sm3OID, HashedMessage: digest, Policy: tsa.DefaultPolicy()}); err != nil {
		t.Fatal(err)
	}
}

func TestRespond(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			a := p.authority(t)
			digest := p.digest(t, []byte("deposit"))
			alg, _, _ := tsa.HashAlgorithm(cs.ContentDigest())
			req, _ := tsa.NewRequest(alg, digest, big.NewInt(42), true)
			body, _ := req.Marshal()
			resp, err := a.Respond(body)
			if err != nil {
				t.Fatal(err)
			}
			token, err := tsa.ParseResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			if tok, err := tsa.Verify(p.issuer.Scheme, token, alg, digest, nil); err != nil || tok.Nonce.Int64() != 42 {
				t.Fatalf("%v %+v", err, tok)
			}

			for _, tc := range []struct {
				name string
				body []byte
				fail tsa.FailInfo
				want string
			}{
				{"sha1", rawRequest([]byte{2, 1, 1}, imprint(algID(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}), make([]byte, 20))), tsa.FailBadAlg, "sha1"},
				{"garbage", []byte("not a request"), tsa.FailBadDataFormat, "TimeStampReq"},
				{"extensions", rawRequest([]byte{2, 1, 1}, imprint(algID(alg), digest), []byte{0xa0, 0}), tsa.FailUnacceptedExtension, "extensions"},
			} {
				resp, err := a.Respond(tc.body)
				var sent *tsa.Error
				if !errors.As(err, &sent) || sent.FailInfo != tc.fail {
					t.Fatalf("%s: Respond returned %v", tc.name, err)
				}
				_, err = tsa.ParseResponse(resp)
				var got *tsa.Error
				if !errors.As(err, &got) || got.FailInfo != tc.fail || got.Message != sent.Message || !strings.Contains(got.Message, tc.want) {
					t.Fatalf("%s: the rejection reads back as %v, sent %v", tc.name, err, sent)
				}
			}
		})
	}
}

func TestParseResponseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"granted without token", []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00}, "without a timeStampToken"},
		{"unknown status", []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x09}, "not a PKIStatus"},
		{"trailing zero bit", []byte{0x30, 0x09, 0x30, 0x07, 0x02, 0x01, 0x02, 0x03, 0x02, 0x06, 0x80}, "trailing zero bits"},
		{"printable statusString", []byte{0x30, 0x0a, 0x30, 0x08, 0x02, 0x01, 0x02, 0x30, 0x03, 0x13, 0x01, 'x'}, "UTF8String"},
		{"trailing bytes", []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02, 0x00}, "stray bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tsa.ParseResponse(tc.der)
			var e *tsa.Error
			if err == nil || errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a malformed-response error saying %q", err, tc.want)
			}
		})
	}
	// A rejection with neither reason nor text.
	_, err := tsa.ParseResponse([]byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02})
	var e *tsa.Error
	if !errors.As(err, &e) || e.FailInfo != tsa.FailUnknown || e.Message != "the authority gave no reason" {
		t.Fatalf("%v", err)
	}
	// waiting, with failInfo systemFailure (bit 25).
	_, err = tsa.ParseResponse([]byte{0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x03, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40})
	if !errors.As(err, &e) || e.FailInfo != tsa.FailSystemFailure || !strings.Contains(e.Message, "status waiting") {
		t.Fatalf("%v", err)
	}
}

// TestVerifyRefuses tampers with tokens.
func TestVerifyRefuses(t *testing.T) {
	for _, cs := range suite.All() {
		p := newTestPKI(t, cs)
		other := suite.GM()
		if cs.Name() == other.Name() {
			other = suite.International()
		}
		a := p.authority(t)
		alg, _, _ := tsa.HashAlgorithm(cs.ContentDigest())
		digest := p.digest(t, []byte("the sealed PDF's signature value"))
		req, _ := tsa.NewRequest(alg, digest, big.NewInt(99), true)
		token, err := a.Stamp(req)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := cms.Parse(token)
		if err != nil {
			t.Fatal(err)
		}

		// The same TSTInfo signed with a certificate whose timeStamping
		// extended key usage is not critical.
		weak, weakKey := p.issue(t, 20, p.cert.Subject.CommonName, func(c *smx509.Certificate) {
			c.ExtKeyUsage = []smx509.ExtKeyUsage{smx509.ExtKeyUsageTimeStamping}
		})
		weakToken, err := cms.Sign(cms.Signer{Scheme: p.issuer.Scheme, Cert: weak, Chain: []*smx509.Certificate{p.issuer.Cert}, Key: weakKey, Rand: rand.Reader},
			cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: sd.Content})
		if err != nil {
			t.Fatal(err)
		}
		// A token whose serial number was changed after signing.
		tampered := bytes.Clone(token)
		at := bytes.Index(tampered, sd.Content)
		tampered[at+len(sd.Content)-10] ^= 0x01
		// A token over other content than TSTInfo.
		notTST, err := cms.Sign(cms.Signer{Scheme: p.issuer.Scheme, Cert: p.cert, Key: p.key, Rand: rand.Reader},
			cms.SignOptions{ContentType: cms.OIDData(), Content: sd.Content})
		if err != nil {
			t.Fatal(err)
		}
		otherTSA, _ := p.issue(t, 21, "another TSA", func(c *smx509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{tsa.TimeStampingExtension()}
		})
		otherDigest := p.digest(t, []byte("another PDF"))
		sha512OID, _, _ := tsa.HashAlgorithm("sha512")

		for _, tc := range []struct {
			name   string
			token  []byte
			scheme *suite.CertificateScheme
			alg    asn1.ObjectIdentifier
			digest []byte
			signer *smx509.Certificate
			want   string
		}{
			{name: "another digest", token: token, digest: otherDigest, want: "another digest"},
			{name: "another hash algorithm", token: token, alg: sha512OID, digest: digest, want: "not a 2.16.840.1.101.3.4.2.3 one"},
			{name: "non-critical EKU", token: weakToken, digest: digest, want: "not critical"},
			{name: "tampered TSTInfo", token: tampered, digest: digest, want: "not the digest of the content"},
			{name: "other suite", token: token, scheme: other.Certificates(), digest: digest, want: "scheme signs with"},
			{name: "other authority", token: token, digest: digest, signer: otherTSA, want: "not by the authority's certificate"},
			{name: "not a TSTInfo", token: notTST, digest: digest, signer: p.cert, want: "not a TSTInfo"},
			{name: "garbage", token: []byte("token"), digest: digest, want: "the token"},
		} {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				scheme, hashAlg := tc.scheme, tc.alg
				if scheme == nil {
					scheme = p.issuer.Scheme
				}
				if hashAlg == nil {
					hashAlg = alg
				}
				_, err := tsa.Verify(scheme, tc.token, hashAlg, tc.digest, tc.signer)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error saying %q", err, tc.want)
				}
			})
		}
		if _, err := tsa.Verify(p.issuer.Scheme, token, alg, digest, p.cert); err != nil {
			t.Fatalf("%s: the untampered token: %v", cs.Name(), err)
		}
	}
}

// TestSealWithTimeStamp is the PAdES B-T flow: a seal whose signature
// value the authority stamps, checked the way a verifier checks it.
func TestSealWithTimeStamp(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			a := p.authority(t)
			seal, sealKey := p.issue(t, 30, "Test Court seal", func(c *smx509.Certificate) {
				c.KeyUsage = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
			})
			stamp := func(signature []byte) ([]byte, error) {
				req, err := tsa.NewRequest(p.issuer.Scheme.DigestOID(), p.digest(t, signature), nil, true)
				if err != nil {
					return nil, err
				}
				return a.Stamp(req)
			}
			pdf := []byte("%PDF-1.7 byte ranges")
			der, err := cms.Sign(cms.Signer{Scheme: p.issuer.Scheme, Cert: seal, Chain: []*smx509.Certificate{p.issuer.Cert}, Key: sealKey, Rand: rand.Reader},
				cms.SignOptions{ContentType: cms.OIDData(), Content: pdf, Detached: true, TimeStamp: stamp})
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sd.Verify(p.issuer.Scheme, pdf); err != nil {
				t.Fatal(err)
			}
			token, ok := sd.SignatureTimeStamp()
			if !ok {
				t.Fatal("no signature time-stamp")
			}
			tok, err := tsa.Verify(p.issuer.Scheme, token, p.issuer.Scheme.DigestOID(), p.digest(t, sd.Signature), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.GenTime.Equal(stampTime().Truncate(time.Second)) {
				t.Errorf("genTime %v", tok.GenTime)
			}
		})
	}
}
