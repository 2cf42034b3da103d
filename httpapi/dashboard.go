package httpapi

// The dashboard's endpoints, for the auditors and admins of the members:
// counts of deposits (GET /v1/stats), the ledger explorer (blocks, final
// checkpoints, the growth of the tree) and the validators with a probe of
// their APIs. Every list is bounded; what costs a scan of the log is done
// once per deposit, not once per request.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// Bounds of the dashboard's answers.
const (
	// maxStatsDays bounds the days GET /v1/stats counts per day: ten
	// years.
	maxStatsDays = 3660
	// maxMediaTypes bounds the media types an answer names, the most
	// frequent in its range; the others are summed as statsOther.
	// Depositors choose media types, so without a bound they would choose
	// the answer's size.
	maxMediaTypes = 100
	// maxKnownMediaTypes bounds the media types the node counts by name
	// at all (the memory one depositor's made-up types can take); later
	// new ones count as statsOther.
	maxKnownMediaTypes = 10000
	// maxExplorerPage bounds a page of blocks or checkpoints, and
	// defaultExplorerPage is its size when ?limit= is not given.
	maxExplorerPage     = 100
	defaultExplorerPage = 20
	// maxGrowthPoints bounds ?points= of GET /v1/explorer/growth.
	maxGrowthPoints     = 500
	defaultGrowthPoints = 100
	// cosignedScan bounds how many final checkpoints GET /v1/validators
	// reads back to find each member's latest cosignature.
	cosignedScan = 1000
	// probeTimeout bounds a probe of a member's API, and probeTTL is how
	// long its result is reused: the endpoint cannot be used to flood
	// other members.
	probeTimeout = 2 * time.Second
	probeTTL     = 10 * time.Second
	// statsChunk is how many leaves counting reads at once.
	statsChunk = 1024
)

// Keys of the counts for what no account or opening tells.
const (
	statsOther       = "other"
	kindNode         = "node"
	unknownDepositor = "(unknown)"
)

// dashboard serves the dashboard's endpoints; it keeps the counts of
// deposits and the results of probes between requests.
type dashboard struct {
	s      *Server
	stats  *depositStats
	health *healthProber

	growthMu sync.Mutex
	growth   growthCache
}

// growthCache is the last answer of GET /v1/explorer/growth: it changes
// only when the tree grows.
type growthCache struct {
	size   uint64
	points int
	out    []api.GrowthPoint
}

func (s *Server) newDashboard() *dashboard {
	return &dashboard{s: s, stats: newDepositStats(), health: newHealthProber(s.cfg.Now)}
}

// dayOf is the UTC day of t, counted from 1970-01-01.
func dayOf(t time.Time) int64 {
	d := t.Unix() / 86400
	if t.Unix()%86400 < 0 {
		d--
	}
	return d
}

func dayString(d int64) string { return time.Unix(d*86400, 0).UTC().Format(time.DateOnly) }

// depositStats counts the deposits of the final tree by UTC day of their
// certified time, and within a day by media type, institution and account
// kind. Each deposit is counted once, when a request first finds it final:
// a request counts only the deposits that became final since the last.
type depositStats struct {
	// lock is held while counting or summing; a request waiting for it
	// gives up when its context ends.
	lock chan struct{}
	// next is how many leaves are counted: [0, next).
	next uint64
	days map[int64]*dayCounts
	// mediaTypes are the media types counted by name.
	mediaTypes map[string]bool
}

type dayCounts struct {
	total, mediaUnknown        uint64
	media, institutions, kinds map[string]uint64
}

func newDepositStats() *depositStats {
	return &depositStats{lock: make(chan struct{}, 1), days: map[int64]*dayCounts{}, mediaTypes: map[string]bool{}}
}

// statsSource is what counting reads: the log's leaves and the metadata
// openings this node holds (a *store.Store).
type statsSource interface {
	Leaves(start, end uint64) ([][]byte, error)
	Opening(id []byte) ([]byte, error)
}

// depositorOf names the institution and account kind of a depositor key.
type depositorOf func(pub []byte) (institution, kind string)

