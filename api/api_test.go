package api_test

import (
	"crypto/rand"
	"errors"
	"fmt"
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

// TestRequestTextIsChecked checks the free text of token and grant
// requests, naming the field.
func TestRequestTextIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"label", (&api.TokenRequest{Label: "ci\x1b[8m"}).CheckText(), "label: contains a control character (U+001B) at byte 2"},
		{"case", (&api.GrantRequest{Court: "court", Case: "(2026)\u202e1号"}).CheckText(), "case: contains a bidirectional formatting character (U+202E) at byte 6"},
		{"case NUL", (&api.GrantRequest{Court: "court", Case: "a\x00b"}).CheckText(), "case: contains a control character (U+0000) at byte 1"},
		{"court", (&api.GrantRequest{Court: "court\u0085", Case: "1"}).CheckText(), "court: contains a control character (U+0085) at byte 5"},
		{"good", (&api.GrantRequest{Court: "court", Case: "(2026)沪0104民初1号"}).CheckText(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(tc.err); tc.want == "" && tc.err != nil || tc.want != "" && got != tc.want {
				t.Fatalf("got %v, want %q", tc.err, tc.want)
			}
		})
	}
}
