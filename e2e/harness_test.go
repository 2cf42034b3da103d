// Package e2e tests the jurichain binary as users and operators run it:
// real processes, real CometBFT, real signals, loopback ports only.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/suite"
)

// binary is the jurichain executable built once for all tests.
var binary string

// childEnv is the environment of every jurichain process a test starts.
// A binary built with -race sleeps a second before it exits unless
// GORACE says otherwise; the tests run hundreds of commands.
var childEnv = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))

// commandTimeout bounds one CLI command, so a command that hangs fails its
// test with its output instead of stalling the whole run.
const commandTimeout = 2 * time.Minute

// The e2e tests run once per crypto suite: TestMain runs them on
// international networks, then runs its own binary again with suiteEnv set
// to each other suite. Setting suiteEnv runs them for that suite only.
const (
	suiteEnv  = "JURICHAIN_E2E_SUITE"
	binaryEnv = "JURICHAIN_E2E_BINARY"
)

// testSuite is the crypto suite of every network this run starts.
var testSuite = suite.International()

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuites(m))
}

func runSuites(m *testing.M) int {
	cs, err := suite.ByName(os.Getenv(suiteEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, suiteEnv+":", err)
		return 2
	}
	testSuite = cs
	if timeout := flag.Lookup("test.timeout").Value.(flag.Getter).Get().(time.Duration); timeout > 2*time.Minute {
		time.AfterFunc(timeout-time.Minute, reportHang)
	}
	binary = os.Getenv(binaryEnv)
	if binary == "" {
		dir, err := os.MkdirTemp("", "jurichain-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "jurichain")
		build := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", binary, "../cmd/jurichain")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building jurichain:", err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: networks on the %s suite\n", cs)
	code := m.Run()
	if code != 0 || os.Getenv(suiteEnv) != "" {
		return code
	}
	for _, other := range suite.All() {
		if other.Name() == cs.Name() {
			continue
		}
		again := exec.Command(os.Args[0], os.Args[1:]...)
		again.Env = append(os.Environ(), suiteEnv+"="+other.Name(), binaryEnv+"="+binary)
		again.Stdout, again.Stderr = os.Stdout, os.Stderr
		if err := again.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e on the %s suite: %v\n", other, err)
			return 1
		}
	}
	return 0
}

// freePorts returns n distinct free loopback addresses: all n are held
// open together, so none is handed out twice.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// run runs the binary and returns its stdout, stderr and exit code.
func run(t testing.TB, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, withSuite(args)...)
	cmd.Env = childEnv
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("jurichain %s did not finish in %v; its output:\n%s%s", strings.Join(args, " "), commandTimeout, &out, &errb)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// withSuite adds the run's suite to the commands that choose one: those
// that make networks and keys.
func withSuite(args []string) []string {
	if len(args) > 0 && slices.Contains([]string{"init", "testnet", "keygen"}, args[0]) {
		return append([]string{args[0], "--suite", testSuite.Name()}, args[1:]...)
	}
	return args
}

// node is a 'jurichain serve' process.
type node struct {
	t    testing.TB
	home string
	http string
	URL  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	// killed and stopped are set when the test ended the process.
	killed, stopped bool
	// args are further flags of serve.
	args []string
}

// initNode creates a node home on free loopback ports.
func initNode(t testing.TB) *node {
	t.Helper()
	home := filepath.Join(t.TempDir(), "node")
	addrs := freePorts(t, 2)
	if out, errOut, code := run(t, nil, "init", "--home", home, "--p2p", "tcp://"+addrs[0], "--http", addrs[1]); code != 0 {
		t.Fatalf("init: %s %s", out, errOut)
	}
	return &node{t: t, home: home, http: addrs[1], URL: "http://" + addrs[1]}
}

// start runs the node and waits until its API answers.
func (n *node) start() {
	n.t.Helper()
	n.log = &syncBuffer{}
	n.cmd = exec.Command(binary, append([]string{"serve", "--home", n.home, "--http", n.http, "--log-level", "warn"}, n.args...)...)
	n.cmd.Env = childEnv
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.done, n.killed, n.stopped = make(chan struct{}), false, false
	running.add(n)
	go func() { n.cmd.Wait(); running.remove(n); close(n.done) }()
	// Registered before stop, so it runs after it, with the whole log.
	log := n.log
	n.t.Cleanup(func() { n.printLogOnFailure(log) })
	n.t.Cleanup(n.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-n.done:
			n.t.Fatalf("node exited at start:\n%s", n.log)
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node did not start: %v\n%s", err, n.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail is how much of a node's log a failed test prints.
const logTail = 8 << 10

// printLogOnFailure prints the end of a run's log of the node if the test
// failed, so a failure shows what the node was doing.
func (n *node) printLogOnFailure(b *syncBuffer) {
	if !n.t.Failed() {
		return
	}
	log := b.String()
	if len(log) > logTail {
		log = "…" + log[len(log)-logTail:]
	}
	n.t.Logf("log of the node in %s (%s), last %d bytes:\n%s", n.home, n.URL, logTail, log)
}

// syncBuffer is a process's output, readable while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// kill sends SIGKILL and waits for the process to die.
func (n *node) kill() {
	n.killed = true
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
	if strings.Contains(n.log.String(), "DATA RACE") {
		n.t.Errorf("node log shows a data race:\n%s", n.log)
	}
}

func (n *node) stop() {
	if n.cmd == nil {
		return
	}
	select {
	case <-n.done:
		if !n.killed && !n.stopped {
			n.t.Errorf("the node exited on its own before the test ended; its log:\n%s", n.log)
			return
		}
	default:
		n.stopped = true
		n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.done:
		case <-time.After(20 * time.Second):
			n.kill()
		}
	}
	if log := n.log.String(); strings.Contains(log, "DATA RACE") || strings.Contains(log, "panic:") || strings.Contains(log, "fatal error:") {
		n.t.Errorf("node log shows a data race or panic:\n%s", n.log)
	}
}

func (n *node) client() *client.Client {
	c, err := client.New([]string{n.URL}, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	return c
}

func (n *node) status() *api.Status {
	n.t.Helper()
	st, err := n.client().Status(context.Background())
	if err != nil {
		n.t.Fatal(err)
	}
	return st
}

// policy returns the node's trust policy, parsed.
func (n *node) policy() *policy.Policy {
	n.t.Helper()
	text, err := os.ReadFile(n.policyFile())
	if err != nil {
		n.t.Fatal(err)
	}
	p, err := policy.Parse(text)
	if err != nil {
		n.t.Fatal(err)
	}
	return p
}

func (n *node) policyFile() string {
	n.t.Helper()
	out, errOut, code := run(n.t, nil, "policy", "--home", n.home)
	if code != 0 {
		n.t.Fatalf("policy: %s", errOut)
	}
	f := filepath.Join(n.t.TempDir(), "policy")
	if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
		n.t.Fatal(err)
	}
	return f
}

// do sends a raw HTTP request and decodes a JSON response into out.
func do(t testing.TB, method, url, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: commandTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = data
		} else if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v\n%s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// digestOf is the content digest of b under the run's suite, as deposits
// carry it and the vault addresses originals.
func digestOf(b []byte) [suite.HashSize]byte { return testSuite.Hash(b) }

// contentDigest is a deposit digest of the run's suite's content algorithm.
func contentDigest(value []byte) deposit.Digest {
	a, err := deposit.ParseAlgorithm(testSuite.ContentDigest())
	if err != nil {
		panic(err)
	}
	return deposit.Digest{Algorithm: a, Value: value}
}
