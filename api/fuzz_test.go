package api_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/jurichain/jurichain/api"
)

// FuzzParseDeposit decodes request bodies as the server does and checks
// that parsing never panics and that an accepted deposit converts back to
// a request carrying the same statement.
func FuzzParseDeposit(f *testing.F) {
	f.Add([]byte(`{"digests":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},"size":4,"title":"t","media_type":"text/plain","salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","depositor_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","idempotency_key":"k","signature":"AAAA"}`))
	f.Add([]byte(`{"deposits":[{"digests":{"sm3":"00"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req api.SubmitRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil {
			return
		}
		deps := append(req.Deposits, req.Deposit)
		for _, d := range deps {
			s, op, err := d.Parse("")
			if err != nil {
				continue
			}
			back := api.NewDeposit(s, op)
			s2, _, err := back.Parse("")
			if err != nil {
				t.Fatalf("a parsed deposit does not parse again: %v", err)
			}
			if !bytes.Equal(s.AppendBinary(nil), s2.AppendBinary(nil)) {
				t.Fatal("statement changed in a round trip")
			}
		}
	})
}
