package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestOutboundAnchors: anchors survive a reopen; the latest per court
// and the count follow new anchors, not repeats or smaller ones; the
// covering anchor is the smallest at least as large; listing is largest
// first, below before.
func TestOutboundAnchors(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if _, _, _, err := s.LatestOutboundAnchor("court"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("latest of nothing: %v", err)
	}
	for _, a := range []struct {
		court string
		size  uint64
	}{{"court", 5}, {"court", 9}, {"court", 9}, {"court", 7}, {"other", 9}} {
		if err := s.PutOutboundAnchor(a.court, a.size, fmt.Appendf(nil, "%s@%d", a.court, a.size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutOutboundAnchor("", 1, nil); err == nil {
		t.Error("an anchor of no court was stored")
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	count, size, rec, err := s.LatestOutboundAnchor("court")
	if err != nil || count != 3 || size != 9 || string(rec) != "court@9" {
		t.Fatalf("latest: %d %d %q %v", count, size, rec, err)
	}
	for _, c := range []struct {
		size  uint64
		want  string
		found bool
	}{{0, "court@5", true}, {5, "court@5", true}, {6, "court@7", true}, {8, "court@9", true}, {10, "", false}} {
		_, _, rec, err := s.OutboundAnchorCovering(c.size)
		if c.found != (err == nil) || string(rec) != c.want {
			t.Errorf("covering %d: %q %v", c.size, rec, err)
		}
	}
	var got []string
	s.OutboundAnchors(^uint64(0), 3, func(size uint64, court string, rec []byte) bool {
		got = append(got, fmt.Sprintf("%d %s", size, court))
		return true
	})
	if fmt.Sprint(got) != "[9 other 9 court 7 court]" {
		t.Errorf("listing %v", got)
	}
	got = nil
	s.OutboundAnchors(9, 10, func(size uint64, court string, rec []byte) bool {
		got = append(got, string(rec))
		return true
	})
	if fmt.Sprint(got) != "[court@7 court@5]" {
		t.Errorf("before 9: %v", got)
	}
}
