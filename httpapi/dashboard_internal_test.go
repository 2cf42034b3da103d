package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestHealthProbe probes members' APIs that answer, fail, hang, are gone
// or are not named: each gets its status and a message, and no probe
// takes longer than its timeout.
func TestHealthProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/base/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "stopping", http.StatusServiceUnavailable) }))
	defer failing.Close()
	redirecting := httptest.NewServer(http.RedirectHandler(ok.URL+"/base/healthz", http.StatusFound))
	defer redirecting.Close()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name, api, status, message string
	}{
		{"healthy", ok.URL + "/base/", api.HealthOK, ""},
		{"failing", failing.URL, api.HealthFailing, "503"},
		{"redirecting", redirecting.URL, api.HealthFailing, "302"},
		{"hanging", hanging.URL, api.HealthUnreachable, "within 2s"},
		{"gone", gone, api.HealthUnreachable, "check that the member's node is running"},
		{"no API URL", "", api.HealthUnknown, "names no API URL"},
		{"not http", "ftp://example.org/", api.HealthUnknown, "not an http(s) URL"},
		{"credentials", "http://user:pw@example.org/", api.HealthUnknown, "not an http(s) URL"},
	}
	h := newHealthProber(time.Now)
	for _, tc := range tests {
		start := time.Now()
		got := h.check(context.Background(), tc.api)
		took := time.Since(start)
		if got.Status != tc.status || !strings.Contains(got.Message, tc.message) || (tc.message == "") != (got.Message == "") {
			t.Errorf("%s: %+v, want %s with %q", tc.name, got, tc.status, tc.message)
		}
		if took > probeTimeout+time.Second {
			t.Errorf("%s: the probe took %v", tc.name, took)
		}
		if (tc.status == api.HealthUnknown) != got.CheckedAt.IsZero() {
			t.Errorf("%s: checked at %v", tc.name, got.CheckedAt)
		}
	}
}

// TestHealthProbesAreShared asks many times at once and again within
// probeTTL: the member is probed once; after probeTTL, once more.
func TestHealthProbesAreShared(t *testing.T) {
	var hits atomic.Int32
	member := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(50 * time.Millisecond)
	}))
	defer member.Close()
	clock := &fakeClock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	h := newHealthProber(clock.Now)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if got := h.check(context.Background(), member.URL); got.Status != api.HealthOK {
				t.Errorf("a concurrent check: %+v", got)
			}
		})
	}
	wg.Wait()
	clock.add(probeTTL - time.Second)
	h.check(context.Background(), member.URL)
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d probes for 21 checks within %v, want 1", n, probeTTL)
	}
	clock.add(time.Second)
	if got := h.check(context.Background(), member.URL); got.Status != api.HealthOK || !got.CheckedAt.Equal(clock.Now()) {
		t.Fatalf("the check after %v: %+v", probeTTL, got)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d probes after %v, want 2", n, probeTTL)
	}
}

// TestStatsRange checks the days GET /v1/stats counts, given or not.
func TestStatsRange(t *testing.T) {
	day := func(s string) int64 {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return dayOf(tm)
	}
	first, last, today := day("2020-03-01"), day("2026-04-30"), day("2026-05-01")
	tests := []struct {
		query    string
		counted  bool
		from, to string
		err      string
	}{
		{"", true, "2020-03-01", "2026-05-01", ""},
		{"", false, "2026-05-01", "2026-05-01", ""},
		{"from=2026-04-01", true, "2026-04-01", "2026-05-01", ""},
		{"from=2027-01-01", true, "2027-01-01", "2027-01-01", ""},
		{"from=2000-01-01", true, "2000-01-01", "2010-01-07", ""},
		{"to=2026-03-31", true, "2020-03-01", "2026-03-31", ""},
		{"to=2019-12-31", true, "2019-12-31", "2019-12-31", ""},
		{"to=2040-01-01", true, "2029-12-25", "2040-01-01", ""},
		{"from=2026-05-01&to=2026-05-01", true, "2026-05-01", "2026-05-01", ""},
		{"from=2016-04-30&to=2026-05-07", true, "2016-04-30", "2026-05-07", ""},
		{"from=2016-04-29&to=2026-05-07", true, "", "", "from: 2016-04-29 to 2026-05-07 covers 3661 days"},
		{"from=2026-05-02&to=2026-05-01", true, "", "", "to: 2026-05-01 is before from 2026-05-02"},
		{"from=2026-5-1", true, "", "", "from: \"2026-5-1\" is not a date"},
		{"to=2026-05-01T00:00:00Z", true, "", "", "to: "},
	}
	for _, tc := range tests {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := parseStatsRange(q)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), api.CodeInvalid+": "+tc.err) {
				t.Errorf("%q: %v, want %q", tc.query, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.query, err)
			continue
		}
		from, to := rg.resolve(first, last, tc.counted, today)
		if dayString(from) != tc.from || dayString(to) != tc.to || to-from+1 > maxStatsDays {
			t.Errorf("%q: %s to %s, want %s to %s", tc.query, dayString(from), dayString(to), tc.from, tc.to)
		}
	}
}

