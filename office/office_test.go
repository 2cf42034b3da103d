package office

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jurichain/jurichain/suite"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *Office {
	t.Helper()
	o, err := Open(suite.International(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// stored reports whether any key or value in the records contains s.
func stored(t *testing.T, o *Office, s string) bool {
	t.Helper()
	it, err := o.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Contains(it.Key(), []byte(s)) || bytes.Contains(it.Value(), []byte(s)) {
			return true
		}
	}
	return false
}

func TestInvitationIsUsedOnce(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	code, err := o.Invite(ctx, Invitation{Institution: "xuhui-notary", IssuedBy: "reviewer-1", Issued: now, Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if stored(t, o, code) {
		t.Fatal("the invitation code is stored in clear")
	}
	expired, err := o.Invite(ctx, Invitation{Institution: "xuhui-notary", Issued: now, Expires: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		code    string
		at      time.Time
		want    error
		account string
	}{
		{"expired", expired, now.Add(time.Minute), ErrExpired, ""},
		{"expired still after a refused use", expired, now.Add(2 * time.Minute), ErrExpired, ""},
		{"unknown", "NOTACODE", now, ErrNotFound, ""},
		{"code in lower case", strings.ToLower(code), now, ErrNotFound, ""},
		{"first use", code, now.Add(time.Minute), nil, "account-1"},
		{"second use", code, now.Add(2 * time.Minute), ErrUsed, ""},
		{"second use after expiry", code, now.Add(2 * time.Hour), ErrUsed, ""},
	}
	for _, tc := range tests {
		inv, err := o.UseInvitation(ctx, tc.code, "account-1", tc.at)
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == nil && (inv.UsedBy != tc.account || !inv.Used.Equal(tc.at) || inv.IssuedBy != "reviewer-1") {
			t.Fatalf("%s: record %+v", tc.name, inv)
		}
	}
}

func TestInvitationRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	code, err := o.Invite(ctx, Invitation{Issued: now, Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = o.UseInvitation(ctx, code, fmt.Sprint("account-", i), now) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrUsed):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d registrations used one invitation code", won)
	}
}

func TestTokensAndSharesExpire(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	tok, _, err := o.NewToken(ctx, Token{Account: "account-1", Label: "scanner", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	share, _, err := o.NewShare(ctx, Share{Deposit: "d1", Owner: "account-1", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) < len(TokenPrefix)+50 {
		t.Fatalf("token %q", tok)
	}
	if stored(t, o, tok) || stored(t, o, share) {
		t.Fatal("a token or share code is stored in clear")
	}
	lookups := []struct {
		name string
		at   time.Time
		get  func(time.Time) error
		want error
	}{
		{"token valid", now.Add(59 * time.Minute), func(at time.Time) error { _, err := o.TokenAt(ctx, tok, at); return err }, nil},
		{"token at expiry", now.Add(time.Hour), func(at time.Time) error { _, err := o.TokenAt(ctx, tok, at); return err }, ErrExpired},
		{"token unknown", now, func(at time.Time) error { _, err := o.TokenAt(ctx, tok+"x", at); return err }, ErrNotFound},
		{"share valid", now, func(at time.Time) error { _, err := o.ShareAt(ctx, share, at); return err }, nil},
		{"share at expiry", now.Add(time.Hour), func(at time.Time) error { _, err := o.ShareAt(ctx, share, at); return err }, ErrExpired},
		{"share unknown", now, func(at time.Time) error { _, err := o.ShareAt(ctx, "AAAAAAAA", at); return err }, ErrNotFound},
	}
	for _, tc := range lookups {
		if err := tc.get(tc.at); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	got, err := o.TokenAt(ctx, tok, now)
	if err != nil || got.Account != "account-1" || got.Label != "scanner" {
		t.Fatalf("token record %+v, %v", got, err)
	}
}

func TestCaseSeesExactlyItsGrants(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	grants := []Grant{
		{Deposit: "d1", Owner: "a", Court: "hangzhou-internet-court", Case: "2026-1"},
		{Deposit: "d2", Owner: "a", Court: "hangzhou-internet-court", Case: "2026-1"},
		{Deposit: "d1", Owner: "a", Court: "hangzhou-internet-court", Case: "2026-10"},
		{Deposit: "d3", Owner: "b", Court: "beijing-internet-court", Case: "2026-1"},
	}
	for _, g := range grants {
		if err := o.PutGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.RevokeGrant(ctx, "d2", "hangzhou-internet-court", "2026-1"); err != nil {
		t.Fatal(err)
	}
	if err := o.RevokeGrant(ctx, "d2", "hangzhou-internet-court", "2026-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	cases := []struct {
		court, caseNo string
		want          []string
	}{
		{"hangzhou-internet-court", "2026-1", []string{"d1"}},
		{"hangzhou-internet-court", "2026-10", []string{"d1"}},
		{"hangzhou-internet-court", "2026-", []string{}},
		{"beijing-internet-court", "2026-1", []string{"d3"}},
		{"beijing-internet-court", "2026-10", []string{}},
	}
	for _, tc := range cases {
		got, err := o.CaseEvidence(ctx, tc.court, tc.caseNo)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("case %s/%s sees %v, want %v", tc.court, tc.caseNo, got, tc.want)
		}
	}
	for _, tc := range []struct {
		deposit, court, caseNo string
		want                   bool
	}{
		{"d1", "hangzhou-internet-court", "2026-1", true},
		{"d2", "hangzhou-internet-court", "2026-1", false},
		{"d3", "hangzhou-internet-court", "2026-1", false},
		{"d3", "beijing-internet-court", "2026-1", true},
	} {
		if ok, err := o.Granted(ctx, tc.deposit, tc.court, tc.caseNo); err != nil || ok != tc.want {
			t.Errorf("Granted(%s, %s, %s) = %v, %v", tc.deposit, tc.court, tc.caseNo, ok, err)
		}
	}
	of, err := o.GrantsOf(ctx, "d1")
	if err != nil || len(of) != 2 {
		t.Fatalf("grants of d1: %+v, %v", of, err)
	}
}

func TestRecordsSurviveReopening(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := Open(suite.International(), dir)
	if err != nil {
		t.Fatal(err)
	}
	code, err := o.Invite(ctx, Invitation{Issued: now, Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.UseInvitation(ctx, code, "account-1", now); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		rec := json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
		if err := o.AppendTrail(ctx, "d1", TrailEntry{Record: rec, Entry: fmt.Sprint("e", i)}); err != nil {
			t.Fatal(err)
		}
		if err := o.AppendTrail(ctx, "d2", TrailEntry{Record: rec, Entry: fmt.Sprint("other", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = open(t, dir)
	if _, err := o.UseInvitation(ctx, code, "account-2", now); !errors.Is(err, ErrUsed) {
		t.Fatalf("a used invitation after reopening: %v", err)
	}
	if err := o.AppendTrail(ctx, "d1", TrailEntry{Record: json.RawMessage(`{"n":3}`), Entry: "e3"}); err != nil {
		t.Fatal(err)
	}
	trail, err := o.Trail(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, e := range trail {
		entries = append(entries, e.Entry)
	}
	if got := strings.Join(entries, " "); got != "e0 e1 e2 e3" {
		t.Fatalf("trail of d1 after reopening: %s", got)
	}
}

// TestKeysAreUnambiguous puts grants whose parts hold NUL and length bytes
// next to ordinary ones: each lands under its own case, and the court's
// case listing sees exactly its deposits.
func TestKeysAreUnambiguous(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	court := "hangzhou-internet-court"
	grants := []Grant{
		{Deposit: "d1", Court: court, Case: "2026-1"},
		// Under NUL-joined keys this grant was filed under case "2026-1"
		// with the deposit id "x\x00d2", and listing that case failed.
		{Deposit: "d2", Court: court, Case: "2026-1\x00x"},
		{Deposit: "d3", Court: court + "\x00" + "2026-1", Case: "y"},
		{Deposit: "d4", Court: court, Case: "2026-1\x06d5"},
		{Deposit: "d5\xff", Court: court, Case: "\xff\xff"},
	}
	for _, g := range grants {
		if err := o.PutGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		court, caseNo string
		want          []string
	}{
		{court, "2026-1", []string{"d1"}},
		{court, "2026-1\x00x", []string{"d2"}},
		{court + "\x00" + "2026-1", "y", []string{"d3"}},
		{court, "2026-1\x06d5", []string{"d4"}},
		{court, "\xff\xff", []string{"d5\xff"}},
		{court, "2026-", []string{}},
		{court, "", []string{}},
	} {
		t.Run(fmt.Sprintf("%q/%q", tc.court, tc.caseNo), func(t *testing.T) {
			got, err := o.CaseEvidence(ctx, tc.court, tc.caseNo)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("sees %q, want %q", got, tc.want)
			}
		})
	}
	if ok, err := o.Granted(ctx, "x\x00d2", court, "2026-1"); err != nil || ok {
		t.Fatalf("a grant appears under another case: %v %v", ok, err)
	}
	for _, d := range []string{"d1", "d2", "d3", "d4"} {
		if g, err := o.GrantsOf(ctx, d); err != nil || len(g) != 1 || g[0].Deposit != d {
			t.Errorf("grants of %s: %+v %v", d, g, err)
		}
	}
	// Trails of deposits whose ids prefix each other stay apart.
	for _, d := range []string{"d", "d\x00"} {
		if err := o.AppendTrail(ctx, d, TrailEntry{Record: json.RawMessage(`{}`), Entry: "of " + d}); err != nil {
			t.Fatal(err)
		}
	}
	if tr, err := o.Trail(ctx, "d"); err != nil || len(tr) != 1 || tr[0].Entry != "of d" {
		t.Fatalf("trail of d: %+v %v", tr, err)
	}
}

func TestTokensAreListedAndRevoked(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	key := []byte("the account key")
	tok1, rec1, err := o.NewToken(ctx, Token{Account: "account-1", Key: key, Label: "scanner", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	_, rec2, err := o.NewToken(ctx, Token{Account: "account-1", Key: key, Label: "backup", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.NewToken(ctx, Token{Account: "account-10", Created: now, Expires: now.Add(time.Hour)}, 100); err != nil {
		t.Fatal(err)
	}
	if rec1.ID == "" || rec1.ID == rec2.ID || strings.Contains(tok1, rec1.ID) {
		t.Fatalf("token ids %q %q for %q", rec1.ID, rec2.ID, tok1)
	}
	list, err := o.Tokens(ctx, "account-1")
	if err != nil || len(list) != 2 {
		t.Fatalf("tokens of account-1: %+v %v", list, err)
	}
	for _, l := range list {
		if l.Account != "account-1" || string(l.Key) != string(key) {
			t.Fatalf("listed %+v", l)
		}
	}
	if err := o.RevokeToken(ctx, rec1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.TokenAt(ctx, tok1, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a revoked token: %v", err)
	}
	if err := o.RevokeToken(ctx, rec1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	if list, err := o.Tokens(ctx, "account-1"); err != nil || len(list) != 1 || list[0].ID != rec2.ID {
		t.Fatalf("tokens after revoking one: %+v %v", list, err)
	}
}

func TestSharesAreLongAndRevocable(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	code, rec, err := o.NewShare(ctx, Share{Deposit: "d1", Owner: "a", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) < 16 {
		t.Fatalf("share code %q has fewer than 80 bits", code)
	}
	if got, err := o.ShareByID(ctx, rec.ID); err != nil || got.Deposit != "d1" {
		t.Fatalf("share by id: %+v %v", got, err)
	}
	// The deposit's codes are listed, bound to what issued them; another
	// deposit's are not.
	_, rec2, err := o.NewShare(ctx, Share{Deposit: "d1", Owner: "a", Key: []byte("k"), Token: "t1", Created: now, Expires: now.Add(time.Hour)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.NewShare(ctx, Share{Deposit: "d10", Owner: "a", Created: now, Expires: now.Add(time.Hour)}, 100); err != nil {
		t.Fatal(err)
	}
	list, err := o.Shares(ctx, "d1")
	if err != nil || len(list) != 2 {
		t.Fatalf("shares of d1: %+v %v", list, err)
	}
	for _, l := range list {
		if l.ID == rec2.ID && (string(l.Key) != "k" || l.Token != "t1") {
			t.Fatalf("a listed share lost what issued it: %+v", l)
		}
	}
	if err := o.RevokeShare(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := o.Shares(ctx, "d1"); err != nil || len(list) != 1 || list[0].ID != rec2.ID {
		t.Fatalf("shares after revoking one: %+v %v", list, err)
	}
	if _, err := o.ShareAt(ctx, code, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a revoked share code: %v", err)
	}
	if err := o.RevokeShare(ctx, rec.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
}

// TestLiveTokensAndSharesAreCapped: beyond most unexpired tokens of an
// account, or share codes of a deposit, a new one is refused and nothing
// is written; expired ones do not count and are dropped by the next issue.
func TestLiveTokensAndSharesAreCapped(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	const most = 3
	later := now.Add(2 * time.Hour)
	for _, tc := range []struct {
		name  string
		issue func(created time.Time, life time.Duration) error
		list  func() (int, error)
	}{
		{"tokens", func(c time.Time, life time.Duration) error {
			_, _, err := o.NewToken(ctx, Token{Account: "a", Key: []byte("k"), Created: c, Expires: c.Add(life)}, most)
			return err
		}, func() (int, error) { l, err := o.Tokens(ctx, "a"); return len(l), err }},
		{"shares", func(c time.Time, life time.Duration) error {
			_, _, err := o.NewShare(ctx, Share{Deposit: "d1", Owner: "a", Key: []byte("k"), Created: c, Expires: c.Add(life)}, most)
			return err
		}, func() (int, error) { l, err := o.Shares(ctx, "d1"); return len(l), err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One short-lived, the others for long.
			if err := tc.issue(now, time.Hour); err != nil {
				t.Fatal(err)
			}
			for range most - 1 {
				if err := tc.issue(now, 24*time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.issue(now, time.Hour); !errors.Is(err, ErrTooMany) {
				t.Fatalf("one more than %d: %v, want ErrTooMany", most, err)
			}
			if n, err := tc.list(); err != nil || n != most {
				t.Fatalf("after a refused issue: %d listed, %v", n, err)
			}
			// Once the short-lived one expires, its place is free, and it
			// is dropped from the list.
			if err := tc.issue(later, time.Hour); err != nil {
				t.Fatalf("after one expired: %v", err)
			}
			if n, err := tc.list(); err != nil || n != most {
				t.Fatalf("the list after an expiry: %d, %v; want %d", n, err, most)
			}
			if err := tc.issue(later, time.Hour); !errors.Is(err, ErrTooMany) {
				t.Fatalf("full again: %v", err)
			}
		})
	}
}

func TestUploadsArePerDeposit(t *testing.T) {
	ctx := context.Background()
	o := open(t, t.TempDir())
	if err := o.PutUpload(ctx, "d1", Upload{Account: "a", Uploaded: now}); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{"d1": true, "d2": false, "d": false} {
		if got, err := o.Uploaded(ctx, d); err != nil || got != want {
			t.Errorf("Uploaded(%s) = %v %v, want %v", d, got, err, want)
		}
	}
}
