package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/internal/browsertest"
	"github.com/jurichain/jurichain/suite"
)

// TestPortalDashboard has two depositors of two kinds deposit files of
// three media types with the CLI, then an auditor opens the dashboard in
// Chromium: every chart counts what the deposits made and the API say, the
// explorer lists the blocks and the final checkpoint with its cosignature,
// the validator is healthy, and the CSV the page downloads has the same
// figures, with a byte order mark for spreadsheets. A depositor is turned
// away with the wrong-role message.
func TestPortalDashboard(t *testing.T) {
	n := initNode(t)
	n.start()
	dir := t.TempDir()
	st := n.status()

	// An individual (enrolled at the counter) and an enterprise deposit.
	person := n.enrolledKeyFile(dir, "张三")
	company := filepath.Join(dir, "company.key")
	if _, errOut, code := run(t, nil, "keygen", "--out", company); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	out, errOut, code := run(t, nil, "account", "enroll", "--home", n.home, "--server", n.URL, "--depositor-key", company,
		"--kind", "enterprise", "--name", "杭州存证科技有限公司", "--credit-code", "91330100MA2B3C4D5E", "--legal-representative", "李四", "--agent", "王五")
	if code != 0 {
		t.Fatalf("enroll the enterprise: %s%s", out, errOut)
	}
	companyAccount := strings.Fields(out)[1]
	deposits := []struct {
		key     string
		account string
		files   []string
	}{
		{person, "", []string{"现场照片1.jpg", "现场照片2.jpg", "合同.pdf"}},
		{company, companyAccount, []string{"扫描件.png", "发票.pdf"}},
	}
	for i, d := range deposits {
		args := []string{"deposit", "--server", n.URL, "--key", d.key}
		if d.account != "" {
			args = append(args, "--account", d.account)
		}
		for _, name := range d.files {
			f := filepath.Join(dir, name)
			if err := os.WriteFile(f, fmt.Appendf(nil, "evidence %d: %s", i, name), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, f)
		}
		if out, errOut, code := run(t, nil, args...); code != 0 {
			t.Fatalf("deposit: %s%s", out, errOut)
		}
	}
	const total = 5
	dashWaitFinal(t, n, total)

	auditor := n.staffKeyFile(dir, "auditor")
	auditorPEM, err := os.ReadFile(auditor)
	if err != nil {
		t.Fatal(err)
	}
	auditorKey, _, err := suite.ParseAnyPrivateKey(auditorPEM)
	if err != nil {
		t.Fatal(err)
	}
	asAuditor := n.as(auditorKey)

	// The page shows the last 30 days (UTC) at first.
	now := time.Now().UTC()
	today := now.Format(time.DateOnly)
	from := now.AddDate(0, 0, -29).Format(time.DateOnly)
	statsPath := "/v1/stats?from=" + from + "&to=" + today
	var stats api.Stats
	if code := doAs(t, asAuditor, "GET", statsPath, "", &stats); code != 200 {
		t.Fatalf("GET %s as the auditor: %d", statsPath, code)
	}
	// What the deposits made say, as the API counts them.
	want := map[string]map[string]uint64{
		"chart-media":        {"image/jpeg": 2, "application/pdf": 2, "image/png": 1},
		"chart-kinds":        {"individual": 3, "enterprise": 2},
		"chart-institutions": {st.Institution: total},
		"chart-per-day":      {today: total},
	}
	byAPI := map[string]map[string]uint64{
		"chart-media": dashCounts(stats.MediaTypes), "chart-kinds": dashCounts(stats.AccountKinds),
		"chart-institutions": dashCounts(stats.Institutions), "chart-per-day": {},
	}
	for _, d := range stats.PerDay {
		byAPI["chart-per-day"][d.Date] = d.Count
	}
	for chart, figures := range want {
		for k, v := range figures {
			if byAPI[chart][k] != v {
				t.Fatalf("the API's %s counts %s %d, the deposits made %d: %+v", chart, k, byAPI[chart][k], v, stats)
			}
		}
	}

	b := browsertest.Start(t)
	tab := b.Tab(t)
	signIn(tab, n, auditor)
	tab.Run("open the dashboard", chromedp.Navigate(n.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#dash")))
	tab.Run("the figures load", browsertest.Until(`document.querySelectorAll("#chart-kinds rect.bar").length > 0 &&
		document.querySelectorAll("#chart-growth circle.point").length > 0 &&
		document.querySelector("#blocks tbody tr[data-height]") !== null &&
		document.querySelector("#checkpoints tbody tr[data-size]") !== null &&
		document.querySelector("#validators tbody [data-health]") !== null`))
	tab.Screenshot("dashboard-en")
	tab.CheckLabels("/dashboard")

	// Each chart draws one bar per figure of the API, as tall as it says.
	drawn := browsertest.Eval[map[string]map[string]uint64](tab, "read the charts", `Object.fromEntries(
		["chart-per-day", "chart-media", "chart-institutions", "chart-kinds"].map((id) => [id,
			Object.fromEntries([...document.querySelectorAll("#" + id + " rect.bar")].map((r) => [r.dataset.key, Number(r.dataset.value)]))]))`)
	for chart, figures := range byAPI {
		if fmt.Sprint(drawn[chart]) != fmt.Sprint(figures) {
			t.Errorf("%s draws %v; the API says %v", chart, drawn[chart], figures)
		}
	}
	if got := len(drawn["chart-per-day"]); got != 30 {
		t.Errorf("the chart of deposits per day has %d bars for 30 days", got)
	}
	heights := browsertest.Eval[[]float64](tab, "measure the bars",
		`[...document.querySelectorAll("#chart-kinds rect.bar")].map((r) => r.getBBox().width / Number(r.dataset.value))`)
	for _, h := range heights[1:] {
		if diff := h - heights[0]; diff > 0.01 || diff < -0.01 {
			t.Errorf("bars of account kinds are not proportional to their figures: %v pixels per deposit", heights)
		}
	}
	// The text alternative says the same figures.
	tableTotal := browsertest.Eval[string](tab, "read the table of kinds",
		`[...document.querySelectorAll("#chart-kinds .chart-table tbody td")].map((td) => td.textContent).join(",")`)
	if tableTotal != "3,2" {
		t.Errorf("the table of account kinds reads %q, want 3,2", tableTotal)
	}

	var growth api.Growth
	if code := doAs(t, asAuditor, "GET", "/v1/explorer/growth?points=120", "", &growth); code != 200 {
		t.Fatalf("growth: %d", code)
	}
	points := browsertest.Eval[[]uint64](tab, "read the growth", `[...document.querySelectorAll("#chart-growth circle.point")].map((c) => Number(c.dataset.value))`)
	if len(points) != len(growth.Points) || len(points) == 0 || points[len(points)-1] != growth.Points[len(growth.Points)-1].TreeSize {
		t.Errorf("the growth chart draws %v; the API has %d points, the last %+v", points, len(growth.Points), growth.Points[len(growth.Points)-1:])
	}

	// The explorer: blocks newest first, as the node recorded them.
	type row struct{ Height, Deposits, TreeSize uint64 }
	rows := browsertest.Eval[[]row](tab, "read the blocks", `[...document.querySelectorAll("#blocks tbody tr[data-height]")].map((r) =>
		({Height: Number(r.dataset.height), Deposits: Number(r.dataset.deposits), TreeSize: Number(r.dataset.treeSize)}))`)
	var blocks api.BlockList
	if code := doAs(t, asAuditor, "GET", fmt.Sprintf("/v1/explorer/blocks?limit=100&before=%d", rows[0].Height+1), "", &blocks); code != 200 {
		t.Fatalf("blocks: %d", code)
	}
	recorded := map[uint64]api.Block{}
	for _, b := range blocks.Blocks {
		recorded[b.Height] = b
	}
	shownDeposits := uint64(0)
	for i, r := range rows {
		if i > 0 && r.Height >= rows[i-1].Height {
			t.Errorf("blocks are not newest first: %v", rows)
		}
		if b, ok := recorded[r.Height]; !ok || uint64(b.Deposits) != r.Deposits || b.TreeSize != r.TreeSize {
			t.Errorf("block %d shows %+v; the node recorded %+v", r.Height, r, b)
		}
		shownDeposits += r.Deposits
	}
	if len(rows) < 20 && shownDeposits != total {
		t.Errorf("the %d blocks shown hold %d deposits, want %d", len(rows), shownDeposits, total)
	}
	// The latest final checkpoint covers every deposit, cosigned by the validator.
	cp := browsertest.Eval[struct {
		Size      uint64
		Cosigners []string
		Token     string
	}](tab, "read the checkpoints", `(() => { const r = document.querySelector("#checkpoints tbody tr[data-size]");
		return {Size: Number(r.dataset.size), Cosigners: [...r.querySelectorAll("li[data-institution]")].map((li) => li.dataset.institution),
			Token: r.querySelector("td.token").textContent}; })()`)
	var checkpoints api.CheckpointList
	if code := doAs(t, asAuditor, "GET", "/v1/explorer/checkpoints?limit=1", "", &checkpoints); code != 200 || len(checkpoints.Checkpoints) != 1 {
		t.Fatalf("checkpoints: %d %+v", code, checkpoints)
	}
	latest := checkpoints.Checkpoints[0]
	if cp.Size != latest.Size || cp.Size < total || fmt.Sprint(cp.Cosigners) != fmt.Sprint([]string{st.Institution}) {
		t.Errorf("the latest checkpoint shows %+v; the node's is of size %d, cosigned by %s", cp, latest.Size, st.Institution)
	}
	if latest.TimeStamp != nil && !strings.Contains(cp.Token, latest.TimeStamp.TSASerial) {
		t.Errorf("the checkpoint's RFC 3161 token shows %q, not its TSA serial %s", cp.Token, latest.TimeStamp.TSASerial)
	}
	// The validator, healthy (its first probe may still be under way).
	health := func() string {
		return browsertest.Eval[string](tab, "read the validator's health",
			fmt.Sprintf(`document.querySelector('#validators tr[data-institution=%q] [data-health]')?.dataset.health ?? ""`, st.Institution))
	}
	for deadline := time.Now().Add(30 * time.Second); health() != "healthy"; {
		if time.Now().After(deadline) {
			t.Fatalf("the validator shows %q, not healthy", health())
		}
		tab.Run("refresh", chromedp.Click(chromedp.CSS("#refresh-now")))
		time.Sleep(time.Second)
	}

	// The CSV the page downloads: the node's figures, with a BOM.
	downloads := t.TempDir()
	ctx, cancel := context.WithTimeout(tab.Ctx, time.Minute)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	tab.Run("download the CSV",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("#csv")),
	)
	var file []byte
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the CSV download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			if file, err = os.ReadFile(filepath.Join(downloads, ev.GUID)); err != nil {
				t.Fatal(err)
			}
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the browser canceled the CSV download")
		}
	}
	cancel()
	text, ok := bytes.CutPrefix(file, []byte("\xef\xbb\xbf"))
	if !ok {
		t.Errorf("the CSV has no UTF-8 byte order mark, so spreadsheets may misread its Chinese text: %q", file[:min(len(file), 20)])
	}
	records, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, text)
	}
	sections := map[string]string{"day": "chart-per-day", "media_type": "chart-media", "institution": "chart-institutions", "account_kind": "chart-kinds"}
	inCSV := map[string]map[string]uint64{}
	for _, r := range records[1:] {
		if len(r) != 3 {
			t.Fatalf("CSV record %q: want section,key,count", r)
		}
		n, err := strconv.ParseUint(r[2], 10, 64)
		if err != nil {
			t.Fatalf("CSV record %q: %v", r, err)
		}
		if r[0] == "total" && n != stats.Total {
			t.Errorf("the CSV's total is %d, the API's %d", n, stats.Total)
		}
		if chart, ok := sections[r[0]]; ok {
			if inCSV[chart] == nil {
				inCSV[chart] = map[string]uint64{}
			}
			inCSV[chart][r[1]] = n
		}
	}
	for chart, figures := range byAPI {
		if fmt.Sprint(inCSV[chart]) != fmt.Sprint(figures) {
			t.Errorf("the CSV counts %s as %v, the API as %v", chart, inCSV[chart], figures)
		}
	}

	// Dates without deposits: every chart says there is no data; the last
	// 30 days again bring the figures back.
	tab.Run("show January 2020",
		chromedp.SetValue(chromedp.CSS("#range-from"), "2020-01-01"),
		chromedp.SetValue(chromedp.CSS("#range-to"), "2020-01-31"),
		chromedp.Click(chromedp.CSS(`#range button[type="submit"]`)),
	)
	tab.Run("the charts say there is no data", browsertest.Until(`["chart-per-day", "chart-media", "chart-institutions", "chart-kinds"].every(
		(id) => document.querySelector("#" + id + " svg text.no-data") !== null && document.querySelector("#" + id + " rect.bar") === null)`))
	if got := tab.Text("read the total", `#totals [data-fact="dash.totals.inRange"] dd`); got != "0" {
		t.Errorf("January 2020 shows %q deposits", got)
	}
	tab.Run("show the last 30 days", chromedp.Click(chromedp.CSS(`#range button[data-days="30"]`)))
	tab.Run("the figures come back", browsertest.Until(`document.querySelectorAll("#chart-per-day rect.bar").length === 30`))

	// The auto-refresh leaves the focus and an opened table where they were.
	tab.Run("open the table of kinds with the keyboard", chromedp.Focus(chromedp.CSS("#chart-kinds summary")), chromedp.KeyEvent("\r"))
	before := tab.Text("read the time of the update", "#updated")
	tab.Run("the page refreshes itself", browsertest.Until(fmt.Sprintf(`(() => { const u = document.getElementById("updated").textContent;
		return u !== %q && !u.endsWith("…"); })()`, before)))
	if ok := browsertest.Eval[bool](tab, "check the focus", `document.activeElement === document.querySelector("#chart-kinds summary") &&
		document.querySelector("#chart-kinds details").open`); !ok {
		t.Error("the auto-refresh moved the focus or closed the table the user opened")
	}

	// In Chinese, the charts are named in Chinese.
	tab.Run("switch to Chinese", chromedp.Click(chromedp.CSS("#lang-switch")))
	if label := browsertest.Eval[string](tab, "read the chart's name", `document.querySelector("#chart-per-day svg").getAttribute("aria-label")`); !strings.Contains(label, "每日存证数") {
		t.Errorf("after switching to Chinese the chart of days is named %q", label)
	}
	tab.Screenshot("dashboard-zh")

	// A depositor is sent away (in Chinese, the language chosen above).
	signIn(tab, n, person)
	tab.Run("open the dashboard as a depositor", chromedp.Navigate(n.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`#dash-gate a[href="/account"]`)))
	if msg := tab.Text("read the message", "#dash-gate .notice"); !strings.Contains(msg, "存证人") || !strings.Contains(msg, "审计员") {
		t.Errorf("a depositor on the dashboard reads %q", msg)
	}
	if hidden := browsertest.Eval[bool](tab, "is the dashboard hidden", `document.getElementById("dash").hidden`); !hidden {
		t.Error("a depositor sees the dashboard")
	}
	tab.Screenshot("dashboard-depositor")
}

// dashCounts maps the keys of counts to their numbers.
func dashCounts(cs []api.Count) map[string]uint64 {
	m := map[string]uint64{}
	for _, c := range cs {
		m[c.Key] = c.Count
	}
	return m
}

// dashWaitFinal waits until the node's final checkpoint covers size deposits.
func dashWaitFinal(t *testing.T, n *node, size uint64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); n.status().TreeSize < size; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the final tree holds %d deposits after 30 s, want %d", n.status().TreeSize, size)
		}
	}
}
