// Package usertext keeps text that people type from steering the screens
// of those who read it. Titles, case numbers, names, reasons and labels
// end up in terminals, browsers and court documents; a control character
// can move a terminal's cursor and overwrite what was printed before, and
// a bidirectional override can show "gpj.exe" as "exe.jpg". Check refuses
// such text where it enters; Escape makes any text safe to print, for
// data that was stored before the check or that comes from elsewhere.
package usertext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error says which character of a text is refused and where.
type Error struct {
	// Rune is the refused character, or utf8.RuneError for invalid UTF-8.
	Rune rune
	// Offset is its byte offset in the text.
	Offset int
	// What names the kind of character.
	What string
}

func (e *Error) Error() string {
	if e.Rune == utf8.RuneError {
		return fmt.Sprintf("%s at byte %d", e.What, e.Offset)
	}
	return fmt.Sprintf("contains %s (U+%04X) at byte %d", e.What, e.Rune, e.Offset)
}

// refused says what kind of character r is if text may not contain it:
// C0 controls (tab and newline too: every text field is one line), DEL,
// C1 controls, line and paragraph separators, and the bidirectional marks,
// embeddings, overrides and isolates.
func refused(r rune) string {
	switch {
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return "a control character"
	case r == 0x2028 || r == 0x2029:
		return "a line separator"
	case r == 0x200e || r == 0x200f || r == 0x061c || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
		return "a bidirectional formatting character"
	}
	return ""
}

// Check reports the first character of s that stored text may not
// contain, as an *Error; it accepts every other valid UTF-8 text, so
// names and titles in any script pass.
func Check(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return &Error{Rune: utf8.RuneError, Offset: i, What: "is not valid UTF-8"}
			}
		}
		if what := refused(r); what != "" {
			return &Error{Rune: r, Offset: i, What: what}
		}
	}
	return nil
}

// Field is Check with the error prefixed by the field's name, as the API
// names fields: "deposits[0].title: contains a control character (U+001B)
// at byte 5".
func Field(name, s string) error {
	if err := Check(s); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Escape returns s ready to print on one line of a terminal: every
// character that Check refuses, and every other character that prints
// nothing visible (format characters, private use, unassigned), is written
// as a Go escape (\x1b, \u202e, \n); invalid bytes as \xff. Letters of any
// script, marks, digits, punctuation, symbols and spaces pass unchanged,
// so Chinese titles stay readable.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !printable(r):
			switch r {
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				switch {
				case r < 0x80:
					fmt.Fprintf(&b, `\x%02x`, r)
				case r <= 0xffff:
					fmt.Fprintf(&b, `\u%04x`, r)
				default:
					fmt.Fprintf(&b, `\U%08x`, r)
				}
			}
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// EscapeLines is Escape for text of several lines, such as a checkpoint:
// each line is escaped, and the newlines between them are kept.
func EscapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

func printable(r rune) bool {
	return refused(r) == "" && (unicode.IsPrint(r) || unicode.Is(unicode.Zs, r))
}

func needsEscape(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return true
			}
		}
		if !printable(r) {
			return true
		}
	}
	return false
}
