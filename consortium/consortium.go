// Package consortium describes who runs a Jurichain network: the member
// institutions, their public keys and voting power, and how the trust
// policy that verifiers hold follows from them. Each institution publishes
// a member card; a coordinator combines the cards into a genesis; later
// changes are proposals signed by institutions holding more than two
// thirds of the voting power.
package consortium

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// MaxPower bounds one member's voting power. The policy expresses a
// member's power as that many quorum entries, so it stays small.
const MaxPower = 10

// Card is an institution's public member card: everything the other
// members need to admit it. It holds no secret.
type Card struct {
	// Institution is the member's name in the policy and its signatures.
	Institution string `json:"institution"`
	// Kind is what body the institution is (court, notary, ...); it
	// bounds the roles of its staff and whether it holds cases.
	Kind identity.InstitutionKind `json:"kind"`
	// Suite names the crypto suite of the card's keys (see package
	// suite): "intl" or "gm". Cards made before there was a choice have
	// none, which means the international suite.
	Suite string `json:"suite,omitempty"`
	// ValidatorKey is the CometBFT consensus public key (base64). It is
	// an Ed25519 key in every suite: CometBFT supports no other.
	ValidatorKey string `json:"validator_key"`
	// LogKey is the public key (base64, of the card's suite) with which
	// the member's node signs checkpoints as the log; its note key name is
	// the network's origin, known only once the genesis is made.
	LogKey string `json:"log_key"`
	// CosignKey is the member's C2SP tlog-cosignature verifier key.
	CosignKey string `json:"cosign_key"`
	// GovernanceKey is the signed-note verifier key with which the member
	// signs membership changes.
	GovernanceKey string `json:"governance_key"`
	// NodeID is the CometBFT p2p node id.
	NodeID string `json:"node_id"`
	// P2PAddress is host:port where peers reach the node.
	P2PAddress string `json:"p2p_address"`
	// API is the URL of the node's Jurichain API, for monitoring.
	API string `json:"api,omitempty"`
}

// Member is a card admitted with a voting power. A member whose power is
// zero was removed; it stays listed so its old signatures can be checked.
type Member struct {
	Card
	Power int64 `json:"power"`
}

