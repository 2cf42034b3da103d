package identity

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/suite"
)

// Directory is the ledger's view of the accounts as they stand.
type Directory interface {
	// Account returns the account with this id, or nil.
	Account(id string) (*Account, error)
	// KeyOwner returns the id of the account that ever held this key, or "".
	KeyOwner(pub []byte) (string, error)
}

// Nodes are the active member institutions by name. The log key with
// which each node signs checkpoints also attests the registrations it
// took.
type Nodes map[string]Institution

// NewSigner returns a note signer for an account's key, whose signature
// algorithm is alg (the Name of the network suite's signature scheme).
func NewSigner(accountID string, key suite.PrivateKey, alg string) (note.Signer, error) {
	v, err := KeyVerifier(accountID, alg, key.Public())
	if err != nil {
		return nil, err
	}
	return accountSigner{name: accountID, hash: v.KeyHash(), key: key}, nil
}

type accountSigner struct {
	name string
	hash uint32
	key  suite.PrivateKey
}

func (s accountSigner) Name() string                    { return s.name }
func (s accountSigner) KeyHash() uint32                 { return s.hash }
func (s accountSigner) Sign(msg []byte) ([]byte, error) { return s.key.Sign(msg) }

// KeyVerifier is the note verifier of an account key whose signature
// algorithm is alg. Keys are those of the suite whose scheme alg names;
// that it is the network's suite is CheckSuite's to say.
func KeyVerifier(accountID, alg string, pub []byte) (note.Verifier, error) {
	cs, err := suiteOfAlg(alg)
	if err != nil {
		return nil, err
	}
	vkey, err := cs.VerifierKey(accountID, pub)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", accountID, err)
	}
	return cs.NewVerifier(vkey)
}

// suiteOfAlg returns the suite whose signature scheme is named alg.
func suiteOfAlg(alg string) (*suite.Suite, error) {
	for _, cs := range suite.All() {
		if cs.Signature().Name() == alg {
			return cs, nil
		}
	}
	_, err := suite.SchemeByName(alg) // says which are known
	if err == nil {
		err = fmt.Errorf("key algorithm %q belongs to no suite", alg)
	}
	return nil, fmt.Errorf("accounts: %w", err)
}

// signers is who verifiably signed an operation.
type signers struct {
	newKey       bool                // the key the operation adds
	accounts     map[string]*Account // other accounts, approved, with a key active at the height
	self         bool                // the account itself, with a key active at the height
	institutions []string            // nodes that attested
}

func (s *signers) names() []string {
	var out []string
	for id := range s.accounts {
		out = append(out, id)
	}
	for _, inst := range s.institutions {
		out = append(out, "node:"+inst)
	}
	if s.self || s.newKey {
		out = append(out, "self")
	}
	slices.Sort(out)
	return out
}

// decides reports whether someone who signed may make action on an
// account of role target at institution inst (MayDecide).
func (s *signers) decides(inst string, action Action, target Role) bool {
	if slices.Contains(s.institutions, inst) && MayDecide(ByNode, action, target) {
		return true
	}
	if s.self && MayDecide(BySelf, action, target) {
		return true
	}
	for _, a := range s.accounts {
		if a.Status == Approved && a.Institution == inst && MayDecide(ByRole(a.Role), action, target) {
			return true
		}
	}
	return false
}

// deciders says in words who may make action on an account of role
// target at inst, for refusals.
func deciders(inst string, action Action, target Role) string {
	var roles []string
	for _, r := range []Role{Admin, Reviewer, Judge, Clerk, Auditor, Depositor} {
		if MayDecide(ByRole(r), action, target) {
			roles = append(roles, string(r))
		}
	}
	var who []string
	if MayDecide(BySelf, action, target) {
		who = append(who, "the account itself")
	}
	if len(roles) > 0 {
		who = append(who, "an approved "+strings.Join(roles, " or ")+" of "+inst)
	}
	who = append(who, "its node")
	if len(who) == 1 {
		return who[0]
	}
	return strings.Join(who[:len(who)-1], ", ") + " or " + who[len(who)-1]
}