func (st *depositStats) acquire(ctx context.Context) error {
	select {
	case st.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (st *depositStats) release() { <-st.lock }

// count counts the leaves up to size; it must hold the lock. Counting
// stops between chunks when ctx ends, keeping what it counted.
func (st *depositStats) count(ctx context.Context, cs *suite.Suite, src statsSource, size uint64, who depositorOf) error {
	for st.next < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(st.next+statsChunk, size)
		leaves, err := src.Leaves(st.next, end)
		if err != nil {
			return fmt.Errorf("counting deposits: %w", err)
		}
		for i, lb := range leaves {
			if err := st.add(cs, src, st.next+uint64(i), lb, who); err != nil {
				return err
			}
		}
		st.next = end
	}
	return nil
}

func (st *depositStats) add(cs *suite.Suite, src statsSource, index uint64, lb []byte, who depositorOf) error {
	l, err := deposit.ParseLeaf(lb)
	if err != nil {
		return fmt.Errorf("counting deposits: stored leaf %d is corrupt: %w", index, err)
	}
	day := dayOf(l.Time)
	c := st.days[day]
	if c == nil {
		c = &dayCounts{media: map[string]uint64{}, institutions: map[string]uint64{}, kinds: map[string]uint64{}}
		st.days[day] = c
	}
	c.total++
	inst, kind := who(l.Depositor)
	c.institutions[inst]++
	c.kinds[kind]++
	mt, err := mediaTypeOf(cs, src, l)
	switch {
	case err != nil:
		return fmt.Errorf("counting deposits: deposit %d: %w", index, err)
	case mt == "":
		c.mediaUnknown++
	default:
		if !st.mediaTypes[mt] {
			if len(st.mediaTypes) >= maxKnownMediaTypes {
				mt = statsOther
			} else {
				st.mediaTypes[mt] = true
			}
		}
		c.media[mt]++
	}
	return nil
}

// mediaTypeOf returns the media type of a deposit from the metadata
// opening this node holds, or "" when it holds none (the deposit came
// through another node) or holds one that the leaf does not commit to.
func mediaTypeOf(cs *suite.Suite, src statsSource, l *deposit.Leaf) (string, error) {
	id, err := hex.DecodeString(l.ID(cs))
	if err != nil {
		return "", err
	}
	op, err := src.Opening(id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// The store keeps the opening's canonical encoding, which is what
	// the commitment hashes.
	if cs.Hash([]byte(deposit.CommitmentDomain), op) != l.MetadataCommitment {
		return "", nil
	}
	mt, ok := openingMediaType(op)
	if !ok {
		return "", nil
	}
	return mt, nil
}

// openingMediaType reads the media type from a metadata opening's
// canonical encoding (deposit.Opening.AppendBinary: the salt, then each
// field with a 4-byte length, the title first and the media type second)
// without decoding the rest, and returns it without parameters, in lower
// case.
func openingMediaType(op []byte) (string, bool) {
	b := op
	if len(b) < deposit.SaltSize {
		return "", false
	}
	b = b[deposit.SaltSize:]
	var field []byte
	for range 2 {
		if len(b) < 4 {
			return "", false
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(len(b)-4) < uint64(n) {
			return "", false
		}
		field, b = b[4:4+n], b[4+n:]
	}
	mt, _, _ := strings.Cut(string(field), ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if typ, sub, ok := strings.Cut(mt, "/"); !ok || typ == "" || sub == "" {
		return "", false
	}
	return mt, true
}

// sum adds up the counts of the days from to to (inclusive); it must hold
// the lock.
func (st *depositStats) sum(from, to int64) api.Stats {
	out := api.Stats{From: dayString(from), To: dayString(to), PerDay: []api.DayCount{}, MediaTypesScope: api.MediaTypesScope}
	media, insts, kinds := map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	for d := from; d <= to; d++ {
		dc := api.DayCount{Date: dayString(d)}
		if c := st.days[d]; c != nil {
			dc.Count = c.total
			out.Total += c.total
			out.MediaTypesUnknown += c.mediaUnknown
			for k, v := range c.media {
				media[k] += v
			}
			for k, v := range c.institutions {
				insts[k] += v
			}
			for k, v := range c.kinds {
				kinds[k] += v
			}
		}
		out.PerDay = append(out.PerDay, dc)
	}
	out.MediaTypes, out.Institutions, out.AccountKinds = mostFrequent(counts(media), maxMediaTypes), counts(insts), counts(kinds)
	return out
}

// mostFrequent keeps the first n of cs (largest first) and sums the rest
// as statsOther, so that many rare made-up types cannot push the real
// ones out of an answer.
func mostFrequent(cs []api.Count, n int) []api.Count {
	if len(cs) <= n {
		return cs
	}
	other := api.Count{Key: statsOther}
	for _, c := range cs[n-1:] {
		other.Count += c.Count
	}
	out := append(cs[:n-1:n-1], other)
	slices.SortFunc(out, largestFirst)
	return out
}

// span returns the first and last day with deposits; ok is false when
// none are counted. It must hold the lock.
func (st *depositStats) span() (first, last int64, ok bool) {
	for d := range st.days {
		if !ok || d < first {
			first = d
		}
		if !ok || d > last {
			last = d
		}
		ok = true
	}
	return first, last, ok
}

// counts lists counts, largest first, then by key.
func counts(m map[string]uint64) []api.Count {
	out := make([]api.Count, 0, len(m))
	for k, v := range m {
		out = append(out, api.Count{Key: k, Count: v})
	}
	slices.SortFunc(out, largestFirst)
	return out
}

// largestFirst orders counts largest first, then by key.
func largestFirst(a, b api.Count) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// depositor names depositors by their account, or, for a member's log
// key, by the member whose node deposits its access-trail records with
// it.
func (d *dashboard) depositor() depositorOf {
	logKeys := map[string]string{}
	for _, m := range d.s.cfg.Ledger.Membership().Members {
		logKeys[string(m.LogPubKey())] = m.Institution
	}
	return func(pub []byte) (string, string) {
		if acc := d.s.cfg.Ledger.AccountByKey(pub); acc != nil {
			return acc.Institution, string(acc.Kind)
		}
		if inst, ok := logKeys[string(pub)]; ok {
			return inst, kindNode
		}
		return unknownDepositor, unknownDepositor
	}
}

// parseDay reads a ?from= or ?to= date.
func parseDay(q url.Values, name string) (int64, bool, error) {
	v := q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, false, invalid("%s: %q is not a date such as 2026-05-01 (YYYY-MM-DD, UTC)", name, v)
	}
	return dayOf(t), true, nil
}

// wantsCSV reads ?format= (json or csv), or without it the Accept header.
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return false, nil
	case "csv":
		return true, nil
	case "":
		for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
				return true, nil
			}
		}
		return false, nil
	default:
		return false, invalid("format: want json or csv, got %q", f)
	}
}

