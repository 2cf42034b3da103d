package identity

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// Action is what an operation does.
type Action string

// Actions.
const (
	Register  Action = "register"
	Approve   Action = "approve"
	Reject    Action = "reject"
	Suspend   Action = "suspend"
	Reinstate Action = "reinstate"
	AddKey    Action = "add-key"
	RevokeKey Action = "revoke-key"
)

// Op is one identity operation. As a transaction it is the text of a
// signed note:
//
//	jurichain identity operation
//	network <origin>
//	account <account id> version <account version it applies to>
//	register <institution> <role> <kind> <alg> <base64 key> <hex commitment>
//	| approve <reason> | reject <reason> | suspend <reason> | reinstate <reason>
//	| add-key <alg> <base64 key> | revoke-key <base64 key> <reason>
type Op struct {
	Origin  string
	Account string
	Version uint64
	Action  Action
	// For Register.
	Institution string
	Role        Role
	Kind        Kind
	Commitment  []byte
	// For Register and AddKey: the new key; for RevokeKey: the key revoked.
	Alg    string
	Public []byte
	Reason string
}

const opHeader = "jurichain identity operation"

// NewRegistration is the registration of a key of the network's suite cs
// as a new account of an institution; commitment commits to the holder's
// real-name data (Commit).
func NewRegistration(cs *suite.Suite, origin, institution string, role Role, kind Kind, pub, commitment []byte) *Op {
	return &Op{Origin: origin, Account: AccountID(cs, institution, pub), Action: Register, Institution: institution,
		Role: role, Kind: kind, Alg: cs.Signature().Name(), Public: pub, Commitment: commitment}
}

// CheckSuite checks the operation against the network's suite cs: a key
// it adds must be of the suite's signature scheme, and a registration's
// account id must follow from the institution and key by the suite's
// hash. An operation made for a network of the other suite is refused
// with an error naming both.
func (o *Op) CheckSuite(cs *suite.Suite) error {
	if o.Action != Register && o.Action != AddKey {
		return nil
	}
	if want := cs.Signature().Name(); o.Alg != want {
		for _, other := range suite.All() {
			if other.Signature().Name() == o.Alg {
				return fmt.Errorf("identity operation: the key is an %s key of the %s suite, but this network uses the %s suite, whose keys are %s", o.Alg, other, cs, want)
			}
		}
		return fmt.Errorf("identity operation: key algorithm %q: this network uses the %s suite, whose keys are %s", o.Alg, cs, want)
	}
	if o.Action == Register && o.Account != AccountID(cs, o.Institution, o.Public) {
		return fmt.Errorf("identity operation: the account id does not follow from the institution and key under the %s suite", cs)
	}
	return nil
}

// Sign returns the operation as a note signed by signers.
func (o *Op) Sign(signers ...note.Signer) ([]byte, error) {
	text, err := o.Text()
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: text}, signers...)
}

// Text is the note text that the operation's signers sign.
func (o *Op) Text() (string, error) {
	if err := o.check(); err != nil {
		return "", err
	}
	key := base64.StdEncoding.EncodeToString(o.Public)
	var action string
	switch o.Action {
	case Register:
		action = fmt.Sprintf("register %s %s %s %s %s %s", o.Institution, o.Role, o.Kind, o.Alg, key, hex.EncodeToString(o.Commitment))
	case AddKey:
		action = fmt.Sprintf("add-key %s %s", o.Alg, key)
	case RevokeKey:
		action = fmt.Sprintf("revoke-key %s %s", key, o.Reason)
	default:
		action = fmt.Sprintf("%s %s", o.Action, o.Reason)
	}
	return fmt.Sprintf("%s\nnetwork %s\naccount %s version %d\n%s\n", opHeader, o.Origin, o.Account, o.Version, strings.TrimRight(action, " ")), nil
}

