package tsa

import (
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/jurichain/jurichain/internal/der"
)

// The fields below appear both in a TimeStampReq and in a TSTInfo, and
// are read by one function each so that the request an authority accepts
// and the token a client checks follow the same rules.

// readImprint reads a MessageImprint: the hash algorithm, its raw
// parameters (nil when absent) and the digest. Whether the algorithm is
// acceptable is for checkImprint to say.
func readImprint(imprint asn1.RawValue) (alg asn1.ObjectIdentifier, params, digest []byte, err error) {
	algID, rest, err := der.ReadElement(imprint.Bytes, der.TagSequence, "messageImprint.hashAlgorithm")
	if err != nil {
		return nil, nil, nil, err
	}
	if alg, params, err = der.ParseAlgorithm(algID, "messageImprint.hashAlgorithm"); err != nil {
		return nil, nil, nil, err
	}
	hashed, err := der.ReadWhole(rest, der.TagOctetString, "messageImprint.hashedMessage")
	if err != nil {
		return nil, nil, nil, err
	}
	return alg, params, hashed.Bytes, nil
}

// readVersion1 reads the version INTEGER at the start of b, which RFC
// 3161 fixes at 1 for both the request and the TSTInfo.
func readVersion1(b []byte) ([]byte, error) {
	v, rest, err := der.ReadElement(b, der.TagInteger, "version")
	if err != nil {
		return nil, err
	}
	version, err := der.ParseInt(v, "version")
	if err != nil {
		return nil, err
	}
	if version != 1 {
		return nil, fmt.Errorf("version is %d; RFC 3161 knows only 1", version)
	}
	return rest, nil
}

// readNonce reads the OPTIONAL nonce INTEGER at the start of b; nil when
// absent.
func readNonce(b []byte) (*big.Int, []byte, error) {
	v, rest, present, err := der.ReadOptional(b, der.TagInteger, "nonce")
	if err != nil || !present {
		return nil, rest, err
	}
	nonce, err := der.ParseBig(v, "nonce")
	if err != nil {
		return nil, nil, err
	}
	return nonce, rest, nil
}

// readFlag reads a BOOLEAN DEFAULT FALSE (certReq, ordering) at the start
// of b. DER leaves a DEFAULT value out, so a FALSE written out is refused.
func readFlag(b []byte, what string) (bool, []byte, error) {
	v, rest, present, err := der.ReadOptional(b, der.TagBoolean, what)
	if err != nil || !present {
		return false, rest, err
	}
	var flag bool
	if err := der.ParseExact(v.FullBytes, &flag, what); err != nil {
		return false, nil, err
	}
	if !flag {
		return false, nil, fmt.Errorf("%s is FALSE, its DEFAULT, which DER leaves out", what)
	}
	return true, rest, nil
}

// parseGeneralizedTime reads a DER GeneralizedTime as RFC 3161 writes
// genTime: YYYYMMDDhhmmss, an optional fraction without trailing zeros,
// and Z.
func parseGeneralizedTime(b []byte) (time.Time, error) {
	s := string(b)
	if len(s) < 15 || s[len(s)-1] != 'Z' {
		return time.Time{}, fmt.Errorf("genTime %q is not YYYYMMDDhhmmss[.f]Z", s)
	}
	t, err := time.Parse("20060102150405", s[:14])
	if err != nil {
		return time.Time{}, fmt.Errorf("genTime %q: %w", s, err)
	}
	frac := s[14 : len(s)-1]
	if frac == "" {
		return t, nil
	}
	digits := frac[1:]
	if frac[0] != '.' || len(digits) == 0 || len(digits) > 9 || digits[len(digits)-1] == '0' {
		return time.Time{}, fmt.Errorf("genTime %q: the fraction of a second must be 1 to 9 digits without trailing zeros", s)
	}
	ns := 0
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(digits) {
			if digits[i] < '0' || digits[i] > '9' {
				return time.Time{}, fmt.Errorf("genTime %q has a non-digit in its fraction", s)
			}
			ns += int(digits[i] - '0')
		}
	}
	return t.Add(time.Duration(ns)), nil
}
