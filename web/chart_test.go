package web_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestChartScript runs the chart library's own tests (src/lib/chart.test.mjs,
// bundled by build.mjs into testjs/lib/): bars and points proportional to
// the figures, the no-data state, escaped labels.
func TestChartScript(t *testing.T) {
	node := nodeTool(t)
	for _, script := range []string{"testjs/lib/chart.test.mjs"} {
		t.Run(script, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, node, "--test", script).CombinedOutput()
			if err != nil {
				t.Fatalf("node --test %s: %v\n%s", script, err, out)
			}
			if !bytes.Contains(out, []byte("# pass ")) || bytes.Contains(out, []byte("# pass 0\n")) || !bytes.Contains(out, []byte("# fail 0\n")) {
				t.Fatalf("node --test %s ran no test or failed one:\n%s", script, out)
			}
		})
	}
}
