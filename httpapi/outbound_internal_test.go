package httpapi

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// FuzzUpgrade feeds POST /v1/receipts/upgrade bodies to a node of the
// receipts' log with an empty store: whatever the body, the answer is an
// API error, never a crash or a composed file.
func FuzzUpgrade(f *testing.F) {
	l := receipttest.New(f, suite.International(), 3, -1)
	for _, r := range l.Receipts {
		f.Add(r.Format())
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n" + receipttest.Origin + "\n1\nAAAA\n\n"))
	st, err := store.Open(filepath.Join(f.TempDir(), "state"), slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	s := &Server{cfg: Config{Suite: suite.International(), Origin: receipttest.Origin, Store: st}}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := s.upgrade(body)
		var e *api.Error
		if out != nil || !errors.As(err, &e) {
			t.Fatalf("got %q, %v: want an API error", out, err)
		}
	})
}
