package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tdclient "github.com/transparency-dev/witness/client/http"
	tdwitness "github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/internal/tesseratest"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// TestOutsideWitnesses runs the C2SP tlog-witness protocol against
// transparency-dev's tools, with real nodes, in both directions.
func TestOutsideWitnesses(t *testing.T) {
	t.Run("witnessed", func(t *testing.T) {
		if testSuite.Name() != suite.NameInternational {
			t.Log("transparency-dev's witness checks consistency with SHA-256 only, so it cannot witness a GM network (an SM3 tree); the other direction runs in every suite")
			return
		}
		testWitnessedByTransparencyDev(t)
	})
	t.Run("witnessing", testWitnessingTessera)
}

// testWitnessedByTransparencyDev: transparency-dev's witness, trusting
// the node's log key, cosigns the node's final checkpoints; GET
// /checkpoint carries its line; a receipt fetched with ?witnessed=1
// verifies under a policy that requires the witness, and fails without
// its cosignature.
func testWitnessedByTransparencyDev(t *testing.T) {
	n := initNode(t)
	pol := n.policy()
	td := tesseratest.StartWitness(t, "td.example", map[string]string{pol.Origin(): pol.Logs[0].VKey})
	n.args = []string{"--witness", td.URL + "=" + td.VKey}
	n.start()
	settings, err := jnode.Home(n.home).LoadSettings()
	if err != nil || len(settings.Witnesses) != 1 || settings.Witnesses[0].URL != td.URL || settings.Witnesses[0].Name != "td.example" {
		t.Fatalf("--witness is not kept in the configuration: %+v, %v", settings.Witnesses, err)
	}

	key, c := n.newDepositor()
	st := n.status()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Submit(ctx, []api.Deposit{prepare(t, st.Origin, key, "witnessed content", "w-1")}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("deposit: %+v, %v", res, err)
	}
	var info *api.DepositInfo
	for {
		info, err = c.WitnessedDeposit(ctx, res[0].ID)
		var e *api.Error
		if err == nil {
			break
		}
		if !errors.As(err, &e) || e.Code != api.CodeNotWitnessed || ctx.Err() != nil {
			t.Fatalf("?witnessed=1: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get(n.URL + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(cp, []byte("\n— td.example ")) {
		t.Fatalf("GET /checkpoint carries no cosignature of the outside witness:\n%s", cp)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "evidence.txt")
	withWitness := filepath.Join(dir, "witnessed.tlog-proof")
	withoutWitness := filepath.Join(dir, "unwitnessed.tlog-proof")
	rc, err := receipt.Parse([]byte(info.Receipt))
	if err != nil {
		t.Fatalf("the witnessed receipt is not a canonical tlog-proof: %v", err)
	}
	stripped := *rc
	var kept []byte
	for line := range bytes.Lines(rc.Checkpoint) {
		if !bytes.HasPrefix(line, []byte("— td.example ")) {
			kept = append(kept, line...)
		}
	}
	stripped.Checkpoint = kept
	policyText, err := os.ReadFile(n.policyFile())
	if err != nil {
		t.Fatal(err)
	}
	quorum := pol.Quorum
	var required []byte
	for line := range bytes.Lines(policyText) {
		if !bytes.HasPrefix(line, []byte("quorum ")) {
			required = append(required, line...)
		}
	}
	required = fmt.Appendf(required, "witness td %s\ngroup network-and-td 2 %s td\nquorum network-and-td\n", td.VKey, quorum)
	requiredFile := filepath.Join(dir, "with-td.policy")
	for f, b := range map[string][]byte{file: []byte("witnessed content"), withWitness: []byte(info.Receipt), withoutWitness: stripped.Format(), requiredFile: required} {
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, errOut, code := run(t, nil, "verify", "--policy", requiredFile, file, withWitness); code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "td") {
		t.Fatalf("the witnessed receipt under a policy requiring the witness: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := run(t, nil, "verify", "--policy", requiredFile, file, withoutWitness); code != 1 || !strings.Contains(errOut, "quorum") {
		t.Fatalf("a receipt without the witness's cosignature passed a policy requiring it: exit %d\n%s%s", code, out, errOut)
	}
	// The network's own policy ignores the outside cosignature.
	if out, errOut, code := run(t, nil, "verify", "--policy", n.policyFile(), file, withWitness); code != 0 {
		t.Fatalf("the witnessed receipt under the network's policy: exit %d\n%s%s", code, out, errOut)
	}
}

// testWitnessingTessera: a node witnesses a log made with Tessera,
// configured with 'jurichain witness add-log', driven through its
// /witness/add-checkpoint by transparency-dev's witness client.
func testWitnessingTessera(t *testing.T) {
	tl := tesseratest.New(t, "example.com/tessera")
	n := initNode(t)
	if out, errOut, code := run(t, nil, "witness", "add-log", "--home", n.home, "--origin", tl.Origin, "--vkey", tl.VKey); code != 0 {
		t.Fatalf("witness add-log: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, nil, "witness", "add-log", "--home", n.home, "--origin", n.policy().Origin(), "--vkey", tl.VKey); code == 0 || !strings.Contains(errOut, "own network") {
		t.Fatalf("add-log accepted the node's own network: %s", errOut)
	}
	n.start()
	card, err := jnode.Home(n.home).LoadCard()
	if err != nil {
		t.Fatal(err)
	}
	v, err := testSuite.NewCosignatureVerifier(card.CosignKey)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(n.URL + "/witness")
	w := tdclient.NewWitness(u, http.DefaultClient)
	ctx := context.Background()
	var old uint64
	for _, grow := range []int{2, 30, 300} {
		cp, size := tl.Grow(t, grow)
		var proof [][]byte
		if old > 0 {
			proof = tl.ConsistencyProof(t, old, size)
		}
		lines, _, err := w.Update(ctx, old, cp, proof)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if _, err := note.Open(append(cp, lines...), note.VerifierList(v)); err != nil {
			t.Fatalf("size %d: the node's cosignature does not verify under its card's key: %v", size, err)
		}
		old = size
	}
	fork, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", tl.Origin, old, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")}, tl.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Update(ctx, old, fork, nil); !errors.Is(err, tdwitness.ErrRootMismatch) {
		t.Fatalf("a fork: %v, want %v", err, tdwitness.ErrRootMismatch)
	}
	// The state survives a restart.
	n.stop()
	n.start()
	cp, size := tl.Grow(t, 1)
	if _, conflict, err := w.Update(ctx, 0, cp, nil); !errors.Is(err, tdwitness.ErrCheckpointStale) || conflict != old {
		t.Fatalf("after a restart: %v, size %d, want the size %d cosigned before", err, conflict, old)
	}
	if _, _, err := w.Update(ctx, old, cp, tl.ConsistencyProof(t, old, size)); err != nil {
		t.Fatal(err)
	}
}
