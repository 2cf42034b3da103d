package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/suite"
)

// TestCertificateChecksAreBounded: while every slot for public
// certificate checks is taken, another check waits and is then refused
// with 503, unread by the verifier.
func TestCertificateChecksAreBounded(t *testing.T) {
	s := New(Config{Suite: suite.International()})
	slots := int64(max(1, runtime.GOMAXPROCS(0)/2))
	if !s.checks.TryAcquire(slots) || s.checks.TryAcquire(1) {
		t.Fatalf("the server does not allow exactly %d checks at once", slots)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := s.checkPDF(ctx, []byte("%PDF-1.7"))
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeUnavailable {
		t.Fatalf("a check beyond the bound: %v", err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/certificates/check", strings.NewReader("%PDF-1.7"))
	req.Header.Set("Content-Type", "application/pdf")
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "busy") {
		t.Fatalf("POST /v1/certificates/check while busy: %d %s", rec.Code, rec.Body)
	}
	s.checks.Release(slots)
}
