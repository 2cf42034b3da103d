package cms_test

import (
	"bytes"
	"encoding/asn1"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/suite"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	extra := cms.Attribute{
		Type:   asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 15}, // signature-policy-identifier, as a stand-in
		Values: []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagNull}},
	}
	cases := []struct {
		name        string
		opts        cms.SignOptions
		wantVersion int
	}{
		{"detached data", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("%PDF-1.7 byte ranges"), Detached: true}, 1},
		{"encapsulated data", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("a deposit receipt")}, 1},
		{"tstinfo", cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: []byte{0x30, 0x00}}, 3},
		{"empty detached", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte{}, Detached: true}, 1},
		{"extra attribute", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("x"), SignedAttributes: []cms.Attribute{extra}}, 1},
		{"no certificates", cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: []byte{0x30, 0x00}, OmitCertificates: true}, 3},
	}
	for _, cs := range suite.All() {
		p := newTestPKI(t, cs)
		for _, tc := range cases {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				der, err := cms.Sign(p.signer(), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				sd, err := cms.Parse(der)
				if err != nil {
					t.Fatal(err)
				}
				if sd.Version != tc.wantVersion {
					t.Errorf("SignedData version %d, want %d", sd.Version, tc.wantVersion)
				}
				if !sd.ContentType.Equal(tc.opts.ContentType) {
					t.Errorf("content type %v, want %v", sd.ContentType, tc.opts.ContentType)
				}
				if tc.opts.Detached != (sd.Content == nil) {
					t.Errorf("detached %v but parsed content %q", tc.opts.Detached, sd.Content)
				}
				if !sd.DigestAlgorithm.Equal(p.issuer.Scheme.DigestOID()) || !sd.SignatureAlgorithm.Equal(p.issuer.Scheme.SignatureOID()) {
					t.Errorf("algorithms %v %v", sd.DigestAlgorithm, sd.SignatureAlgorithm)
				}
				wantCerts := 2
				if tc.opts.OmitCertificates {
					wantCerts = 0
					sd.Certificates = []*smx509.Certificate{p.cert}
				}
				if !tc.opts.OmitCertificates && len(sd.Certificates) != wantCerts {
					t.Errorf("%d certificates, want signer and CA", len(sd.Certificates))
				}
				var content []byte
				if tc.opts.Detached {
					content = tc.opts.Content
				}
				signer, err := sd.Verify(p.issuer.Scheme, content)
				if err != nil {
					t.Fatal(err)
				}
				if !signer.Equal(p.cert) {
					t.Errorf("Verify returned %q, want the seal certificate", signer.Subject)
				}
				if _, ok := sd.SignedAttribute(cms.OIDSigningTime()); ok {
					t.Error("signing-time is present; PAdES forbids it")
				}
				for _, oid := range []asn1.ObjectIdentifier{cms.OIDContentType(), cms.OIDMessageDigest(), cms.OIDSigningCertificateV2()} {
					if _, ok := sd.SignedAttribute(oid); !ok {
						t.Errorf("signed attribute %v missing", oid)
					}
				}
				if len(tc.opts.SignedAttributes) > 0 {
					if v, ok := sd.SignedAttribute(extra.Type); !ok || !bytes.Equal(v[0].FullBytes, []byte{5, 0}) {
						t.Errorf("extra attribute: %v %v", v, ok)
					}
				}
				if _, ok := sd.SignatureTimeStamp(); ok {
					t.Error("a time-stamp token without TimeStamp")
				}
			})
		}
	}
}

