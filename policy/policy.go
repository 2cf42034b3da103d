// Package policy reads, writes and applies C2SP tlog-policy files: the
// trust root a verifier needs to accept a checkpoint offline. A checkpoint
// is valid under a policy when one of its logs signed it (the log key's
// name is the checkpoint origin) and its witnesses' cosignatures satisfy
// the quorum.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/suite"
)

// MaxSize bounds a policy file; the spec asks implementations to support
// 32 logs, witnesses and groups, which fit easily.
const MaxSize = 64 << 10

// Policy is a parsed tlog-policy file. Its keys are all of one crypto
// suite, the network's: the suite is read from the keys themselves, so a
// verifier needs nothing but the policy.
type Policy struct {
	Logs      []Log
	Witnesses []Witness
	Groups    []Group
	// Quorum names a witness or group, or is "none".
	Quorum string
	suite  *suite.Suite
}

// Suite returns the crypto suite of the policy's keys, nil for a policy
// built by hand whose first log key is of no known suite.
func (p *Policy) Suite() *suite.Suite {
	if p.suite != nil {
		return p.suite
	}
	if len(p.Logs) > 0 {
		if cs, err := suite.SuiteOfKey(p.Logs[0].VKey); err == nil {
			return cs
		}
	}
	return nil
}

// Log is a log the policy trusts.
type Log struct {
	VKey string
	URL  string
	v    note.Verifier
}

// Witness is a cosigner the policy knows.
type Witness struct {
	Name string
	VKey string
	URL  string
	v    note.Verifier
}

// Group is satisfied when at least Threshold of its members are.
type Group struct {
	Name      string
	Threshold int
	Members   []string
}

// Origin is the name of the first log key: the checkpoint origin of the
// log this policy was written for.
func (p *Policy) Origin() string {
	if len(p.Logs) == 0 || p.Logs[0].v == nil {
		return ""
	}
	return p.Logs[0].v.Name()
}

// Parse reads a tlog-policy file strictly: unknown keywords, forward
// references, duplicate names or keys and bad thresholds are errors.
func Parse(text []byte) (*Policy, error) {
	if len(text) > MaxSize {
		return nil, fmt.Errorf("policy is %d bytes, at most %d", len(text), MaxSize)
	}
	p := &Policy{}
	defined := map[string]bool{"none": true}
	keys := map[string]bool{}
	for i, line := range strings.Split(string(text), "\n") {
		errf := func(format string, args ...any) error {
			return fmt.Errorf("policy line %d: %w", i+1, fmt.Errorf(format, args...))
		}
		for _, c := range []byte(line) {
			if c != '\t' && (c < 0x20 || c == 0x7f) {
				return nil, errf("control character %#x", c)
			}
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "log":
			if len(fields) < 2 || len(fields) > 3 {
				return nil, errf("want: log <vkey> [<url>]")
			}
			cs, err := p.keySuite(fields[1])
			if err != nil {
				return nil, errf("log key: %w", err)
			}
			v, err := cs.NewVerifier(fields[1])
			if err != nil {
				return nil, errf("log key: %w", err)
			}
			if err := addKey(cs, keys, fields[1]); err != nil {
				return nil, errf("%w", err)
			}
			p.Logs = append(p.Logs, Log{VKey: fields[1], URL: at(fields, 2), v: v})
		case "witness":
			if len(fields) < 3 || len(fields) > 4 {
				return nil, errf("want: witness <name> <vkey> [<url>]")
			}
			if defined[fields[1]] || reserved(fields[1]) {
				return nil, errf("name %q already used", fields[1])
			}
			cs, err := p.keySuite(fields[2])
			if err != nil {
				return nil, errf("witness key: %w", err)
			}
			v, err := cs.NewCosignatureVerifier(fields[2])
			if err != nil {
				return nil, errf("witness key: %w", err)
			}
			if err := addKey(cs, keys, fields[2]); err != nil {
				return nil, errf("%w", err)
			}
			defined[fields[1]] = true
			p.Witnesses = append(p.Witnesses, Witness{Name: fields[1], VKey: fields[2], URL: at(fields, 3), v: v})
		case "group":
			if len(fields) < 4 {
				return nil, errf("want: group <name> <all|any|k> <name>...")
			}
			g := Group{Name: fields[1], Members: fields[3:]}
			if defined[g.Name] || reserved(g.Name) {
				return nil, errf("name %q already used", g.Name)
			}
			seen := map[string]bool{}
			for _, m := range g.Members {
				if m == "none" || !defined[m] {
					return nil, errf("group member %q is not a witness or group defined above", m)
				}
				if seen[m] {
					return nil, errf("group member %q listed twice", m)
				}
				seen[m] = true
			}
			switch k := fields[2]; k {
			case "all":
				g.Threshold = len(g.Members)
			case "any":
				g.Threshold = 1
			default:
				n, err := strconv.Atoi(k)
				if err != nil || n < 1 || n > len(g.Members) || strconv.Itoa(n) != k {
					return nil, errf("threshold %q must be all, any or 1..%d", k, len(g.Members))
				}
				g.Threshold = n
			}
			defined[g.Name] = true
			p.Groups = append(p.Groups, g)
		case "quorum":
			if len(fields) != 2 {
				return nil, errf("want: quorum <name>")
			}
			if p.Quorum != "" {
				return nil, errf("second quorum line")
			}
			if !defined[fields[1]] {
				return nil, errf("quorum %q is not a witness or group defined above", fields[1])
			}
			p.Quorum = fields[1]
		default:
			return nil, errf("unknown keyword %q", fields[0])
		}
	}
	if p.Quorum == "" {
		return nil, errors.New("policy has no quorum line")
	}
	if len(p.Logs) == 0 {
		return nil, errors.New("policy lists no log")
	}
	return p, nil
}