// statsRange is the days a request asks GET /v1/stats to count.
type statsRange struct {
	from, to       int64
	hasFrom, hasTo bool
}

// parseStatsRange reads ?from= and ?to=.
func parseStatsRange(q url.Values) (statsRange, error) {
	var rg statsRange
	var err error
	if rg.from, rg.hasFrom, err = parseDay(q, "from"); err != nil {
		return rg, err
	}
	if rg.to, rg.hasTo, err = parseDay(q, "to"); err != nil {
		return rg, err
	}
	if rg.hasFrom && rg.hasTo {
		if rg.from > rg.to {
			return rg, invalid("to: %s is before from %s", dayString(rg.to), dayString(rg.from))
		}
		if days := rg.to - rg.from + 1; days > maxStatsDays {
			return rg, invalid("from: %s to %s covers %d days; ask for at most %d (ten years) at a time", dayString(rg.from), dayString(rg.to), days, maxStatsDays)
		}
	}
	return rg, nil
}

// resolve fills in the bounds not given: the range runs from the first
// day with deposits (first, when counted) to today, or to the last day
// with deposits were the node's clock behind the chain's, and covers at
// most maxStatsDays.
func (rg statsRange) resolve(first, last int64, counted bool, today int64) (from, to int64) {
	from, to = rg.from, rg.to
	if !rg.hasTo {
		to = today
		if counted {
			to = max(to, last)
		}
		if rg.hasFrom {
			to = min(max(to, from), from+maxStatsDays-1)
		}
	}
	if !rg.hasFrom {
		from = to
		if counted {
			from = min(first, to)
		}
		from = max(from, to-maxStatsDays+1)
	}
	return from, to
}