// TestEncoding pins the choices made for interoperability: parameters of
// the algorithms absent (as OpenSSL writes them), the ESS hash algorithm
// absent for SHA-256 (its DEFAULT) and present for SM3, and the signed
// attributes in DER order.
func TestEncoding(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			der := p.seal(t, []byte("x"))
			digestAlg, _ := asn1.Marshal(struct{ A asn1.ObjectIdentifier }{p.issuer.Scheme.DigestOID()})
			// digestAlgorithms and the SignerInfo, and for SM3 the ESS hash.
			want := 2
			if cs.Name() == suite.NameGM {
				want = 3
			}
			if n := bytes.Count(der, digestAlg); n != want {
				t.Errorf("digest AlgorithmIdentifier %x with absent parameters appears %d times, want %d", digestAlg, n, want)
			}
			sigAlg, _ := asn1.Marshal(struct{ A asn1.ObjectIdentifier }{p.issuer.Scheme.SignatureOID()})
			if !bytes.Contains(der, sigAlg) {
				t.Errorf("signature AlgorithmIdentifier %x with absent parameters missing", sigAlg)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			ess, _ := sd.SignedAttribute(cms.OIDSigningCertificateV2())
			hasAlg := bytes.Contains(ess[0].FullBytes, digestAlg)
			if wantAlg := cs.Name() == suite.NameGM; hasAlg != wantAlg {
				t.Errorf("ESSCertIDv2 hashAlgorithm present=%v, want %v", hasAlg, wantAlg)
			}
			if !bytes.Contains(ess[0].FullBytes, p.cert.RawIssuer) {
				t.Error("ESSCertIDv2 has no issuerSerial")
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	intl := newTestPKI(t, suite.International())
	gm := newTestPKI(t, suite.GM())
	data := cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("x")}
	cases := []struct {
		name   string
		signer func() cms.Signer
		opts   cms.SignOptions
		want   string
	}{
		{"no scheme", func() cms.Signer { s := intl.signer(); s.Scheme = nil; return s }, data, "Scheme is nil"},
		{"no rand", func() cms.Signer { s := intl.signer(); s.Rand = nil; return s }, data, "Rand is nil"},
		{"key of another certificate", func() cms.Signer { s := intl.signer(); s.Key = intl.issuer.Key; return s }, data, "not the key of the certificate"},
		{"other scheme's certificate", func() cms.Signer { s := intl.signer(); s.Scheme = gm.issuer.Scheme; return s }, data, "does not fit the sm2-sm3 scheme"},
		{"no content type", intl.signer, cms.SignOptions{Content: []byte("x")}, "ContentType is empty"},
		{"duplicate message digest", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), SignedAttributes: []cms.Attribute{{Type: cms.OIDMessageDigest(), Values: []asn1.RawValue{{FullBytes: []byte{4, 0}}}}}}, "appears twice"},
		{"extra attribute twice", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), SignedAttributes: []cms.Attribute{
			{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: []asn1.RawValue{{FullBytes: []byte{5, 0}}}},
			{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: []asn1.RawValue{{FullBytes: []byte{4, 0}}}},
		}}, "appears twice"},
		{"one value twice", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), SignedAttributes: []cms.Attribute{
			{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: []asn1.RawValue{{FullBytes: []byte{5, 0}}, {FullBytes: []byte{5, 0}}}},
		}}, "one value twice"},
		{"attribute without value", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), SignedAttributes: []cms.Attribute{{Type: asn1.ObjectIdentifier{1, 2, 3}}}}, "has no value"},
		{"attribute value not DER", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), SignedAttributes: []cms.Attribute{{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: []asn1.RawValue{{FullBytes: []byte{4, 1, 0, 0}}}}}}, "not one DER element"},
		{"time-stamp not a token", intl.signer, cms.SignOptions{ContentType: cms.OIDData(), TimeStamp: func([]byte) ([]byte, error) { return []byte{0x30, 0}, nil }}, "not a CMS SignedData"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Sign(tc.signer(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestTimeStampAttribute checks that the callback sees the signature value
// and that its token comes back as the unsigned attribute.
func TestTimeStampAttribute(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			p := newTestPKI(t, cs)
			tokenSigner := p.signer()
			var seen []byte
			var token []byte
			stamp := func(sig []byte) ([]byte, error) {
				seen = bytes.Clone(sig)
				var err error
				token, err = cms.Sign(tokenSigner, cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: []byte{0x30, 0}})
				return token, err
			}
			der, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("pdf"), Detached: true, TimeStamp: stamp})
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(seen, sd.Signature) {
				t.Error("the time-stamp callback did not get the signature value")
			}
			got, ok := sd.SignatureTimeStamp()
			if !ok || !bytes.Equal(got, token) {
				t.Fatal("the token is not the unsigned attribute")
			}
			if _, err := sd.Verify(p.issuer.Scheme, []byte("pdf")); err != nil {
				t.Fatalf("an unsigned attribute broke the signature: %v", err)
			}
			if _, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), TimeStamp: func([]byte) ([]byte, error) { return nil, errTSA{} }}); err == nil || !strings.Contains(err.Error(), "authority down") {
				t.Errorf("a failing time-stamp: %v", err)
			}
		})
	}
}

type errTSA struct{}

func (errTSA) Error() string { return "authority down" }

