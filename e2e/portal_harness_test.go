package e2e

import (
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/internal/browsertest"
)

// staffKeyFile makes a key file with the CLI and has the node's operator
// create a staff account of role for it.
func (n *node) staffKeyFile(dir, role string) string {
	n.t.Helper()
	key := filepath.Join(dir, role+".key")
	if _, errOut, code := run(n.t, nil, "keygen", "--out", key); code != 0 {
		n.t.Fatalf("keygen: %s", errOut)
	}
	if out, errOut, code := run(n.t, nil, "staff", "--home", n.home, "--server", n.URL, "--role", role, "--key", key); code != 0 {
		n.t.Fatalf("staff %s: %s%s", role, out, errOut)
	}
	return key
}

// browse opens the portal of the node in a new Chromium tab.
func (n *node) browse(t *testing.T, b *browsertest.Browser, page string) *browsertest.Tab {
	t.Helper()
	tab := b.Tab(t)
	tab.Run("open "+page, chromedp.Navigate(n.URL+page), chromedp.WaitVisible(chromedp.CSS("#main")))
	return tab
}

// signIn imports the account key file into the browser on the account
// page, as a user who holds the file the CLI wrote does, and waits until
// the header names the account. Whoever was signed in signs out first, so
// the name waited for is the new account's.
func signIn(tab *browsertest.Tab, n *node, keyFile string) {
	// The header says who is signed in once the page has asked the node.
	tab.Run("open the account page", chromedp.Navigate(n.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#import-key")),
		chromedp.WaitVisible(chromedp.CSS("#who a, #who button")))
	if browsertest.Eval[bool](tab, "see who is signed in", `document.querySelector("#who button") !== null`) {
		tab.Run("sign out", chromedp.Click(chromedp.CSS("#who button")), chromedp.WaitVisible(chromedp.CSS(`#who a[href="/account"]`)))
	}
	tab.Run("sign in with "+filepath.Base(keyFile),
		chromedp.SetUploadFiles(chromedp.CSS("#import-key"), []string{keyFile}),
		chromedp.WaitVisible(chromedp.CSS("#who .who-name")),
	)
}
