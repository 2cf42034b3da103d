package suite

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/hdevalence/ed25519consensus"
)

// TestKeyBatchAgreesWithSingleVerify checks the coalescing batch verifier
// against one-at-a-time ZIP-215 verification on batches mixing shared and
// distinct keys, with and without one corrupted signature.
func TestKeyBatchAgreesWithSingleVerify(t *testing.T) {
	keys := make([]ed25519.PrivateKey, 5)
	for i := range keys {
		_, keys[i], _ = ed25519.GenerateKey(rand.Reader)
	}
	type item struct{ pub, msg, sig []byte }
	mk := func(n int) []item {
		items := make([]item, n)
		for i := range items {
			k := keys[i%len(keys)]
			msg := []byte(fmt.Sprintf("message %d", i))
			items[i] = item{k.Public().(ed25519.PublicKey), msg, ed25519.Sign(k, msg)}
		}
		return items
	}
	corrupt := map[string]func(it *item){
		"none":            func(*item) {},
		"message":         func(it *item) { it.msg = append([]byte("x"), it.msg...) },
		"R":               func(it *item) { it.sig = append([]byte(nil), it.sig...); it.sig[3] ^= 1 },
		"s":               func(it *item) { it.sig = append([]byte(nil), it.sig...); it.sig[40] ^= 1 },
		"s not canonical": func(it *item) { it.sig = append([]byte(nil), it.sig...); it.sig[63] |= 0xf0 },
		"other key":       func(it *item) { it.pub, _, _ = ed25519.GenerateKey(rand.Reader) },
		"short sig":       func(it *item) { it.sig = it.sig[:63] },
	}
	for _, n := range []int{1, 2, 7, 64, 300} {
		for name, c := range corrupt {
			t.Run(fmt.Sprintf("%d/%s", n, name), func(t *testing.T) {
				items := mk(n)
				c(&items[n/2])
				want := true
				b := International().Signature().NewBatch(n)
				for _, it := range items {
					want = want && ed25519consensus.Verify(it.pub, it.msg, it.sig) && len(it.sig) == 64
					b.Add(it.pub, it.msg, it.sig)
				}
				if got := b.Verify(); got != want {
					t.Fatalf("batch says %v, one-at-a-time says %v", got, want)
				}
				if name != "none" && want {
					t.Fatalf("corruption %q left the batch valid", name)
				}
			})
		}
	}
}

func TestEmptyBatchFails(t *testing.T) {
	if International().Signature().NewBatch(0).Verify() {
		t.Fatal("an empty batch verified")
	}
}
