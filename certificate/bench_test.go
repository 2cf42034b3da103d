package certificate

import (
	"crypto/rand"
	"testing"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// The benchmarks of issue 12's targets, each on all cores (RunParallel):
// sealed certificates per second (at least 100), and RFC 3161 tokens per
// second against the bare signing rate of the suite's certificate scheme
// (ECDSA P-256 or SM2), measured in the same run (at least half of it).
//
//	go test -run NONE -bench . -benchtime 5s ./certificate

func BenchmarkIssue(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			o := newOffice(b, cs, 4)
			token, err := o.issuer.StampCheckpoint(o.log.Receipts[0].Checkpoint)
			if err != nil {
				b.Fatal(err)
			}
			in := Input{Policy: o.log.Policy, PolicyText: o.log.PolicyText, Receipt: o.log.Receipts[1], CheckpointToken: token,
				Opening: o.log.Openings[1], Depositor: Depositor{Name: "刘䶮", Account: "acct-0123456789abcdef0123"}}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := o.issuer.Issue(in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certificates/s")
		})
	}
}

func BenchmarkTimeStamp(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			o := newOffice(b, cs, 1)
			a, err := o.issuer.Authority()
			if err != nil {
				b.Fatal(err)
			}
			scheme := cs.Certificates()
			req := &tsa.Request{HashAlgorithm: scheme.DigestOID(), HashedMessage: make([]byte, 32), CertReq: true}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := a.Stamp(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkSign is the bare signing rate the time-stamps are measured
// against: the scheme's signature of a 32-byte digest-sized message.
func BenchmarkSign(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			scheme := cs.Certificates()
			key, err := scheme.GenerateKey(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := scheme.Sign(key, rand.Reader, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signatures/s")
		})
	}
}
