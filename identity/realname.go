package identity

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jurichain/jurichain/usertext"
)

// RealName is the real-name data a depositor registers with. It never
// goes on the ledger: the registering institution's node keeps it, and the
// ledger holds only Commit(salt, r.Canonical()).
type RealName struct {
	// Name is the person's or the enterprise's legal name.
	Name string `json:"name"`
	// For an individual: the identity document's type (for example
	// resident-id, passport) and number.
	IDType   string `json:"id_type,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	// For an enterprise: the unified social credit code (18 characters),
	// the legal representative and the agent acting for it.
	CreditCode          string `json:"credit_code,omitempty"`
	LegalRepresentative string `json:"legal_representative,omitempty"`
	Agent               string `json:"agent,omitempty"`
}

// creditCode is the form of a unified social credit code (GB 32100-2015):
// 18 characters of digits and capital letters other than I, O, S, V and Z.
var creditCode = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{18}$`)

// Check reports the first missing or malformed field for an account kind,
// naming it as the API does.
func (r *RealName) Check(kind Kind) error {
	field := func(name, v string) error {
		if v == "" {
			return fmt.Errorf("real_name.%s: missing", name)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > 200 || strings.ContainsAny(v, "\n\r\t") || v != strings.TrimSpace(v) {
			return fmt.Errorf("real_name.%s: at most 200 characters on one line, without surrounding spaces", name)
		}
		return usertext.Field("real_name."+name, v)
	}
	none := func(name, v string) error {
		if v != "" {
			return fmt.Errorf("real_name.%s: not part of a %s registration", name, kind)
		}
		return nil
	}
	var errs []error
	switch kind {
	case Individual:
		errs = []error{field("name", r.Name), field("id_type", r.IDType), field("id_number", r.IDNumber),
			none("credit_code", r.CreditCode), none("legal_representative", r.LegalRepresentative), none("agent", r.Agent)}
	case Enterprise:
		errs = []error{field("name", r.Name), field("credit_code", r.CreditCode), field("legal_representative", r.LegalRepresentative),
			field("agent", r.Agent), none("id_type", r.IDType), none("id_number", r.IDNumber)}
		if errs[1] == nil && !creditCode.MatchString(r.CreditCode) {
			errs[1] = fmt.Errorf("real_name.credit_code: %q is not an 18-character unified social credit code", r.CreditCode)
		}
	default:
		return fmt.Errorf("kind: %q; a depositor is individual or enterprise", kind)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Canonical is the encoding the commitment is computed over.
func (r *RealName) Canonical() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	return b
}
