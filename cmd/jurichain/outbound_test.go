package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// TestAnchorFlags: serve's --anchor-* flags are written to the home's
// settings (the policy copied into the home), later flags change what
// they name only, bad values are refused and change nothing.
func TestAnchorFlags(t *testing.T) {
	home := node.Home(t.TempDir())
	os.MkdirAll(filepath.Join(string(home), "config"), 0o755)
	if err := home.SaveSettings(node.Settings{HTTP: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	cs := suite.International()
	_, vkey, _ := cs.GenerateNoteKey(rand.Reader, "court.example/ledger")
	pol := filepath.Join(t.TempDir(), "court.policy")
	os.WriteFile(pol, []byte("log "+vkey+"\nquorum none\n"), 0o644)
	run := func(args ...string) error {
		var f anchorFlags
		cmd := &cobra.Command{Use: "serve"}
		f.register(cmd)
		if err := cmd.Flags().Parse(args); err != nil {
			return err
		}
		s, err := home.LoadSettings()
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.apply(cmd, home, &s)
		return err
	}
	if err := run("--anchor-to", "http://court-a:8080/,http://court-b:8080", "--anchor-policy", pol+",", "--anchor-every", "1m"); err == nil {
		t.Fatal("an empty policy file name was accepted")
	}
	if err := run("--anchor-to", "http://court-a:8080/,http://court-b:8080", "--anchor-every", "1m", "--anchor-entries", "50"); err != nil {
		t.Fatal(err)
	}
	if err := run("--anchor-policy", pol+","+pol); err != nil {
		t.Fatal(err)
	}
	s, _ := home.LoadSettings()
	if len(s.Upstreams) != 2 || s.Upstreams[0].URL != "http://court-a:8080" || s.Upstreams[0].Every != "1m0s" || s.Upstreams[1].Entries != 50 ||
		s.Upstreams[0].Policy != filepath.Join("config", "upstreams", "court-a_8080.policy") || s.HTTP != "127.0.0.1:1" {
		t.Fatalf("settings %+v", s)
	}
	ts, err := upstreamTargets(home, s.Upstreams)
	if err != nil || len(ts) != 2 || ts[0].Every != time.Minute || !strings.HasPrefix(string(ts[1].Policy), "log ") || ts[0].PinFile == "" {
		t.Fatalf("targets %+v %v", ts, err)
	}
	for _, bad := range [][]string{{"--anchor-entries", "0"}, {"--anchor-every", "-1s"}, {"--anchor-policy", pol}, {"--anchor-policy", os.DevNull + "," + os.DevNull}} {
		if err := run(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if s2, _ := home.LoadSettings(); fmt.Sprint(s2) != fmt.Sprint(s) {
		t.Errorf("a refused flag changed the settings: %+v", s2)
	}
	if err := run("--anchor-to", ""); err != nil {
		t.Fatal(err)
	}
	if s, _ := home.LoadSettings(); len(s.Upstreams) != 0 {
		t.Errorf("--anchor-to '' left %+v", s.Upstreams)
	}
	if err := run("--anchor-every", "1m"); err == nil || !strings.Contains(err.Error(), "upstream") {
		t.Errorf("--anchor-every without an upstream: %v", err)
	}
}

// TestReceiptUpgradeCommand: upgrade writes the node's answer next to
// the receipt, never over a file; not_anchored is an error with a hint.
func TestReceiptUpgradeCommand(t *testing.T) {
	anchored := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/receipts/upgrade" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if !anchored {
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(api.Error{Code: api.CodeNotAnchored, Message: "the next anchor is due at 2031-01-01T00:00:00Z"})
			return
		}
		w.Header().Set("Content-Type", api.MediaAnchoredProof)
		w.Write(append(body, "\ncomposed\n"...))
	}))
	defer srv.Close()
	dir := t.TempDir()
	rc := filepath.Join(dir, "photo.jpg.tlog-proof")
	os.WriteFile(rc, []byte("receipt\n"), 0o644)
	run := func(args ...string) (string, error) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(append([]string{"receipt", "upgrade", "--server", srv.URL}, args...))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run(rc)
	want := filepath.Join(dir, "photo.jpg.anchored.tlog-proof")
	if b, _ := os.ReadFile(want); err != nil || string(b) != "receipt\n\ncomposed\n" || !strings.Contains(out, "--anchor-policy") {
		t.Fatalf("upgrade: %q %v, file %q", out, err, b)
	}
	if _, err := run(rc); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrote the composed receipt: %v", err)
	}
	anchored = false
	other := filepath.Join(dir, "other.tlog-proof")
	if _, err := run(rc, "--out", other); err == nil || !strings.Contains(err.Error(), "2031") {
		t.Errorf("not anchored: %v", err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a file was written though nothing was anchored")
	}
}
