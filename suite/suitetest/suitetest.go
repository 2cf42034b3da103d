// Package suitetest holds test vectors for code that takes keys of a
// suite.SignatureScheme: the Ed25519 public keys every entry point of a key
// must refuse.
package suitetest

import (
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
)

//go:embed testdata/bad_ed25519_keys.txt
var badEd25519Keys string

// BadKey is a public key that CheckPublicKey refuses, and why.
type BadKey struct {
	// Key is the encoded public key.
	Key []byte
	// Class is small-order, non-canonical, off-curve or length.
	Class string
	// Name says which key it is, for test names.
	Name string
}

// BadEd25519Keys returns the refused Ed25519 keys of
// testdata/bad_ed25519_keys.txt. It panics if the file is malformed, which
// the suite package's tests rule out.
func BadEd25519Keys() []BadKey {
	var out []BadKey
	for i, line := range strings.Split(badEd25519Keys, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		k, err := hex.DecodeString(f[0])
		if len(f) != 3 || err != nil {
			panic(fmt.Sprintf("bad_ed25519_keys.txt line %d: want <hex> <class> <name>", i+1))
		}
		out = append(out, BadKey{Key: k, Class: f[1], Name: f[1] + "/" + f[2]})
	}
	return out
}
