package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/web"
)

// TestPortalMount checks that the API server hands the portal exactly its
// pages and files, for GET and HEAD, and keeps JSON answers for the rest.
func TestPortalMount(t *testing.T) {
	portal, err := web.New(web.Config{Origin: "test-log", Suite: "intl", Institution: "court-a"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Portal: portal}))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		html         bool
	}{
		{"GET", "/", 200, true},
		{"GET", "/verify", 200, true},
		{"HEAD", "/dashboard", 200, true},
		{"GET", "/assets/portal.css", 200, false},
		{"GET", "/assets/no-such.js", 404, true},
		{"GET", "/v2/everything", 404, false},
		{"GET", "/v1/verify", 404, false},
		{"POST", "/verify", 404, false},
		{"GET", "/healthz", 200, false},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e api.Error
		isJSON := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
		if isJSON {
			json.NewDecoder(resp.Body).Decode(&e)
		}
		resp.Body.Close()
		html := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
		if resp.StatusCode != tc.status || html != tc.html {
			t.Errorf("%s %s: %d %s, want %d (html %v)", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.html)
		}
		if tc.status == 404 && !tc.html && (!isJSON || e.Code != api.CodeNotFound) {
			t.Errorf("%s %s: want the API's JSON 404, got %s %+v", tc.method, tc.path, resp.Header.Get("Content-Type"), e)
		}
	}
}