// getStats answers GET /v1/stats[?from=&to=][&format=csv].
func (d *dashboard) getStats(w http.ResponseWriter, r *http.Request) {
	if err := d.answerStats(w, r); err != nil {
		d.s.writeError(w, r, err)
	}
}

func (d *dashboard) answerStats(w http.ResponseWriter, r *http.Request) error {
	rg, err := parseStatsRange(r.URL.Query())
	if err != nil {
		return err
	}
	asCSV, err := wantsCSV(r)
	if err != nil {
		return err
	}
	st := d.stats
	if err := st.acquire(r.Context()); err != nil {
		return unavailable(err)
	}
	defer st.release()
	size := d.s.cfg.Ledger.Committed().Size
	if err := st.count(r.Context(), d.s.cfg.Suite, d.s.cfg.Store, size, d.depositor()); err != nil {
		if r.Context().Err() != nil {
			return unavailable(err)
		}
		return err
	}
	first, last, counted := st.span()
	from, to := rg.resolve(first, last, counted, dayOf(d.s.cfg.Now()))
	out := st.sum(from, to)
	out.TreeSize = size
	if p := principal(r); p.Institution != d.s.cfg.Institution {
		// The media types come from this institution's private
		// openings: on a sparse day they describe single deposits,
		// which only this institution's staff may see described.
		out.MediaTypes, out.MediaTypesUnknown, out.MediaTypesScope = []api.Count{}, out.Total, api.MediaTypesHidden
	}
	if !asCSV {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	body, err := statsCSV(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"jurichain-stats-%s-to-%s.csv\"", out.From, out.To))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // an error means the client went away
	return nil
}

// unavailable is the answer to a request whose context ended while it
// waited or counted; what was counted is kept for the next.
func unavailable(err error) error {
	return &api.Error{Code: api.CodeUnavailable, Message: fmt.Sprintf("counting the deposits took longer than the request allowed (%v); ask again, the counting goes on from where it stopped", err)}
}

// statsCSV writes the figures as one table: section, key, count.
func statsCSV(s api.Stats) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	rows := [][]string{{"section", "key", "count"}, {"total", "deposits", strconv.FormatUint(s.Total, 10)}}
	for _, d := range s.PerDay {
		rows = append(rows, []string{"day", d.Date, strconv.FormatUint(d.Count, 10)})
	}
	for _, sec := range []struct {
		name   string
		counts []api.Count
	}{{"media_type", s.MediaTypes}, {"institution", s.Institutions}, {"account_kind", s.AccountKinds}} {
		for _, c := range sec.counts {
			rows = append(rows, []string{sec.name, csvCell(c.Key), strconv.FormatUint(c.Count, 10)})
		}
	}
	rows = append(rows, []string{"media_type_unknown", "not deposited through this node", strconv.FormatUint(s.MediaTypesUnknown, 10)})
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("writing the figures as CSV: %w", err)
	}
	return b.Bytes(), nil
}

// csvCell keeps a spreadsheet from reading a key a depositor chose (a
// media type) as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// pageLimit reads ?limit= (1 to maxExplorerPage).
func pageLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultExplorerPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxExplorerPage {
		return 0, invalid("limit: want 1 to %d, got %q", maxExplorerPage, v)
	}
	return n, nil
}

// pageBefore reads ?before= (a height or a tree size, 1 or more; the
// page starts below it); without it, the page is the newest.
func pageBefore(q url.Values, what string) (uint64, error) {
	v := q.Get("before")
	if v == "" {
		return math.MaxUint64, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, invalid("before: want %s, 1 or more (\"next\" of the previous page), got %q", what, v)
	}
	return n, nil
}

