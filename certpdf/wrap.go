package certpdf

import (
	"strings"
)

// A line is one printed line of a wrapped text.
type line struct {
	runs  []run
	width int // thousandths of the font size
}

// A piece is how one character prints: in one font, or as a placeholder.
type piece struct {
	r     rune
	run   run
	latin bool // part of a Latin word: letters, digits, Latin punctuation
}

// An atom is what line breaking does not split unless it is wider than a
// whole line: a Latin word, one Chinese character with the punctuation
// that must stay beside it, a placeholder, or a space.
type atom struct {
	pieces []piece
	width  int
	space  bool
}

// noLineStart are the characters Chinese typesetting keeps off the start
// of a line (closing brackets and sentence punctuation); noLineEnd are the
// opening brackets it keeps off the end of one.
const (
	noLineStart = "，。、；：！？）》」』】〕〉”’,.;:!?)]}%"
	noLineEnd   = "（《「『【〔〈“‘([{"
)

// piece shapes one character.
func (fs *fonts) piece(r rune) (piece, error) {
	rn, err := fs.shapeRune(r)
	if err != nil {
		return piece{}, err
	}
	return piece{r: r, run: rn, latin: rn.font == fontLatin && rn.text == string(r) && r < 0x2E80}, nil
}

// atoms splits one paragraph (no newlines) into atoms. With anywhere set,
// as for digests, every character is its own atom, so that a line may
// break between any two.
func (fs *fonts) atoms(s string, anywhere bool) ([]atom, error) {
	var out []atom
	glueNext := false
	for _, r := range s {
		p, err := fs.piece(r)
		if err != nil {
			return nil, err
		}
		if r == ' ' {
			out = append(out, atom{pieces: []piece{p}, width: p.run.width, space: true})
			glueNext = false
			continue
		}
		last := len(out) - 1
		joins := false
		if !anywhere && last >= 0 && !out[last].space {
			prev := out[last].pieces[len(out[last].pieces)-1]
			joins = glueNext || strings.ContainsRune(noLineStart, r) || (p.latin && prev.latin)
		}
		if joins {
			out[last].pieces = append(out[last].pieces, p)
			out[last].width += p.run.width
		} else {
			out = append(out, atom{pieces: []piece{p}, width: p.run.width})
		}
		glueNext = !anywhere && strings.ContainsRune(noLineEnd, r)
	}
	return out, nil
}

// wrap breaks s into lines no wider than maxWidth points at size. A
// newline in s starts a new line. Spaces at the ends of lines are
// dropped; an atom wider than a line is split between characters.
func (fs *fonts) wrap(s string, size, maxWidth float64, anywhere bool) ([]line, error) {
	limit := int(maxWidth * 1000 / size)
	var lines []line
	for para := range strings.SplitSeq(s, "\n") {
		as, err := fs.atoms(para, anywhere)
		if err != nil {
			return nil, err
		}
		var cur line
		var pending []piece // spaces waiting for a following word
		pendingWidth := 0
		add := func(ps []piece) {
			for _, p := range ps {
				cur.runs = appendRuns(cur.runs, p.run)
				cur.width += p.run.width
			}
		}
		flush := func() {
			lines = append(lines, cur)
			cur = line{}
			pending, pendingWidth = nil, 0
		}
		for _, a := range as {
			if a.space {
				if len(cur.runs) > 0 {
					pending = append(pending, a.pieces...)
					pendingWidth += a.width
				}
				continue
			}
			if len(cur.runs) > 0 && cur.width+pendingWidth+a.width > limit {
				flush()
			}
			if a.width > limit {
				// Wider than any line: split between characters.
				add(pending)
				pending, pendingWidth = nil, 0
				for _, p := range a.pieces {
					if len(cur.runs) > 0 && cur.width+p.run.width > limit {
						flush()
					}
					add([]piece{p})
				}
				continue
			}
			add(pending)
			pending, pendingWidth = nil, 0
			add(a.pieces)
		}
		flush()
	}
	return lines, nil
}
