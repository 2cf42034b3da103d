package identity

import (
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// InstitutionKind is what kind of body a member institution is. It bounds
// the roles its staff may hold: only courts and arbitration commissions
// have judges and clerks, and an enterprise reviews nobody's qualification.
type InstitutionKind string

// The kinds of member institution.
const (
	Court       InstitutionKind = "court"
	Notary      InstitutionKind = "notary"      // a notary office
	Arbitration InstitutionKind = "arbitration" // an arbitration commission
	Appraisal   InstitutionKind = "appraisal"   // a judicial appraisal centre
	Company     InstitutionKind = "enterprise"  // an enterprise running its own node
)

// InstitutionKinds lists the kinds in the order the CLI shows them.
func InstitutionKinds() []InstitutionKind {
	return []InstitutionKind{Court, Notary, Arbitration, Appraisal, Company}
}

// ValidInstitutionKind reports whether k is a kind of institution.
func ValidInstitutionKind(k InstitutionKind) bool { return slices.Contains(InstitutionKinds(), k) }

// KindNames is the kinds as a list for error messages and help texts.
func KindNames() string {
	var names []string
	for _, k := range InstitutionKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// Allows reports whether an institution of this kind may have accounts
// with role r.
func (k InstitutionKind) Allows(r Role) bool {
	switch r {
	case Judge, Clerk:
		return k.HoldsCases()
	case Reviewer:
		return k != Company
	}
	return ValidRole(r)
}

// HoldsCases reports whether evidence can be granted to a case at an
// institution of this kind: courts and arbitration commissions.
func (k InstitutionKind) HoldsCases() bool { return k == Court || k == Arbitration }

// Institution is a member institution as identity operations see it: its
// kind, and the log key with which its node attests registrations.
type Institution struct {
	Kind    InstitutionKind
	NodeKey note.Verifier
}
