package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/api"
)

func TestDecodeJSONIsStrict(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"size":1}`, true},
		{" {\"size\":1} \n", true},
		{`{"size":1}]`, false},
		{`{"size":1}}`, false},
		{`{"size":1}{}`, false},
		{`{"size":1,}`, false},
		{`{"size":-1}`, false},
		{`{"sizes":1}`, false},
		{`[]`, false},
		{``, false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/v1/deposits", strings.NewReader(tc.body))
		var req api.SubmitRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.body, err, tc.ok)
		}
		if err != nil {
			if e, ok := err.(*api.Error); !ok || e.Code != api.CodeInvalid || e.Message == "" {
				t.Errorf("%q: error %#v is not an invalid_request API error", tc.body, err)
			}
		}
	}
}

// FuzzDecodeJSON checks that request decoding never panics and always
// answers with an API error.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"size":1,"title":"x"}`))
	f.Add([]byte(`{"deposits":[{"digests":{"sha256":"00"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req api.SubmitRequest
		r := httptest.NewRequest("POST", "/v1/deposits", strings.NewReader(string(body)))
		if err := decodeJSON(httptest.NewRecorder(), r, &req); err != nil {
			if _, ok := err.(*api.Error); !ok {
				t.Fatalf("not an API error: %v", err)
			}
		}
	})
}
