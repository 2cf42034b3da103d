package web_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/jurichain/jurichain/internal/pkitest"
)

// nodeTool finds Node.js, which runs the scripts' tests (bundled by
// build.mjs into testjs/, so no npm is needed): on CI its absence fails
// the test, elsewhere it skips it.
func nodeTool(t *testing.T) string { return pkitest.Tool(t, "node") }

// TestScriptsInNode runs the scripts' own tests (node:test), which compare
// them with golden vectors Go wrote, byte for byte.
func TestScriptsInNode(t *testing.T) {
	node := nodeTool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--test", "testjs/").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testjs/: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("# pass ")) || bytes.Contains(out, []byte("# pass 0\n")) {
		t.Fatalf("node --test ran no test:\n%s", out)
	}
	t.Logf("%s", out)
}
