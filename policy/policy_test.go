package policy_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/suite/suitetest"
)

type keys struct {
	logSigner note.Signer
	logVKey   string
	witnesses []note.Signer
	wVKeys    []string
}

// newKeys makes a log key and n witness keys of the suite cs.
func newKeys(t *testing.T, cs *suite.Suite, origin string, n int) *keys {
	t.Helper()
	k := &keys{}
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	k.logVKey = vkey
	if k.logSigner, err = cs.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		skey, vkey, err := cs.GenerateNoteKey(rand.Reader, "witness"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := cs.NewCosigner(skey, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		cv, err := cs.CosignatureVerifierKey(vkey)
		if err != nil {
			t.Fatal(err)
		}
		k.witnesses = append(k.witnesses, s)
		k.wVKeys = append(k.wVKeys, cv)
	}
	return k
}

// forEachSuite runs f as a subtest for each suite.
func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

func (k *keys) policy(threshold string) string {
	var b strings.Builder
	b.WriteString("# trust root\nlog " + k.logVKey + " https://log.example\n\n")
	var names []string
	for i, v := range k.wVKeys {
		name := k.witnesses[i].Name()
		names = append(names, name)
		b.WriteString("witness " + name + "\t" + v + "\n")
	}
	b.WriteString("group validators " + threshold + " " + strings.Join(names, " ") + "\nquorum validators\n")
	return b.String()
}

func (k *keys) checkpoint(t *testing.T, origin string, size uint64, cosigners int) []byte {
	t.Helper()
	body := log.Checkpoint{Origin: origin, Size: size, Hash: make([]byte, 32)}.Marshal()
	signers := append([]note.Signer{k.logSigner}, k.witnesses[:cosigners]...)
	n, err := note.Sign(&note.Note{Text: string(body)}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVerifyQuorum(t *testing.T) { forEachSuite(t, testVerifyQuorum) }

func testVerifyQuorum(t *testing.T, cs *suite.Suite) {
	k := newKeys(t, cs, "example.org/log", 4)
	p, err := policy.Parse([]byte(k.policy("3")))
	if err != nil {
		t.Fatal(err)
	}
	if p.Origin() != "example.org/log" {
		t.Fatalf("origin %q", p.Origin())
	}
	for cosigners := 0; cosigners <= 4; cosigners++ {
		res, err := p.Verify(k.checkpoint(t, "example.org/log", 10, cosigners))
		if cosigners >= 3 {
			if err != nil {
				t.Fatalf("%d of 4 cosigners with threshold 3: %v", cosigners, err)
			}
			if len(res.Cosigners) != cosigners || res.Checkpoint.Size != 10 {
				t.Fatalf("result %+v", res)
			}
		} else if !errors.Is(err, policy.ErrQuorum) {
			t.Fatalf("%d of 4 cosigners with threshold 3: got %v, want ErrQuorum", cosigners, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) { forEachSuite(t, testVerifyRejects) }

func testVerifyRejects(t *testing.T, cs *suite.Suite) {
	k := newKeys(t, cs, "example.org/log", 1)
	p, err := policy.Parse([]byte(k.policy("any")))
	if err != nil {
		t.Fatal(err)
	}
	other := newKeys(t, cs, "example.org/log", 1)
	good := k.checkpoint(t, "example.org/log", 5, 1)
	tampered := []byte(strings.Replace(string(good), "\n5\n", "\n6\n", 1))
	tests := map[string][]byte{
		"other log key":       other.checkpoint(t, "example.org/log", 5, 0),
		"tampered size":       tampered,
		"garbage":             []byte("not a note"),
		"only other cosigner": other.checkpoint(t, "example.org/log", 5, 1),
	}
	for name, cp := range tests {
		if _, err := p.Verify(cp); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if _, err := p.Verify(good); err != nil {
		t.Fatalf("good checkpoint: %v", err)
	}
}

func TestParseRejects(t *testing.T) { forEachSuite(t, testParseRejects) }

func testParseRejects(t *testing.T, cs *suite.Suite) {
	k := newKeys(t, cs, "o", 2)
	w0, w1 := k.wVKeys[0], k.wVKeys[1]
	logLine := "log " + k.logVKey + "\n"
	tests := map[string]string{
		"no quorum":         logLine + "witness a " + w0 + "\n",
		"no log":            "witness a " + w0 + "\nquorum a\n",
		"unknown keyword":   logLine + "witnes a " + w0 + "\nquorum none\n",
		"forward reference": logLine + "group g 1 a\nwitness a " + w0 + "\nquorum g\n",
		"duplicate name":    logLine + "witness a " + w0 + "\nwitness a " + w1 + "\nquorum a\n",
		"duplicate key":     logLine + "witness a " + w0 + "\nwitness b " + w0 + "\nquorum a\n",
		"threshold zero":    logLine + "witness a " + w0 + "\ngroup g 0 a\nquorum g\n",
		"threshold high":    logLine + "witness a " + w0 + "\ngroup g 2 a\nquorum g\n",
		"member twice":      logLine + "witness a " + w0 + "\ngroup g 1 a a\nquorum g\n",
		"two quorums":       logLine + "witness a " + w0 + "\nquorum a\nquorum none\n",
		"bad key":           "log o+00000000+AAAA\nquorum none\n",
		"control char":      logLine + "quorum none\x01\n",
		"reserved name":     logLine + "witness any " + w0 + "\nquorum none\n",
	}
	for name, text := range tests {
		if _, err := policy.Parse([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) { forEachSuite(t, testFormatRoundTrip) }

func testFormatRoundTrip(t *testing.T, cs *suite.Suite) {
	k := newKeys(t, cs, "example.org/log", 3)
	p, err := policy.Parse([]byte(k.policy("all")))
	if err != nil {
		t.Fatal(err)
	}
	again, err := policy.Parse(p.Format())
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Format()) != string(p.Format()) {
		t.Fatal("format is not stable")
	}
	if again.Groups[0].Threshold != 3 || again.Logs[0].URL != "https://log.example" {
		t.Fatalf("lost information: %+v", again)
	}
	if p.Suite().Name() != cs.Name() || again.Suite().Name() != cs.Name() {
		t.Fatalf("suite %v, after formatting %v, want %s", p.Suite(), again.Suite(), cs.Name())
	}
	if want := "# suite " + cs.Name() + ": " + cs.String() + "\n"; !strings.HasPrefix(string(p.Format()), want) {
		t.Fatalf("formatted policy does not start with %q:\n%s", want, p.Format())
	}
}

// TestPolicyRefusesWeakKeys puts every refused 32-byte key of the golden
// vectors on a log line and on a witness line: Parse refuses the policy,
// naming the line.
func TestPolicyRefusesWeakKeys(t *testing.T) {
	k := newKeys(t, suite.International(), "jurichain.example/log", 1)
	if _, err := policy.Parse([]byte(k.policy("any"))); err != nil {
		t.Fatalf("a good policy: %v", err)
	}
	for _, bad := range suitetest.BadEd25519Keys() {
		if bad.Class == "length" {
			continue // note verifier keys cannot carry them
		}
		vkey, err := note.NewEd25519VerifierKey("jurichain.example/log", bad.Key)
		if err != nil {
			t.Fatal(err)
		}
		wkey, err := note.NewEd25519VerifierKey("witnessa", bad.Key)
		if err != nil {
			t.Fatal(err)
		}
		cv, err := fnote.VKeyToCosignatureV1(wkey)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, text, line string }{
			{"log", strings.Replace(k.policy("any"), k.logVKey, vkey, 1), "policy line 2"},
			{"witness", strings.Replace(k.policy("any"), k.wVKeys[0], cv, 1), "policy line 4"},
		} {
			t.Run(bad.Name+"/"+c.name, func(t *testing.T) {
				_, err := policy.Parse([]byte(c.text))
				if !errors.Is(err, suite.ErrBadPublicKey) || !strings.Contains(err.Error(), c.line) {
					t.Fatalf("Parse: %v, want ErrBadPublicKey on %s\n%s", err, c.line, c.text)
				}
			})
		}
	}
}

// TestParseRefusesMixedSuites puts a key of the other suite on a log or
// witness line: Parse refuses the policy naming both suites.
func TestParseRefusesMixedSuites(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		k := newKeys(t, cs, "example.org/log", 2)
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			o := newKeys(t, other, "example.org/log", 1)
			for name, text := range map[string]string{
				"log":     "log " + k.logVKey + "\nlog " + o.logVKey + "\nquorum none\n",
				"witness": "log " + k.logVKey + "\nwitness a " + k.wVKeys[0] + "\nwitness b " + o.wVKeys[0] + "\ngroup g any a b\nquorum g\n",
			} {
				_, err := policy.Parse([]byte(text))
				if err == nil || !strings.Contains(err.Error(), cs.String()) || !strings.Contains(err.Error(), other.String()) {
					t.Errorf("%s of the %s suite: got %v, want a refusal naming both suites", name, other.Name(), err)
				}
			}
		}
	})
}

// TestInternationalPolicyUnchanged parses a policy written with the
// golang.org/x/mod and transparency-dev libraries, as policies were before
// there was a choice of suite: it is of the international suite and
// verifies their checkpoints.
func TestInternationalPolicyUnchanged(t *testing.T) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "example.org/log")
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "court")
	ls, _ := note.NewSigner(skey)
	ws, _ := fnote.NewSignerForCosignatureV1(wskey)
	wcv, _ := fnote.VKeyToCosignatureV1(wvkey)
	text := "log " + vkey + "\nwitness court " + wcv + "\nquorum court\n"
	p, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if p.Suite().Name() != suite.NameInternational {
		t.Fatalf("suite %v", p.Suite())
	}
	body := log.Checkpoint{Origin: "example.org/log", Size: 3, Hash: make([]byte, 32)}.Marshal()
	signed, _ := note.Sign(&note.Note{Text: string(body)}, ls, ws)
	if _, err := p.Verify(signed); err != nil {
		t.Fatal(err)
	}
	if got := string(p.Format()); !strings.HasSuffix(got, text) {
		t.Fatalf("formatted:\n%s\nwant the same lines after the suite comment:\n%s", got, text)
	}
}

// TestVerifyRefusesOtherSuiteCheckpoint checks that a policy of one suite
// does not verify a checkpoint signed with keys of the other suite, even
// for the same origin.
func TestVerifyRefusesOtherSuiteCheckpoint(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		k := newKeys(t, cs, "example.org/log", 1)
		p, err := policy.Parse([]byte(k.policy("any")))
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range suite.All() {
			if other.Name() != cs.Name() {
				o := newKeys(t, other, "example.org/log", 1)
				if _, err := p.Verify(o.checkpoint(t, "example.org/log", 5, 1)); err == nil {
					t.Errorf("a %s policy verified a %s checkpoint", cs.Name(), other.Name())
				}
			}
		}
	})
}

