package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/jurichain/jurichain/api"
)

// Limits bound what clients can make the node spend before and while it
// serves them. DefaultLimits gives every field; a zero field takes its
// default.
type Limits struct {
	// MaxPublicBody bounds the body of a request to a public endpoint
	// (the largest, a registration, is a few KiB). Authenticated requests
	// may send up to MaxBody, read only once their credentials check.
	MaxPublicBody int64
	// MaxBodyMemory bounds the bodies of authenticated requests held in
	// memory at once (each counts its declared length, or MaxBody when
	// sent chunked); at least MaxBody. A request that finds no room within
	// BodyWait is answered 503.
	MaxBodyMemory int64
	// BodyWait is how long a request waits for room under MaxBodyMemory.
	BodyWait time.Duration
	// MaxConnections bounds the open connections; past it, new ones wait
	// to be accepted.
	MaxConnections int
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included; a
	// streamed upload may take longer while it keeps moving (StreamIdle).
	ReadTimeout time.Duration
	// WriteTimeout bounds a response from the end of its request's
	// headers; it must exceed MaxWait, the longest long-poll. A streamed
	// response may take longer while it keeps moving (StreamIdle).
	WriteTimeout time.Duration
	// StreamIdle is how long a streamed upload or response may stall.
	StreamIdle time.Duration
	// IdleTimeout bounds an idle keep-alive connection.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
}

// DefaultLimits are the limits of a node unless its operator sets others.
func DefaultLimits() Limits {
	return Limits{
		MaxPublicBody:     64 << 10,
		MaxBodyMemory:     128 << 20,
		BodyWait:          10 * time.Second,
		MaxConnections:    512,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      MaxWait + time.Minute,
		StreamIdle:        time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if l.MaxPublicBody <= 0 {
		l.MaxPublicBody = d.MaxPublicBody
	}
	if l.MaxBodyMemory < MaxBody {
		l.MaxBodyMemory = max(d.MaxBodyMemory, MaxBody)
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = d.MaxConnections
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.StreamIdle, d.StreamIdle)
	set(&l.IdleTimeout, d.IdleTimeout)
	set(&l.BodyWait, d.BodyWait)
	return l
}

// NewHTTPServer returns an HTTP server for h with the timeouts of l.
func NewHTTPServer(h http.Handler, l Limits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// LimitListener bounds the connections ln hands out at once to
// l.MaxConnections: past it, new connections wait in the kernel's
// backlog until one closes.
func LimitListener(ln net.Listener, l Limits) net.Listener {
	return netutil.LimitListener(ln, l.withDefaults().MaxConnections)
}

// reserveBody waits up to BodyWait for room for a body of n bytes under
// MaxBodyMemory and returns its release, or a 503 when there is none.
func (s *Server) reserveBody(ctx context.Context, n int64) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Limits.BodyWait)
	defer cancel()
	if err := s.bodies.Acquire(ctx, n); err != nil {
		return nil, &api.Error{Code: api.CodeUnavailable, Message: "the node is busy receiving other large requests; retry shortly"}
	}
	return func() { s.bodies.Release(n) }, nil
}

// streamingBody extends the connection's read deadline while a streamed
// upload moves, so that its size is not bounded by ReadTimeout and a
// stalled one still ends.
type streamingBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b streamingBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle)) // unsupported only off a real connection
	return b.ReadCloser.Read(p)
}

// streamingWriter extends the connection's write deadline while a
// response moves, so that a large download is bounded by its pace, not by
// WriteTimeout.
type streamingWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w streamingWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w streamingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
