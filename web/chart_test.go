package web_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// chartTestNode returns the path of Node.js, which runs the scripts' own tests.
// In CI (env CI set) a missing node fails the test; elsewhere it skips.
func chartTestNode(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("Node.js is needed to test the portal's scripts (apt install nodejs): %v", err)
	}
	t.Skipf("Node.js is not installed: %v", err)
	return ""
}

// TestChartScript runs the chart library's tests (src/lib/chart.test.mjs)
// with node --test: bars and points proportional to the figures, the
// no-data state, escaped labels.
func TestChartScript(t *testing.T) {
	node := chartTestNode(t)
	for _, script := range []string{"src/lib/chart.test.mjs"} {
		t.Run(script, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("node --test %s: %v\n%s", script, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
