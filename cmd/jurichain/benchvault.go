package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
)

func newBenchVault() *cobra.Command {
	var dir, profiles, suiteName string
	var size, small int64
	var overHTTP bool
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Measure the evidence vault's upload and download against this machine's raw disk and cipher",
		Long: `Measures, in one run and in one directory: raw disk write and read of
--size bytes (fsync on write), the suite's cipher (AES-256-GCM, or SM4-GCM
with --suite gm) sealing and opening the same amount in memory, then the
vault storing and reading back an original of --size bytes (content digest
check, per-file key, streaming AEAD, fsync). The baseline for each
direction is the raw disk time plus the cipher time.
Peak memory (VmHWM) is reported for a --small original and for the large
one, to show it does not grow with the file. With --http (the default) it
then starts a node process in the same directory, enrolls a depositor,
deposits the original's digest and uploads and downloads the original
through the API (PUT and GET /v1/deposits/{id}/original, each access
recorded on the ledger), reporting the node process's peak memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			cs, err := suite.ByName(suiteName)
			if err != nil {
				return withHint(fmt.Errorf("--suite: %w", err), "want intl or gm")
			}
			if dir == "" {
				tmp, err := os.MkdirTemp(".", "jurichain-vault-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			}
			block := make([]byte, 1<<20)
			if _, err := rand.Read(block); err != nil {
				return err
			}
			fmt.Fprintf(out, "size %d MiB, directory %s\n", size>>20, dir)

			// The disk's speed drifts (writeback, other tenants): it is
			// measured before and after the vault, and the mean is used.
			writeT, readT, err := rawDisk(filepath.Join(dir, "raw"), block, size)
			if err != nil {
				return err
			}
			sealT, openT, cipherName, err := rawAEAD(cs, block, size)
			if err != nil {
				return err
			}
			mbps := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }
			fmt.Fprintf(out, "raw disk before: write+fsync %.0f MiB/s, read %.0f MiB/s\n", mbps(writeT), mbps(readT))
			fmt.Fprintf(out, "%s in memory: seal %.0f MiB/s, open %.0f MiB/s\n", cipherName, mbps(sealT), mbps(openT))

			key, err := vault.NewMasterKey()
			if err != nil {
				return err
			}
			disk, err := vault.NewDisk(filepath.Join(dir, "vault"))
			if err != nil {
				return err
			}
			v, err := vault.New(cs, key, disk)
			if err != nil {
				return err
			}
			var putT, getT time.Duration
			for _, n := range []int64{small, size} {
				if err := resetPeakMemory(); err != nil {
					return err
				}
				if putT, getT, err = vaultRoundTrip(ctx, cs, v, block, n); err != nil {
					return err
				}
				_, peak := processMemory(os.Getpid())
				fmt.Fprintf(out, "vault, %d MiB original: peak memory %d MiB\n", n>>20, peak>>20)
			}
			var httpPut, httpGet time.Duration
			if overHTTP {
				if httpPut, httpGet, err = vaultOverHTTP(ctx, out, filepath.Join(dir, "net"), profiles, cs, block, small, size); err != nil {
					return fmt.Errorf("vault over HTTP: %w", err)
				}
			}
			w2, r2, err := rawDisk(filepath.Join(dir, "raw"), block, size)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "raw disk after: write+fsync %.0f MiB/s, read %.0f MiB/s\n", mbps(w2), mbps(r2))
			writeT, readT = (writeT+w2)/2, (readT+r2)/2
			up, down := mbps(writeT+sealT), mbps(readT+openT)
			fmt.Fprintf(out, "vault upload:   %.0f MiB/s = %.2fx raw disk write (mean) + %s seal (%.0f MiB/s)\n", mbps(putT), mbps(putT)/up, cipherName, up)
			fmt.Fprintf(out, "vault download: %.0f MiB/s = %.2fx raw disk read (mean) + %s open (%.0f MiB/s)\n", mbps(getT), mbps(getT)/down, cipherName, down)
			if overHTTP {
				fmt.Fprintf(out, "over HTTP, upload:   %.0f MiB/s = %.2fx (target at least 0.8x)\n", mbps(httpPut), mbps(httpPut)/up)
				fmt.Fprintf(out, "over HTTP, download: %.0f MiB/s = %.2fx (target at least 0.8x)\n", mbps(httpGet), mbps(httpGet)/down)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory on the disk to measure (default: a temporary one here, removed afterwards)")
	cmd.Flags().Int64Var(&size, "size", 1<<30, "bytes in the large original")
	cmd.Flags().Int64Var(&small, "small", 64<<20, "bytes in the small original")
	cmd.Flags().BoolVar(&overHTTP, "http", true, "also measure through a node's API")
	cmd.Flags().StringVar(&profiles, "cpuprofile", "", "write the node's CPU profile into this directory")
	cmd.Flags().StringVar(&suiteName, "suite", suite.NameInternational, "the crypto suite of the vault (and of the node's network): intl or gm")
	return cmd
}

// repeated yields n bytes made of block over and over.
func repeated(block []byte, n int64) io.Reader {
	return io.LimitReader(&cycle{b: block}, n)
}

type cycle struct {
	b   []byte
	off int
}

func (c *cycle) Read(p []byte) (int, error) {
	k := copy(p, c.b[c.off:])
	c.off = (c.off + k) % len(c.b)
	return k, nil
}

func rawDisk(file string, block []byte, size int64) (write, read time.Duration, err error) {
	defer os.Remove(file)
	t0 := time.Now()
	f, err := os.Create(file)
	if err != nil {
		return 0, 0, err
	}
	if _, err := io.Copy(f, repeated(block, size)); err != nil {
		f.Close()
		return 0, 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, 0, err
	}
	if err := f.Close(); err != nil {
		return 0, 0, err
	}
	write = time.Since(t0)
	t0 = time.Now()
	f, err = os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(io.Discard, f, make([]byte, len(block))); err != nil {
		return 0, 0, err
	}
	return write, time.Since(t0), nil
}

// rawAEAD times the suite's vault cipher sealing and opening size bytes
// in memory, and names it.
func rawAEAD(cs *suite.Suite, block []byte, size int64) (seal, open time.Duration, name string, err error) {
	gcm, name, err := vault.BaselineAEAD(cs)
	if err != nil {
		return 0, 0, "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	sealed := gcm.Seal(nil, nonce, block, nil)
	buf := make([]byte, 0, len(sealed))
	n := size / int64(len(block))
	t0 := time.Now()
	for range n {
		buf = gcm.Seal(buf[:0], nonce, block, nil)
	}
	seal = time.Since(t0)
	t0 = time.Now()
	for range n {
		if buf, err = gcm.Open(buf[:0], nonce, sealed, nil); err != nil {
			return 0, 0, "", err
		}
	}
	return seal, time.Since(t0), name, nil
}

func vaultRoundTrip(ctx context.Context, cs *suite.Suite, v *vault.Vault, block []byte, size int64) (put, get time.Duration, err error) {
	h := cs.NewHash()
	if _, err := io.Copy(h, repeated(block, size)); err != nil {
		return 0, 0, err
	}
	digest := h.Sum(nil)
	t0 := time.Now()
	if _, err := v.Put(ctx, digest, repeated(block, size)); err != nil {
		return 0, 0, err
	}
	put = time.Since(t0)
	t0 = time.Now()
	r, err := v.Get(ctx, digest)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return 0, 0, err
	}
	if n != size {
		return 0, 0, fmt.Errorf("read back %d bytes of %d", n, size)
	}
	return put, time.Since(t0), nil
}

// vaultOverHTTP starts a one-validator network in dir and moves originals
// of small and size bytes through its API; it returns the times of the
// large one.
func vaultOverHTTP(ctx context.Context, out io.Writer, dir, profiles string, cs *suite.Suite, block []byte, small, size int64) (put, get time.Duration, err error) {
	servers, home, procs, stop, err := startBenchNetwork(ctx, dir, 1, 0, profiles, cs.Name())
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	c, err := client.New(servers, &http.Client{})
	if err != nil {
		return 0, 0, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, 0, err
	}
	accounts, err := enrollBenchDepositors(ctx, c, home, st, 1)
	if err != nil {
		return 0, 0, err
	}
	who := accounts[0]
	dc := c.WithAuth(client.KeyAuth{KeyID: who.Account, Alg: cs.Signature().Name(), Key: who.Key})
	for _, n := range []int64{small, size} {
		h := cs.NewHash()
		if _, err := io.Copy(h, repeated(block, n)); err != nil {
			return 0, 0, err
		}
		d, _, err := client.Prepare(cs, st.Origin, who.Key, client.Content{Digest: h.Sum(nil), Size: uint64(n),
			Metadata: deposit.Metadata{Title: fmt.Sprintf("bench original of %d MiB", n>>20), MediaType: "video/mp4"}})
		if err != nil {
			return 0, 0, err
		}
		res, err := dc.Submit(ctx, []api.Deposit{d}, time.Minute)
		if err != nil {
			return 0, 0, err
		}
		if res[0].Status != api.StatusCommitted {
			return 0, 0, fmt.Errorf("the deposit is %s %s", res[0].Status, res[0].Reason)
		}
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", procs[0].Pid), []byte("5"), 0); err != nil {
			return 0, 0, fmt.Errorf("resetting the node's peak memory count: %w", err)
		}
		t0 := time.Now()
		if err := dc.UploadOriginal(ctx, res[0].ID, repeated(block, n), n); err != nil {
			return 0, 0, err
		}
		put = time.Since(t0)
		t0 = time.Now()
		body, _, err := dc.Original(ctx, res[0].ID, "", "")
		if err != nil {
			return 0, 0, err
		}
		got, err := io.Copy(io.Discard, body)
		body.Close()
		if err != nil {
			return 0, 0, err
		}
		if got != n {
			return 0, 0, fmt.Errorf("downloaded %d bytes of %d", got, n)
		}
		get = time.Since(t0)
		_, peak := processMemory(procs[0].Pid)
		fmt.Fprintf(out, "over HTTP, %d MiB original: upload %.0f MiB/s, download %.0f MiB/s, node process peak memory %d MiB\n",
			n>>20, float64(n)/(1<<20)/put.Seconds(), float64(n)/(1<<20)/get.Seconds(), peak>>20)
	}
	return put, get, nil
}

// resetPeakMemory restarts the kernel's peak-RSS count (VmHWM) for this
// process, so the next reading is the peak of what follows.
func resetPeakMemory() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting the peak memory count: %w", err)
	}
	return nil
}
