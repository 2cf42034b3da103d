package e2e

import (
	"bytes"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/receipt"
)

// TestOpenSSLAgrees has OpenSSL 3, which nobody here wrote, check what a
// network of the run's suite produced: the log's signature on the
// checkpoint of a receipt, the depositor's signature in its leaf, the leaf
// hash the node serves in its tiles and the file's content digest.
func TestOpenSSLAgrees(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed (apt install openssl)")
	}
	n := initNode(t)
	n.start()
	dir := t.TempDir()
	key := n.enrolledKeyFile(dir, "Zhang San")
	file := filepath.Join(dir, "contract.pdf")
	os.WriteFile(file, []byte("%PDF-1.7 the contract as signed"), 0o644)
	if out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", key, file); code != 0 {
		t.Fatalf("deposit: %s%s", out, errOut)
	}
	b, err := os.ReadFile(file + receipt.FileExtension)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := deposit.ParseLeaf(rc.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	openssl1 := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	sch := testSuite.Signature()
	verifyArgs := []string{"pkeyutl", "-verify", "-pubin", "-rawin"}
	if sch.Name() == "sm2" {
		verifyArgs = append(verifyArgs, "-digest", "sm3", "-pkeyopt", "distid:1234567812345678")
	}
	verify := func(what string, pub, msg, sig []byte) {
		t.Helper()
		pemKey, err := sch.PublicPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		out := openssl1(append(verifyArgs, "-inkey", write(what+".pub.pem", pemKey), "-in", write(what+".msg", msg), "-sigfile", write(what+".sig", sig))...)
		if !strings.Contains(out, "Signature Verified Successfully") {
			t.Fatalf("openssl does not verify the %s: %s", what, out)
		}
		// And refuses it for another message.
		cmd := exec.Command(openssl, append(verifyArgs, "-inkey", filepath.Join(dir, what+".pub.pem"), "-in", write(what+".other", append(msg, 'x')), "-sigfile", filepath.Join(dir, what+".sig"))...)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("openssl verifies the %s over another message: %s", what, out)
		}
	}

	// The depositor's signature over its statement.
	verify("deposit signature", leaf.Depositor, leaf.SigningMessage(n.status().Origin), leaf.Signature)

	// The log's signature on the checkpoint: the note text, and the
	// signature line whose name is the origin and whose key is the
	// policy's log key.
	text, sigs, ok := bytes.Cut(rc.Checkpoint, []byte("\n\n"))
	if !ok {
		t.Fatalf("checkpoint without signatures: %q", rc.Checkpoint)
	}
	pol := n.policy()
	origin, logPub, err := testSuite.KeyOf(pol.Logs[0].VKey)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		name, sig64, _ := strings.Cut(strings.TrimPrefix(line, "— "), " ")
		raw, err := base64.StdEncoding.DecodeString(sig64)
		if err != nil || name != origin || len(raw) < 5 {
			continue
		}
		v, err := testSuite.NewVerifier(pol.Logs[0].VKey)
		if err != nil {
			t.Fatal(err)
		}
		if bin.BigEndian.Uint32(raw) != v.KeyHash() {
			continue
		}
		verify("checkpoint signature", logPub, append(text, '\n'), raw[4:])
		found = true
	}
	if !found {
		t.Fatalf("no signature of the log key in the checkpoint:\n%s", rc.Checkpoint)
	}

	// The leaf hash, as the node serves it in its level-0 tile.
	size := rc.Index + 1
	resp, err := http.Get(fmt.Sprintf("%s/tile/0/000.p/%d", n.URL, size))
	if err != nil {
		t.Fatal(err)
	}
	tile, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || uint64(len(tile)) < 32*size {
		t.Fatalf("tile: %d, %d bytes", resp.StatusCode, len(tile))
	}
	dgst := "-" + testSuite.ContentDigest()
	leafHash := openssl1("dgst", dgst, write("leaf", append([]byte{0}, rc.Leaf...)))
	if want := hex.EncodeToString(tile[32*rc.Index : 32*size]); !strings.Contains(leafHash, want) {
		t.Fatalf("openssl leaf hash %s, the tile says %s", leafHash, want)
	}

	// The content digest of the file.
	var digest []byte
	for _, d := range leaf.Digests {
		if d.Algorithm.String() == testSuite.ContentDigest() {
			digest = d.Value
		}
	}
	if out := openssl1("dgst", dgst, file); digest == nil || !strings.Contains(out, hex.EncodeToString(digest)) {
		t.Fatalf("openssl says %s, the leaf %x", out, digest)
	}
}
