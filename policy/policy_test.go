package policy_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

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

func newKeys(t *testing.T, origin string, n int) *keys {
	t.Helper()
	k := &keys{}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	k.logVKey = vkey
	if k.logSigner, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		skey, vkey, err := note.GenerateKey(rand.Reader, "witness"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := fnote.NewSignerForCosignatureV1(skey)
		if err != nil {
			t.Fatal(err)
		}
		cv, err := fnote.VKeyToCosignatureV1(vkey)
		if err != nil {
			t.Fatal(err)
		}
		k.witnesses = append(k.witnesses, s)
		k.wVKeys = append(k.wVKeys, cv)
	}
	return k
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

func TestVerifyQuorum(t *testing.T) {
	k := newKeys(t, "example.org/log", 4)
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

func TestVerifyRejects(t *testing.T) {
	k := newKeys(t, "example.org/log", 1)
	p, err := policy.Parse([]byte(k.policy("any")))
	if err != nil {
		t.Fatal(err)
	}
	other := newKeys(t, "example.org/log", 1)
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

func TestParseRejects(t *testing.T) {
	k := newKeys(t, "o", 2)
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

func TestFormatRoundTrip(t *testing.T) {
	k := newKeys(t, "example.org/log", 3)
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
}

// TestPolicyRefusesWeakKeys puts every refused 32-byte key of the golden
// vectors on a log line and on a witness line: Parse refuses the policy,
// naming the line.
func TestPolicyRefusesWeakKeys(t *testing.T) {
	k := newKeys(t, "jurichain.example/log", 1)
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