func at(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

// ReservedName reports whether name is a keyword of the policy language,
// which no witness or group may be called.
func ReservedName(name string) bool { return reserved(name) }

func reserved(name string) bool {
	switch name {
	case "none", "log", "witness", "group", "quorum", "any", "all":
		return true
	}
	return false
}

// keySuite returns the suite of a key of the policy: the suite of the
// first key, which every other key must share.
func (p *Policy) keySuite(vkey string) (*suite.Suite, error) {
	cs, err := suite.SuiteOfKey(vkey)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", vkey, err)
	}
	if p.suite == nil {
		p.suite = cs
	} else if cs.Name() != p.suite.Name() {
		return nil, fmt.Errorf("key %q is of the %s suite, the keys above of the %s suite: a policy has one suite", vkey, cs, p.suite)
	}
	return cs, nil
}

// addKey records a key's bytes, rejecting one that wraps a key already
// listed: the spec forbids duplicates even under another name or
// signature type. KeyOf refuses weak keys, under which anyone could sign
// checkpoints.
func addKey(cs *suite.Suite, keys map[string]bool, vkey string) error {
	_, pub, err := cs.KeyOf(vkey)
	if err != nil {
		return fmt.Errorf("key %q: %w", vkey, err)
	}
	k := string(pub)
	if keys[k] {
		return fmt.Errorf("key %q listed twice", vkey)
	}
	keys[k] = true
	return nil
}

// IsLogKey reports whether pub is the public key of one of the policy's
// logs: the key a member node signs checkpoints with, and deposits its own
// records (access trail, anchors) with.
func (p *Policy) IsLogKey(pub []byte) bool {
	cs := p.Suite()
	if cs == nil {
		return false
	}
	for _, l := range p.Logs {
		if _, k, err := cs.KeyOf(l.VKey); err == nil && bytes.Equal(k, pub) {
			return true
		}
	}
	return false
}