// getBlocks answers GET /v1/explorer/blocks[?before=HEIGHT][&limit=N].
func (d *dashboard) getBlocks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	before, err := pageBefore(q, "a block height")
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	blocks, err := d.s.cfg.Ledger.Blocks(before, limit+1)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	out := api.BlockList{Blocks: []api.Block{}}
	if len(blocks) > limit {
		blocks = blocks[:limit]
		next := blocks[limit-1].Height
		out.More, out.Next = true, &next
	}
	for _, b := range blocks {
		signers := b.Signers
		if signers == nil {
			signers = []string{}
		}
		out.Blocks = append(out.Blocks, api.Block{Height: b.Height, Time: b.Time, Txs: b.Txs, Deposits: b.Deposits, Ordered: b.Ordered,
			TreeSize: b.TreeSize, FinalSize: b.FinalSize, Finalized: b.Finalized, AppHash: strings.ToUpper(hex.EncodeToString(b.AppHash)), LastCommitSigners: signers})
	}
	writeJSON(w, http.StatusOK, out)
}

// getCheckpoints answers GET /v1/explorer/checkpoints[?before=SIZE][&limit=N].
func (d *dashboard) getCheckpoints(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	before, err := pageBefore(q, "a tree size")
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	finals, err := d.s.cfg.Ledger.FinalCheckpoints(before, limit+1)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	out := api.CheckpointList{Checkpoints: []api.FinalCheckpoint{}}
	if len(finals) > limit {
		finals = finals[:limit]
		next := finals[limit-1].Size
		out.More, out.Next = true, &next
	}
	for _, f := range finals {
		fc := api.FinalCheckpoint{Size: f.Size, RootHash: f.Root, Checkpoint: string(f.Note), Cosignatures: []api.Cosignature{}}
		for _, c := range f.Cosignatures {
			fc.Cosignatures = append(fc.Cosignatures, api.Cosignature{Institution: c.Institution, Time: c.Time})
			if c.Time.After(fc.Time) {
				fc.Time = c.Time
			}
		}
		if fc.TimeStamp, err = d.timeStamp(r.Context(), f); err != nil {
			d.s.writeError(w, r, err)
			return
		}
		fc.Timestamped = fc.TimeStamp != nil
		out.Checkpoints = append(out.Checkpoints, fc)
	}
	writeJSON(w, http.StatusOK, out)
}

// timeStamp reads the RFC 3161 token this node keeps of a final
// checkpoint, nil when it keeps none. The token is verified over the
// checkpoint, as a certificate's verifier will.
func (d *dashboard) timeStamp(ctx context.Context, f ledger.FinalCheckpoint) (*api.TimeStamp, error) {
	if d.s.cfg.Office == nil {
		return nil, nil
	}
	tok, err := d.s.cfg.Office.CheckpointToken(ctx, f.Size)
	if errors.Is(err, office.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	scheme := d.s.cfg.Suite.Certificates()
	h := scheme.NewHash()
	h.Write(f.Note[:bytes.Index(f.Note, []byte("\n\n"))+1])
	t, err := tsa.Verify(scheme, tok, scheme.DigestOID(), h.Sum(nil), nil)
	if err != nil {
		return nil, fmt.Errorf("the time-stamp token kept for the final checkpoint of size %d: %w", f.Size, err)
	}
	return &api.TimeStamp{GenTime: t.GenTime, TSASerial: t.Signer.SerialNumber.Text(16), TSA: t.Signer.Subject.CommonName}, nil
}

// getGrowth answers GET /v1/explorer/growth[?points=N].
func (d *dashboard) getGrowth(w http.ResponseWriter, r *http.Request) {
	n := defaultGrowthPoints
	if v := r.URL.Query().Get("points"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxGrowthPoints {
			d.s.writeError(w, r, invalid("points: want 1 to %d, got %q", maxGrowthPoints, v))
			return
		}
	}
	size := d.s.cfg.Ledger.Committed().Size
	points, err := d.growthPoints(r.Context(), size, n)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Growth{TreeSize: size, Points: points})
}

