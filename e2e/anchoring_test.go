package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/anchor"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/witness"
)

// TestAnchoringTwoNetworks runs a copyright platform network anchoring
// into a court network, each with two validators of its own, and the
// court on the other crypto suite. One setup is shared by the subtests,
// which run in order: each makes its own deposits and leaves both
// networks running and anchoring.
func TestAnchoringTwoNetworks(t *testing.T) {
	start := time.Now()
	tn := startTwoNetworks(t)
	tn.registerPlatform()
	tn.anchorOut()
	t.Logf("two networks started, the platform registered at the court and anchoring: %v", time.Since(start).Round(time.Millisecond))
	owner := tn.newPlatformDepositor(t, "Copyright Owner")
	for _, st := range []struct {
		name string
		run  func(*testing.T, *twoNetworks, *depositor)
	}{
		{"ComposedReceipt", testComposedReceipt},
		{"AnchorForkRefused", testAnchorForkRefused},
		{"UpstreamDownThenCatchUp", testUpstreamDownThenCatchUp},
		{"PackageOfAnchoredEvidence", testPackageOfAnchoredEvidence},
	} {
		t.Run(st.name, func(t *testing.T) {
			begin := time.Now()
			st.run(t, tn, owner)
			t.Logf("%s: %v", st.name, time.Since(begin).Round(time.Millisecond))
		})
	}
}