// NewLogVerifier returns the checkpoint verifier for a log vkey, of the
// suite the key belongs to.
func NewLogVerifier(vkey string) (note.Verifier, error) {
	cs, err := suite.SuiteOfKey(vkey)
	if err != nil {
		return nil, err
	}
	return cs.NewVerifier(vkey)
}

// Format writes the policy in canonical form, after a comment naming its
// suite for people (Parse reads the suite from the keys).
func (p *Policy) Format() []byte {
	var b bytes.Buffer
	line := func(fields ...string) {
		b.WriteString(strings.TrimSpace(strings.Join(fields, " ")))
		b.WriteByte('\n')
	}
	if cs := p.Suite(); cs != nil {
		line("#", "suite", cs.Name()+":", cs.String())
	}
	for _, l := range p.Logs {
		line("log", l.VKey, l.URL)
	}
	for _, w := range p.Witnesses {
		line("witness", w.Name, w.VKey, w.URL)
	}
	for _, g := range p.Groups {
		line(append([]string{"group", g.Name, strconv.Itoa(g.Threshold)}, g.Members...)...)
	}
	line("quorum", p.Quorum)
	return b.Bytes()
}

// Result is what a successful verification establishes.
type Result struct {
	Checkpoint log.Checkpoint
	// Note is the opened signed note.
	Note *note.Note
	// Cosigners are the names of the witnesses whose cosignatures verified.
	Cosigners []string
}

// ErrQuorum is returned when a checkpoint lacks the cosignatures the
// policy's quorum needs.
var ErrQuorum = errors.New("checkpoint is not cosigned by the policy's quorum")

// Verify checks a signed checkpoint note against the policy.
func (p *Policy) Verify(checkpoint []byte) (*Result, error) {
	var vs []note.Verifier
	for _, l := range p.Logs {
		vs = append(vs, l.v)
	}
	for _, w := range p.Witnesses {
		vs = append(vs, w.v)
	}
	if slices.Contains(vs, nil) {
		return nil, errors.New("the policy has keys without verifiers: read policies with Parse")
	}
	n, err := note.Open(checkpoint, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("opening checkpoint: %w", err)
	}
	var cp log.Checkpoint
	rest, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return nil, fmt.Errorf("parsing checkpoint: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("parsing checkpoint: unexpected extension lines")
	}
	signedByLog := false
	cosigned := map[string]bool{}
	res := &Result{Checkpoint: cp, Note: n}
	for _, s := range n.Sigs {
		for _, l := range p.Logs {
			if s.Name == l.v.Name() && s.Hash == l.v.KeyHash() && l.v.Name() == cp.Origin {
				signedByLog = true
			}
		}
		for _, w := range p.Witnesses {
			if s.Name == w.v.Name() && s.Hash == w.v.KeyHash() && !cosigned[w.Name] {
				cosigned[w.Name] = true
				res.Cosigners = append(res.Cosigners, w.Name)
			}
		}
	}
	if !signedByLog {
		return nil, fmt.Errorf("checkpoint for origin %q is not signed by a log this policy trusts", cp.Origin)
	}
	if !p.satisfied(p.Quorum, cosigned) {
		return nil, fmt.Errorf("%w (%q): cosigned by %d witness(es)", ErrQuorum, p.Quorum, len(res.Cosigners))
	}
	return res, nil
}

// satisfied reports whether the cosigners meet the quorum. Each group is
// decided once, in file order: a group names only witnesses and groups
// defined before it (Parse refuses forward references), so one pass
// decides them all. Deciding a group by asking again about each member
// would cost exponential time on groups that share members, which a
// hostile policy of a few lines can arrange.
func (p *Policy) satisfied(quorum string, cosigned map[string]bool) bool {
	if quorum == "none" {
		return true
	}
	met := maps.Clone(cosigned)
	for _, g := range p.Groups {
		n := 0
		for _, m := range g.Members {
			if met[m] {
				n++
			}
		}
		met[g.Name] = n >= g.Threshold
	}
	return met[quorum]
}
