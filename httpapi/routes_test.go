package httpapi_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/httpapi"
)

// TestEveryRouteIsDescribedWithItsRule checks that /openapi.json lists
// exactly the served endpoints, each with the authorization rule the
// server applies.
func TestEveryRouteIsDescribedWithItsRule(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Rule string `json:"x-jurichain-authorization"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	described := map[string]string{}
	for path, ops := range spec.Paths {
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = op.Rule
		}
	}
	for _, rt := range httpapi.New(httpapi.Config{}).Routes() {
		path := rt.Path
		if path == "/tile/" {
			path = "/tile/{path}"
		}
		key := rt.Method + " " + path
		rule, ok := described[key]
		switch {
		case !ok:
			t.Errorf("%s is served but not in openapi.json", key)
		case rule != rt.Rule.Name:
			t.Errorf("%s: openapi.json says %q, the server applies %q", key, rule, rt.Rule.Name)
		}
		delete(described, key)
	}
	for key := range described {
		t.Errorf("%s is in openapi.json but not served", key)
	}
}
