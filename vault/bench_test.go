package vault_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/jurichain/jurichain/vault"
)

// BenchmarkPut and BenchmarkGet move a 256 MiB original through a vault
// on local disk; see 'jurichain bench vault' for the comparison with the
// raw disk and AES-GCM.
func BenchmarkPut(b *testing.B) {
	content := randomBytes(b, 256<<20)
	d := digest(content)
	v := newVault(b, b.TempDir(), randomBytes(b, vault.KeySize))
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := v.Put(context.Background(), d, bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	content := randomBytes(b, 256<<20)
	d := digest(content)
	v := newVault(b, b.TempDir(), randomBytes(b, vault.KeySize))
	if _, err := v.Put(context.Background(), d, bytes.NewReader(content)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		r, err := v.Get(context.Background(), d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
