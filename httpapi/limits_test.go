package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/httpapi"
	"github.com/jurichain/jurichain/suite"
)

// serve runs h behind the limits of l on a loopback port, as serve does,
// and returns its base URL.
func serve(t *testing.T, h http.Handler, l httpapi.Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.NewHTTPServer(h, l)
	done := make(chan struct{})
	limited := httpapi.LimitListener(ln, l)
	srv.ConnState = limited.ConnState
	go func() { defer close(done); srv.Serve(limited) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

func dial(t *testing.T, url string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSlowHeadersAreCut checks that a client sending its headers slower
// than ReadHeaderTimeout (slowloris) loses its connection.
func TestSlowHeadersAreCut(t *testing.T) {
	url := serve(t, httpapi.New(httpapi.Config{}), httpapi.Limits{ReadHeaderTimeout: 300 * time.Millisecond})
	c := dial(t, url)
	start := time.Now()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	// The server answers 408 or just closes; either way the connection
	// ends, long before the test's own deadline.
	io.ReadAll(c)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a connection with unfinished headers stayed open %v", took)
	}
}

// TestConnectionsAreBounded checks that past MaxConnections a new
// connection is not served while the others are busy, and is once one
// closes.
func TestConnectionsAreBounded(t *testing.T) {
	url := serve(t, httpapi.New(httpapi.Config{}), httpapi.Limits{MaxConnections: 2})
	// Each held connection is in the middle of sending a request.
	held := []net.Conn{dial(t, url), dial(t, url)}
	for _, c := range held {
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	third := &http.Client{Timeout: 500 * time.Millisecond}
	if resp, err := third.Get(url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a third connection was served while two were busy: %s", resp.Status)
	}
	held[0].Close()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url + "/healthz")
	if err != nil {
		t.Fatalf("once a connection closed, a new one: %v", err)
	}
	resp.Body.Close()
}

// TestIdleConnectionsMakeRoom checks that connections kept open idle
// after their requests (HTTP keep-alive) do not shut a new client out:
// past MaxConnections the longest idle one is closed.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	url := serve(t, httpapi.New(httpapi.Config{}), httpapi.Limits{MaxConnections: 2})
	held := []net.Conn{dial(t, url), dial(t, url)}
	for _, c := range held {
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("a held connection's request: %v %v", resp, err)
		}
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url + "/healthz")
	if err != nil {
		t.Fatalf("a new client while two connections sat idle: %v", err)
	}
	resp.Body.Close()
	// The first idle connection was closed to make room.
	held[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := held[0].Read(make([]byte, 1)); err == nil {
		t.Fatalf("the longest idle connection is still open (read %d bytes)", n)
	}
}

// blockingBody yields size bytes, then blocks until released: a client
// still sending.
type blockingBody struct {
	r       io.Reader
	release chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		<-b.release
	}
	return n, err
}

// TestBodiesAreBoundedBeforeAuthentication checks that a public endpoint
// reads at most MaxPublicBody, and that a request without valid
// credentials is refused before its body is read: the answer comes while
// the client is still sending.
func TestBodiesAreBoundedBeforeAuthentication(t *testing.T) {
	url := serve(t, httpapi.New(httpapi.Config{Suite: suite.International(), PublicNames: []string{"jurichain.example"}}), httpapi.Limits{})
	tests := []struct {
		name, path string
		header     map[string]string
		status     int
		say        string
	}{
		{"public endpoint, 1 MiB", "/v1/registrations", nil, http.StatusRequestEntityTooLarge, "larger than 65536 bytes"},
		{"no credentials", "/v1/deposits", nil, http.StatusUnauthorized, "authentication required"},
		{"malformed signature", "/v1/deposits", map[string]string{"Signature-Input": "jurichain=(((", "Signature": "jurichain=:AAAA:"}, http.StatusUnauthorized, "Signature-Input"},
		{"signed for another node", "/v1/deposits", map[string]string{
			"Signature-Input": `jurichain=("@method" "@authority" "@path" "@query" "content-digest");created=` + strconv.FormatInt(time.Now().Unix(), 10) + `;keyid="someone";nonce="0123456789"`,
			"Signature":       "jurichain=:AAAA:"}, http.StatusUnauthorized, `but this node answers as jurichain.example`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := &blockingBody{r: bytes.NewReader(bytes.Repeat([]byte("{"), 1<<20)), release: make(chan struct{})}
			defer close(body.release)
			req, err := http.NewRequest("POST", url+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			start := time.Now()
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatalf("no answer while the body was still being sent: %v", err)
			}
			defer resp.Body.Close()
			var e api.Error
			json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tc.status || !strings.Contains(e.Message, tc.say) {
				t.Fatalf("%d %+v, want %d saying %q", resp.StatusCode, e, tc.status, tc.say)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("took %v", took)
			}
		})
	}
}
