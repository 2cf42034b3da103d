package tsa_test

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// BenchmarkStamp measures a token per operation, certificates included,
// for comparison with BenchmarkSchemeSign: the target is a Stamp rate of
// at least half the bare signing rate.
func BenchmarkStamp(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			p := newTestPKI(b, cs)
			a := p.authority(b)
			req, err := tsa.NewRequest(p.issuer.Scheme.DigestOID(), p.digest(b, []byte("x")), big.NewInt(1), true)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Stamp(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSchemeSign measures the bare signature of 32 bytes with the
// suite's certificate scheme.
func BenchmarkSchemeSign(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			scheme := cs.Certificates()
			key, err := scheme.GenerateKey(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 32)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scheme.Sign(key, rand.Reader, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
