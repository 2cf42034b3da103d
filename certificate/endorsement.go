package certificate

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// endorsementContext opens every endorsement. The institution signs it with
// its cosignature key, the key the policy names it by; no note or
// cosignature message begins with this line, so the signature can never
// be taken for a checkpoint's.
const endorsementContext = "jurichain/ca-endorsement/v1"

// Endorse returns the institution's statement, signed with its cosignature
// key, that caDER is its certificate authority on the network origin. The
// statement is text:
//
//	jurichain/ca-endorsement/v1
//	<origin>
//	<institution>
//	<base64 of the suite hash of the CA certificate (DER)>
//
//	<base64 signature over the four lines above, newlines included>
func Endorse(cs *suite.Suite, key suite.PrivateKey, origin, institution string, caDER []byte) ([]byte, error) {
	if strings.ContainsAny(origin+institution, "\n") || origin == "" || institution == "" {
		return nil, fmt.Errorf("endorsement: origin %q and institution %q must be one non-empty line each", origin, institution)
	}
	msg := endorsementMessage(cs, origin, institution, caDER)
	sig, err := key.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("signing the endorsement of the certificate authority: %w", err)
	}
	return append(append(msg, '\n'), base64.StdEncoding.EncodeToString(sig)+"\n"...), nil
}

func endorsementMessage(cs *suite.Suite, origin, institution string, caDER []byte) []byte {
	h := cs.Hash(caDER)
	return []byte(endorsementContext + "\n" + origin + "\n" + institution + "\n" + base64.StdEncoding.EncodeToString(h[:]) + "\n")
}

// VerifyEndorsement checks that an endorsement vouches for caDER as the
// certificate authority of institution on the policy's log, signed with the
// key the policy names that institution by.
func VerifyEndorsement(pol *policy.Policy, endorsement []byte, institution string, caDER []byte) error {
	cs := pol.Suite()
	if cs == nil {
		return fmt.Errorf("the policy's keys are of no known suite")
	}
	msg, sigLine, ok := bytes.Cut(endorsement, []byte("\n\n"))
	if !ok {
		return fmt.Errorf("the endorsement is malformed: no blank line before its signature")
	}
	msg = append(msg, '\n')
	want := endorsementMessage(cs, pol.Origin(), institution, caDER)
	if !bytes.Equal(msg, want) {
		lines := strings.Split(string(msg), "\n")
		switch {
		case len(lines) < 4 || lines[0] != endorsementContext:
			return fmt.Errorf("the endorsement is malformed: it does not begin with %q", endorsementContext)
		case lines[1] != pol.Origin():
			return fmt.Errorf("the endorsement is for the log %q, the policy's is %q", lines[1], pol.Origin())
		case lines[2] != institution:
			return fmt.Errorf("the endorsement is by %q, the seal by %q", lines[2], institution)
		}
		return fmt.Errorf("the endorsement vouches for another certificate authority than the one in the seal")
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(sigLine), "\n"))
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("the endorsement's signature line is not base64")
	}
	var vkey string
	for _, w := range pol.Witnesses {
		if w.Name == institution {
			vkey = w.VKey
		}
	}
	if vkey == "" {
		return fmt.Errorf("%w %q: it is not a member the policy trusts", errNoPolicyKey, institution)
	}
	_, pub, err := cs.KeyOf(vkey)
	if err != nil {
		return fmt.Errorf("the policy's key for %q: %w", institution, err)
	}
	if !cs.Signature().Verify(pub, want, sig) {
		return fmt.Errorf("the endorsement is not signed by %q's key in the policy", institution)
	}
	return nil
}
