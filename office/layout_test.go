package office

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jurichain/jurichain/suite"

	"github.com/jurichain/jurichain/identity"
)

// layout1Key is a key of layout 1: the parts joined with NUL bytes.
func layout1Key(prefix byte, parts ...string) []byte {
	k := []byte{prefix}
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// TestLayout1IsRewritten builds records as a node of the previous version
// wrote them (NUL-joined keys, no layout version) and opens them: every
// record is found again in the new layout, and an upload is recorded for
// the deposit whose trail shows one.
func TestLayout1IsRewritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k []byte, v any) {
		t.Helper()
		b, ok := v.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Set(k, b, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	trail := func(action, deposit string) TrailEntry {
		rec, _ := json.Marshal(map[string]any{"type": "jurichain access trail v1", "action": action, "actor": "acct-1", "deposit": deposit, "at": now})
		return TrailEntry{Record: rec, Entry: action + "-entry-" + deposit}
	}
	seq := func(evidence string, n uint64) []byte {
		return binary.BigEndian.AppendUint64(layout1Key(prefixTrail, evidence, ""), n)
	}
	const invitation, token, share = "INVITATIONCODE", "jct_token", "SHARE"
	nulCase := "(2026)1\x00x" // the case number that broke layout 1
	put(layout1Key(prefixInvitation, hashed(invitation)), Invitation{Institution: "inst", IssuedBy: "acct-r", Issued: now, Expires: now.Add(time.Hour)})
	put(layout1Key(prefixRegistration, "acct-1"), Registration{Account: "acct-1", Kind: identity.Individual, Registered: now})
	put(layout1Key(prefixToken, hashed(token)), map[string]any{"account": "acct-1", "label": "scanner", "created": now, "expires": now.Add(time.Hour)})
	put(layout1Key(prefixShare, hashed(share)), map[string]any{"deposit": "d1", "owner": "acct-1", "created": now, "expires": now.Add(time.Hour)})
	put(layout1Key(prefixGrant, "d1", "court-a", nulCase), Grant{Deposit: "d1", Owner: "acct-1", Court: "court-a", Case: nulCase, Granted: now})
	put(layout1Key(prefixCase, "court-a", nulCase, "d1"), []byte{})
	put(seq("d1", 0), trail("upload-original", "d1"))
	put(seq("d2", 1), trail("share", "d2"))
	put(seq("d1", 2), trail("read-original", "d1"))
	put([]byte(keyTrailSeq), uint64(3))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, round := range []string{"first open", "second open"} {
		t.Run(round, func(t *testing.T) {
			o := open(t, dir)
			if r, err := o.Registration(ctx, "acct-1"); err != nil || r.Kind != identity.Individual {
				t.Fatalf("registration: %+v %v", r, err)
			}
			toks, err := o.Tokens(ctx, "acct-1")
			if err != nil || len(toks) != 1 || toks[0].Label != "scanner" || toks[0].ID != idOf(hashed(token)) || len(toks[0].Key) != 0 {
				t.Fatalf("tokens: %+v %v", toks, err)
			}
			if tk, err := o.TokenAt(ctx, token, now); err != nil || tk.ID != toks[0].ID {
				t.Fatalf("the token by its secret: %+v %v", tk, err)
			}
			shares, err := o.Shares(ctx, "d1")
			if err != nil || len(shares) != 1 || shares[0].ID != idOf(hashed(share)) {
				t.Fatalf("shares: %+v %v", shares, err)
			}
			if sh, err := o.ShareAt(ctx, share, now); err != nil || sh.Deposit != "d1" {
				t.Fatalf("the share by its code: %+v %v", sh, err)
			}
			if ok, err := o.Granted(ctx, "d1", "court-a", nulCase); err != nil || !ok {
				t.Fatalf("grant: %v %v", ok, err)
			}
			if ids, err := o.CaseEvidence(ctx, "court-a", nulCase); err != nil || !slices.Equal(ids, []string{"d1"}) {
				t.Fatalf("case evidence: %v %v", ids, err)
			}
			if gs, err := o.GrantsOf(ctx, "d1"); err != nil || len(gs) != 1 {
				t.Fatalf("grants of d1: %+v %v", gs, err)
			}
			for d, want := range map[string][]string{"d1": {"upload-original-entry-d1", "read-original-entry-d1"}, "d2": {"share-entry-d2"}} {
				es, err := o.Trail(ctx, d)
				var got []string
				for _, e := range es {
					got = append(got, e.Entry)
				}
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("trail of %s: %v %v, want %v", d, got, err, want)
				}
			}
			for d, want := range map[string]bool{"d1": true, "d2": false} {
				if got, err := o.Uploaded(ctx, d); err != nil || got != want {
					t.Fatalf("upload of %s: %v %v, want %v", d, got, err, want)
				}
			}
			if round == "first open" {
				// The invitation is used once, across reopening.
				if _, err := o.UseInvitation(ctx, invitation, "acct-2", now); err != nil {
					t.Fatalf("invitation: %v", err)
				}
				return
			}
			if _, err := o.UseInvitation(ctx, invitation, "acct-3", now); !errors.Is(err, ErrUsed) {
				t.Fatalf("the invitation used again after reopening: %v", err)
			}
		})
	}
	// The next trail entry continues the sequence, after the old ones.
	o := open(t, dir)
	if err := o.AppendTrail(ctx, "d1", TrailEntry{Record: json.RawMessage(`{}`), Entry: "next"}); err != nil {
		t.Fatal(err)
	}
	if es, err := o.Trail(ctx, "d1"); err != nil || len(es) != 3 || es[2].Entry != "next" {
		t.Fatalf("trail after a new entry: %+v %v", es, err)
	}
}

// TestFreshRecordsGetTheLayoutVersion: a new database is marked at once,
// and one marked by a newer version is refused rather than misread.
func TestFreshRecordsGetTheLayoutVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := Open(suite.International(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := o.raw(ctx, []byte(keyLayout)); err != nil || string(v) != "2" {
		t.Fatalf("layout version of fresh records: %q %v", v, err)
	}
	if err := o.db.Set([]byte(keyLayout), []byte("3"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if o, err := Open(suite.International(), dir); err == nil {
		o.Close()
		t.Fatal("records of a newer layout were opened")
	}
}

// hashed is how an office of the international suite, the only one
// before suites, stored a code or token.
func hashed(secret string) string {
	h := suite.International().Hash([]byte(secret))
	return string(h[:])
}
