package consortium

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Change kinds.
const (
	ChangeAdd    = "add"    // admit a new member (Card) with Power
	ChangeRemove = "remove" // take a member's voting power away
	ChangePower  = "power"  // set a member's voting power
)

// Change is one membership change. As a proposal it is the text of a
// signed note, which the members' governance keys sign:
//
//	jurichain membership change
//	network <origin>
//	version <membership version it applies to>
//	add <power> <base64 of the card's JSON>
//	| remove <institution>
//	| power <institution> <power>
type Change struct {
	Origin  string
	Version uint64
	Kind    string
	// Institution is the member concerned (for add, the card's).
	Institution string
	Power       int64
	Card        *Card // for add
}

const changeHeader = "jurichain membership change"

// Text is the note text that members sign.
func (c *Change) Text() (string, error) {
	var action string
	switch c.Kind {
	case ChangeAdd:
		card, err := json.Marshal(c.Card)
		if err != nil {
			return "", err
		}
		action = fmt.Sprintf("add %d %s", c.Power, base64.StdEncoding.EncodeToString(card))
	case ChangeRemove:
		action = "remove " + c.Institution
	case ChangePower:
		action = fmt.Sprintf("power %s %d", c.Institution, c.Power)
	default:
		return "", fmt.Errorf("unknown membership change %q", c.Kind)
	}
	return fmt.Sprintf("%s\nnetwork %s\nversion %d\n%s\n", changeHeader, c.Origin, c.Version, action), nil
}

// ParseChange reads the text of a membership change note.
func ParseChange(text string) (*Change, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || lines[0] != changeHeader {
		return nil, errors.New("not a membership change: want 4 lines starting with " + strconv.Quote(changeHeader))
	}
	c := &Change{}
	var ok bool
	if c.Origin, ok = strings.CutPrefix(lines[1], "network "); !ok {
		return nil, errors.New("membership change: second line must be 'network <origin>'")
	}
	v, ok := strings.CutPrefix(lines[2], "version ")
	var err error
	if c.Version, err = strconv.ParseUint(v, 10, 64); !ok || err != nil {
		return nil, errors.New("membership change: third line must be 'version <n>'")
	}
	f := strings.Split(lines[3], " ")
	power := func(s string) (int64, error) {
		p, err := strconv.ParseInt(s, 10, 64)
		if err != nil || p < 1 || p > MaxPower {
			return 0, fmt.Errorf("membership change: power %q must be 1..%d", s, MaxPower)
		}
		return p, nil
	}
	c.Kind = f[0]
	switch {
	case f[0] == ChangeAdd && len(f) == 3:
		if c.Power, err = power(f[1]); err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(f[2])
		if err != nil {
			return nil, errors.New("membership change: the card is not base64")
		}
		if c.Card, err = ParseCard(raw); err != nil {
			return nil, err
		}
		c.Institution = c.Card.Institution
	case f[0] == ChangeRemove && len(f) == 2:
		c.Institution = f[1]
	case f[0] == ChangePower && len(f) == 3:
		c.Institution = f[1]
		if c.Power, err = power(f[2]); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("membership change: last line must be 'add <power> <card>', 'remove <institution>' or 'power <institution> <power>'")
	}
	return c, nil
}

// Apply returns the membership after the change, checking that it applies
// to this membership's version and leaves a valid membership.
func (m *Membership) Apply(c *Change) (*Membership, error) {
	if c.Version != m.Version {
		return nil, fmt.Errorf("the change applies to membership version %d, the current one is %d", c.Version, m.Version)
	}
	next := &Membership{Version: m.Version + 1, Members: append([]Member(nil), m.Members...)}
	mem, exists := next.Member(c.Institution)
	switch c.Kind {
	case ChangeAdd:
		if exists {
			return nil, fmt.Errorf("%s is already a member (change its power instead)", c.Institution)
		}
		next.Members = append(next.Members, Member{Card: *c.Card, Power: c.Power})
	case ChangeRemove, ChangePower:
		if !exists {
			return nil, fmt.Errorf("%s is not a member", c.Institution)
		}
		mem.Power = c.Power // zero for remove
	}
	if err := next.Check(); err != nil {
		return nil, err
	}
	return next, nil
}

// SignedPower opens a signed change note and returns the change with the
// voting power of the distinct active members whose governance keys
// signed it. Signatures by unknown keys are ignored; a bad signature by a
// member's key is an error.
func (m *Membership) SignedPower(signed []byte) (*Change, int64, error) {
	n, power, err := m.GovernancePower(signed)
	if err != nil {
		return nil, 0, fmt.Errorf("membership change: %w", err)
	}
	c, err := ParseChange(n.Text)
	if err != nil {
		return nil, 0, err
	}
	return c, power, nil
}

// GovernancePower opens a governance note (a membership change, an
// outside-log change) and returns it with the voting power of the
// distinct active members whose governance keys signed it. Signatures by
// unknown keys are ignored; a bad signature by a member's key is an error.
func (m *Membership) GovernancePower(signed []byte) (*note.Note, int64, error) {
	type keyID struct {
		name string
		hash uint32
	}
	var vs []note.Verifier
	byKey := map[keyID]Member{}
	for _, mem := range m.Active() {
		cs, err := mem.CryptoSuite()
		if err != nil {
			return nil, 0, err
		}
		v, err := cs.NewVerifier(mem.GovernanceKey)
		if err != nil {
			return nil, 0, err
		}
		vs = append(vs, v)
		byKey[keyID{v.Name(), v.KeyHash()}] = mem
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	var unknown *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unknown):
		return nil, 0, errors.New("signed by no member")
	case err != nil:
		return nil, 0, err
	}
	var power int64
	for _, s := range n.Sigs {
		if mem, ok := byKey[keyID{s.Name, s.Hash}]; ok {
			power += mem.Power
			delete(byKey, keyID{s.Name, s.Hash}) // each member counts once
		}
	}
	return n, power, nil
}
