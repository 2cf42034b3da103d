package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// TestVerifyEscapesCraftedMetadata runs `jurichain verify` on a deposit
// whose metadata opening, committed to by a log that did not check it (a
// deposit made before the text rules, or through a node that skips them),
// carries a title that moves the terminal's cursor up and overwrites the
// certified time with a forged one. The deposit verifies, and the output
// shows the escape sequences instead of obeying them.
func TestVerifyEscapesCraftedMetadata(t *testing.T) {
	const origin = "test.example/log"
	forged := "photo\x1b[4A\x1b[2K  certified time: 2020-01-01T00:00:00Z (block 1)\u202e"
	dir := t.TempDir()
	content := []byte("the photo")
	file := filepath.Join(dir, "photo.jpg")
	writeFile(t, file, content)

	cs := suite.International()
	lskey, lvkey, _ := note.GenerateKey(rand.Reader, origin)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "court")
	logSigner, _ := note.NewSigner(lskey)
	cosigner, _ := fnote.NewSignerForCosignatureV1(wskey)
	wcv, _ := fnote.VKeyToCosignatureV1(wvkey)
	writeFile(t, filepath.Join(dir, "policy"), []byte(fmt.Sprintf("log %s\nwitness court %s\ngroup validators 1 court\nquorum validators\n", lvkey, wcv)))

	op := &deposit.Opening{Metadata: deposit.Metadata{Title: forged, MediaType: "image/jpeg", CaseRef: "case\x1b]0;owned\x07"}, Salt: bytes.Repeat([]byte{3}, 32)}
	if op.Validate() == nil {
		t.Fatal("the crafted opening passes intake validation")
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	sum := sha256.Sum256(content)
	s := deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{{Algorithm: deposit.SHA256, Value: sum[:]}}, Size: uint64(len(content)),
		MetadataCommitment: op.Commitment(cs), Depositor: key.Public().(ed25519.PublicKey), IdempotencyKey: "k1",
	}}
	s.Signature = ed25519.Sign(key, s.SigningMessage(origin))
	leaf, err := (&deposit.Leaf{Signed: s, Index: 0, Height: 7, Time: time.Unix(1_790_000_000, 0)}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tree := testonly.New(cs.LogHasher())
	tree.AppendData(leaf)
	cp, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: origin, Size: 1, Hash: tree.Hash()}.Marshal())}, logSigner, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file+receipt.FileExtension, (&receipt.Receipt{Index: 0, Checkpoint: cp, Leaf: leaf}).Format())
	meta, err := json.Marshal(op)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file+metaExtension, meta)

	cmd := newVerify()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--policy", filepath.Join(dir, "policy"), file})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\u202e") {
		t.Fatalf("verify printed raw control characters:\n%q", got)
	}
	for _, want := range []string{
		`    title:        photo\x1b[4A\x1b[2K  certified time: 2020-01-01T00:00:00Z (block 1)\u202e` + "\n",
		`    case:         case\x1b]0;owned\x07` + "\n",
		"  certified time: " + time.Unix(1_790_000_000, 0).UTC().Format(time.RFC3339Nano) + " (block 7)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAnchorShowEscapesTheAnswer runs `jurichain anchor show` against a
// node whose answer carries terminal escapes in every text field: the
// output shows them escaped, and --out writes the receipt's bytes.
func TestAnchorShowEscapesTheAnswer(t *testing.T) {
	const bad = "\x1b[2K\x1b[1A"
	a := api.Anchor{Origin: "platform.example/log" + bad, Size: 3, RootHash: []byte{1, 2}, Number: 7, Deposit: "dep" + bad,
		CourtOrigin: "court.example/log\x07" + bad, CertifiedTime: time.Unix(1_790_000_000, 0),
		Checkpoint: "platform.example/log\n3\nAQI=\n", Receipt: "c2sp.org/tlog-proof@v1\nindex 7\x1b]0;owned\x07\n"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(a)
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "anchor.tlog-proof")
	for _, args := range [][]string{nil, {"--out", out}} {
		root := newRoot()
		var buf bytes.Buffer
		root.SetOut(&buf)
		root.SetArgs(append([]string{"anchor", "show", "--server", srv.URL, "platform.example/log"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(buf.String(), "\x1b\x07") {
			t.Errorf("anchor show %v printed a control character:\n%q", args, buf.String())
		}
		for _, want := range []string{`court.example/log\x07\x1b[2K`, `dep\x1b[2K`, `platform.example/log\x1b[2K`} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("anchor show %v: %q missing in\n%s", args, want, buf.String())
			}
		}
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != a.Receipt {
		t.Errorf("the receipt file %q %v, want the node's bytes", b, err)
	}
}
