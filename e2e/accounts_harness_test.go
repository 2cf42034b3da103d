package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jurichain/jurichain/client"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// operator returns a client that signs as the node's institution, with the
// node key of its home.
func (n *node) operator() *client.Client {
	n.t.Helper()
	key, err := jnode.Home(n.home).NodeKey(n.suite())
	if err != nil {
		n.t.Fatal(err)
	}
	return n.client().WithAuth(client.KeyAuth{KeyID: httpapi.NodeKeyID(n.status().Institution), Alg: n.suite().Signature().Name(), Key: key})
}

// enroll makes key an approved depositor account of the node's
// institution, as its operator does at the counter, and returns the
// account id.
func (n *node) enroll(key suite.PrivateKey) string {
	n.t.Helper()
	st := n.status()
	approver, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := n.operator().Enroll(ctx, testSuite, st.Origin, st.Institution, key, identity.Individual,
		identity.RealName{Name: "Test Person", IDType: "resident-id", IDNumber: "110101199003070000"}, approver)
	if err != nil {
		n.t.Fatalf("enrolling a depositor: %v", err)
	}
	return id
}

// newDepositor makes a key, enrolls it, and returns it with a client that
// signs as its account.
func (n *node) newDepositor() (suite.PrivateKey, *client.Client) {
	n.t.Helper()
	key, err := testSuite.Signature().GenerateKey(rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	n.enroll(key)
	return key, n.as(key)
}

// as returns a client that signs as the account first registered with key
// at the node's institution.
func (n *node) as(key suite.PrivateKey) *client.Client {
	return n.client().WithAuth(client.KeyAuth{KeyID: identity.AccountID(testSuite, n.status().Institution, key.Public()), Alg: testSuite.Signature().Name(), Key: key})
}

// enrolledKeyFile makes a depositor key file in dir with the CLI and
// enrolls it at the node's counter under name, as an individual.
func (n *node) enrolledKeyFile(dir, name string) string {
	n.t.Helper()
	key := filepath.Join(dir, "depositor.key")
	if _, errOut, code := run(n.t, nil, "keygen", "--out", key); code != 0 {
		n.t.Fatalf("keygen: %s", errOut)
	}
	if out, errOut, code := run(n.t, nil, "account", "enroll", "--home", n.home, "--server", n.URL, "--depositor-key", key,
		"--name", name, "--id-type", "resident-id", "--id-number", "110101199003071234"); code != 0 {
		n.t.Fatalf("enroll: %s%s", out, errOut)
	}
	return key
}

// keyFile writes key as a PEM file and returns its path.
func keyFile(t testing.TB, key suite.PrivateKey) string {
	t.Helper()
	b, err := key.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "account.key")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// doAs sends a request through c (which signs it) and decodes a JSON
// response into out; it returns the status.
func doAs(t testing.TB, c *client.Client, method, path, body string, out any) int {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	status, data, err := c.Raw(context.Background(), method, path, b)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = data
		} else if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v\n%s", method, path, err, data)
		}
	}
	return status
}
