package usertext_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jurichain/jurichain/usertext"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"contract.pdf", ""},
		{"(2026)沪0115民初12345号", ""},
		{"Zoë's photo — 8 May", ""},
		{"北京\u3000互联网法院", ""},          // an ideographic space
		{"family 👨\u200d👩\u200d👧", ""}, // zero-width joiners inside an emoji
		{"title\x1b[2J", "contains a control character (U+001B) at byte 5"},
		{"a\tb", "contains a control character (U+0009) at byte 1"},
		{"line\n", "contains a control character (U+000A) at byte 4"},
		{"nul\x00", "contains a control character (U+0000) at byte 3"},
		{"del\x7f", "contains a control character (U+007F) at byte 3"},
		{"c1\u0085", "contains a control character (U+0085) at byte 2"},
		{"csi\u009b2J", "contains a control character (U+009B) at byte 3"},
		{"photo\u202egpj.exe", "contains a bidirectional formatting character (U+202E) at byte 5"},
		{"x\u2066y", "contains a bidirectional formatting character (U+2066) at byte 1"},
		{"x\u2069", "contains a bidirectional formatting character (U+2069) at byte 1"},
		{"\u200fx", "contains a bidirectional formatting character (U+200F) at byte 0"},
		{"\u061c", "contains a bidirectional formatting character (U+061C) at byte 0"},
		{"a\u2028b", "contains a line separator (U+2028) at byte 1"},
		{"bad\xffutf8", "is not valid UTF-8 at byte 3"},
		{"ok\uFFFD", ""}, // the replacement character itself is text
	} {
		t.Run(tc.in, func(t *testing.T) {
			err := usertext.Check(tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			var ue *usertext.Error
			if err != nil && !errors.As(err, &ue) {
				t.Fatalf("%T is not an *Error", err)
			}
		})
	}
	if err := usertext.Field("deposits[0].title", "t\x1b"); err == nil || err.Error() != "deposits[0].title: contains a control character (U+001B) at byte 1" {
		t.Fatalf("Field: %v", err)
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"contract.pdf", "contract.pdf"},
		{"(2026)沪0115民初12345号 证据", "(2026)沪0115民初12345号 证据"},
		{"\x1b[1A\x1b[2K  certified time: 2020-01-01", `\x1b[1A\x1b[2K  certified time: 2020-01-01`},
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"photo\u202egpj.exe", `photo\u202egpj.exe`},
		{"csi\u009b", `csi\u009b`},
		{"bad\xff", `bad\xff`},
		{"private\U000F0000", `private\U000f0000`},
		{`C:\evidence`, `C:\evidence`},
	} {
		if got := usertext.Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscape checks that escaped text never carries a character that
// Check refuses, and that text Check accepts and that prints is unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"title\x1b[2J", "photo\u202egpj.exe", "沪0115民初", "bad\xff", "a\u2028b", "\u200d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := usertext.Escape(s)
		if err := usertext.Check(e); err != nil {
			t.Fatalf("Escape(%q) = %q: %v", s, e, err)
		}
		if !utf8.ValidString(e) || strings.ContainsAny(e, "\x1b\n\r") {
			t.Fatalf("Escape(%q) = %q", s, e)
		}
		if usertext.Check(s) == nil && !strings.Contains(e, `\`) && e != s {
			t.Fatalf("Escape changed printable text %q to %q", s, e)
		}
	})
}
