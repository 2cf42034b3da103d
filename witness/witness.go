// Package witness speaks the C2SP tlog-witness protocol in both
// directions. As a server, a Jurichain node witnesses other logs: it
// cosigns a log's checkpoint only if the log's key signed it and it is
// consistent with the last one the node cosigned for that log, so two
// nodes that trust the same witness cannot be shown two histories. As a
// client, a node asks outside witnesses to cosign its network's final
// checkpoints and keeps their cosignatures, which it then serves on those
// checkpoints, so a policy may require an outside witness beside the
// network's own members.
//
// Everything here is node-local: it is not consensus, not in the app
// hash, and each node keeps its own records in its store.
package witness

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// The hash names a witnessed log may use for its Merkle tree.
const (
	HashSHA256 = "sha256"
	HashSM3    = "sm3"
)

// Log is a log this node witnesses, as config/jurichain.json lists it
// under "witnessed_logs". A log may be listed more than once with other
// keys (each a key the log signs with); a checkpoint needs one of them.
type Log struct {
	// Origin is the checkpoint origin of the log.
	Origin string `json:"origin"`
	// VKey is the signed-note verifier key of the log.
	VKey string `json:"vkey"`
	// Hash is the log's Merkle tree hash: "sha256" (RFC 6962, the
	// default) or "sm3" (a Jurichain GM network).
	Hash string `json:"hash,omitempty"`
}

// Hasher returns the log's Merkle tree hasher.
func (l Log) Hasher() (merkle.LogHasher, error) {
	switch l.Hash {
	case HashSHA256, "":
		return rfc6962.DefaultHasher, nil
	case HashSM3:
		return suite.GM().LogHasher(), nil
	}
	return nil, fmt.Errorf("witnessed log %s: hash %q: use sha256 or sm3", l.Origin, l.Hash)
}

// Verifier returns the verifier of the log's signatures.
func (l Log) Verifier() (note.Verifier, error) {
	v, err := policy.NewLogVerifier(l.VKey)
	if err != nil {
		return nil, fmt.Errorf("witnessed log %s: vkey: %w", l.Origin, err)
	}
	return v, nil
}

// Check reports what is wrong with the entry; own is the origin of this
// node's network, which it may not witness: its cosignature key is the one
// its network's policy names it by, and a cosignature on a checkpoint of
// its own origin that the ledger did not make would read as evidence
// against the node itself.
func (l Log) Check(own string) error {
	if err := checkName("origin", l.Origin); err != nil {
		return fmt.Errorf("witnessed log: %w", err)
	}
	if l.Origin == own {
		return fmt.Errorf("witnessed log %s: that is this node's own network, whose checkpoints it cosigns as a member", l.Origin)
	}
	if _, err := l.Hasher(); err != nil {
		return err
	}
	cs, err := suite.SuiteOfKey(l.VKey)
	if err != nil {
		return fmt.Errorf("witnessed log %s: vkey: %w", l.Origin, err)
	}
	if cs.IsCosignatureKey(l.VKey) {
		return fmt.Errorf("witnessed log %s: vkey is a cosignature key; give the key the log signs its checkpoints with", l.Origin)
	}
	_, err = l.Verifier()
	return err
}

// Witness is an outside witness this node asks to cosign its network's
// final checkpoints, as config/jurichain.json lists it under "witnesses".
type Witness struct {
	// Name labels the witness in metrics and logs; the vkey's key name
	// when empty.
	Name string `json:"name"`
	// VKey is the witness's cosignature verifier key (c2sp.org/
	// tlog-cosignature), of the network's suite, so that a policy can
	// name it.
	VKey string `json:"vkey"`
	// URL is the witness's submission prefix: requests go to
	// URL/add-checkpoint.
	URL string `json:"url"`
}

// Check reports what is wrong with the entry for a network of suite cs.
func (w Witness) Check(cs *suite.Suite) error {
	if err := checkName("name", w.Name); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if !cs.IsCosignatureKey(w.VKey) {
		if _, _, err := cs.KeyOf(w.VKey); err != nil {
			return fmt.Errorf("witness %s: vkey: %w", w.Name, err)
		}
		return fmt.Errorf("witness %s: vkey is a plain note key; give its cosignature key (cosignature/v1)", w.Name)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("witness %s: url %q: want http(s)://host[:port][/prefix], without query or credentials", w.Name, w.URL)
	}
	return nil
}

// ParseWitnessFlag reads the value of `jurichain serve --witness`:
// URL=VKEY, the witness's submission prefix and its cosignature key. The
// URL ends at the first "=" (a witness prefix has no query); the name is
// the key's.
func ParseWitnessFlag(cs *suite.Suite, v string) (Witness, error) {
	u, vkey, ok := strings.Cut(v, "=")
	if !ok || u == "" || vkey == "" {
		return Witness{}, fmt.Errorf("--witness %q: want URL=VKEY, e.g. https://witness.example/prefix=NAME+HASH+KEY", v)
	}
	name, _, err := cs.KeyOf(vkey)
	if err != nil {
		return Witness{}, fmt.Errorf("--witness: vkey: %w", err)
	}
	w := Witness{Name: name, VKey: vkey, URL: strings.TrimSuffix(u, "/")}
	if err := w.Check(cs); err != nil {
		return Witness{}, fmt.Errorf("--witness: %w", err)
	}
	return w, nil
}

// Merge adds w to ws, replacing an entry of the same name: a flag given
// again with a new URL or key updates the configuration.
func Merge(ws []Witness, w Witness) []Witness {
	out := make([]Witness, 0, len(ws)+1)
	for _, o := range ws {
		if o.Name != w.Name {
			out = append(out, o)
		}
	}
	return append(out, w)
}

// CheckWitnesses checks a configuration's witnesses: each valid, names
// unique (they key the stored cosignatures).
func CheckWitnesses(cs *suite.Suite, ws []Witness) error {
	seen := map[string]bool{}
	for _, w := range ws {
		if err := w.Check(cs); err != nil {
			return err
		}
		if seen[w.Name] {
			return fmt.Errorf("witness %s is listed twice", w.Name)
		}
		seen[w.Name] = true
	}
	return nil
}

// CheckLogs checks a configuration's witnessed logs: each valid, and the
// entries of one origin agreeing on the hash.
func CheckLogs(own string, logs []Log) error {
	hashes := map[string]string{}
	for _, l := range logs {
		if err := l.Check(own); err != nil {
			return err
		}
		h := l.Hash
		if h == "" {
			h = HashSHA256
		}
		if prev, ok := hashes[l.Origin]; ok && prev != h {
			return fmt.Errorf("witnessed log %s is listed with hashes %s and %s", l.Origin, prev, h)
		}
		hashes[l.Origin] = h
	}
	return nil
}

// checkName is the rule of signed-note key names, which origins and
// witness names follow: one non-empty line of valid UTF-8, no spaces, no
// plus sign, no control characters.
func checkName(field, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s: missing", field)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: not valid UTF-8", field)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' }) >= 0:
		return fmt.Errorf("%s %q: no spaces, control characters or plus signs", field, s)
	case len(s) > 255:
		return errors.New(field + ": longer than 255 bytes")
	}
	return nil
}
