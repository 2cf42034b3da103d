package tsa

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/internal/der"
)

// MaxResponseSize bounds the responses ParseResponse reads: a token of at
// most cms.MaxSize and its status.
const MaxResponseSize = cms.MaxSize + 64<<10

// statusName names a PKIStatus of RFC 3161 section 2.4.2, and returns
// "" for a value that is none.
func statusName(status int) string {
	switch status {
	case 0:
		return "granted"
	case 1:
		return "grantedWithMods"
	case 2:
		return "rejection"
	case 3:
		return "waiting"
	case 4:
		return "revocationWarning"
	case 5:
		return "revocationNotification"
	}
	return ""
}

// ParseResponse reads a DER TimeStampResp and returns its token when the
// status is granted (or grantedWithMods). Any other status is an *Error
// with the response's failure bit (FailUnknown when it names none) and
// its statusString. A malformed response is a plain error.
func ParseResponse(response []byte) ([]byte, error) {
	if len(response) > MaxResponseSize {
		return nil, fmt.Errorf("tsa: the response is %d bytes, over the %d this client reads", len(response), MaxResponseSize)
	}
	token, err := parseResponse(response)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, fmt.Errorf("tsa: malformed time-stamp response: %w", err)
	}
	return token, nil
}

func parseResponse(response []byte) ([]byte, error) {
	resp, err := der.ReadWhole(response, der.TagSequence, "TimeStampResp")
	if err != nil {
		return nil, err
	}
	info, rest, err := der.ReadElement(resp.Bytes, der.TagSequence, "status")
	if err != nil {
		return nil, err
	}
	token, rest, hasToken, err := der.ReadOptional(rest, der.TagSequence, "timeStampToken")
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("TimeStampResp has %d stray bytes after its last field", len(rest))
	}

	v, b, err := der.ReadElement(info.Bytes, der.TagInteger, "status.status")
	if err != nil {
		return nil, err
	}
	var status int
	if err := der.ParseExact(v.FullBytes, &status, "status.status"); err != nil {
		return nil, err
	}
	name := statusName(status)
	if name == "" {
		return nil, fmt.Errorf("status.status is %d, not a PKIStatus", status)
	}
	var texts []string
	text, b, present, err := der.ReadOptional(b, der.TagSequence, "status.statusString")
	if err != nil {
		return nil, err
	}
	if present {
		strs, err := der.SequenceOf(text.Bytes, "status.statusString")
		if err != nil {
			return nil, err
		}
		if len(strs) == 0 {
			return nil, errors.New("status.statusString is empty")
		}
		for _, s := range strs {
			if s.FullBytes[0] != der.TagUTF8String || !utf8.Valid(s.Bytes) {
				return nil, errors.New("status.statusString holds something other than UTF8String")
			}
			texts = append(texts, string(s.Bytes))
		}
	}
	fail := FailUnknown
	bits, b, present, err := der.ReadOptional(b, der.TagBitString, "status.failInfo")
	if err != nil {
		return nil, err
	}
	if present {
		var bs asn1.BitString
		if err := der.ParseExact(bits.FullBytes, &bs, "status.failInfo"); err != nil {
			return nil, err
		}
		if bs.BitLength > 0 && bs.At(bs.BitLength-1) == 0 {
			return nil, errors.New("status.failInfo has trailing zero bits, which DER leaves out")
		}
		for i := 0; i < bs.BitLength; i++ {
			if bs.At(i) == 1 {
				fail = FailInfo(i)
				break
			}
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("status has %d stray bytes after its last field", len(b))
	}

	if status <= 1 {
		if !hasToken {
			return nil, fmt.Errorf("status %s without a timeStampToken", name)
		}
		return bytes.Clone(token.FullBytes), nil
	}
	if hasToken {
		return nil, fmt.Errorf("status %s with a timeStampToken", name)
	}
	msg := strings.Join(texts, "; ")
	if msg == "" {
		msg = "the authority gave no reason"
	}
	if status != 2 {
		msg = "status " + name + ": " + msg
	}
	return nil, &Error{FailInfo: fail, Message: msg}
}
