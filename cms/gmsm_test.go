package cms_test

import (
	"bytes"
	"encoding/asn1"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/pkcs7"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/suite"
)

// TestGmsmReadsOurSignatures has gmsm's PKCS #7 code parse and verify what
// Sign writes, attached and detached, data and TSTInfo.
//
// gmsm verifies SM2 only under the signature OID of GM/T 0010,
// 1.2.156.10197.1.301.1, not SM2-with-SM3 (1.2.156.10197.1.501), which the
// suite's scheme names, OpenSSL writes and prints, and Sign uses. The
// signatureAlgorithm field is not signed, so the SM2 case renames it in a
// copy: gmsm then verifies the rest — attributes, digest, Z value and
// signature — as it is.
func TestGmsmReadsOurSignatures(t *testing.T) {
	sm2WithSM3 := mustAlgorithm(t, asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501})
	sm2GMT0010 := mustAlgorithm(t, asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1})
	for _, cs := range suite.All() {
		p := newTestPKI(t, cs)
		for _, tc := range []struct {
			name string
			opts cms.SignOptions
		}{
			{"attached", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("a receipt")}},
			{"detached", cms.SignOptions{ContentType: cms.OIDData(), Content: []byte("%PDF byte ranges"), Detached: true}},
			{"tstinfo", cms.SignOptions{ContentType: cms.OIDTSTInfo(), Content: []byte{0x30, 3, 2, 1, 1}}},
		} {
			t.Run(cs.Name()+"/"+tc.name, func(t *testing.T) {
				der, err := cms.Sign(p.signer(), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if cs.Name() == suite.NameGM {
					der = renameLast(t, der, sm2WithSM3, sm2GMT0010)
				}
				p7, err := pkcs7.Parse(der)
				if err != nil {
					t.Fatalf("gmsm pkcs7.Parse: %v", err)
				}
				if tc.opts.Detached {
					p7.Content = tc.opts.Content
				} else if !bytes.Equal(p7.Content, tc.opts.Content) {
					t.Fatalf("gmsm reads content %x, want %x", p7.Content, tc.opts.Content)
				}
				if signer := p7.GetOnlySigner(); signer == nil || !signer.Equal(p.cert) {
					t.Fatal("gmsm does not find the signer's certificate")
				}
				if err := p7.Verify(); err != nil {
					t.Fatalf("gmsm Verify: %v", err)
				}
				p7.Content = append(bytes.Clone(tc.opts.Content), '!')
				if err := p7.Verify(); err == nil {
					t.Fatal("gmsm verified other content")
				}
				if cs.Name() == suite.NameGM {
					// And Verify holds the renamed copy to the scheme.
					sd, err := cms.Parse(der)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := sd.Verify(p.issuer.Scheme, tc.opts.Content); err == nil || !strings.Contains(err.Error(), "1.2.156.10197.1.301.1") {
						t.Fatalf("Verify of the GM/T 0010 OID: %v", err)
					}
				}
			})
		}
	}
}

func mustAlgorithm(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := asn1.Marshal(struct{ A asn1.ObjectIdentifier }{oid})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// renameLast replaces the last occurrence of the element old — the
// SignerInfo's signatureAlgorithm, after which only the signature value
// follows — by new, re-encoding the lengths of the elements around it.
func renameLast(t *testing.T, der, old, new []byte) []byte {
	t.Helper()
	at := bytes.LastIndex(der, old)
	if at < 0 {
		t.Fatalf("%x not found", old)
	}
	return rewrite(t, der, 0, at, new)
}

func rewrite(t *testing.T, b []byte, base, at int, new []byte) []byte {
	var out []byte
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			t.Fatal(err)
		}
		switch header := len(v.FullBytes) - len(v.Bytes); {
		case base == at:
			out = append(out, new...)
		case v.IsCompound && at > base && at < base+len(v.FullBytes):
			inner := rewrite(t, v.Bytes, base+header, at, new)
			out = append(out, v.FullBytes[0])
			out = appendTestLength(out, len(inner))
			out = append(out, inner...)
		default:
			out = append(out, v.FullBytes...)
		}
		base += len(v.FullBytes)
		b = rest
	}
	return out
}

func appendTestLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	default:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
}