// TestHandBuiltPolicyIsRefused checks that a Policy not read with Parse
// (its keys have no verifiers) refuses every checkpoint instead of
// panicking.
func TestHandBuiltPolicyIsRefused(t *testing.T) {
	for _, cs := range suite.All() {
		_, vkey, err := cs.GenerateNoteKey(rand.Reader, "example.com/log")
		if err != nil {
			t.Fatal(err)
		}
		p := &policy.Policy{Logs: []policy.Log{{VKey: vkey}}, Quorum: "none"}
		if p.Suite() == nil || p.Suite().Name() != cs.Name() || p.Origin() != "" {
			t.Fatalf("%s: suite %v origin %q", cs.Name(), p.Suite(), p.Origin())
		}
		if _, err := p.Verify([]byte("example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.com/log AAAA\n")); err == nil {
			t.Fatalf("%s: a hand-built policy verified a checkpoint", cs.Name())
		}
	}
}

// TestSharedGroupsAreDecidedOnce verifies against a policy whose groups
// form two interleaved chains (a_i and b_i each need a_{i-1} and b_{i-1}):
// asking again about each member of each group would take 2^60 steps;
// deciding each group once takes a few hundred.
func TestSharedGroupsAreDecidedOnce(t *testing.T) { forEachSuite(t, testSharedGroupsAreDecidedOnce) }

