package witness_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/witness"
)

// FuzzParseRequest: whatever the body, ParseRequest never panics, and
// what it accepts formats back to the same bytes (one spelling) within
// the protocol's bounds.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\nexample.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— example.com/log AAAA\n"))
	f.Add([]byte("old 5\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\nx\n"))
	f.Add([]byte("old 05\n\nx\n"))
	f.Add([]byte("old 1\n\n"))
	f.Add([]byte("old 18446744073709551616\n\nx\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := witness.ParseRequest(body)
		if err != nil {
			return
		}
		if len(r.Proof) > witness.MaxProof || len(body) > witness.MaxBody {
			t.Fatalf("accepted %d proof lines in %d bytes", len(r.Proof), len(body))
		}
		if !bytes.Equal(r.Format(), body) {
			t.Fatalf("accepted %q, which formats as %q", body, r.Format())
		}
		for _, c := range r.Checkpoint {
			if c < 0x20 && c != '\n' || c == 0x7f {
				t.Fatalf("accepted control character %#x", c)
			}
		}
	})
}

// FuzzParseWitnessFlag: the --witness flag and the configuration's
// entries never panic, and what they accept passes the configuration's
// checks and survives a round trip through config/jurichain.json.
func FuzzParseWitnessFlag(f *testing.F) {
	f.Add("https://w.example/prefix=w.example+5e8f1f4c+BGf4ynqLrbAXrl35YLAUGJIJutUaGiJsppxz0dNLVeFx", "example.com/log", "example.com/log+2e9a2a83+ATbDN6AbCe0LBsJRxkIJyZgwwrwbcIL9c24Y/k5s7dHw", "sha256")
	f.Add("http://127.0.0.1:1/witness=a+00000000+BAAA", "a b", "x", "sm3")
	f.Add("=", "", "", "")
	f.Fuzz(func(t *testing.T, flag, origin, vkey, hash string) {
		for _, cs := range suite.All() {
			w, err := witness.ParseWitnessFlag(cs, flag)
			if err == nil {
				if err := witness.CheckWitnesses(cs, []witness.Witness{w}); err != nil {
					t.Fatalf("%q parsed to %+v, which the configuration refuses: %v", flag, w, err)
				}
				if strings.ContainsAny(w.URL, "?#") {
					t.Fatalf("%q: a URL with a query or fragment", flag)
				}
			}
		}
		l := witness.Log{Origin: origin, VKey: vkey, Hash: hash}
		if l.Check("own") != nil {
			return
		}
		b, err := json.Marshal([]witness.Log{l})
		if err != nil {
			t.Fatal(err)
		}
		var back []witness.Log
		if err := json.Unmarshal(b, &back); err != nil || len(back) != 1 || back[0] != l {
			t.Fatalf("%+v does not survive the configuration file: %v", l, err)
		}
		if err := witness.CheckLogs("own", back); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Verifier(); err != nil {
			t.Fatalf("%+v checked, but has no verifier: %v", l, err)
		}
	})
}
