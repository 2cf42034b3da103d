package identity

// Actor is who signs an identity operation besides the key the operation
// adds: an approved account of a role at the target account's institution
// (ByRole), that institution's node (ByNode), or the target account itself
// with a key active at the operation's height (BySelf).
type Actor string

// The actors that are not accounts of a role.
const (
	ByNode Actor = "node"
	BySelf Actor = "self"
)

// ByRole is the actor that is an approved account of role r at the target
// account's institution. Accounts of other institutions decide nothing
// about it.
func ByRole(r Role) Actor { return Actor(r) }

// MayDecide reports whether actor may sign action on an account of role
// target. It is the whole rule of who decides what about accounts:
//
//	action                          depositor target        staff target (admin, reviewer, judge, clerk, auditor)
//	register                        node                    node, admin
//	approve, reject,
//	suspend, reinstate              node, admin, reviewer   node, admin
//	add-key, revoke-key             node, admin, self       node, admin, self
//
// The institution's node acts as its administrator: the operator who runs
// it decides for the institution. Reviewers decide depositors only, so a
// reviewer cannot stop an admin or a judge. A registration is in addition
// always signed by the key it registers, and an added key by itself; a
// depositor's registration needs the node because the node keeps the
// holder's real-name data.
func MayDecide(actor Actor, action Action, target Role) bool {
	if actor == ByNode {
		return true
	}
	staff := target != Depositor
	switch action {
	case Register:
		return staff && actor == ByRole(Admin)
	case Approve, Reject, Suspend, Reinstate:
		return actor == ByRole(Admin) || (!staff && actor == ByRole(Reviewer))
	case AddKey, RevokeKey:
		return actor == ByRole(Admin) || actor == BySelf
	}
	return false
}
