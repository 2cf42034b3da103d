package httpapi

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzBodyDigests feeds the SHA-256s a request may name for a streamed
// package (?sha256= and Content-Digest) to their reader: it never panics,
// and what it accepts is always a 32-byte digest.
func FuzzBodyDigests(f *testing.F) {
	f.Add("", "")
	f.Add("0000000000000000000000000000000000000000000000000000000000000000", "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:")
	f.Add("xyz", "sha-256=:AA==:")
	f.Add("", "sha-512=:AAAA:, sha-256=\"x\"")
	f.Fuzz(func(t *testing.T, sum, header string) {
		r := &http.Request{URL: &url.URL{RawQuery: url.Values{"sha256": {sum}}.Encode()}, Header: http.Header{}}
		if header != "" {
			r.Header.Set("Content-Digest", header)
		}
		ds, err := bodyDigests(r)
		if err != nil {
			return
		}
		for _, d := range ds {
			if len(d.sum) != 32 {
				t.Fatalf("%s: a digest of %d bytes accepted", d.field, len(d.sum))
			}
		}
	})
}
