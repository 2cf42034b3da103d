package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

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
}

func (c *credentials) flags(cmd *cobra.Command, keyHelp string) {
	f := cmd.Flags()
	f.StringVar(&c.servers, "server", "http://127.0.0.1:8080", "node API URL; several, comma-separated, are tried in turn")
	f.StringVar(&c.keyFile, "key", defaultKeyFile(), keyHelp)
	f.StringVar(&c.account, "account", "", "your account id, if your key is not the one the account was registered with (after a key rotation)")
	f.StringVar(&c.home, "home", "", "act as the institution itself, signing with the node key of this node home (operators)")
	f.StringVar(&c.token, "token", os.Getenv("JURICHAIN_TOKEN"), "authenticate with this API token instead of signing (default: $JURICHAIN_TOKEN)")
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
	if c.token == "" && c.home == "" {
		var err error
		if s.key, err = loadKey(c.keyFile); err != nil {
			return nil, err
		}
	}
	cl, err := client.New(strings.Split(c.servers, ","), nil)
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
			s.account = identity.AccountID(st.Institution, s.key.Public())
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
