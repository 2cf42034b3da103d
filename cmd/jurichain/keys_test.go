package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// TestKeygenSuites makes a key of each suite with keygen --suite and
// checks that it is read back as that suite's, that loadKey accepts it for
// a network of its suite and refuses it for the other's with a hint
// naming the keygen command that makes the right key.
func TestKeygenSuites(t *testing.T) {
	dir := t.TempDir()
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			file := filepath.Join(dir, cs.Name()+".key")
			cmd := newKeygen()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetArgs([]string{"--suite", cs.Name(), "--out", file})
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			k, ks, err := readKey(file)
			if err != nil {
				t.Fatal(err)
			}
			if ks.Name() != cs.Name() || len(k.Public()) != cs.Signature().PublicKeySize() {
				t.Fatalf("read a key of suite %s, %d bytes", ks.Name(), len(k.Public()))
			}
			if _, err := loadKey(cs, file); err != nil {
				t.Fatalf("the key on a network of its suite: %v", err)
			}
			for _, other := range suite.All() {
				if other.Name() == cs.Name() {
					continue
				}
				_, err := loadKey(other, file)
				var h *hintError
				if err == nil || !errors.As(err, &h) || !strings.Contains(err.Error(), "of the "+cs.String()+" suite, but the node's network uses the "+other.String()) ||
					!strings.Contains(h.hint, "jurichain keygen --suite "+other.Name()) {
					t.Fatalf("the key on a network of the %s suite: %v", other.Name(), err)
				}
			}
		})
	}
	cmd := newKeygen()
	cmd.SetArgs([]string{"--suite", "rot13", "--out", filepath.Join(dir, "x.key")})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "unknown crypto suite") {
		t.Fatalf("an unknown suite: %v", err)
	}
}

// TestDigestTitle checks the column titles of the digests.
func TestDigestTitle(t *testing.T) {
	for alg, want := range map[string]string{"sha256": "SHA-256", "sm3": "SM3"} {
		if got := digestTitle(alg); got != want {
			t.Errorf("%s: %s, want %s", alg, got, want)
		}
	}
}
