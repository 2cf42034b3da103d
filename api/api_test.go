package api_test

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

// TestWeakDepositorKeysAreRefused checks a deposit request against the
// suite with every refused key of the golden vectors as its depositor key:
// the error names the field and wraps ErrBadPublicKey.
func TestWeakDepositorKeysAreRefused(t *testing.T) {
	cs := suite.International()
	good, err := cs.Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := api.Deposit{DepositorKey: good.Public(), Signature: make([]byte, cs.Signature().SignatureSize())}
	if err := d.CheckSuite("deposits[3].", cs); err != nil {
		t.Fatalf("a good key: %v", err)
	}
	for _, k := range suitetest.BadEd25519Keys() {
		t.Run(k.Name, func(t *testing.T) {
			d.DepositorKey = k.Key
			err := d.CheckSuite("deposits[3].", cs)
			var fe *api.FieldError
			if !errors.As(err, &fe) || fe.Field != "deposits[3].depositor_key" {
				t.Fatalf("CheckSuite: %v, want an error naming deposits[3].depositor_key", err)
			}
			if k.Class != "length" && !errors.Is(err, suite.ErrBadPublicKey) {
				t.Fatalf("CheckSuite: %v, want ErrBadPublicKey", err)
			}
		})
	}
}
