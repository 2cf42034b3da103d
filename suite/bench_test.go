package suite_test

import (
	"crypto/rand"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// BenchmarkVerify measures one signature verification of a 200-byte
// deposit statement in each suite.
func BenchmarkVerify(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			k, _ := cs.Signature().GenerateKey(rand.Reader)
			msg := make([]byte, 200)
			sig, _ := k.Sign(msg)
			for b.Loop() {
				if !cs.Signature().Verify(k.Public(), msg, sig) {
					b.Fatal("does not verify")
				}
			}
		})
	}
}

// BenchmarkBatchVerify measures a batch of 256 signatures by 4 keys, per
// signature, as the ledger verifies deposits.
func BenchmarkBatchVerify(b *testing.B) {
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			var keys []suite.PrivateKey
			for range 4 {
				k, _ := cs.Signature().GenerateKey(rand.Reader)
				keys = append(keys, k)
			}
			msgs, sigs := make([][]byte, 256), make([][]byte, 256)
			for i := range msgs {
				msgs[i] = make([]byte, 200)
				msgs[i][0] = byte(i)
				sigs[i], _ = keys[i%4].Sign(msgs[i])
			}
			for b.Loop() {
				bv := cs.Signature().NewBatch(256)
				for i := range msgs {
					bv.Add(keys[i%4].Public(), msgs[i], sigs[i])
				}
				if !bv.Verify() {
					b.Fatal("batch refused")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256)/1000, "µs/sig")
		})
	}
}

// BenchmarkHash measures the suite hash over a 1 MiB content.
func BenchmarkHash(b *testing.B) {
	buf := make([]byte, 1<<20)
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				cs.Hash(buf)
			}
		})
	}
}
