package api_test

import (
	"fmt"
	"testing"

	"github.com/jurichain/jurichain/api"
)

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
