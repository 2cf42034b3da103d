package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// credentials are the flags that say who a command acts as.
type credentials struct {
	servers, keyFile, account, home, token string
	// flagSet holds the flags, to tell whether --server was given:
	// without it, --home names that node's API.
	flagSet *pflag.FlagSet
}

func (c *credentials) flags(cmd *cobra.Command, keyHelp string) {
	f := cmd.Flags()
	c.flagSet = f
	f.StringVar(&c.servers, "server", defaultServer(), "node API URL; several, comma-separated, are tried in turn (default with --home: that node's; else $JURICHAIN_SERVER)")
	f.StringVar(&c.keyFile, "key", defaultKeyFile(), keyHelp)
	f.StringVar(&c.account, "account", "", "your account id, if your key is not the one the account was registered with (after a key rotation)")
	f.StringVar(&c.home, "home", "", "act as the institution itself, signing with the node key of this node home (operators)")
	f.StringVar(&c.token, "token", os.Getenv("JURICHAIN_TOKEN"), "authenticate with this API token instead of signing (default: $JURICHAIN_TOKEN)")
}

// defaultServer is the node API URL commands use without --server:
// $JURICHAIN_SERVER, else a node on this machine's default port.
func defaultServer() string {
	if s := os.Getenv("JURICHAIN_SERVER"); s != "" {
		return s
	}
	return "http://127.0.0.1:8080"
}

// session is a connected, authenticated client.
type session struct {
	*client.Client
	status *api.Status
	suite  *suite.Suite
	// key and account are set when acting with an account key.
	key     suite.PrivateKey
	account string
}

// connect reaches the node, learns its network, and sets up credentials.
func (c *credentials) connect(ctx context.Context) (*session, error) {
	s := &session{}
	serverSet := c.flagSet != nil && c.flagSet.Changed("server")
	// The key is read first, so that a missing one is said before the
	// node is asked anything; whether its suite is the network's only
	// the node can say.
	var keySuite *suite.Suite
	if c.token == "" && c.home == "" {
		var err error
		if s.key, keySuite, err = readKey(c.keyFile); err != nil {
			return nil, err
		}
	}
	servers := c.servers
	if c.home != "" && !serverSet {
		// An operator acting as the institution means that node.
		settings, err := node.Home(c.home).LoadSettings()
		if err != nil {
			return nil, withHint(err, "is "+c.home+" a node home? name the node with --server")
		}
		servers = localURL(settings.HTTP)
	}
	cl, err := client.New(strings.Split(servers, ","), nil)
	if err != nil {
		return nil, err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return nil, withHint(err, "is the node running? start one with 'jurichain serve', or name it with --server")
	}
	cs, err := suite.ByName(st.Suite)
	if err != nil {
		return nil, err
	}
	s.status, s.suite = st, cs
	if s.key != nil {
		if _, err := keyFor(cs, c.keyFile, s.key, keySuite); err != nil {
			return nil, err
		}
	}
	switch {
	case c.token != "":
		s.Client = cl.WithAuth(client.TokenAuth(c.token))
	case c.home != "":
		auth, err := nodeAuth(c.home, cs)
		if err != nil {
			return nil, err
		}
		s.Client = cl.WithAuth(auth)
	default:
		// Without --account, requests name the key: the account's id
		// depends on the institution that registered it, which need not
		// be this node's, and every node finds the account from the key.
		keyID := c.account
		s.account = c.account
		if s.account == "" {
			keyID = httpapi.AccountKeyID(s.key.Public())
			s.account = identity.AccountID(cs, st.Institution, s.key.Public())
		}
		s.Client = cl.WithAuth(client.KeyAuth{KeyID: keyID, Alg: cs.Signature().Name(), Key: s.key})
	}
	return s, nil
}

// needKey refuses a command that signs with an account key when the
// session has none.
func (s *session) needKey(what string) error {
	if s.key == nil {
		return withHint(fmt.Errorf("%s needs your account key", what), "name it with --key (not --token or --home)")
	}
	return nil
}

// nodeAuth signs requests as the institution whose node home this is.
func nodeAuth(home string, cs *suite.Suite) (client.KeyAuth, error) {
	h := node.Home(home)
	card, err := h.LoadCard()
	if err != nil {
		return client.KeyAuth{}, err
	}
	key, err := h.NodeKey(cs)
	if err != nil {
		return client.KeyAuth{}, err
	}
	return client.KeyAuth{KeyID: httpapi.NodeKeyID(card.Institution), Alg: cs.Signature().Name(), Key: key}, nil
}

// localURL is the URL that reaches an API listening on addr from the same
// machine: a wildcard host is reached on loopback.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
