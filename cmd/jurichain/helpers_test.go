package main

import (
	"regexp"
	"testing"
)

func TestOutputRegexp(t *testing.T) {
	tests := []struct {
		name, line string
		match      []string
		noMatch    []string
		vars       int
	}{
		{"abridged hex and time", "photo.jpg  deposit #0 69868b50…  certified 2026-11-21T09:59:20.11Z  photo.jpg.tlog-proof",
			[]string{"photo.jpg\tdeposit #0 0a6f791cfccce399\tcertified 2026-12-02T18:02:57.123456Z\tphoto.jpg.tlog-proof"},
			[]string{"photo.jpg\tdeposit #1 0a6f\tcertified 2026-12-02T18:02:57Z\tphoto.jpg.tlog-proof"}, 0},
		{"an account id is captured", "account acct-d138974f610e01e83f39 (individual depositor at validator0): approved",
			[]string{"account acct-0123456789abcdef0123 (individual depositor at validator0): approved"},
			[]string{"account acct-0123 (individual depositor at validator0): approved", "account acct-0123456789abcdef0123 (individual depositor at validator1): approved"}, 1},
		{"an invitation code is captured", "invitation code QLNSKE6K6BDM5R65 for validator0, valid until 2026-11-28 09:59 UTC",
			[]string{"invitation code ABCDEFGHIJKLMNOP for validator0, valid until 2026-12-09 18:02 UTC"},
			[]string{"invitation code abc for validator0, valid until 2026-12-09 18:02 UTC"}, 1},
		{"punctuation is literal", "case (2026)京0491民初123号 at validator0: 1 deposits",
			[]string{"case (2026)京0491民初123号 at validator0: 1 deposits"},
			[]string{"case 2026京0491民初123号 at validator0: 1 deposits"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			re, names := outputRegexp(tc.line, vars)
			if len(names) != tc.vars {
				t.Errorf("%d variables, want %d", len(names), tc.vars)
			}
			r := regexp.MustCompile("(?m)" + re)
			for _, m := range tc.match {
				if !r.MatchString(m) {
					t.Errorf("%q does not match %q", re, m)
				}
			}
			for _, m := range tc.noMatch {
				if r.MatchString(m) {
					t.Errorf("%q matches %q", re, m)
				}
			}
		})
	}
}

func TestLocalURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"10.0.0.5:9000":  "http://10.0.0.5:9000",
	} {
		if got := localURL(addr); got != want {
			t.Errorf("localURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestAPIFlags(t *testing.T) {
	in := "forbidden: deposit 7556 is not yours: name the case it is granted to (?case=) or give a share code (?code=)"
	want := "forbidden: deposit 7556 is not yours: name the case it is granted to (--case) or give a share code (--code)"
	if got := apiFlags(in); got != want {
		t.Errorf("apiFlags:\n got %q\nwant %q", got, want)
	}
}