func testSharedGroupsAreDecidedOnce(t *testing.T, cs *suite.Suite) {
	k := newKeys(t, cs, "example.org/log", 2)
	a, b := k.witnesses[0].Name(), k.witnesses[1].Name()
	var pol strings.Builder
	pol.WriteString("log " + k.logVKey + "\nwitness " + a + " " + k.wVKeys[0] + "\nwitness " + b + " " + k.wVKeys[1] + "\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&pol, "group a%d all %s %s\ngroup b%d all %s %s\n", i, a, b, i, a, b)
		a, b = fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
	}
	pol.WriteString("quorum a60\n")
	p, err := policy.Parse([]byte(pol.String()))
	if err != nil {
		t.Fatal(err)
	}
	both, one := k.checkpoint(t, "example.org/log", 10, 2), k.checkpoint(t, "example.org/log", 10, 1)
	done := make(chan error, 2)
	go func() {
		_, err := p.Verify(both)
		done <- err
		_, err = p.Verify(one)
		done <- err
	}()
	for _, want := range []error{nil, policy.ErrQuorum} {
		select {
		case err := <-done:
			if !errors.Is(err, want) && (want != nil || err != nil) {
				t.Fatalf("got %v, want %v", err, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("verifying against chained groups did not finish in 30 s: groups are decided more than once")
		}
	}
}
