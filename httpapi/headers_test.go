package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jurichain/jurichain/httpapi"
)

// TestPrivateAnswersAreNotCached checks that answers to accounts, refusals
// included, tell browsers and proxies not to keep them, and that no API
// answer may be sniffed into another type.
func TestPrivateAnswersAreNotCached(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Config{}))
	defer srv.Close()
	for _, tc := range []struct {
		path    string
		noStore bool
	}{
		{"/v1/account", true},
		{"/v1/deposits/00/original", true},
		{"/v1/stats", true},
		{"/v1/pki", false},
		{"/healthz", false},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Cache-Control") == "no-store"; got != tc.noStore {
			t.Errorf("%s (%d): Cache-Control %q", tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", tc.path)
		}
	}
}