// TestVerifyRefuses tampers with a signature in the ways that matter and
// expects an error that says what is wrong.
func TestVerifyRefuses(t *testing.T) {
	for _, cs := range suite.All() {
		p := newTestPKI(t, cs)
		other := suite.International()
		if cs.Name() == other.Name() {
			other = suite.GM()
		}
		content := []byte("the certificate of deposit 4711")
		extra := cms.Attribute{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Values: []asn1.RawValue{{FullBytes: []byte{0x0c, 3, 'a', 'b', 'c'}}}}
		der, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), Content: content, Detached: true, SignedAttributes: []cms.Attribute{extra}})
		if err != nil {
			t.Fatal(err)
		}
		tst, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: []byte{0x30, 0}})
		if err != nil {
			t.Fatal(err)
		}
		twin, _ := p.issue(t, p.cert.SerialNumber.Int64(), p.cert.Subject.CommonName) // same issuer and serial, another key
		stranger, _ := p.issue(t, 99, "someone else")

		cases := []struct {
			name    string
			der     []byte
			edit    func(sd *cms.SignedData)
			scheme  *suite.CertificateScheme
			content []byte
			want    string
		}{
			{name: "altered content", der: der, content: []byte("the certificate of deposit 4712"), want: "not the digest of the content"},
			{name: "missing content", der: der, want: "pass the signed content"},
			{name: "altered attribute", der: replaceOnce(t, der, []byte{0x0c, 3, 'a', 'b', 'c'}, []byte{0x0c, 3, 'a', 'b', 'd'}), content: content, want: "does not verify"},
			{name: "altered digest attribute", der: flipDigest(t, der, p.issuer.Scheme, content), content: content, want: "not the digest of the content"},
			{name: "swapped certificate", der: der, edit: func(sd *cms.SignedData) { sd.Certificates = []*smx509.Certificate{twin, p.issuer.Cert} }, content: content, want: "certificate was swapped"},
			{name: "signer missing", der: der, edit: func(sd *cms.SignedData) { sd.Certificates = []*smx509.Certificate{stranger, p.issuer.Cert} }, content: content, want: "not among the 2 certificates"},
			{name: "wrong scheme", der: der, scheme: other.Certificates(), content: content, want: "but the network's " + other.Certificates().Name() + " scheme signs with"},
			{name: "content type", der: replaceOnce(t, tst, mustOID(t, cms.OIDTSTInfo()), mustOID(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 2})), want: "is not the eContentType"},
			{name: "other content than encapsulated", der: tst, content: []byte{0x30, 1, 0}, want: "not the content the signature encapsulates"},
		}
		for _, tc := range cases {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				sd, err := cms.Parse(tc.der)
				if err != nil {
					t.Fatal(err)
				}
				if tc.edit != nil {
					tc.edit(sd)
				}
				scheme := tc.scheme
				if scheme == nil {
					scheme = p.issuer.Scheme
				}
				_, err = sd.Verify(scheme, tc.content)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error saying %q", err, tc.want)
				}
			})
		}
		t.Run(cs.Name()+"/untampered", func(t *testing.T) {
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sd.Verify(p.issuer.Scheme, content); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func mustOID(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := asn1.Marshal(oid)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceOnce replaces the first occurrence of old, which must be there
// and as long as new.
func replaceOnce(t *testing.T, b, old, new []byte) []byte {
	t.Helper()
	if len(old) != len(new) || !bytes.Contains(b, old) {
		t.Fatalf("cannot replace %x", old)
	}
	return bytes.Replace(b, old, new, 1)
}

func flipDigest(t *testing.T, der []byte, scheme *suite.CertificateScheme, content []byte) []byte {
	t.Helper()
	h := scheme.NewHash()
	h.Write(content)
	d := h.Sum(nil)
	flipped := bytes.Clone(d)
	flipped[0] ^= 1
	return replaceOnce(t, der, d, flipped)
}

func TestParseRefuses(t *testing.T) {
	p := newTestPKI(t, suite.International())
	der, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	// A BER indefinite-length outer SEQUENCE with the same content.
	ber := append([]byte{0x30, 0x80}, der[4:]...)
	ber = append(ber, 0, 0)
	cases := []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, "missing"},
		{"trailing bytes", append(bytes.Clone(der), 0), "stray bytes"},
		{"indefinite length", ber, "indefinite length"},
		{"too large", make([]byte, cms.MaxSize+1), "limit"},
		{"not signed-data", replaceOnce(t, der, mustOID(t, cms.OIDSignedData()), mustOID(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3})), "not signed-data"},
		{"wrong version", replaceOnce(t, der, []byte{0x02, 0x01, 0x01, 0x31}, []byte{0x02, 0x01, 0x03, 0x31}), "RFC 5652 section 5.1 makes it 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Parse(tc.der)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestParseDoesNotAlias(t *testing.T) {
	p := newTestPKI(t, suite.GM())
	der, err := cms.Sign(p.signer(), cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("kept")})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	for i := range der {
		der[i] = 0
	}
	if string(sd.Content) != "kept" {
		t.Fatal("the parsed content changed with the input buffer")
	}
	if _, err := sd.Verify(p.issuer.Scheme, nil); err != nil {
		t.Fatal(err)
	}
}
