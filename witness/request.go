package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/jurichain/jurichain/suite"
)

// MaxBody bounds an add-checkpoint request body. A checkpoint with a few
// hundred signatures and 63 proof lines fits many times over.
const MaxBody = 64 << 10

// MaxProof is the most consistency-proof lines a request may carry (C2SP
// tlog-witness): enough for any tree of up to 2^63 leaves.
const MaxProof = 63

// ContentTypeSize is the media type of a 409 answer that tells the
// client the size of the latest checkpoint the witness cosigned.
const ContentTypeSize = "text/x.tlog.size"

// Request is a C2SP tlog-witness add-checkpoint request: the size the
// client believes the witness last cosigned, a consistency proof from it
// to the checkpoint, and the log's signed checkpoint.
type Request struct {
	Old        uint64
	Proof      [][]byte
	Checkpoint []byte
}

// Format encodes the request body: "old N\n", one base64 hash per line,
// an empty line, then the checkpoint.
func (r *Request) Format() []byte {
	b := fmt.Appendf(nil, "old %d\n", r.Old)
	for _, h := range r.Proof {
		b = base64.StdEncoding.AppendEncode(b, h)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...)
}

// ErrMalformed is wrapped by every error of ParseRequest: the body is
// not an add-checkpoint request (400).
var ErrMalformed = errors.New("malformed add-checkpoint request")

// ParseRequest reads an add-checkpoint body strictly: the old size in
// decimal without leading zeros, at most 63 proof lines each the
// standard base64 of one 32-byte hash, an empty line, and a checkpoint
// that is valid UTF-8 without control characters other than newlines,
// ending in a newline. Whether the checkpoint is well formed and signed
// is the server's next check.
func ParseRequest(body []byte) (*Request, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(body) > MaxBody {
		return nil, bad("the body is %d bytes, at most %d", len(body), MaxBody)
	}
	if !utf8.Valid(body) {
		return nil, bad("the body is not valid UTF-8")
	}
	for i, c := range body {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return nil, bad("control character %#x at byte %d", c, i)
		}
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return nil, bad("no old size line")
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	old, err := strconv.ParseUint(string(num), 10, 64)
	if !ok || err != nil || strconv.FormatUint(old, 10) != string(num) {
		return nil, bad("the first line must be \"old <size>\" (decimal, no leading zeros), got %q", truncate(line))
	}
	r := &Request{Old: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, bad("no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProof {
			return nil, bad("more than %d consistency proof lines", MaxProof)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != suite.HashSize || base64.StdEncoding.EncodeToString(h) != string(line) {
			return nil, bad("proof line %d is not the base64 of a %d-byte hash", len(r.Proof)+1, suite.HashSize)
		}
		r.Proof = append(r.Proof, h)
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return nil, bad("the checkpoint is missing or does not end in a newline")
	}
	r.Checkpoint = rest
	return r, nil
}

// truncate shortens what an error message quotes of outside input.
func truncate(b []byte) []byte {
	if len(b) > 40 {
		return append(bytes.Clone(b[:40]), "…"...)
	}
	return b
}
