package web_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/web"
)

// benchDeposits is the size of the tree the benchmark's receipt proves a
// deposit in: its proof has 14 hashes.
const benchDeposits = 10_000

// BenchmarkVerifyInChromium measures how long the verification page's own
// verifier (the functions its module exports) takes in Chromium to check
// a receipt of a 10,000-deposit tree with the file's digests, in each
// suite: the time a judge waits once the file is hashed. The page is
// served as the node serves it, with the log's policy at /policy and the
// receipt as a fixture beside it; the time is taken in the page, around
// verifyReceipt: the first check after the page opened (ms/first-verify),
// and many checks after a warm-up (ms/verify). The target is under 50 ms.
func BenchmarkVerifyInChromium(b *testing.B) {
	browser := browsertest.Start(b)
	for _, cs := range suite.All() {
		b.Run(cs.Name(), func(b *testing.B) {
			l := receipttest.New(b, cs, benchDeposits, -1)
			i := benchDeposits / 2
			digests := map[string]string{}
			for _, d := range l.Digests(b, l.Contents[i]) {
				digests[d.Algorithm.String()] = hex.EncodeToString(d.Value)
			}
			digestsJSON, err := json.Marshal(digests)
			if err != nil {
				b.Fatal(err)
			}
			portal, err := web.New(web.Config{Origin: receipttest.Origin, Suite: cs.Name(), Institution: receipttest.Witness})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("/", portal)
			mux.HandleFunc("GET /policy", func(w http.ResponseWriter, r *http.Request) { w.Write(l.PolicyText) })
			mux.HandleFunc("GET /fixture/receipt", func(w http.ResponseWriter, r *http.Request) { w.Write(l.Receipts[i].Format()) })
			srv := httptest.NewServer(mux)
			defer srv.Close()

			tab := browser.Tab(b)
			const warmUp, checks = 10, 100
			// The first check after the page opened is what a judge waits
			// for (scripts compiled, hashers and curves set up on the way);
			// the later ones show the steady cost.
			expr := fmt.Sprintf(`(async () => {
				const m = await import("/assets/verify.js");
				const policy = m.parsePolicy(await (await fetch("/policy")).text());
				const receipt = new Uint8Array(await (await fetch("/fixture/receipt")).arrayBuffer());
				const hex = (s) => Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16));
				const digests = Object.fromEntries(Object.entries(%s).map(([alg, v]) => [alg, hex(v)]));
				const check = async () => {
					const p = await m.verifyReceipt(policy, receipt, { digests });
					if (String(p.index) !== "%d" || String(p.treeSize) !== "%d") throw new Error("proved deposit " + p.index + " of " + p.treeSize);
				};
				let start = performance.now();
				await check();
				const first = performance.now() - start;
				for (let i = 0; i < %d; i++) await check();
				start = performance.now();
				for (let i = 0; i < %d; i++) await check();
				return [first, (performance.now() - start) / %d];
			})()`, digestsJSON, i, benchDeposits, warmUp, checks, checks)
			var first, total float64
			b.ResetTimer()
			for range b.N {
				tab.Run("open the verification page", chromedp.Navigate(srv.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#policy-origin")))
				ms := browsertest.Eval[[]float64](tab, "verify in the page", expr)
				first += ms[0]
				total += ms[1]
			}
			b.ReportMetric(first/float64(b.N), "ms/first-verify")
			b.ReportMetric(total/float64(b.N), "ms/verify")
		})
	}
}
