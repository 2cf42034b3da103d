package api

import "github.com/jurichain/jurichain/usertext"

// CheckText checks the request's free text (usertext.Check), naming the
// field: a label ends up on screens that list tokens.
func (r *TokenRequest) CheckText() error { return usertext.Field("label", r.Label) }

// CheckText checks the court and case number of a new grant
// (usertext.Check), naming the field: a case number is listed to the
// court and printed in trails.
func (r *GrantRequest) CheckText() error {
	if err := usertext.Field("court", r.Court); err != nil {
		return err
	}
	return usertext.Field("case", r.Case)
}

// CheckText refuses control and bidirectional formatting characters in
// the court and case of a package request.
func (r *PackageRequest) CheckText() error {
	g := GrantRequest(*r)
	return g.CheckText()
}