// ParseCard reads and checks a member card.
func ParseCard(b []byte) (*Card, error) {
	var c Card
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("member card is not valid JSON: %w", err)
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// CryptoSuite returns the suite the card's keys belong to.
func (c *Card) CryptoSuite() (*suite.Suite, error) {
	cs, err := suite.ByName(c.Suite)
	if err != nil {
		return nil, fmt.Errorf("member card %s: suite: %w", c.Institution, err)
	}
	return cs, nil
}

// validatorScheme is the scheme of CometBFT validator keys. CometBFT only
// supports Ed25519 consensus keys, so a network of any suite has Ed25519
// validator keys: the international suite's scheme checks them.
func validatorScheme() suite.SignatureScheme { return suite.International().Signature() }

// Check reports the first invalid field of the card. Every key must be a
// usable key of the card's suite (the validator key excepted, see
// ValidatorKey): with a key of small order anyone could sign as the
// member.
func (c *Card) Check() error {
	if err := CheckInstitutionName(c.Institution); err != nil {
		return fmt.Errorf("member card: %w", err)
	}
	if !identity.ValidInstitutionKind(c.Kind) {
		return fmt.Errorf("member card %s: kind %q: use one of %s", c.Institution, c.Kind, identity.KindNames())
	}
	cs, err := c.CryptoSuite()
	if err != nil {
		return err
	}
	if _, err := rawKey(validatorScheme(), c.ValidatorKey); err != nil {
		return fmt.Errorf("member card %s: validator_key (a CometBFT key): %w", c.Institution, err)
	}
	if _, err := rawKey(cs.Signature(), c.LogKey); err != nil {
		for _, o := range suite.All() {
			if _, oerr := rawKey(o.Signature(), c.LogKey); oerr == nil && o.Name() != cs.Name() {
				return fmt.Errorf("member card %s: log_key is a key of the %s suite, but the card names the %s suite", c.Institution, o, cs)
			}
		}
		return fmt.Errorf("member card %s: log_key: %w", c.Institution, err)
	}
	cv, err := cs.NewCosignatureVerifier(c.CosignKey)
	if err == nil && !cs.IsCosignatureKey(c.CosignKey) {
		err = errors.New("not a tlog-cosignature key")
	}
	if err != nil {
		return fmt.Errorf("member card %s: cosign_key: %w", c.Institution, err)
	}
	gv, err := cs.NewVerifier(c.GovernanceKey)
	if err != nil {
		return fmt.Errorf("member card %s: governance_key: %w", c.Institution, err)
	}
	if cv.Name() != c.Institution || gv.Name() != c.Institution {
		return fmt.Errorf("member card %s: cosign_key and governance_key must be named %q", c.Institution, c.Institution)
	}
	if len(c.NodeID) != 40 {
		return fmt.Errorf("member card %s: node_id must be 40 hex digits", c.Institution)
	}
	if c.P2PAddress == "" {
		return fmt.Errorf("member card %s: p2p_address is missing", c.Institution)
	}
	for _, f := range []struct{ name, v string }{{"node_id", c.NodeID}, {"p2p_address", c.P2PAddress}, {"api", c.API}} {
		if err := usertext.Field(f.name, f.v); err != nil {
			return fmt.Errorf("member card %s: %w", c.Institution, err)
		}
	}
	return nil
}

// CheckInstitutionName refuses a name an institution cannot have: one
// ValidName refuses, or a word the trust policy reserves (the members are
// its witnesses, gathered in the group QuorumGroup).
func CheckInstitutionName(s string) error {
	if !ValidName(s) {
		return fmt.Errorf("institution %q: use 1-50 letters, digits, '.', '-' or '_'", s)
	}
	if policy.ReservedName(s) || s == QuorumGroup {
		return fmt.Errorf("institution %q: the trust policy reserves that word; choose another name", s)
	}
	return nil
}

// ValidName reports whether s can name an institution: it appears in key
// names, policy lines and CometBFT monikers.
func ValidName(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// rawKey decodes a base64 public key on a card and checks it with scheme.
func rawKey(scheme suite.SignatureScheme, b64 string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("want a base64 %s public key", scheme.Name())
	}
	if err := scheme.CheckPublicKey(b); err != nil {
		return nil, err
	}
	return b, nil
}

// ValidatorPubKey returns the member's consensus public key (Ed25519, as
// CometBFT needs), nil if the card is invalid.
func (c *Card) ValidatorPubKey() []byte {
	k, _ := rawKey(validatorScheme(), c.ValidatorKey)
	return k
}

// LogPubKey returns the member's log public key, nil if the card is
// invalid.
func (c *Card) LogPubKey() []byte {
	cs, err := c.CryptoSuite()
	if err != nil {
		return nil
	}
	k, _ := rawKey(cs.Signature(), c.LogKey)
	return k
}

// LogVKey returns the signed-note verifier key of the member's log key for
// the network with this origin.
func (c *Card) LogVKey(origin string) (string, error) {
	cs, err := c.CryptoSuite()
	if err != nil {
		return "", err
	}
	k, err := rawKey(cs.Signature(), c.LogKey)
	if err != nil {
		return "", fmt.Errorf("member card %s: log_key: %w", c.Institution, err)
	}
	return cs.VerifierKey(origin, k)
}

// Membership is the set of members at some point of the ledger.
type Membership struct {
	// Version counts the changes applied since genesis; a change proposal
	// names the version it applies to, so it cannot be replayed.
	Version uint64   `json:"version"`
	Members []Member `json:"members"`
}

// Check validates a membership: unique names and keys, powers in range,
// at least one active member, every member of one suite.
func (m *Membership) Check() error {
	seen := map[string]string{}
	var total int64
	var first *Member
	for i, mem := range m.Members {
		if err := mem.Check(); err != nil {
			return err
		}
		if first == nil {
			first = &m.Members[i]
		} else if err := sameSuite(first, &mem.Card); err != nil {
			return err
		}
		if mem.Power < 0 || mem.Power > MaxPower {
			return fmt.Errorf("member %s: power %d must be 0..%d", mem.Institution, mem.Power, MaxPower)
		}
		total += mem.Power
		for _, k := range []string{mem.Institution, mem.ValidatorKey, mem.LogKey, mem.CosignKey, mem.GovernanceKey, mem.NodeID} {
			if other, dup := seen[k]; dup {
				return fmt.Errorf("members %s and %s share a name or key", other, mem.Institution)
			}
			seen[k] = mem.Institution
		}
	}
	if total == 0 {
		return errors.New("membership has no member with voting power")
	}
	return nil
}

// sameSuite refuses a card whose suite is not that of first: a network
// has one suite, chosen at genesis.
func sameSuite(first *Member, c *Card) error {
	a, errA := first.CryptoSuite()
	b, errB := c.CryptoSuite()
	if err := errors.Join(errA, errB); err != nil {
		return err
	}
	if a.Name() != b.Name() {
		return fmt.Errorf("member %s's card is of the %s suite, member %s's of the %s suite: a network has one suite", c.Institution, b, first.Institution, a)
	}
	return nil
}

// CheckSuite refuses a membership with a member whose card is not of the
// network's suite cs.
func (m *Membership) CheckSuite(cs *suite.Suite) error {
	for _, mem := range m.Members {
		ms, err := mem.CryptoSuite()
		if err != nil {
			return err
		}
		if ms.Name() != cs.Name() {
			return fmt.Errorf("member %s's card is of the %s suite, but the network uses the %s suite: the institution must make its keys again with 'jurichain init --suite %s'", mem.Institution, ms, cs, cs.Name())
		}
	}
	return nil
}

// Active returns the members with voting power, in name order.
func (m *Membership) Active() []Member {
	var out []Member
	for _, mem := range m.Members {
		if mem.Power > 0 {
			out = append(out, mem)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Institution, b.Institution) })
	return out
}