// growthPoints samples the size of the tree of size leaves at n times
// evenly spaced from its first certified time to its last. Leaves are in
// order of certified time, so each size is found by bisection, from the
// size found for the time before.
func (d *dashboard) growthPoints(ctx context.Context, size uint64, n int) ([]api.GrowthPoint, error) {
	d.growthMu.Lock()
	defer d.growthMu.Unlock()
	if c := d.growth; c.out != nil && c.size == size && c.points == n {
		return c.out, nil
	}
	asked := n
	out := []api.GrowthPoint{}
	if size == 0 {
		return out, nil
	}
	timeOf := func(i uint64) (time.Time, error) {
		lb, err := d.s.cfg.Store.Leaf(i)
		if err != nil {
			return time.Time{}, fmt.Errorf("reading leaf %d: %w", i, err)
		}
		l, err := deposit.ParseLeaf(lb)
		if err != nil {
			return time.Time{}, fmt.Errorf("stored leaf %d is corrupt: %w", i, err)
		}
		return l.Time, nil
	}
	t0, err := timeOf(0)
	if err != nil {
		return nil, err
	}
	t1, err := timeOf(size - 1)
	if err != nil {
		return nil, err
	}
	if !t1.After(t0) {
		n = 1
	}
	span := float64(t1.Sub(t0))
	var lo uint64
	for k := range n {
		if ctx.Err() != nil {
			return nil, &api.Error{Code: api.CodeUnavailable, Message: "the request ended before the growth of the tree was read; ask again"}
		}
		t := t1
		if k < n-1 {
			t = t0.Add(time.Duration(span * float64(k) / float64(n-1)))
		}
		if len(out) > 0 && !t.After(out[len(out)-1].Time) {
			continue // a span of fewer nanoseconds than points
		}
		// The first leaf certified after t.
		hi := size
		for lo < hi {
			mid := lo + (hi-lo)/2
			tm, err := timeOf(mid)
			if err != nil {
				return nil, err
			}
			if tm.After(t) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		out = append(out, api.GrowthPoint{Time: t, TreeSize: lo})
	}
	d.growth = growthCache{size: size, points: asked, out: out}
	return out, nil
}

// getValidators answers GET /v1/validators.
func (d *dashboard) getValidators(w http.ResponseWriter, r *http.Request) {
	l := d.s.cfg.Ledger
	members := l.Membership().Active()
	out := api.ValidatorList{Validators: []api.ValidatorHealth{}}
	var signers []string
	known := false
	if blocks, err := l.Blocks(math.MaxUint64, 1); err != nil {
		d.s.writeError(w, r, err)
		return
	} else if len(blocks) == 1 && blocks[0].Height > 1 {
		out.LastBlock, signers, known = blocks[0].Height-1, blocks[0].Signers, true
	}
	names := map[string]bool{}
	for _, m := range members {
		names[m.Institution] = true
	}
	cosigned, err := d.latestCosignatures(names)
	if err != nil {
		d.s.writeError(w, r, err)
		return
	}
	health := make([]api.Health, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() { health[i] = d.health.check(r.Context(), m.API) })
	}
	wg.Wait()
	for i, m := range members {
		v := api.ValidatorHealth{Institution: m.Institution, Kind: string(m.Kind), Power: m.Power, API: m.API, Health: health[i]}
		if known {
			signed := slices.Contains(signers, m.Institution)
			v.SignedLastBlock = &signed
		}
		if c, ok := cosigned[m.Institution]; ok {
			v.CosignedSize, v.CosignedAt = c.size, c.at
		}
		out.Validators = append(out.Validators, v)
	}
	writeJSON(w, http.StatusOK, out)
}

type cosignedAt struct {
	size uint64
	at   time.Time
}

