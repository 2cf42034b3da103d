package policy_test

import (
	"testing"

	"github.com/jurichain/jurichain/policy"
)

// FuzzParse checks that policy parsing never panics and that an accepted
// policy formats to text that parses to the same policy.
func FuzzParse(f *testing.F) {
	f.Add([]byte("log example.org+a1b2c3d4+AeBqmt8NjFTkAeTq2yExnmfLHZmDS0m2y9vbmDcJ7LkA\nquorum none\n"))
	f.Add([]byte("# c\nwitness w example.org+12345678+BMBT7kgC6bF/EfT+V5gvI3bXjO5oUxZv0S5aDTq5vW8Y\nquorum w\n"))
	// A GM policy and one mixing suites (refused) are in testdata.
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.Parse(b)
		if err != nil {
			return
		}
		again, err := policy.Parse(p.Format())
		if err != nil {
			t.Fatalf("formatted policy does not parse: %v\n%s", err, p.Format())
		}
		if string(again.Format()) != string(p.Format()) {
			t.Fatal("format is not stable")
		}
	})
}
