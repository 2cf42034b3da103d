package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/httpsig"
	"github.com/jurichain/jurichain/suite"
)

type edSigner ed25519.PrivateKey

func (k edSigner) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(k), msg), nil
}

// heldBody yields the first part of a body, then blocks until released
// before the rest: a client still sending.
type heldBody struct {
	r           io.Reader
	first       int
	read        int
	released    chan struct{}
	waitRelease bool
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.read >= b.first && !b.waitRelease {
		b.waitRelease = true
		<-b.released
	}
	if b.read < b.first {
		p = p[:min(len(p), b.first-b.read)]
	}
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

// TestBodyMemoryIsBounded checks that the authenticated bodies held at
// once stay under MaxBodyMemory: while one large body is being received,
// another is answered 503 after BodyWait, a small one is still served, and
// once the first is done the large one fits again.
func TestBodyMemoryIsBounded(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := New(Config{Limits: Limits{MaxBodyMemory: MaxBody + 2<<20, BodyWait: 300 * time.Millisecond}})
	srv := httptest.NewUnstartedServer(s)
	s.verifier = httpsig.NewVerifier(httpsig.Config{
		Suite: suite.International(),
		Resolve: func(_ context.Context, id string) (httpsig.Key, error) {
			if id != NodeKeyID("court") {
				return httpsig.Key{}, errors.New("no such member institution")
			}
			return httpsig.Key{Alg: "ed25519", Verify: func(m, sg []byte) bool { return ed25519.Verify(pub, m, sg) }}, nil
		},
		Authorities: []string{srv.Listener.Addr().String()},
		Skew:        time.Minute,
	})
	srv.Start()
	defer srv.Close()

	large := bytes.Repeat([]byte(" "), 20<<20)
	send := func(body []byte, r io.Reader) (int, api.Error) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/v1/membership", r)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		if err := httpsig.Sign(req, body, httpsig.Params{KeyID: NodeKeyID("court"), Created: time.Now(), Nonce: rand.Text()}, edSigner(priv)); err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e api.Error
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}

	held := &heldBody{r: bytes.NewReader(large), first: 1 << 20, released: make(chan struct{})}
	var release sync.Once
	defer release.Do(func() { close(held.released) })
	type answer struct {
		status int
		e      api.Error
	}
	first := make(chan answer, 1)
	go func() {
		status, e := send(large, held)
		first <- answer{status, e}
	}()
	// Wait until the first request holds its room.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if !s.bodies.TryAcquire(15 << 20) {
			break
		}
		s.bodies.Release(15 << 20)
		select {
		case a := <-first:
			t.Fatalf("the first request was answered before its body was sent: %d %+v", a.status, a.e)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never took its room")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if status, e := send(large, bytes.NewReader(large)); status != http.StatusServiceUnavailable || e.Code != api.CodeUnavailable {
		t.Fatalf("a second large body while the first is received: %d %+v", status, e)
	}
	small := []byte("{}")
	// The small body reaches the handler, which finds no note in it.
	if status, e := send(small, bytes.NewReader(small)); status != http.StatusBadRequest || e.Code != api.CodeInvalid {
		t.Fatalf("a small body while the first is received: %d %+v", status, e)
	}
	release.Do(func() { close(held.released) })
	if a := <-first; a.status != http.StatusBadRequest {
		t.Fatalf("the first large body: %d %+v", a.status, a.e)
	}
	if status, e := send(large, bytes.NewReader(large)); status != http.StatusBadRequest {
		t.Fatalf("a large body once the first is done: %d %+v", status, e)
	}
}