// opening is the canonical encoding of an opening with this media type.
func opening(t testing.TB, mediaType string) []byte {
	t.Helper()
	o := &deposit.Opening{Metadata: deposit.Metadata{Title: "a title", MediaType: mediaType, CaseRef: "(2026)京0491民初123号"}, Salt: make([]byte, deposit.SaltSize)}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o.AppendBinary(nil)
}

func TestOpeningMediaType(t *testing.T) {
	tests := []struct {
		opening []byte
		want    string
		ok      bool
	}{
		{opening(t, "image/jpeg"), "image/jpeg", true},
		{opening(t, "Text/Plain; charset=UTF-8"), "text/plain", true},
		{opening(t, "application/vnd.ms-excel"), "application/vnd.ms-excel", true},
		{opening(t, "image/jpeg")[:deposit.SaltSize+4+7+3], "", false},
		{nil, "", false},
		{make([]byte, deposit.SaltSize+8), "", false},
	}
	for _, tc := range tests {
		got, ok := openingMediaType(tc.opening)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%x: %q %v, want %q %v", tc.opening, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzOpeningMediaType checks the media type read from stored openings
// against the full decoder: never a panic, and for an opening that
// decodes, its media type.
func FuzzOpeningMediaType(f *testing.F) {
	f.Add(opening(f, "image/jpeg"))
	f.Add(opening(f, "text/html; charset=utf-8"))
	f.Fuzz(func(t *testing.T, op []byte) {
		got, ok := openingMediaType(op)
		o, err := deposit.ParseOpening(op)
		if err != nil {
			return
		}
		want, _, _ := strings.Cut(o.MediaType, ";")
		if !ok || got != strings.ToLower(strings.TrimSpace(want)) {
			t.Fatalf("opening of media type %q read as %q %v", o.MediaType, got, ok)
		}
	})
}

// synthetic is a store holding n deposits certified over ten days, a
// third of them with their opening, by depositors whose keys name who.
type synthetic struct {
	st   *store.Store
	cs   *suite.Suite
	size uint64
	who  depositorOf
	// media counts the openings stored by media type.
	media map[string]uint64
}

var syntheticStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func newSynthetic(t testing.TB, cs *suite.Suite, n int, mediaTypes int) *synthetic {
	t.Helper()
	st, err := store.Open(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &synthetic{st: st, cs: cs, size: uint64(n), media: map[string]uint64{}}
	keys := make([][]byte, 4)
	for i := range keys {
		keys[i] = make([]byte, cs.Signature().PublicKeySize())
		rand.Read(keys[i])
	}
	s.who = func(pub []byte) (string, string) {
		switch i := slices.IndexFunc(keys, func(k []byte) bool { return string(k) == string(pub) }); i {
		case 0, 1:
			return "xuhui-notary", "individual"
		case 2:
			return "hangzhou-internet-court", "enterprise"
		case 3:
			return "xuhui-notary", kindNode
		}
		return unknownDepositor, unknownDepositor
	}
	alg, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		t.Fatal(err)
	}
	const perBatch = 10_000
	every := 10 * 24 * time.Hour / time.Duration(n)
	for from := 0; from < n; from += perBatch {
		b := st.NewBatch()
		var ids, openings [][]byte
		for i := from; i < min(from+perBatch, n); i++ {
			l := deposit.Leaf{Index: uint64(i), Height: uint64(i/100 + 1), Time: syntheticStart.Add(time.Duration(i) * every)}
			sum := cs.Hash(fmt.Appendf(nil, "content %d", i))
			l.Digests = []deposit.Digest{{Algorithm: alg, Value: sum[:]}}
			l.Size, l.Depositor, l.IdempotencyKey, l.Signature = 1, keys[i%len(keys)], fmt.Sprint("idem-", i), make([]byte, 64)
			if i%3 == 0 {
				mt := fmt.Sprintf("image/type%d", (i/3)%mediaTypes)
				op := opening(t, mt)
				if i%30 == 0 { // an opening the leaf does not commit to
					mt = ""
				} else {
					l.MetadataCommitment = cs.Hash([]byte(deposit.CommitmentDomain), op)
				}
				s.media[mt]++
				id, _ := hex.DecodeString(l.ID(cs))
				ids, openings = append(ids, id), append(openings, op)
			}
			b.PutLeaf(uint64(i), l.AppendBinary(nil))
		}
		b.PutState(store.State{Height: uint64(from/100 + 1), Size: uint64(min(from+perBatch, n))})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := st.PutOpenings(ids, openings); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestDepositStatsCounts counts a synthetic log in two steps, as two
// requests would, and checks every figure against what it holds.
func TestDepositStatsCounts(t *testing.T) {
	cs := suite.International()
	const n = 3000
	s := newSynthetic(t, cs, n, 7)
	st := newDepositStats()
	ctx := context.Background()
	if err := st.count(ctx, cs, s.st, n/2, s.who); err != nil {
		t.Fatal(err)
	}
	if err := st.count(ctx, cs, s.st, n, s.who); err != nil {
		t.Fatal(err)
	}
	first, last, ok := st.span()
	if !ok || dayString(first) != "2026-05-01" || dayString(last) != "2026-05-10" {
		t.Fatalf("span %s to %s", dayString(first), dayString(last))
	}
	got := st.sum(first, last)
	if got.Total != n || len(got.PerDay) != 10 || got.PerDay[0].Count != n/10 {
		t.Fatalf("total %d over %d days, first day %+v", got.Total, len(got.PerDay), got.PerDay[0])
	}
	var media uint64
	for _, c := range got.MediaTypes {
		if c.Count != s.media[c.Key] {
			t.Errorf("media type %s: %d, want %d", c.Key, c.Count, s.media[c.Key])
		}
		media += c.Count
	}
	if media+got.MediaTypesUnknown != n || got.MediaTypesUnknown != n-media || media != n/3-n/30 {
		t.Errorf("%d deposits of known media type, %d unknown", media, got.MediaTypesUnknown)
	}
	want := []api.Count{{Key: "xuhui-notary", Count: 3 * n / 4}, {Key: "hangzhou-internet-court", Count: n / 4}}
	if !slices.Equal(got.Institutions, want) {
		t.Errorf("institutions %+v, want %+v", got.Institutions, want)
	}
	want = []api.Count{{Key: "individual", Count: n / 2}, {Key: "enterprise", Count: n / 4}, {Key: kindNode, Count: n / 4}}
	if !slices.Equal(got.AccountKinds, want) {
		t.Errorf("account kinds %+v, want %+v", got.AccountKinds, want)
	}
	if one := st.sum(first+2, first+2); one.Total != n/10 || one.From != "2026-05-03" || one.To != one.From {
		t.Errorf("the third day: %+v", one)
	}
}

// TestDepositStatsBoundsMediaTypes counts more media types than the
// answer names: it names the most frequent and sums the rest as "other".
func TestDepositStatsBoundsMediaTypes(t *testing.T) {
	cs := suite.International()
	s := newSynthetic(t, cs, 3*(maxMediaTypes+50), maxMediaTypes+50)
	st := newDepositStats()
	if err := st.count(context.Background(), cs, s.st, s.size, s.who); err != nil {
		t.Fatal(err)
	}
	got := st.sum(dayOf(syntheticStart), dayOf(syntheticStart)+10)
	var listed uint64
	for _, c := range got.MediaTypes {
		listed += c.Count
	}
	if len(got.MediaTypes) != maxMediaTypes || !slices.ContainsFunc(got.MediaTypes, func(c api.Count) bool { return c.Key == statsOther && c.Count > 0 }) ||
		listed+got.MediaTypesUnknown != got.Total {
		t.Fatalf("%d media types listed, %d deposits in them of %d: %+v", len(got.MediaTypes), listed, got.Total, got.MediaTypes)
	}
}

// TestMostFrequentMediaTypes checks that many rare media types, as one
// depositor can make up, do not push a frequent one out of the answer.
func TestMostFrequentMediaTypes(t *testing.T) {
	var cs []api.Count
	for i := range 3 * maxMediaTypes {
		cs = append(cs, api.Count{Key: fmt.Sprintf("x-junk/%04d", i), Count: 1})
	}
	cs = append(cs, api.Count{Key: "image/jpeg", Count: 3})
	slices.SortFunc(cs, largestFirst)
	got := mostFrequent(cs, maxMediaTypes)
	if len(got) != maxMediaTypes || got[0] != (api.Count{Key: statsOther, Count: 3*maxMediaTypes - (maxMediaTypes - 2)}) ||
		got[1] != (api.Count{Key: "image/jpeg", Count: 3}) {
		t.Fatalf("the answer names %d types, first %+v", len(got), got[:2])
	}
}

// TestDepositStatsStopsWithTheRequest cancels a count: it stops, keeps
// what it counted and goes on at the next.
func TestDepositStatsStopsWithTheRequest(t *testing.T) {
	cs := suite.International()
	s := newSynthetic(t, cs, 3*statsChunk, 3)
	st := newDepositStats()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.count(ctx, cs, s.st, s.size, s.who); err == nil || st.next != 0 {
		t.Fatalf("a cancelled count: %v, counted %d", err, st.next)
	}
	if err := st.count(context.Background(), cs, s.st, s.size, s.who); err != nil || st.next != s.size {
		t.Fatalf("the next count: %v, counted %d of %d", err, st.next, s.size)
	}
}

// TestGrowthPoints samples the growth of a synthetic log whose deposits
// are certified at even intervals: each point's size is the number of
// deposits certified by its time.
func TestGrowthPoints(t *testing.T) {
	cs := suite.International()
	const n = 1000
	syn := newSynthetic(t, cs, n, 3)
	d := New(Config{Suite: cs, Store: syn.st}).newDashboard()
	every := 10 * 24 * time.Hour / n
	for _, points := range []int{1, 2, 7, maxGrowthPoints} {
		got, err := d.growthPoints(context.Background(), n, points)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != points || got[len(got)-1].TreeSize != n || !got[len(got)-1].Time.Equal(syntheticStart.Add((n-1)*every)) {
			t.Fatalf("%d points: %d, ending with %+v", points, len(got), got[len(got)-1])
		}
		for _, p := range got {
			if want := uint64(p.Time.Sub(syntheticStart)/every) + 1; p.TreeSize != want {
				t.Fatalf("%d points: at %v the tree has %d deposits, want %d", points, p.Time, p.TreeSize, want)
			}
		}
	}
	if got, err := d.growthPoints(context.Background(), 0, 10); err != nil || len(got) != 0 {
		t.Fatalf("an empty tree: %+v %v", got, err)
	}
}

// BenchmarkStats measures GET /v1/stats's work over a log of 100,000
// deposits: counting them all once (a node's first request after it
// starts), then answering from the counts, as every later request does.
func BenchmarkStats(b *testing.B) {
	cs := suite.International()
	const n = 100_000
	s := newSynthetic(b, cs, n, 20)
	b.Run("count 100000 deposits", func(b *testing.B) {
		for b.Loop() {
			st := newDepositStats()
			if err := st.count(context.Background(), cs, s.st, n, s.who); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("answer", func(b *testing.B) {
		st := newDepositStats()
		if err := st.count(context.Background(), cs, s.st, n, s.who); err != nil {
			b.Fatal(err)
		}
		from, to, _ := st.span()
		for b.Loop() {
			if err := st.count(context.Background(), cs, s.st, n, s.who); err != nil {
				b.Fatal(err)
			}
			if got := st.sum(from, to); got.Total != n {
				b.Fatalf("total %d", got.Total)
			}
		}
	})
}
