package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

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
	// MaxConnections bounds the open connections; past it, an idle
	// keep-alive connection is closed to make room, and with none idle a
	// new one waits to be accepted.
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
		MaxConnections:    4096,
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

// ConnLimiter is a listener that bounds the connections served at once to
// Limits.MaxConnections. Past the bound, the connection idle longest (for
// a second at least) between keep-alive requests is closed to make room (its client reconnects when it next needs to), so
// clients that keep many connections open cannot shut others out; with
// none idle, a new connection waits until one closes. It learns which
// connections are idle from the server's ConnState hook.
type ConnLimiter struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	close sync.Once

	mu   sync.Mutex
	idle map[*limitedConn]time.Time // since when each idle connection is
}

// LimitListener wraps ln; srv.ConnState must be set to the limiter's
// ConnState.
func LimitListener(ln net.Listener, l Limits) *ConnLimiter {
	return &ConnLimiter{
		Listener: ln,
		slots:    make(chan struct{}, l.withDefaults().MaxConnections),
		done:     make(chan struct{}),
		idle:     map[*limitedConn]time.Time{},
	}
}

// Accept waits for a connection and for room to serve it.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, limiter: l}, nil
		default:
		}
		l.closeLongestIdle()
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, limiter: l}, nil
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		case <-time.After(idleRetry):
		}
	}
}

// A connection idle for less than minIdle may be about to carry its
// client's next request, which closing it would break: past the bound,
// only connections idle longer give way, checked every idleRetry.
const (
	minIdle   = time.Second
	idleRetry = 100 * time.Millisecond
)

// Close stops accepting; connections being served stay open.
func (l *ConnLimiter) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is the server's ConnState hook: it tracks idle connections.
func (l *ConnLimiter) ConnState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle {
		l.idle[lc] = time.Now()
	} else {
		delete(l.idle, lc)
	}
}

func (l *ConnLimiter) closeLongestIdle() {
	l.mu.Lock()
	var oldest *limitedConn
	var since time.Time
	for c, t := range l.idle {
		if time.Since(t) >= minIdle && (oldest == nil || t.Before(since)) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

// limitedConn gives its slot back when it closes.
type limitedConn struct {
	net.Conn
	limiter *ConnLimiter
	once    sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.limiter.mu.Lock()
		delete(c.limiter.idle, c)
		c.limiter.mu.Unlock()
		<-c.limiter.slots
	})
	return err
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