// check validates the operation's fields.
func (o *Op) check() error {
	if o.Origin == "" || strings.ContainsAny(o.Origin, " \n") {
		return errors.New("identity operation: network name missing or malformed")
	}
	if !strings.HasPrefix(o.Account, "acct-") || len(o.Account) != 25 {
		return fmt.Errorf("identity operation: account %q is not an account id", o.Account)
	}
	if err := validReason(o.Reason); err != nil {
		return fmt.Errorf("identity operation: %w", err)
	}
	for _, f := range []struct{ name, v string }{{"network", o.Origin}, {"institution", o.Institution}, {"key algorithm", o.Alg}} {
		if err := usertext.Field(f.name, f.v); err != nil {
			return fmt.Errorf("identity operation: %w", err)
		}
	}
	switch o.Action {
	case Register:
		if o.Version != 0 {
			return errors.New("identity operation: a registration applies to version 0")
		}
		if o.Institution == "" || strings.ContainsAny(o.Institution, " \n") {
			return errors.New("identity operation: institution missing or malformed")
		}
		if !ValidRole(o.Role) {
			return fmt.Errorf("identity operation: role %q: want admin, reviewer, judge, clerk, depositor or auditor", o.Role)
		}
		if (o.Role == Depositor) == (o.Kind == Staff) || (o.Kind != Individual && o.Kind != Enterprise && o.Kind != Staff) {
			return fmt.Errorf("identity operation: a %s account cannot be of kind %q (depositors are individual or enterprise, others staff)", o.Role, o.Kind)
		}
		if len(o.Commitment) != suite.HashSize {
			return fmt.Errorf("identity operation: the commitment must be %d bytes", suite.HashSize)
		}
		// That the account id follows from the key is the suite's to
		// say (CheckSuite).
		fallthrough
	case AddKey:
		if o.Alg == "" || strings.ContainsAny(o.Alg, " \n") || len(o.Public) == 0 {
			return errors.New("identity operation: key algorithm or key missing")
		}
		// A key enters the network here; a weak one would let anyone
		// sign as the account (suite.SignatureScheme.CheckPublicKey).
		scheme, err := suite.SchemeByName(o.Alg)
		if err != nil {
			return fmt.Errorf("identity operation: %w", err)
		}
		if err := scheme.CheckPublicKey(o.Public); err != nil {
			return fmt.Errorf("identity operation: the %s key: %w", o.Action, err)
		}
	case RevokeKey:
		if len(o.Public) == 0 {
			return errors.New("identity operation: the revoked key is missing")
		}
	case Reject, Suspend, Reinstate:
		if o.Reason == "" {
			return fmt.Errorf("identity operation: %s needs a reason", o.Action)
		}
	case Approve:
	default:
		return fmt.Errorf("identity operation: unknown action %q", o.Action)
	}
	return nil
}

// ParseOp reads the text of an identity operation note.
func ParseOp(text string) (*Op, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || lines[0] != opHeader || !strings.HasSuffix(text, "\n") {
		return nil, errors.New("not an identity operation: want 4 lines starting with " + strconv.Quote(opHeader))
	}
	o := &Op{}
	var ok bool
	if o.Origin, ok = strings.CutPrefix(lines[1], "network "); !ok {
		return nil, errors.New("identity operation: second line must be 'network <origin>'")
	}
	f := strings.Split(lines[2], " ")
	if len(f) != 4 || f[0] != "account" || f[2] != "version" {
		return nil, errors.New("identity operation: third line must be 'account <id> version <n>'")
	}
	o.Account = f[1]
	v, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != f[3] {
		return nil, errors.New("identity operation: version must be a decimal number")
	}
	o.Version = v
	verb, rest, _ := strings.Cut(lines[3], " ")
	o.Action = Action(verb)
	key := func(s string) ([]byte, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || base64.StdEncoding.EncodeToString(b) != s {
			return nil, errors.New("identity operation: a key is not canonical base64")
		}
		return b, nil
	}
	switch o.Action {
	case Register:
		p := strings.Split(rest, " ")
		if len(p) != 6 {
			return nil, errors.New("identity operation: register <institution> <role> <kind> <alg> <key> <commitment>")
		}
		o.Institution, o.Role, o.Kind, o.Alg = p[0], Role(p[1]), Kind(p[2]), p[3]
		if o.Public, err = key(p[4]); err != nil {
			return nil, err
		}
		if o.Commitment, err = hex.DecodeString(p[5]); err != nil || hex.EncodeToString(o.Commitment) != p[5] {
			return nil, errors.New("identity operation: the commitment is not lowercase hex")
		}
	case AddKey:
		p := strings.Split(rest, " ")
		if len(p) != 2 {
			return nil, errors.New("identity operation: add-key <alg> <key>")
		}
		o.Alg = p[0]
		if o.Public, err = key(p[1]); err != nil {
			return nil, err
		}
	case RevokeKey:
		k, reason, _ := strings.Cut(rest, " ")
		if o.Public, err = key(k); err != nil {
			return nil, err
		}
		o.Reason = reason
	default:
		o.Reason = rest
	}
	canonical, err := o.Text()
	if err != nil {
		return nil, err
	}
	if canonical != text {
		return nil, errors.New("identity operation: not in canonical form (extra spaces?)")
	}
	return o, nil
}
