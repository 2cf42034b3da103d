package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/loadgen"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

func newBench() *cobra.Command {
	var server, home, profiles, suiteName string
	var deposits, batch, clients, depositors, latDeposits, latBatch, validators int
	var retain uint64
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure deposit throughput and latency against a node",
		Long: `Bench measures this machine's one-at-a-time signature verification rate
(the network suite's scheme: Ed25519, or SM2 with --suite gm) on all
cores, signs deposits (before any timing), then drives the HTTP API:
first from --clients concurrent clients as fast as deposits commit
(sustained deposits/s), then open-loop at half that rate (submit-to-
committed latency p50/p99; committed means covered by a checkpoint that a
quorum of validators cosigned). Without --server it starts a fresh network
of --validators node processes on this machine (fsync on commit, like
production), spreads the clients over them, and also reports the first
node's memory and disk use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			if _, err := suite.ByName(suiteName); err != nil {
				return withHint(fmt.Errorf("--suite: %w", err), "want intl or gm")
			}
			if server != "" && cmd.Flags().Changed("suite") {
				return withHint(errors.New("--suite chooses the suite of a fresh network"), "with --server the bench uses the node's network's suite")
			}
			fmt.Fprintf(out, "machine: %d cores (GOMAXPROCS %d), %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)

			var procs []*os.Process
			servers := strings.Split(server, ",")
			if server == "" {
				var stop func()
				var err error
				servers, home, procs, stop, err = startBenchNetwork(ctx, home, validators, retain, profiles, suiteName)
				if err != nil {
					return err
				}
				defer stop()
				fmt.Fprintf(out, "network: %d validator processes\n", validators)
			}
			c, err := client.New(servers, nil)
			if err != nil {
				return err
			}
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			before := st.TreeSize
			cs, err := suite.ByName(st.Suite)
			if err != nil {
				return err
			}
			rate, err := loadgen.VerifyRate(cs, 3*time.Second)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "suite %s: %s one-at-a-time verify rate, all cores: %.0f/s (target 0.8x = %.0f deposits/s)\n", cs.Name(), cs.Signature().Name(), rate, 0.8*rate)
			if home == "" {
				return withHint(errors.New("--server needs --home"), "name the node home of the node at --server: its operator enrolls the bench's depositors")
			}
			t0 := time.Now()
			accounts, err := enrollBenchDepositors(ctx, c, home, st, depositors)
			if err != nil {
				return fmt.Errorf("enrolling depositors: %w", err)
			}
			fmt.Fprintf(out, "enrolled %d depositor accounts in %.1fs (not timed)\n", depositors, time.Since(t0).Seconds())
			t0 = time.Now()
			batches, err := loadgen.Generate(cs, st.Origin, deposits+latDeposits, batch, accounts)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "signed %d deposits in %.1fs (not timed)\n", deposits+latDeposits, time.Since(t0).Seconds())
			authCost, err := loadgen.AuthCost(cs, batches[0], accounts[0].Key.Public(), 200)
			if err != nil {
				return err
			}
			satBatches := batches[:(deposits+batch-1)/batch]
			genCPU, nodeCPU := processCPU(os.Getpid()), processesCPU(procs)
			sat, err := loadgen.Saturate(ctx, servers, satBatches, clients)
			if err != nil {
				return fmt.Errorf("saturation phase: %w", err)
			}
			genCPU, nodeCPU = processCPU(os.Getpid())-genCPU, processesCPU(procs)-nodeCPU
			fmt.Fprintf(out, "sustained: %d deposits in %.2fs = %.0f deposits/s (%.2fx verify rate), %d clients x %d per request; request latency p50 %v p99 %v\n",
				sat.Deposits, sat.Elapsed.Seconds(), sat.PerSecond, sat.PerSecond/rate, clients, batch, sat.Percentile(50).Round(time.Millisecond), sat.Percentile(99).Round(time.Millisecond))
			perDeposit := authCost.Seconds() * 1e6 / float64(batches[0].N)
			fmt.Fprintf(out, "request authentication (RFC 9421 signature + Content-Digest of a %d-deposit body): %.0f µs per request = %.2f µs per deposit\n",
				batches[0].N, authCost.Seconds()*1e6, perDeposit)
			if procs != nil {
				nodePer := nodeCPU.Seconds() * 1e6 / float64(sat.Deposits)
				fmt.Fprintf(out, "CPU per deposit: nodes %.1f µs, load generator %.1f µs (of %d cores x %.2fs = %.1f µs available)\n",
					nodePer, genCPU.Seconds()*1e6/float64(sat.Deposits),
					runtime.NumCPU(), sat.Elapsed.Seconds(), float64(runtime.NumCPU())*sat.Elapsed.Seconds()*1e6/float64(sat.Deposits))
				fmt.Fprintf(out, "authentication share of the nodes' CPU per deposit: %.1f%% (target at most 10%%)\n", 100*perDeposit/nodePer)
			}

			if latDeposits > 0 {
				// Re-cut the remaining deposits into small requests, so
				// latency is per deposit rather than per large batch.
				small, err := loadgen.Generate(cs, st.Origin, latDeposits, latBatch, accounts)
				if err != nil {
					return err
				}
				half := sat.PerSecond / 2
				lat, err := loadgen.Paced(ctx, servers, small, half)
				if err != nil {
					return fmt.Errorf("latency phase: %w", err)
				}
				fmt.Fprintf(out, "at half load (%.0f deposits/s offered, %d per request): submit-to-committed p50 %v, p99 %v, max %v\n",
					half, latBatch, lat.Percentile(50).Round(time.Millisecond), lat.Percentile(99).Round(time.Millisecond), lat.Percentile(100).Round(time.Millisecond))
			}
			st, err = c.Status(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "log: %d deposits (%d added), height %d\n", st.TreeSize, st.TreeSize-before, st.Height)
			if procs != nil {
				rss, peak := processMemory(procs[0].Pid)
				fmt.Fprintf(out, "node process: resident %d MiB, peak %d MiB\n", rss>>20, peak>>20)
				used, parts := diskUsage(home)
				fmt.Fprintf(out, "node disk: %d MiB = %.0f bytes/deposit (%s)\n", used>>20, float64(used)/float64(max(st.TreeSize, 1)), parts)
			}
			return nil
		},
	}
	cmd.AddCommand(newBenchVault())
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "nodes to drive, comma-separated (default: start a fresh network)")
	f.StringVar(&home, "home", "", "directory for the fresh network's node homes (default: a temporary directory, removed afterwards); with --server, the home of that node, whose key enrolls the depositors")
	f.IntVar(&validators, "validators", 1, "validator processes in the fresh network")
	f.StringVar(&suiteName, "suite", suite.NameInternational, "the fresh network's crypto suite: intl or gm")
	f.IntVar(&deposits, "deposits", 200_000, "deposits in the sustained phase")
	f.IntVar(&batch, "batch", 500, "deposits per request in the sustained phase")
	f.IntVar(&clients, "clients", 64, "concurrent clients in the sustained phase")
	f.IntVar(&depositors, "depositors", 64, "distinct depositor keys")
	f.IntVar(&latDeposits, "latency-deposits", 20_000, "deposits in the half-load latency phase (0 skips it)")
	f.IntVar(&latBatch, "latency-batch", 10, "deposits per request in the latency phase")
	f.Uint64Var(&retain, "retain-blocks", 0, "passed to the fresh node's serve --retain-blocks")
	f.StringVar(&profiles, "cpuprofile", "", "directory for each fresh node's CPU profile (nodeN.pprof)")
	return cmd
}

// startBenchNetwork writes a network of n validators under dir and runs
// 'jurichain serve' on each home, as separate processes.
// enrollBenchDepositors makes n depositor accounts, approved by the node
// of home, eight at a time.
func enrollBenchDepositors(ctx context.Context, c *client.Client, home string, st *api.Status, n int) ([]loadgen.Depositor, error) {
	cs, err := suite.ByName(st.Suite)
	if err != nil {
		return nil, err
	}
	auth, err := nodeAuth(home, cs)
	if err != nil {
		return nil, err
	}
	approver, err := node.Home(home).LogSigner(st.Origin)
	if err != nil {
		return nil, err
	}
	op := c.WithAuth(auth)
	out := make([]loadgen.Depositor, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range out {
		g.Go(func() error {
			key, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			id, err := op.Enroll(gctx, cs, st.Origin, st.Institution, key, identity.Enterprise,
				identity.RealName{Name: fmt.Sprintf("Bench Enterprise %d", i), CreditCode: "91110000100000000X", LegalRepresentative: "Bench", Agent: "Bench"}, approver)
			out[i] = loadgen.Depositor{Account: id, Key: key}
			return err
		})
	}
	return out, g.Wait()
}

func startBenchNetwork(ctx context.Context, dir string, n int, retain uint64, profiles, suiteName string) (servers []string, home0 string, procs []*os.Process, stop func(), err error) {
	cleanup := func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "jurichain-bench-"); err != nil {
			return nil, "", nil, nil, err
		}
		tmp := dir
		cleanup = func() { os.RemoveAll(tmp) }
	}
	ports, err := freePorts(2 * n)
	if err != nil {
		cleanup()
		return nil, "", nil, nil, err
	}
	homes, err := node.Testnet(dir, "", n, suiteName, ports)
	if err != nil {
		cleanup()
		return nil, "", nil, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		cleanup()
		return nil, "", nil, nil, err
	}
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			c.Process.Signal(os.Interrupt)
		}
		for _, c := range cmds {
			done := make(chan struct{})
			go func() { c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				c.Process.Kill()
				<-done
			}
		}
		cleanup()
	}
	for i, h := range homes {
		args := []string{"serve", "--home", string(h), "--log-level", "warn", "--retain-blocks", strconv.FormatUint(retain, 10)}
		if profiles != "" {
			args = append(args, "--cpuprofile", filepath.Join(profiles, fmt.Sprintf("node%d.pprof", i)))
		}
		c := exec.Command(exe, args...)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Start(); err != nil {
			stop()
			return nil, "", nil, nil, err
		}
		cmds = append(cmds, c)
		procs = append(procs, c.Process)
		servers = append(servers, "http://"+ports[2*i+1])
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, server := range servers {
		for {
			resp, err := http.Get(server + "/healthz")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				stop()
				return nil, "", nil, nil, fmt.Errorf("bench node did not start: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return servers, string(homes[0]), procs, stop, nil
}

// freePorts returns n distinct loopback addresses whose ports were free a
// moment ago: all n are held open together, so none is handed out twice.
func freePorts(n int) ([]string, error) {
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// processesCPU sums the CPU time of processes.
func processesCPU(procs []*os.Process) time.Duration {
	var total time.Duration
	for _, p := range procs {
		total += processCPU(p.Pid)
	}
	return total
}

// processCPU reads the user plus system CPU time a process has used (zero
// if it cannot be read).
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the line, in clock ticks (100 per second).
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// processMemory reads a process's resident and peak resident memory.
func processMemory(pid int) (rss, peak uint64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// diskUsage sums the size of the files under dir, with a breakdown by the
// parts of a node home.
func diskUsage(dir string) (uint64, string) {
	parts := []string{"data/ledger/log", "data/ledger/state", "data/blockstore.db", "data/cs.wal", "data/state.db"}
	sizes := make([]uint64, len(parts))
	var total uint64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		total += uint64(fi.Size())
		rel, _ := filepath.Rel(dir, p)
		for i, part := range parts {
			if strings.HasPrefix(filepath.ToSlash(rel), part+"/") {
				sizes[i] += uint64(fi.Size())
			}
		}
		return nil
	})
	var b strings.Builder
	for i, part := range parts {
		fmt.Fprintf(&b, "%s %d MiB, ", part, sizes[i]>>20)
	}
	return total, strings.TrimSuffix(b.String(), ", ")
}
