package pki_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/suite"
)

// FuzzParseCRL reads CRL bytes as a verifier receives them, under the
// golden keyrings' CAs of both suites: no input panics, and whatever is
// accepted is exactly the bytes given, signed by that CA, with the
// entries VerifyAt will read.
func FuzzParseCRL(f *testing.F) {
	cas := map[string]*smx509.Certificate{}
	for _, cs := range suite.All() {
		ca, _ := readGoldenCA(f, cs)
		cas[cs.Name()] = ca
		crl, err := os.ReadFile(filepath.Join(goldenDir(cs), "pki", "crl.der"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(crl)
		f.Add(crl[:len(crl)/2])
		f.Add(append(bytes.Clone(crl), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, cs := range suite.All() {
			ca := cas[cs.Name()]
			rl, err := pki.ParseCRL(cs, der, ca)
			if err != nil {
				continue
			}
			if !bytes.Equal(rl.Raw, der) {
				t.Fatal("accepted a CRL with bytes around it")
			}
			if err := rl.CheckSignatureFrom(ca); err != nil {
				t.Fatalf("accepted a CRL its CA did not sign: %v", err)
			}
			for _, e := range rl.RevokedCertificateEntries {
				if e.SerialNumber == nil {
					t.Fatal("accepted a CRL entry without a serial")
				}
			}
		}
	})
}