// Apply checks a signed identity operation against the directory at
// block height h and returns the account as it stands after it, and the
// operation. origin is the network's name and cs its suite: keys and
// account ids of another suite are refused (Op.CheckSuite).
func Apply(cs *suite.Suite, dir Directory, nodes Nodes, origin string, signed []byte, h uint64) (*Account, *Op, error) {
	// First read the text, to learn whose keys may have signed it.
	_, err := note.Open(signed, note.VerifierList())
	var un *note.UnverifiedNoteError
	if !errors.As(err, &un) {
		return nil, nil, fmt.Errorf("identity operation: not a signed note: %v", err)
	}
	op, err := ParseOp(un.Note.Text)
	if err != nil {
		return nil, nil, err
	}
	if op.Origin != origin {
		return nil, nil, fmt.Errorf("the operation is for network %q, this is %q", op.Origin, origin)
	}
	if err := op.CheckSuite(cs); err != nil {
		return nil, nil, err
	}
	cur, err := dir.Account(op.Account)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case op.Action == Register && cur != nil:
		return nil, nil, fmt.Errorf("account %s is already registered", op.Account)
	case op.Action != Register && cur == nil:
		return nil, nil, fmt.Errorf("no account %s", op.Account)
	case cur != nil && op.Version != cur.Version:
		return nil, nil, fmt.Errorf("the operation applies to version %d of account %s, which is at version %d", op.Version, op.Account, cur.Version)
	}
	if op.Action == Register || op.Action == AddKey {
		owner, err := dir.KeyOwner(op.Public)
		if err != nil {
			return nil, nil, err
		}
		if owner != "" {
			return nil, nil, fmt.Errorf("the key is already used by account %s", owner)
		}
	}

	s, err := verify(dir, nodes, op, cur, un.Note.UnverifiedSigs, signed, h)
	if err != nil {
		return nil, nil, err
	}
	next, err := transition(op, cur, s, nodes, h)
	if err != nil {
		return nil, nil, err
	}
	next.Version++
	next.History = append(next.History, Event{Height: h, Op: string(op.Action), By: s.names(), Reason: op.Reason})
	return next, op, nil
}

