package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ingest"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/upstream"
	"github.com/jurichain/jurichain/vault"
	"github.com/jurichain/jurichain/web"
)

const defaultHome = "jurichain-data"

func newInit() *cobra.Command {
	var home string
	var standalone bool
	var o node.InitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home: a whole single-validator network, or (--institution) one institution's keys and member card",
		Long: `Without --institution, init creates a complete network of one validator.

With --institution NAME, init creates that institution's keys and its public
member card (config/card.json). Send the card to the network's coordinator,
who combines the members' cards with 'jurichain consortium genesis'; then
install the genesis with 'jurichain join'. Add --standalone to make a
one-institution network under that name instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := node.Home(home)
			w := cmd.OutOrStdout()
			if o.Institution != "" && !standalone {
				if o.Kind == "" {
					return fmt.Errorf("say what kind of institution %s is with --kind (%s)", o.Institution, identity.KindNames())
				}
				if _, err := node.InitInstitution(h, o.InstitutionOptions); err != nil {
					return err
				}
				fmt.Fprintf(w, "created institution %s in %s\nits member card: %s\nsend the card to the coordinator; once you have the genesis: jurichain join --home %s --genesis GENESIS\n",
					o.Institution, home, h.CardFile(), home)
				return nil
			}
			if err := node.Init(h, o); err != nil {
				return err
			}
			fmt.Fprintf(w, "initialised %s; start it with: jurichain serve --home %s\n", home, home)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "node home directory")
	cmd.Flags().StringVar(&o.Institution, "institution", "", "the institution's name in the trust policy and its signatures")
	cmd.Flags().StringVar((*string)(&o.Kind), "kind", "", "what the institution is: "+identity.KindNames()+"; it bounds its staff's roles (judges and clerks only at courts and arbitration commissions; required with --institution, default court for a whole network)")
	cmd.Flags().BoolVar(&standalone, "standalone", false, "with --institution: also create a network whose only member is this institution")
	cmd.Flags().StringVar(&o.Name, "name", "", "with a whole network: its name, the start of the chain ID and checkpoint origin (default: generated)")
	cmd.Flags().StringVar(&o.P2PAddress, "p2p", "tcp://127.0.0.1:26656", "CometBFT p2p listen address")
	cmd.Flags().StringVar(&o.ExternalAddress, "external", "", "host:port where other institutions reach this node's p2p port (default: the --p2p address)")
	cmd.Flags().StringVar(&o.HTTP, "http", "127.0.0.1:8080", "HTTP API listen address")
	cmd.Flags().StringVar(&o.APIURL, "api-url", "", "public URL of this node's API, written on the member card (default: http://<--http>)")
	cmd.Flags().StringVar(&o.Suite, "suite", suite.NameInternational, suiteHelp)
	return cmd
}

// openVault opens the evidence vault: encrypted originals on the home's
// disk, or in an S3-compatible bucket.
func openVault(ctx context.Context, h node.Home, cs *suite.Suite, s3 vault.S3Config) (*vault.Vault, error) {
	key, err := h.VaultKey()
	if err != nil {
		return nil, err
	}
	var backend vault.Backend
	if s3.Endpoint != "" {
		s3.AccessKey, s3.SecretKey = os.Getenv("JURICHAIN_S3_ACCESS_KEY"), os.Getenv("JURICHAIN_S3_SECRET_KEY")
		if s3.AccessKey == "" || s3.SecretKey == "" {
			return nil, withHint(errors.New("--s3-endpoint needs credentials"), "set JURICHAIN_S3_ACCESS_KEY and JURICHAIN_S3_SECRET_KEY")
		}
		backend, err = vault.NewS3(ctx, s3)
	} else {
		backend, err = vault.NewDisk(h.VaultDir())
	}
	if err != nil {
		return nil, err
	}
	return vault.New(cs, key, backend)
}

func newServe() *cobra.Command {
	var home, httpAddr, level, cpuProfile, suiteName string
	var retain, maxOriginal uint64
	var s3 vault.S3Config
	var names, witnesses []string
	var anchoring anchorFlags
	limits := httpapi.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a validator node and its HTTP API (creates a single-validator network on first start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(level)
			if err != nil {
				return err
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			// The node's live heap is small and steady (caches are bounded),
			// so it trades memory for less GC work, within a hard limit.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(400)
			}
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(320 << 20)
			}
			h := node.Home(home)
			if !h.Initialized() {
				if h.HasInstitution() {
					return withHint(fmt.Errorf("%s holds an institution's keys but no network genesis", home), "get the genesis from the network's coordinator and run 'jurichain join --home "+home+" --genesis FILE'")
				}
				if err := node.Init(h, node.InitOptions{InstitutionOptions: node.InstitutionOptions{Suite: suiteName}}); err != nil {
					return err
				}
				logger.Info("created a new single-validator network", "home", home, "suite", suiteName)
			} else if cmd.Flags().Changed("suite") {
				// The suite is the genesis's; --suite only chooses it for a
				// new home, and must not look as if it changed an old one.
				cs, err := h.Suite()
				if err != nil {
					return err
				}
				if cs.Name() != suiteName {
					return withHint(fmt.Errorf("--suite %s, but the network in %s uses the %s suite", suiteName, home, cs), "a network's suite is chosen at genesis; drop --suite or choose a new --home")
				}
			}
			settings, err := h.LoadSettings()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("http") {
				httpAddr = settings.HTTP
			}
			if err := witnessSettings(h, &settings, witnesses); err != nil {
				return err
			}
			if _, err := anchoring.apply(cmd, h, &settings); err != nil {
				return err
			}
			targets, err := upstreamTargets(h, settings.Upstreams)
			if err != nil {
				return err
			}
			card, err := h.LoadCard()
			if err != nil {
				return err
			}
			n, err := node.Start(cmd.Context(), node.Options{Home: h, Logger: logger, RetainBlocks: retain})
			if errors.Is(err, syscall.EADDRINUSE) {
				return withHint(err, "another node uses this p2p address; change p2p.laddr in "+h.ConfigFile()+" (or create the home with 'jurichain init --p2p')")
			}
			if err != nil {
				return err
			}
			// Shut down in reverse: HTTP, then the pipeline, then the node
			// and its stores, which the others read.
			defer func() {
				if err := n.Stop(); err != nil {
					logger.Error("stopping node", "err", err)
				}
			}()
			pipeCtx, stopPipe := context.WithCancel(context.Background())
			pipe := ingest.New(ingest.DefaultConfig(), submitter{n}, n.App, logger)
			pipeDone := make(chan struct{})
			go func() {
				defer close(pipeDone)
				pipe.Run(pipeCtx)
			}()
			defer func() {
				stopPipe()
				<-pipeDone
			}()
			off, err := office.Open(n.Suite, h.OfficeDir())
			if err != nil {
				return err
			}
			defer off.Close()
			vlt, err := openVault(cmd.Context(), h, n.Suite, s3)
			if err != nil {
				return err
			}
			nodeKey, err := h.NodeKey(n.Suite)
			if err != nil {
				return err
			}
			// The anchoring worker stops before the node, whose store it
			// reads and writes.
			var outbound httpapi.Outbound
			if len(targets) > 0 {
				w, err := upstream.New(upstream.Options{Origin: n.Origin, Log: upstream.StoreLog(n.Suite, n.Store), Store: n.Store, Targets: targets, Logger: logger})
				if err != nil {
					return withHint(err, "fix upstreams in "+h.SettingsFile()+" or give --anchor-to again")
				}
				anchorCtx, stopAnchoring := context.WithCancel(context.Background())
				anchorDone := make(chan struct{})
				go func() {
					defer close(anchorDone)
					w.Run(anchorCtx)
				}()
				defer func() {
					stopAnchoring()
					<-anchorDone
				}()
				outbound = w
				for _, t := range settings.Upstreams {
					logger.Info("anchoring into an upstream network", "url", t.URL, "every", t.Every, "entries", t.Entries, "policy", t.Policy)
				}
			}
			ln, err := net.Listen("tcp", httpAddr)
			if err != nil {
				return withHint(fmt.Errorf("listening on %s: %w", httpAddr, err), "another program uses that address; pick another with --http")
			}
			names = publicNames(ln.Addr().String(), card.API, append(settings.PublicNames, names...))
			// Signed requests created before the API starts are refused
			// (a crash may have lost their nonces). Creation times are whole
			// seconds, so start on a second's boundary: every request
			// accepted before a crash is then created before it.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
			issuer, stopCerts, err := startCertification(h, n, card, off, verificationBase(card, ln.Addr().String()), logger)
			if err != nil {
				return err
			}
			defer stopCerts()
			witnessServer, witnessClient, stopWitnessing, err := startWitnessing(n, settings, logger)
			if err != nil {
				return err
			}
			defer stopWitnessing()
			portal, err := web.New(web.Config{Origin: n.Origin, Suite: n.Suite.Name(), Institution: n.Institution, Logger: logger})
			if err != nil {
				return err
			}
			api := httpapi.New(httpapi.Config{
				Suite: n.Suite, Origin: n.Origin, Institution: n.Institution,
				Ledger: n.App, Store: n.Store, Pipeline: pipe, Submit: n.Submit,
				Office: off, Vault: vlt, NodeKey: nodeKey, NodeSigner: n.LogSigner,
				MempoolSize: n.MempoolSize, Peers: n.Peers, Logger: logger,
				MaxOriginalSize: maxOriginal,
				PublicNames:     names, Limits: limits,
				Certificates: issuer, Portal: portal, Outbound: outbound,
				Witness: witnessServer, Witnesses: witnessClient,
				TempDir: h.ImportDir(),
			})
			srv := httpapi.NewHTTPServer(api, limits)
			logger.Info("serving", "http", ln.Addr().String(), "origin", n.Origin, "home", home, "pid", os.Getpid(), "public_names", names)
			errc := make(chan error, 1)
			limited := httpapi.LimitListener(ln, limits)
			srv.ConnState = limited.ConnState
			go func() { errc <- srv.Serve(limited) }()
			select {
			case err := <-errc:
				return fmt.Errorf("HTTP server: %w", err)
			case <-cmd.Context().Done():
			}
			logger.Info("shutting down")
			shutdown, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancelShutdown()
			if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("HTTP server shutdown: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome, "node home directory")
	cmd.Flags().StringVar(&httpAddr, "http", "127.0.0.1:8080", "HTTP API listen address (default: the one in the home's config/jurichain.json)")
	cmd.Flags().StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&suiteName, "suite", suite.NameInternational, "when the home holds no node yet: "+suiteHelp)
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the node to this file (for performance work)")
	cmd.Flags().StringVar(&s3.Endpoint, "s3-endpoint", "", "keep originals in an S3-compatible store at this URL instead of the home's data/vault (credentials from JURICHAIN_S3_ACCESS_KEY and JURICHAIN_S3_SECRET_KEY)")
	cmd.Flags().StringVar(&s3.Bucket, "s3-bucket", "jurichain-originals", "with --s3-endpoint: the bucket")
	cmd.Flags().StringVar(&s3.Region, "s3-region", "", "with --s3-endpoint: the region, if the store needs one")
	cmd.Flags().StringArrayVar(&names, "public-name", nil, "a name, host or host:port, under which clients reach the API (repeatable; added to the listen address, the member card's API URL and public_names in config/jurichain.json): requests signed for other names are refused")
	cmd.Flags().StringArrayVar(&witnesses, "witness", nil, "an outside witness, URL=VKEY: its C2SP tlog-witness submission prefix and its cosignature key, of the network's suite (repeatable; kept under witnesses in config/jurichain.json, a witness of the same name replaced): the node asks it to cosign every final checkpoint and serves its cosignatures on them")
	cmd.Flags().IntVar(&limits.MaxConnections, "max-connections", limits.MaxConnections, "open API connections at most; past it the longest idle keep-alive connection is closed, and with none idle new ones wait")
	cmd.Flags().Int64Var(&limits.MaxPublicBody, "max-public-body", limits.MaxPublicBody, "largest body, in bytes, of a request to a public endpoint (registrations)")
	cmd.Flags().Int64Var(&limits.MaxBodyMemory, "max-body-memory", limits.MaxBodyMemory, "bytes of authenticated request bodies held at once (at least 32 MiB); past it, requests wait, then get 503")
	cmd.Flags().DurationVar(&limits.ReadTimeout, "read-timeout", limits.ReadTimeout, "time to read a whole request (a streamed upload may take longer while it keeps moving)")
	cmd.Flags().DurationVar(&limits.WriteTimeout, "write-timeout", limits.WriteTimeout, "time to answer a request, long-polls (?wait=, at most 60s) included (a streamed download may take longer while it keeps moving)")
	cmd.Flags().DurationVar(&limits.IdleTimeout, "idle-timeout", limits.IdleTimeout, "how long an idle keep-alive connection stays open")
	cmd.Flags().Uint64Var(&maxOriginal, "max-original-size", httpapi.DefaultMaxOriginalSize, "largest original, in bytes, a deposit through this node may declare and upload")
	anchoring.register(cmd)
	cmd.Flags().Uint64Var(&retain, "retain-blocks", 0, "let CometBFT prune blocks older than this many heights (0 keeps all; the log keeps every deposit either way)")
	return cmd
}

// publicNames are the names the node takes signed requests for: extra,
// its listen address (with the loopback names when it listens on loopback
// or on every interface) and the host of its member card's API URL.
func publicNames(listen, apiURL string, extra []string) []string {
	names := append([]string(nil), extra...)
	if host, port, err := net.SplitHostPort(listen); err == nil {
		names = append(names, listen)
		if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
			names = append(names, net.JoinHostPort("localhost", port), net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port))
		}
	}
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" {
		names = append(names, u.Host)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// submitter adapts a node to the ingest pipeline: the pipeline's
// transactions carry only deposits the API verified, and a full mempool
// means "retry".
type submitter struct{ n *node.Node }

func (s submitter) Submit(ctx context.Context, tx []byte) error {
	s.n.App.MarkVerified(tx)
	err := s.n.Submit(ctx, tx)
	if errors.Is(err, node.ErrBusy) {
		return fmt.Errorf("%w: %w", ingest.ErrRetry, err)
	}
	return err
}