// latestCosignatures finds, among the latest cosignedScan final
// checkpoints, the latest each of the members cosigned; it stops early
// once it has found them all.
func (d *dashboard) latestCosignatures(members map[string]bool) (map[string]cosignedAt, error) {
	out := map[string]cosignedAt{}
	before := uint64(math.MaxUint64)
	for read := 0; read < cosignedScan && len(out) < len(members); {
		page, err := d.s.cfg.Ledger.FinalCheckpoints(before, maxExplorerPage)
		if err != nil {
			return nil, err
		}
		for _, f := range page {
			for _, c := range f.Cosignatures {
				if _, ok := out[c.Institution]; !ok && members[c.Institution] {
					out[c.Institution] = cosignedAt{size: f.Size, at: c.Time}
				}
			}
		}
		if len(page) < maxExplorerPage {
			break
		}
		read += len(page)
		before = page[len(page)-1].Size
	}
	return out, nil
}

// healthProber probes members' APIs (GET <api>/healthz) and keeps each
// result for probeTTL; requests that come meanwhile share it, and
// requests that come during a probe wait for it instead of probing again.
type healthProber struct {
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	probes map[string]*probe // by API URL
}

// probe is one probe of an API; done is closed once result is set.
type probe struct {
	done   chan struct{}
	result api.Health
}

func newHealthProber(now func() time.Time) *healthProber {
	return &healthProber{
		client: &http.Client{
			Timeout: probeTimeout,
			// A member's /healthz answers itself; a redirect is not health.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:    now,
		probes: map[string]*probe{},
	}
}

// maxProbes bounds the probes remembered; members are few, but their API
// URLs change over the years.
const maxProbes = 256

// check returns the health of the API at apiURL, probing it if no probe
// is under way and the last one is older than probeTTL.
func (h *healthProber) check(ctx context.Context, apiURL string) api.Health {
	target, err := healthURL(apiURL)
	if err != nil {
		return api.Health{Status: api.HealthUnknown, Message: err.Error()}
	}
	h.mu.Lock()
	p := h.probes[target]
	mine := false
	if p == nil || h.stale(p) {
		if len(h.probes) >= maxProbes {
			for k, old := range h.probes {
				if h.stale(old) {
					delete(h.probes, k)
				}
			}
		}
		p, mine = &probe{done: make(chan struct{})}, true
		h.probes[target] = p
	}
	h.mu.Unlock()
	if mine {
		// The probe outlives a request that gives up: others wait on it.
		p.result = h.probe(context.WithoutCancel(ctx), target)
		close(p.done)
		return p.result
	}
	select {
	case <-p.done:
		return p.result
	case <-ctx.Done():
		return api.Health{Status: api.HealthUnknown, Message: "the request ended before the probe of " + target + " answered; ask again"}
	}
}

// stale reports whether a finished probe is too old to reuse; it must be
// called with mu held.
func (h *healthProber) stale(p *probe) bool {
	select {
	case <-p.done:
		return h.now().Sub(p.result.CheckedAt) >= probeTTL
	default:
		return false
	}
}

// healthURL is the health endpoint of a member's API URL.
func healthURL(apiURL string) (string, error) {
	if apiURL == "" {
		return "", errors.New("its member card names no API URL, so this node cannot probe it; the member publishes one with 'jurichain init --api-url'")
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("its member card's API URL %q is not an http(s) URL, so this node cannot probe it", apiURL)
	}
	return strings.TrimSuffix(u.String(), "/") + "/healthz", nil
}

func (h *healthProber) probe(ctx context.Context, target string) api.Health {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	res := api.Health{CheckedAt: h.now().UTC()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		res.Status, res.Message = api.HealthUnknown, fmt.Sprintf("GET %s: %v", target, err)
		return res
	}
	resp, err := h.client.Do(req)
	if err != nil {
		res.Status = api.HealthUnreachable
		res.Message = fmt.Sprintf("no answer from %s within %v (%v): check that the member's node is running and reachable from this node", target, probeTimeout, unwrapURLError(err))
		return res
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10)) // lets the connection be reused
	if resp.StatusCode != http.StatusOK {
		res.Status, res.Message = api.HealthFailing, fmt.Sprintf("%s answered %s: the member's node is up but not serving; its operator reads its log", target, resp.Status)
		return res
	}
	res.Status = api.HealthOK
	return res
}

// unwrapURLError drops the method and URL a *url.Error repeats.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
