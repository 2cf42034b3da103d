package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// testFrame finds a test function in a goroutine's stack.
var testFrame = regexp.MustCompile(`jurichain/e2e\.(Test\w+)`)

// running lists the node processes alive right now, for reportHang.
var running = &nodeSet{nodes: map[*node]time.Time{}}

// nodeSet is a set of started nodes with their start times.
type nodeSet struct {
	mu    sync.Mutex
	nodes map[*node]time.Time
}

func (s *nodeSet) add(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[n] = time.Now()
}

func (s *nodeSet) remove(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, n)
}

// reportHang runs a minute before 'go test' would end the run for taking
// too long. Its own report ends with a goroutine dump of every goroutine,
// where the test that hangs is hard to find; this one prints where each
// test goroutine waits and the end of each live node's log, last of all
// a line naming the tests, then kills the nodes and exits.
func reportHang() {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	tests := map[string]bool{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if m := testFrame.FindSubmatch(g); m != nil && string(m[1]) != "TestMain" {
			tests[string(m[1])] = true
			fmt.Fprintf(os.Stderr, "%s\n\n", g)
		}
	}
	running.mu.Lock()
	defer running.mu.Unlock()
	for n, since := range running.nodes {
		lines := strings.Split(strings.TrimSpace(n.log.String()), "\n")
		lines = lines[max(0, len(lines)-40):]
		fmt.Fprintf(os.Stderr, "--- node %s of %s, up for %v; the end of its log:\n%s\n\n",
			n.home, n.t.Name(), time.Since(since).Round(time.Second), strings.Join(lines, "\n"))
		n.cmd.Process.Signal(syscall.SIGKILL)
	}
	fmt.Fprintf(os.Stderr, "e2e: the run is about to time out; tests still running: %s\n", strings.Join(slices.Sorted(maps.Keys(tests)), ", "))
	os.Exit(1)
}