// TotalPower is the sum of the active members' power.
func (m *Membership) TotalPower() int64 {
	var t int64
	for _, mem := range m.Members {
		t += mem.Power
	}
	return t
}

// Quorum is the smallest power that is more than two thirds of total: what
// CometBFT needs to commit, and what a checkpoint needs to be final.
func Quorum(total int64) int64 { return total*2/3 + 1 }

// Member returns the member with this name.
func (m *Membership) Member(name string) (*Member, bool) {
	for i := range m.Members {
		if m.Members[i].Institution == name {
			return &m.Members[i], true
		}
	}
	return nil, false
}

// QuorumGroup is the name of the policy group that needs more than two
// thirds of the voting power.
const QuorumGroup = "validators"

// Policy returns the tlog-policy of a network with this origin under the
// membership: every active member's log key, every active member as a
// witness, and a quorum group needing more than two thirds of the power.
// A member with power p counts p times, through p one-member groups, so
// the count threshold of tlog-policy expresses the weighted one exactly.
func (m *Membership) Policy(origin string) (*policy.Policy, error) {
	p := &policy.Policy{Quorum: QuorumGroup}
	var entries []string
	for _, mem := range m.Active() {
		lk, err := mem.LogVKey(origin)
		if err != nil {
			return nil, err
		}
		p.Logs = append(p.Logs, policy.Log{VKey: lk})
		p.Witnesses = append(p.Witnesses, policy.Witness{Name: mem.Institution, VKey: mem.CosignKey})
		if mem.Power == 1 {
			entries = append(entries, mem.Institution)
			continue
		}
		for i := 1; i <= int(mem.Power); i++ {
			g := mem.Institution + "#" + strconv.Itoa(i)
			p.Groups = append(p.Groups, policy.Group{Name: g, Threshold: 1, Members: []string{mem.Institution}})
			entries = append(entries, g)
		}
	}
	p.Groups = append(p.Groups, policy.Group{Name: QuorumGroup, Threshold: int(Quorum(m.TotalPower())), Members: entries})
	// Round-trip through the parser: the policy a verifier reads must be
	// exactly the one the network enforces.
	return policy.Parse(p.Format())
}