// testComposedReceipt: deposits on the platform are anchored at the court,
// a receipt is upgraded to a composed one whose first part is the receipt
// byte for byte, and verify proves it all under the two policies, and
// fails, naming the check, when any part is changed.
func testComposedReceipt(t *testing.T, tn *twoNetworks, owner *depositor) {
	ds := owner.deposit(t, map[string]string{"song.flac": "fLaC a song of 2026", "lyrics.txt": "words of the song"})
	a := tn.waitAnchored(t, maxIndex(ds)+1)
	if a.Origin != tn.platform.origin || a.CourtOrigin != tn.court.origin || a.Size < maxIndex(ds)+1 {
		t.Fatalf("anchor: origin %s court %s size %d; want %s, %s, >= %d", a.Origin, a.CourtOrigin, a.Size, tn.platform.origin, tn.court.origin, maxIndex(ds)+1)
	}
	if res, err := tn.platform.pol.Verify([]byte(a.Checkpoint)); err != nil || res.Checkpoint.Size != a.Size || !bytes.Equal(res.Checkpoint.Hash, a.RootHash) {
		t.Fatalf("the anchor record is not the platform's final checkpoint of size %d: %v", a.Size, err)
	}
	// The court's receipt of the anchor entry is an ordinary receipt whose
	// content is the anchor record: the CLI verifies it with the court's
	// policy alone.
	record := writeFile(t, "anchor-record", []byte(a.Checkpoint))
	if err := os.WriteFile(record+".tlog-proof", []byte(a.Receipt), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, nil, "verify", "--policy", tn.courtPolicy, record); code != 0 || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("the court's anchor receipt under the court policy: exit %d\n%s%s", code, out, errOut)
	}
	// Both court nodes list the log with its policy and latest anchor.
	platformPolicy, err := os.ReadFile(tn.platformPolicy)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tn.court.nodes {
		waitFor(t, 20*time.Second, n.URL+" lists the anchor", func() (bool, string) {
			l := tn.outsideLog(t, n)
			return l != nil && l.Latest != nil && l.Latest.Size >= a.Size && l.Anchors >= 1, fmt.Sprintf("%+v", l)
		})
		if l := tn.outsideLog(t, n); l.Policy != string(platformPolicy) {
			t.Errorf("%s lists the platform with policy\n%s\nwant\n%s", n.URL, l.Policy, platformPolicy)
		}
	}
	if code, latest := tn.courtAnchor(t, tn.court.nodes[1], 0); code != http.StatusOK || latest.Size < a.Size || latest.Origin != tn.platform.origin {
		t.Fatalf("GET /v1/anchors/{origin} on court node 1: %d %+v", code, latest)
	}
	var unknown api.Error
	if code := do(t, "GET", tn.court.nodes[0].URL+"/v1/anchors/no-such-log", "", &unknown); code != http.StatusNotFound {
		t.Errorf("GET /v1/anchors/ of an unregistered origin: %d %+v", code, unknown)
	}
	// The platform node stored the anchor and says whom it anchors into.
	waitFor(t, 20*time.Second, "the platform stores the anchor", func() (bool, string) {
		out := tn.outbound(t)
		for _, s := range out.Anchors {
			if s.Number == a.Number && s.Size == a.Size {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", out)
	})
	if up := tn.outbound(t).Upstreams[0]; up.Origin != tn.court.origin || up.AnchoredSize < a.Size || up.LastSuccess == nil || up.Anchors < 1 {
		t.Errorf("outbound upstream: %+v", up)
	}

	// Upgrade the receipt of the first file.
	file := ds[0].file
	plain := file + ".tlog-proof"
	composedFile := strings.TrimSuffix(plain, ".tlog-proof") + ".anchored.tlog-proof"
	if out, errOut, code := run(t, nil, "receipt", "upgrade", plain, "--server", tn.platform.nodes[0].URL); code != 0 {
		t.Fatalf("receipt upgrade: exit %d\n%s%s", code, out, errOut)
	}
	orig, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	composed, err := os.ReadFile(composedFile)
	if err != nil {
		t.Fatalf("receipt upgrade wrote no %s: %v", composedFile, err)
	}
	if !bytes.HasPrefix(composed, orig) || !bytes.HasPrefix(composed[len(orig):], []byte("\njurichain.org/anchored@v1\n")) {
		t.Fatalf("the composed receipt does not start with the receipt byte for byte, then an empty line and the anchored part:\n%s", composed)
	}
	parsed, err := anchor.ParseComposed(composed)
	if err != nil {
		t.Fatalf("the composed receipt does not parse: %v", err)
	}
	if out, errOut, code := run(t, nil, "receipt", "upgrade", plain, "--server", tn.platform.nodes[0].URL); code == 0 {
		t.Errorf("receipt upgrade over an existing composed receipt succeeded:\n%s%s", out, errOut)
	}
	if again, _ := os.ReadFile(composedFile); !bytes.Equal(again, composed) {
		t.Errorf("receipt upgrade overwrote %s", composedFile)
	}

	out, errOut, code := run(t, nil, "verify", "--policy", tn.platformPolicy, "--anchor-policy", tn.courtPolicy, file, composedFile)
	m := regexp.MustCompile(`anchored in:\s+` + regexp.QuoteMeta(tn.court.origin) + `, anchor #(\d+)`).FindStringSubmatch(out)
	if code != 0 || !strings.Contains(out, "VERIFIED") || m == nil {
		t.Fatalf("verify --anchor-policy: exit %d\n%s%s", code, out, errOut)
	}
	// The anchor used is the first that covers the receipt's checkpoint.
	r, err := receipt.Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	cpSize := checkpointSize(t, r.Checkpoint)
	if _, covering := tn.courtAnchor(t, tn.court.nodes[0], cpSize); m[1] != fmt.Sprint(covering.Number) || string(parsed.Anchored) != covering.Checkpoint || string(parsed.Court) != covering.Receipt {
		t.Errorf("verify names anchor #%s; the first anchor covering size %d is #%d, and the composed receipt should carry its record and court receipt", m[1], cpSize, covering.Number)
	}
	if _, errOut, code := run(t, nil, "verify", "--policy", tn.platformPolicy, file, composedFile); code == 0 || !strings.Contains(errOut, "--anchor-policy") {
		t.Errorf("a composed receipt verified without --anchor-policy: exit %d, %s", code, errOut)
	}

	changedFile := writeFile(t, filepath.Base(file), append([]byte("x"), mustRead(t, file)[1:]...))
	withCourt := func(court []byte) []byte {
		c := *parsed
		c.Court = court
		return c.Format()
	}
	anchoredAt := bytes.Index(composed, []byte(anchor.ComposedHeader))
	for _, tc := range []struct {
		name                 string
		policy, anchorPolicy string
		file                 string
		composed             []byte
		wantAny              []string
	}{
		{"one changed byte of the file", tn.platformPolicy, tn.courtPolicy, changedFile, composed, []string{"content digest"}},
		{"one changed byte of the court part", tn.platformPolicy, tn.courtPolicy, file, withCourt(flipRoot(t, parsed.Court, 0, tn.court.origin)), []string{"court receipt"}},
		{"one changed byte of the anchored checkpoint", tn.platformPolicy, tn.courtPolicy, file, flipRoot(t, composed, anchoredAt, tn.platform.origin), []string{"anchored checkpoint"}},
		{"the policies swapped", tn.courtPolicy, tn.platformPolicy, file, composed, []string{"crypto suite", "checkpoint signatures"}},
	} {
		f := writeFile(t, "changed.anchored.tlog-proof", tc.composed)
		out, errOut, code := run(t, nil, "verify", "--policy", tc.policy, "--anchor-policy", tc.anchorPolicy, tc.file, f)
		named := false
		for _, w := range tc.wantAny {
			named = named || strings.Contains(errOut, w)
		}
		if code != 1 || !named {
			t.Errorf("%s: exit %d, want 1 and an error naming %q:\n%s%s", tc.name, code, tc.wantAny, out, errOut)
		}
	}
}

// testAnchorForkRefused: a checkpoint of the platform, signed by all its
// validators, of an anchored size but with another root is a proven fork:
// the court refuses it, both court nodes record it, and anchoring goes on.
func testAnchorForkRefused(t *testing.T, tn *twoNetworks, owner *depositor) {
	c0 := tn.court.nodes[0]
	code, latest := tn.courtAnchor(t, c0, 0)
	if code != http.StatusOK {
		t.Fatalf("no anchor of the platform yet: %d", code)
	}
	root := bytes.Clone(latest.RootHash)
	root[0] ^= 0xff
	p := tn.platform
	logSigner, err := jnode.Home(p.nodes[0].home).LogSigner(p.origin)
	if err != nil {
		t.Fatal(err)
	}
	signers := []note.Signer{logSigner}
	for _, n := range p.nodes {
		key, err := os.ReadFile(filepath.Join(n.home, "config", "cosign.key"))
		if err != nil {
			t.Fatal(err)
		}
		cosigner, err := testSuite.NewCosigner(strings.TrimSpace(string(key)), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, cosigner)
	}
	sign := func(origin string, signers ...note.Signer) []byte {
		t.Helper()
		text := log.Checkpoint{Origin: origin, Size: latest.Size, Hash: root}.Marshal()
		signed, err := note.Sign(&note.Note{Text: string(text)}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	forged := sign(p.origin, signers...)
	if _, err := p.pol.Verify(forged); err != nil {
		t.Fatalf("the forged checkpoint does not satisfy the platform policy, so it proves nothing: %v", err)
	}
	post := func(checkpoint []byte) (int, api.Error) {
		t.Helper()
		var e api.Error
		code := do(t, "POST", c0.URL+"/v1/anchors", string((&witness.Request{Old: latest.Size, Checkpoint: checkpoint}).Format()), &e)
		return code, e
	}
	// Neither a checkpoint short of the policy's cosignatures nor one of an
	// unregistered log proves anything.
	if code, e := post(sign(p.origin, signers[:2]...)); code != http.StatusForbidden || e.Code != "forbidden" {
		t.Errorf("a forged checkpoint with one cosignature of two: %d %+v", code, e)
	}
	if code, e := post(sign("unregistered-log", signers...)); code != http.StatusNotFound || e.Code != "not_found" {
		t.Errorf("a checkpoint of an unregistered log: %d %+v", code, e)
	}
	if code, e := post(forged); code != http.StatusConflict || e.Code != "fork" {
		t.Fatalf("a forked checkpoint: %d %+v; want 409 fork", code, e)
	}
	type record struct {
		Kind, Origin, Institution string
		Size                      uint64
		Theirs, Ours              string
	}
	for _, n := range tn.court.nodes {
		var forks []record
		waitFor(t, 20*time.Second, n.URL+" records the fork", func() (bool, string) {
			var all []record
			if code := do(t, "GET", n.URL+"/v1/misbehaviour", "", &all); code != http.StatusOK {
				t.Fatalf("GET /v1/misbehaviour: %d", code)
			}
			forks = forks[:0]
			for _, r := range all {
				if r.Kind == "fork" {
					forks = append(forks, r)
				}
			}
			return len(forks) > 0, fmt.Sprintf("%+v", all)
		})
		if f := forks[0]; len(forks) != 1 || f.Origin != p.origin || f.Size != latest.Size || f.Theirs != string(forged) || f.Ours != latest.Checkpoint {
			t.Errorf("%s lists the forks %+v; want one of %s size %d with the refused and the anchored checkpoints", n.URL, forks, p.origin, latest.Size)
		}
	}
	// Genuine anchors still work.
	ds := owner.deposit(t, map[string]string{"after-the-fork.txt": "a deposit after the fork was refused"})
	a := tn.waitAnchored(t, maxIndex(ds)+1)
	if a.Size <= latest.Size {
		t.Fatalf("the anchor after the fork has size %d, the earlier one %d", a.Size, latest.Size)
	}
}

// testUpstreamDownThenCatchUp: with the court down the platform keeps
// depositing and says why it cannot anchor; once the court is back the
// next anchor covers every deposit made meanwhile.
func testUpstreamDownThenCatchUp(t *testing.T, tn *twoNetworks, owner *depositor) {
	code, before := tn.courtAnchor(t, tn.court.nodes[0], 0)
	if code != http.StatusOK {
		t.Fatalf("no anchor of the platform yet: %d", code)
	}
	for _, n := range tn.court.nodes {
		n.terminate()
	}
	ds := owner.deposit(t, map[string]string{"down-1.txt": "made while the court was down, 1", "down-2.txt": "made while the court was down, 2", "down-3.txt": "made while the court was down, 3"})
	var first uint64 = maxIndex(ds)
	for _, d := range ds {
		first = min(first, d.index)
	}
	if first < before.Size {
		t.Fatalf("a deposit made while the court was down has index %d, below the anchored size %d", first, before.Size)
	}
	waitFor(t, 20*time.Second, "the platform reports the upstream down", func() (bool, string) {
		up := tn.outbound(t).Upstreams[0]
		return up.LastError != "" && up.NextAttempt != nil, fmt.Sprintf("%+v", up)
	})
	for _, n := range tn.court.nodes {
		n.start()
	}
	back := time.Now()
	a := tn.waitAnchored(t, first+1)
	t.Logf("anchored again %v after the court was back", time.Since(back).Round(time.Millisecond))
	if a.Size < maxIndex(ds)+1 {
		t.Errorf("the first anchor after the court was back has size %d; the deposits made while it was down reach %d", a.Size, maxIndex(ds)+1)
	}
	for _, d := range ds {
		if out, errOut, code := run(t, nil, "receipt", "upgrade", d.file+".tlog-proof", "--server", tn.platform.nodes[0].URL); code != 0 {
			t.Fatalf("receipt upgrade of %s: exit %d\n%s%s", d.file, code, out, errOut)
		}
		composed := d.file + ".anchored.tlog-proof"
		if out, errOut, code := run(t, nil, "verify", "--policy", tn.platformPolicy, "--anchor-policy", tn.courtPolicy, d.file, composed); code != 0 || !regexp.MustCompile(`anchored in:\s+`+regexp.QuoteMeta(tn.court.origin)+`, anchor #`).MatchString(out) {
			t.Errorf("verify of %s: exit %d\n%s%s", d.file, code, out, errOut)
		}
	}
}

// testPackageOfAnchoredEvidence: a depositor packages the evidence granted
// to a case; the package verifies offline with each item anchored at the
// court; tampered copies fail naming the item; the court imports the
// genuine and a tampered package and records both verdicts on its ledger.
func testPackageOfAnchoredEvidence(t *testing.T, tn *twoNetworks, owner *depositor) {
	const caseNo = "(2026)京0491民初88号"
	ds := owner.deposit(t, map[string]string{"master.wav": "RIFF a master recording", "score.txt": "the score, bar by bar"}, "--upload")
	for _, d := range ds {
		if out, errOut, code := run(t, nil, "grant", d.id, "--court", "institution0", "--case", caseNo, "--server", owner.servers, "--key", owner.key); code != 0 {
			t.Fatalf("grant: exit %d\n%s%s", code, out, errOut)
		}
	}
	// The package holds each receipt at the latest checkpoint, which the
	// grants' trail records made larger than the deposits' own: wait for
	// an anchor of the whole tree so the receipts upgrade.
	a := tn.waitAnchored(t, tn.platform.nodes[0].status().TreeSize)
	waitFor(t, 20*time.Second, "the platform stores the anchor", func() (bool, string) {
		out := tn.outbound(t)
		return len(out.Anchors) > 0 && out.Anchors[0].Size >= a.Size, fmt.Sprintf("%+v", out.Upstreams)
	})
	pkg := filepath.Join(t.TempDir(), "case.zip")
	if out, errOut, code := run(t, nil, "package", "create", "--case", caseNo, "--court", "institution0", "--server", owner.servers, "--key", owner.key, "--out", pkg); code != 0 {
		t.Fatalf("package create: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := run(t, nil, "verify", pkg)
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToUpper(l), "VERIFIED") && strings.Contains(l, tn.court.origin+" #") {
			rows++
		}
	}
	if code != 0 {
		t.Fatalf("verify PACKAGE.zip: exit %d\n%s%s", code, out, errOut)
	}
	if rows != len(ds) {
		t.Errorf("verify PACKAGE.zip: %d rows verified and anchored at %s; want %d\n%s%s", rows, tn.court.origin, len(ds), out, errOut)
	}

	zipped := mustRead(t, pkg)
	names := zipNames(t, zipped)
	original := firstMatch(t, names, `^items/[^/]+/original/`)
	rcpt := firstMatch(t, names, `^items/[^/]+/receipt\.tlog-proof$`)
	itemOf := func(path string) string { return strings.Join(strings.SplitN(path, "/", 3)[:2], "/") }
	tampered := map[string][]byte{}
	for _, tc := range []struct {
		name, path string
		edit       func([]byte) []byte
		wantAny    []string
	}{
		{"one byte of one original", original, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, []string{itemOf(original)}},
		{"one byte of one receipt", rcpt, func(b []byte) []byte { b[len(b)-2] ^= 1; return b }, []string{itemOf(rcpt)}},
		// The original's line says it is one byte longer: the manifest's
		// signature no longer holds, nor does the line for the file.
		{"one manifest line", "manifest.txt", func(b []byte) []byte {
			loc := regexp.MustCompile(`(?m)^file [0-9a-f]+ \d+ ` + regexp.QuoteMeta(original) + `$`).FindIndex(b)
			if loc == nil {
				t.Fatalf("the manifest has no line for %s:\n%s", original, b)
			}
			line := regexp.MustCompile(`^(file [0-9a-f]+ )(\d+)`).ReplaceAllFunc(b[loc[0]:loc[1]], func(m []byte) []byte {
				var n int
				fmt.Sscan(string(m[bytes.LastIndexByte(m, ' ')+1:]), &n)
				return fmt.Appendf(nil, "%s%d", m[:bytes.LastIndexByte(m, ' ')+1], n+1)
			})
			return slices.Concat(b[:loc[0]], line, b[loc[1]:])
		}, []string{"manifest", itemOf(original)}},
	} {
		bad := rewriteZip(t, zipped, tc.path, tc.edit)
		tampered[tc.name] = bad
		f := writeFile(t, "tampered.zip", bad)
		out, errOut, code := run(t, nil, "verify", f)
		named := false
		for _, w := range tc.wantAny {
			named = named || strings.Contains(out+errOut, w)
		}
		if code == 0 || !named {
			t.Errorf("verify of a package with %s changed (%s): exit %d, want non-zero naming %q\n%s%s", tc.name, tc.path, code, tc.wantAny, out, errOut)
		}
	}

	// The court imports with its own policies and records the verdicts.
	clerk, auth := tn.courtStaff(t, identity.Clerk)
	courtPol := tn.court.nodes[0].policy()
	for _, tc := range []struct {
		name    string
		body    []byte
		verdict string
	}{
		{"the genuine package", zipped, "verified"},
		{"the package with a changed original", tampered["one byte of one original"], "failed"},
	} {
		req, err := http.NewRequest("POST", tn.court.nodes[0].URL+"/v1/packages/import", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/zip")
		if err := auth.Authorize(req, tc.body); err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Timeout: commandTimeout}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res struct {
			Import  string            `json:"import"`
			Verdict string            `json:"verdict"`
			Items   []json.RawMessage `json:"items"`
			Receipt string            `json:"receipt"`
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("import of %s: %d %s", tc.name, resp.StatusCode, data)
		}
		decodeJSON(t, data, &res)
		if res.Verdict != tc.verdict || len(res.Items) != len(ds) || res.Import == "" {
			t.Errorf("import of %s: verdict %q with %d items; want %q with %d\n%s", tc.name, res.Verdict, len(res.Items), tc.verdict, len(ds), data)
		}
		r, err := receipt.Parse([]byte(res.Receipt))
		if err != nil {
			t.Fatalf("import of %s: the verdict's receipt: %v", tc.name, err)
		}
		if _, err := receipt.Verify(courtPol, r, receipt.Evidence{}); err != nil {
			t.Errorf("import of %s: the verdict's receipt does not verify under the court policy: %v", tc.name, err)
		}
		var list []byte
		if code := doAs(t, clerk, "GET", "/v1/packages/imports", "", &list); code != http.StatusOK || !bytes.Contains(list, []byte(res.Import)) {
			t.Errorf("GET /v1/packages/imports does not list import %s: %d %s", res.Import, code, list)
		}
	}
}

// checkpointSize is the tree size of a checkpoint note.
func checkpointSize(t *testing.T, signed []byte) uint64 {
	t.Helper()
	lines := strings.SplitN(string(signed), "\n", 3)
	var n uint64
	if len(lines) < 3 {
		t.Fatalf("not a checkpoint: %q", signed)
	}
	if _, err := fmt.Sscan(lines[1], &n); err != nil {
		t.Fatalf("checkpoint size %q: %v", lines[1], err)
	}
	return n
}

// flipRoot changes one character of the root hash of the first checkpoint
// of origin found in b at or after from.
func flipRoot(t *testing.T, b []byte, from int, origin string) []byte {
	t.Helper()
	if from < 0 {
		t.Fatalf("no part to change in:\n%s", b)
	}
	at := bytes.Index(b[from:], []byte(origin+"\n"))
	if at < 0 {
		t.Fatalf("no checkpoint of %s after byte %d of:\n%s", origin, from, b)
	}
	at += from + len(origin) + 1
	at += bytes.IndexByte(b[at:], '\n') + 1 // the size line
	return flipBase64(b, at)
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zipNames lists a ZIP's entries.
func zipNames(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func firstMatch(t *testing.T, names []string, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, n := range names {
		if re.MatchString(n) {
			return n
		}
	}
	t.Fatalf("no entry matching %s in %v", pattern, names)
	return ""
}

// rewriteZip copies a ZIP, entries in order, with the content of one entry
// edited.
func rewriteZip(t *testing.T, b []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			found = true
			before := bytes.Clone(content)
			if content = edit(content); bytes.Equal(content, before) {
				t.Fatalf("the edit left %s unchanged", name)
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: f.Method, Modified: f.Modified})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("no entry %s", name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
