package cms_test

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/pkitest"
	"github.com/jurichain/jurichain/suite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenContent stands for the byte ranges of a sealed PDF.
const goldenContent = "%PDF-1.7 golden byte ranges of a sealed certificate\n"

// TestGolden keeps the encoding stable: the signed attributes for a fixed
// certificate and content are byte for byte those of testdata, and the
// stored seals (ours, and for the international suite one OpenSSL made)
// still parse and verify. go test ./cms -run TestGolden -update rewrites
// the files.
func TestGolden(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			name := func(s string) string { return filepath.Join("testdata", cs.Name()+"-"+s) }
			scheme := cs.Certificates()
			if *update {
				writeGolden(t, cs, name)
			}
			ca := pkitest.ReadCert(t, name("ca.pem"))
			cert := pkitest.ReadCert(t, name("seal.pem"))
			keyPEM, err := os.ReadFile(name("seal.key"))
			if err != nil {
				t.Fatalf("%v (go test ./cms -run TestGolden -update writes it)", err)
			}
			key, err := scheme.ParsePrivateKey(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			s := cms.Signer{Scheme: scheme, Cert: cert, Chain: []*smx509.Certificate{ca}, Key: key, Rand: rand.Reader}
			der, err := cms.Sign(s, cms.SignOptions{ContentType: cms.OIDData(), Content: []byte(goldenContent), Detached: true})
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			wantAttrs, err := os.ReadFile(name("signed-attributes.hex"))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sd.SignedAttributesDER) + "\n"; got != string(wantAttrs) {
				t.Errorf("signed attributes changed:\ngot  %s\nwant %s", got, wantAttrs)
			}
			seals := []string{name("seal.p7s")}
			if cs.Name() == suite.NameInternational {
				seals = append(seals, name("openssl-cades.p7s"))
			}
			for _, file := range seals {
				stored, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				sd, err := cms.Parse(stored)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				signer, err := sd.Verify(scheme, []byte(goldenContent))
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				if !signer.Equal(cert) {
					t.Fatalf("%s: signed by %q", file, signer.Subject)
				}
			}
		})
	}
}

func writeGolden(t *testing.T, cs *suite.Suite, name func(string) string) {
	p := newTestPKI(t, cs)
	keyPEM, err := p.issuer.Scheme.MarshalPrivateKey(p.key)
	if err != nil {
		t.Fatal(err)
	}
	der := p.seal(t, []byte(goldenContent))
	sd, err := cms.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"ca.pem":                pkitest.CertPEM(p.issuer.Cert),
		"seal.pem":              pkitest.CertPEM(p.cert),
		"seal.key":              keyPEM,
		"seal.p7s":              der,
		"signed-attributes.hex": []byte(hex.EncodeToString(sd.SignedAttributesDER) + "\n"),
	}
	if cs.Name() == suite.NameInternational {
		openssl := pkitest.Tool(t, "openssl")
		dir := t.TempDir()
		out := filepath.Join(dir, "sig.der")
		if msg, err := pkitest.Run(t, openssl, "cms", "-sign", "-binary", "-cades", "-md", "sha256", "-outform", "DER", "-nosmimecap",
			"-signer", pkitest.WriteFile(t, dir, "cert.pem", pkitest.CertPEM(p.cert)), "-inkey", pkitest.WriteFile(t, dir, "key.pem", keyPEM),
			"-certfile", pkitest.WriteFile(t, dir, "ca.pem", pkitest.CertPEM(p.issuer.Cert)), "-in", pkitest.WriteFile(t, dir, "data", []byte(goldenContent)), "-out", out); err != nil {
			t.Fatalf("openssl cms -sign: %v\n%s", err, msg)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files["openssl-cades.p7s"] = b
	}
	for f, b := range files {
		if err := os.WriteFile(name(f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzParse feeds Parse arbitrary bytes; what it accepts must be safe to
// verify with either scheme and to read attributes from.
func FuzzParse(f *testing.F) {
	pkitest.AddSeedFiles(f, "*.p7s")
	f.Fuzz(func(t *testing.T, der []byte) {
		sd, err := cms.Parse(der)
		if err != nil {
			return
		}
		if len(sd.SignedAttributesDER) == 0 || sd.SignedAttributesDER[0] != 0x31 {
			t.Fatalf("signed attributes %x do not start with a SET tag", sd.SignedAttributesDER)
		}
		for _, cs := range suite.All() {
			if _, err := sd.Verify(cs.Certificates(), nil); err == nil && sd.Content == nil {
				t.Fatal("a detached signature verified without content")
			}
			_, _ = sd.Verify(cs.Certificates(), []byte(goldenContent))
		}
		if tok, ok := sd.SignatureTimeStamp(); ok && len(tok) == 0 {
			t.Fatal("an empty time-stamp token")
		}
	})
}
