package main

import (
	"bufio"
	"context"
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

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/loadgen"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

func newBench() *cobra.Command {
	var server, home string
	var deposits, batch, clients, depositors, latDeposits, latBatch int
	var retain uint64
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure deposit throughput and latency against a node",
		Long: `Bench measures this machine's one-at-a-time Ed25519 verification rate on all
cores, signs deposits (before any timing), then drives the HTTP API:
first from --clients concurrent clients as fast as deposits commit
(sustained deposits/s), then open-loop at half that rate (submit-to-
committed latency p50/p99). Without --server it starts a fresh node as a
separate process (fsync on commit, like production) and also reports that
process's memory and disk use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			cs := suite.International()
			fmt.Fprintf(out, "machine: %d cores (GOMAXPROCS %d), %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
			rate, err := loadgen.VerifyRate(cs, 3*time.Second)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "ed25519 one-at-a-time verify rate, all cores: %.0f/s (target 0.8x = %.0f deposits/s)\n", rate, 0.8*rate)

			var proc *os.Process
			if server == "" {
				var stop func()
				var err error
				server, home, proc, stop, err = startBenchNode(ctx, home, retain)
				if err != nil {
					return err
				}
				defer stop()
			}
			c, err := client.New([]string{server}, nil)
			if err != nil {
				return err
			}
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			before := st.TreeSize
			t0 := time.Now()
			batches, err := loadgen.Generate(cs, st.Origin, deposits+latDeposits, batch, depositors)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "signed %d deposits in %.1fs (not timed)\n", deposits+latDeposits, time.Since(t0).Seconds())
			satBatches := batches[:(deposits+batch-1)/batch]
			genCPU, nodeCPU := processCPU(os.Getpid()), processCPU(pidOf(proc))
			sat, err := loadgen.Saturate(ctx, server, satBatches, clients)
			if err != nil {
				return fmt.Errorf("saturation phase: %w", err)
			}
			genCPU, nodeCPU = processCPU(os.Getpid())-genCPU, processCPU(pidOf(proc))-nodeCPU
			fmt.Fprintf(out, "sustained: %d deposits in %.2fs = %.0f deposits/s (%.2fx verify rate), %d clients x %d per request; request latency p50 %v p99 %v\n",
				sat.Deposits, sat.Elapsed.Seconds(), sat.PerSecond, sat.PerSecond/rate, clients, batch, sat.Percentile(50).Round(time.Millisecond), sat.Percentile(99).Round(time.Millisecond))
			if proc != nil {
				fmt.Fprintf(out, "CPU per deposit: node %.1f µs, load generator %.1f µs (of %d cores x %.2fs = %.1f µs available)\n",
					nodeCPU.Seconds()*1e6/float64(sat.Deposits), genCPU.Seconds()*1e6/float64(sat.Deposits),
					runtime.NumCPU(), sat.Elapsed.Seconds(), float64(runtime.NumCPU())*sat.Elapsed.Seconds()*1e6/float64(sat.Deposits))
			}

			if latDeposits > 0 {
				// Re-cut the remaining deposits into small requests, so
				// latency is per deposit rather than per large batch.
				small, err := loadgen.Generate(cs, st.Origin, latDeposits, latBatch, depositors)
				if err != nil {
					return err
				}
				half := sat.PerSecond / 2
				lat, err := loadgen.Paced(ctx, server, small, half)
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
			if proc != nil {
				rss, peak := processMemory(proc.Pid)
				fmt.Fprintf(out, "node process: resident %d MiB, peak %d MiB\n", rss>>20, peak>>20)
				used, parts := diskUsage(home)
				fmt.Fprintf(out, "node disk: %d MiB = %.0f bytes/deposit (%s)\n", used>>20, float64(used)/float64(max(st.TreeSize, 1)), parts)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "node to drive (default: start a fresh node process)")
	f.StringVar(&home, "home", "", "home for the fresh node (default: a temporary directory, removed afterwards)")
	f.IntVar(&deposits, "deposits", 200_000, "deposits in the sustained phase")
	f.IntVar(&batch, "batch", 500, "deposits per request in the sustained phase")
	f.IntVar(&clients, "clients", 64, "concurrent clients in the sustained phase")
	f.IntVar(&depositors, "depositors", 64, "distinct depositor keys")
	f.IntVar(&latDeposits, "latency-deposits", 20_000, "deposits in the half-load latency phase (0 skips it)")
	f.IntVar(&latBatch, "latency-batch", 10, "deposits per request in the latency phase")
	f.Uint64Var(&retain, "retain-blocks", 0, "passed to the fresh node's serve --retain-blocks")
	return cmd
}

// startBenchNode initialises a node home and runs 'jurichain serve' on it
// as a child process, on free loopback ports.
func startBenchNode(ctx context.Context, home string, retain uint64) (server, dir string, proc *os.Process, stop func(), err error) {
	cleanup := func() {}
	if home == "" {
		if home, err = os.MkdirTemp("", "jurichain-bench-"); err != nil {
			return "", "", nil, nil, err
		}
		tmp := home
		cleanup = func() { os.RemoveAll(tmp) }
	}
	p2p, err := freePort()
	if err != nil {
		return "", "", nil, nil, err
	}
	if !node.Home(home).Initialized() {
		if err := node.Init(node.Home(home), node.InitOptions{InstitutionOptions: node.InstitutionOptions{P2PAddress: "tcp://" + p2p}}); err != nil {
			return "", "", nil, nil, err
		}
	}
	httpAddr, err := freePort()
	if err != nil {
		return "", "", nil, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return "", "", nil, nil, err
	}
	cmd := exec.Command(exe, "serve", "--home", home, "--http", httpAddr, "--log-level", "warn", "--retain-blocks", strconv.FormatUint(retain, 10))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", "", nil, nil, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cleanup()
	}
	server = "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(server + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return server, home, cmd.Process, stop, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", "", nil, nil, fmt.Errorf("bench node did not start: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func pidOf(p *os.Process) int {
	if p == nil {
		return 0
	}
	return p.Pid
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
