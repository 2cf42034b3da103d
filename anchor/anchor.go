// Package anchor holds what cross-chain anchoring exchanges: the
// governance note that registers an outside log at a court network (an
// outside log submits its checkpoints in the C2SP tlog-witness
// add-checkpoint body, package witness), and the composed receipt that proves a deposit of a
// platform network through the court network's anchor of its checkpoint.
package anchor

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jurichain/jurichain/policy"
)

// Kinds of outside-log change.
const (
	ChangeRegister = "register" // accept anchors of the log under its policy
	ChangeRetire   = "retire"   // accept no more anchors of the log
)

// LogChange registers or retires an outside log. As a proposal it is the
// text of a signed note, which the members' governance keys sign, as for
// membership changes:
//
//	jurichain outside log
//	network <origin of the network that accepts the anchors>
//	version <outside-log changes applied so far>
//	register <base64 of the outside log's tlog-policy>
//	| retire <outside origin>
type LogChange struct {
	// Origin is the network the change is for.
	Origin  string
	Version uint64
	Kind    string
	// Policy is the registered log's tlog-policy (register).
	Policy []byte
	// Log is the outside log's origin: the policy's for register.
	Log string
}

const logChangeHeader = "jurichain outside log"

// Text is the note text that members sign.
func (c *LogChange) Text() (string, error) {
	var action string
	switch c.Kind {
	case ChangeRegister:
		action = "register " + base64.StdEncoding.EncodeToString(c.Policy)
	case ChangeRetire:
		action = "retire " + c.Log
	default:
		return "", fmt.Errorf("unknown outside-log change %q", c.Kind)
	}
	return fmt.Sprintf("%s\nnetwork %s\nversion %d\n%s\n", logChangeHeader, c.Origin, c.Version, action), nil
}

// IsLogChange reports whether a note text is an outside-log change, so
// that a tool handling both kinds of governance note can tell them apart.
func IsLogChange(text string) bool { return strings.HasPrefix(text, logChangeHeader+"\n") }

// ParseLogChange reads the text of an outside-log change note. A
// registration's policy must parse, and its origin is the log's.
func ParseLogChange(text string) (*LogChange, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || lines[0] != logChangeHeader || !strings.HasSuffix(text, "\n") {
		return nil, errors.New("not an outside-log change: want 4 lines starting with " + strconv.Quote(logChangeHeader))
	}
	c := &LogChange{}
	var ok bool
	if c.Origin, ok = strings.CutPrefix(lines[1], "network "); !ok || c.Origin == "" {
		return nil, errors.New("outside-log change: second line must be 'network <origin>'")
	}
	v, ok := strings.CutPrefix(lines[2], "version ")
	var err error
	if c.Version, err = strconv.ParseUint(v, 10, 64); !ok || err != nil || strconv.FormatUint(c.Version, 10) != v {
		return nil, errors.New("outside-log change: third line must be 'version <n>'")
	}
	kind, arg, _ := strings.Cut(lines[3], " ")
	switch kind {
	case ChangeRegister:
		b, err := base64.StdEncoding.Strict().DecodeString(arg)
		if err != nil || len(b) == 0 {
			return nil, errors.New("outside-log change: 'register' needs the base64 of a tlog-policy")
		}
		pol, err := policy.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("outside-log change: the registered policy: %w", err)
		}
		if pol.Origin() == "" {
			return nil, errors.New("outside-log change: the registered policy names no log")
		}
		c.Kind, c.Policy, c.Log = kind, b, pol.Origin()
	case ChangeRetire:
		if arg == "" || strings.ContainsAny(arg, " \t") {
			return nil, errors.New("outside-log change: 'retire' needs the log's origin")
		}
		c.Kind, c.Log = kind, arg
	default:
		return nil, fmt.Errorf("outside-log change: fourth line must be 'register <policy>' or 'retire <origin>', not %q", kind)
	}
	if c.Log == c.Origin {
		return nil, errors.New("outside-log change: a network cannot anchor into itself")
	}
	return c, nil
}
