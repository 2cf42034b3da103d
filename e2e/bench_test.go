package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchRuns runs a small 'jurichain bench' end to end (its own node
// process, both phases) and checks it reports what BENCHMARKS.md quotes.
func TestBenchRuns(t *testing.T) {
	out, errOut, code := run(t, nil, "bench", "--deposits", "3000", "--batch", "100", "--clients", "8", "--latency-deposits", "300")
	if code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"verify rate, all cores:", "sustained: 3000 deposits", "CPU per deposit: node", "at half load", "p50", "node process: resident", "node disk:"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`log: (\d+) deposits \((\d+) added\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no log line:\n%s", out)
	}
	if added, _ := strconv.Atoi(m[2]); added != 3300 {
		t.Fatalf("bench added %d deposits to the log, want 3300", added)
	}
}