// verify opens the note with the keys of everyone who may have signed it.
func verify(dir Directory, nodes Nodes, op *Op, cur *Account, sigs []note.Signature, signed []byte, h uint64) (*signers, error) {
	var vs []note.Verifier
	var newKey note.Verifier
	if op.Action == Register || op.Action == AddKey {
		v, err := KeyVerifier(op.Account, op.Alg, op.Public)
		if err != nil {
			return nil, err
		}
		newKey = v
		vs = append(vs, v)
	}
	for _, in := range nodes {
		vs = append(vs, in.NodeKey)
	}
	others := map[string]*Account{}
	done := map[string]bool{}
	for _, sig := range sigs {
		if done[sig.Name] {
			continue
		}
		done[sig.Name] = true
		a := cur
		if sig.Name != op.Account {
			var err error
			if a, err = dir.Account(sig.Name); err != nil {
				return nil, err
			}
		}
		if a == nil {
			continue
		}
		if sig.Name != op.Account {
			others[a.ID] = a
		}
		for _, k := range a.Keys {
			if !k.ActiveAt(h) {
				continue
			}
			v, err := KeyVerifier(a.ID, k.Alg, k.Public)
			if err != nil {
				return nil, err
			}
			vs = append(vs, v)
		}
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if errors.As(err, new(*note.UnverifiedNoteError)) {
		return nil, errors.New("identity operation: no signature by a key that may sign at this height (unknown, revoked, or not yet added)")
	}
	if err != nil {
		return nil, fmt.Errorf("identity operation signatures: %w", err)
	}
	s := &signers{accounts: map[string]*Account{}}
	for _, sig := range n.Sigs {
		switch {
		case newKey != nil && sig.Name == newKey.Name() && sig.Hash == newKey.KeyHash():
			s.newKey = true
		case sig.Name == op.Account:
			s.self = true
		case others[sig.Name] != nil:
			if a := others[sig.Name]; a.Status == Approved {
				s.accounts[a.ID] = a
			}
		default:
			for inst, in := range nodes {
				if v := in.NodeKey; v.Name() == sig.Name && v.KeyHash() == sig.Hash {
					s.institutions = append(s.institutions, inst)
				}
			}
		}
	}
	return s, nil
}

// transition applies an operation that its signers may make.
func transition(op *Op, cur *Account, s *signers, nodes Nodes, h uint64) (*Account, error) {
	var next Account
	if cur != nil {
		next = *cur
		next.Keys = slices.Clone(cur.Keys)
		next.History = slices.Clone(cur.History)
	}
	inst := op.Institution
	if cur != nil {
		inst = cur.Institution
	}
	target := op.Role
	if cur != nil {
		target = cur.Role
	}
	// Who may decide is MayDecide's table, and nowhere else.
	allowed := func() error {
		if !s.decides(inst, op.Action, target) {
			return fmt.Errorf("%s of an account with role %s needs the signature of %s", op.Action, target, deciders(inst, op.Action, target))
		}
		return nil
	}
	need := func(want, have Status) error {
		if want != have {
			return fmt.Errorf("account %s is %s; %s applies to a %s account", op.Account, have, op.Action, want)
		}
		return nil
	}
	switch op.Action {
	case Register:
		member, ok := nodes[inst]
		if !ok {
			return nil, fmt.Errorf("institution %s is not a member of the network", inst)
		}
		if !member.Kind.Allows(op.Role) {
			return nil, fmt.Errorf("%s is a %s institution, which has no %s accounts", inst, member.Kind, op.Role)
		}
		if !s.newKey {
			return nil, errors.New("a registration must be signed with the key it registers")
		}
		next = Account{ID: op.Account, Institution: inst, Role: op.Role, Kind: op.Kind, Commitment: op.Commitment,
			Keys: []Key{{Alg: op.Alg, Public: op.Public, Added: h}}}
		switch {
		case !s.decides(inst, Register, op.Role) && op.Role == Depositor:
			return nil, fmt.Errorf("a depositor registers at %s's node, which attests it", inst)
		case !s.decides(inst, Register, op.Role):
			return nil, fmt.Errorf("a %s account is created by an admin of %s or by its node", op.Role, inst)
		case op.Role == Depositor:
			next.Status = Pending
		default:
			next.Status = Approved
		}
	case Approve, Reject:
		if err := need(Pending, cur.Status); err != nil {
			return nil, err
		}
		if err := allowed(); err != nil {
			return nil, err
		}
		next.Status = map[Action]Status{Approve: Approved, Reject: Rejected}[op.Action]
	case Suspend:
		if err := need(Approved, cur.Status); err != nil {
			return nil, err
		}
		if err := allowed(); err != nil {
			return nil, err
		}
		next.Status = Suspended
	case Reinstate:
		if err := need(Suspended, cur.Status); err != nil {
			return nil, err
		}
		if err := allowed(); err != nil {
			return nil, err
		}
		next.Status = Approved
	case AddKey:
		if !s.newKey {
			return nil, errors.New("a new key must sign the operation that adds it")
		}
		if err := allowed(); err != nil {
			return nil, err
		}
		next.Keys = append(next.Keys, Key{Alg: op.Alg, Public: op.Public, Added: h})
	case RevokeKey:
		k, ok := next.ActiveKey(op.Public, h)
		if !ok {
			return nil, errors.New("the key is not an active key of the account")
		}
		if err := allowed(); err != nil {
			return nil, err
		}
		k.Revoked, k.Reason = h, op.Reason
	}
	return &next, nil
}
