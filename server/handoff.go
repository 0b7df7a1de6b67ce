package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Handing a connection to the HTTP server with its request head replayed
// (replayConn), and the listener the HTTP server accepts it from.

// replayConn is a connection handed to the HTTP server: reads return the
// bytes already read from it first. It holds the connection's slot until
// the HTTP server closes it or an upgrade takes it.
type replayConn struct {
	net.Conn
	pending []byte
	key     string      // the slot's address key, "" when exempt
	held    atomic.Bool // the slot is still the connection's
}

// release gives the slot back, once.
func (c *replayConn) release(s *Server) {
	if c.held.CompareAndSwap(true, false) {
		s.unreserve(c.key)
	}
}

// take passes the slot to the peer an upgrade made of the connection.
// The HTTP server never reports a hijacked connection closed, so nothing
// else releases it.
func (c *replayConn) take() string {
	c.held.Store(false)
	return c.key
}

// replayKey is the context key of a request's replayConn.
type replayKey struct{}

// withReplayConn is the HTTP server's ConnContext: a request on a
// connection Serve handed over can find its replayConn.
func withReplayConn(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*replayConn); ok {
		return context.WithValue(ctx, replayKey{}, rc)
	}
	return ctx
}

// replayConnOf returns the replayConn r arrived on, or nil if r came
// from another server.
func replayConnOf(r *http.Request) *replayConn {
	rc, _ := r.Context().Value(replayKey{}).(*replayConn)
	return rc
}

// connState is the HTTP server's ConnState: a handed-over connection it
// closes gives its slot back.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	if rc, ok := c.(*replayConn); ok && st == http.StateClosed {
		rc.release(s)
	}
}

// Read implements net.Conn.
func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// unwrap returns the connection under c once its replay is read, so that
// a WebSocket upgraded through the HTTP server keeps the socket's own
// methods (half-close, waiting for input).
func unwrap(c net.Conn) net.Conn {
	if rc, ok := c.(*replayConn); ok && len(rc.pending) == 0 {
		return rc.Conn
	}
	return c
}

// handoffListener is the listener the HTTP server accepts handed-off
// connections from.
type handoffListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *handoffListener) init() {
	l.conns = make(chan net.Conn)
	l.done = make(chan struct{})
}

// put hands c to the HTTP server; false if it is closed.
func (l *handoffListener) put(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// Accept implements net.Listener.
func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *handoffListener) Addr() net.Addr {
	if l.addr == nil {
		return &net.TCPAddr{}
	}
	return l.addr
}
