package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Serve's own accept loop.
//
// An http.Server gives every connection a 4 KiB bufio.Reader and a 4 KiB
// bufio.Writer, and Hijack adds another 4 KiB writer; a hijacked
// connection never gives them back. For a chat server whose connections
// are nearly all WebSocket upgrades that is 12 KiB of garbage per
// connection, and the heap the runtime keeps to absorb it was a third of
// what an idle connection cost. So on the listeners it owns the server
// reads the request head itself, through the small reader the
// connection keeps anyway, and upgrades the usual WebSocket requests
// directly. Anything else (the page, a refusal, a malformed request) is
// handed, with the bytes read so far replayed, to the http.Server, which
// answers it exactly as it would have: one code path for every answer
// that is not a 101.

// Every connection Serve accepts is counted against MaxConns and
// MaxConnsPerIP from accept to close, whatever it turns out to be: a
// WebSocket, a page on keep-alive, or a request head still arriving.
// Counted only as WebSocket upgrades, one host held 2,000 idle keep-alive
// connections. A connection over a limit is refused at once (refuseConn).
// Its place in the counts (a slot, taken by reserve) is owned by exactly
// one of: serveConn while it reads the head; the peer it becomes, which
// gives it back in unregister; or, once handed to the HTTP server, its
// replayConn, which gives it back when the HTTP server closes it, or
// passes it to the peer an upgrade through ServeHTTP makes.
//
// The request head has one deadline, HandshakeTimeout from accept, on
// either path: serveConn reads it under that deadline and never hands
// the HTTP server a head that did not arrive in time.

// refuseWait bounds the wait for the request head of a connection that
// is refused, so that its HTTP answer is read as one (a client sends its
// request at once) and the refusal's goroutine ends soon.
const refuseWait = time.Second

// maxRefusing bounds the refusals waiting for their request heads at
// once; past it a refused connection is closed without an answer, so
// that knocking on a full server costs it no more than this many
// goroutines that wait.
const maxRefusing = 128

// headSlack is what net/http reads beyond MaxHeaderBytes before it
// refuses a request head; the same bound applies here.
const headSlack = 4096

// errHeadTooLarge reports a request head over the limit.
var errHeadTooLarge = errors.New("request head too large")

// track adds ln to the listeners Shutdown closes, or removes it. It
// reports false if the server is already shutting down.
func (s *Server) track(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, ln)
		return true
	}
	if s.closing {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[ln] = struct{}{}
	return true
}

// closeListeners closes every listener Serve is accepting on, and the
// hand-off listener of the HTTP server.
func (s *Server) closeListeners() {
	s.mu.Lock()
	lns := make([]net.Listener, 0, len(s.listeners))
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	s.handoff.Close()
}

// Serve accepts connections on ln until Shutdown. It may be called for
// several listeners at once (say 127.0.0.1 and ::1). After Shutdown it
// returns ErrClosed.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln, true) {
		ln.Close()
		return ErrClosed
	}
	defer s.track(ln, false)
	s.hsOnce.Do(func() {
		s.handoff.addr = ln.Addr()
		go s.hs.Serve(&s.handoff)
	})
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isShuttingDown() {
				return ErrClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				// Out of file descriptors, say: wait as net/http does,
				// so that a full table does not spin the loop.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "in", delay)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("server: serve %s: %w", ln.Addr(), err)
		}
		delay = 0
		c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
		go s.serveConn(c)
	}
}

// refuseConn refuses a connection over a limit as ServeHTTP's admit
// does, with the status and Retry-After, once the request head is in (so
// that closing does not reset the answer away), refuseWait at most. Past
// maxRefusing refusals at once it closes the connection without a word.
func (s *Server) refuseConn(c net.Conn, status int, why string) {
	defer c.Close()
	s.refused.Add(1)
	s.log.Debug("connection refused", "addr", c.RemoteAddr(), "why", why)
	if s.refusing.Add(1) > maxRefusing {
		s.refusing.Add(-1)
		return
	}
	defer s.refusing.Add(-1)
	c.SetDeadline(time.Now().Add(min(s.cfg.HandshakeTimeout, refuseWait)))
	if !skipHead(c, s.hs.MaxHeaderBytes+headSlack) {
		return
	}
	body := why + "\n"
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"X-Content-Type-Options: nosniff\r\nRetry-After: 5\r\nConnection: close\r\n"+
		"Content-Length: %d\r\n\r\n%s", status, http.StatusText(status), len(body), body)
}

// skipHead reads from c up to the blank line that ends a request head,
// at most limit bytes, and reports whether it found it.
func skipHead(c net.Conn, limit int) bool {
	var buf [512]byte
	newlines := 0 // line feeds in a row, not counting CRs
	for limit > 0 {
		n, err := c.Read(buf[:min(len(buf), limit)])
		for _, b := range buf[:n] {
			switch b {
			case '\n':
				newlines++
				if newlines == 2 {
					return true
				}
			case '\r':
			default:
				newlines = 0
			}
		}
		limit -= n
		if err != nil {
			return false
		}
	}
	return false
}

// isShuttingDown reports whether Shutdown has begun.
func (s *Server) isShuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// serveConn takes a new connection's place in the counts, or refuses
// it; then it reads the request head and upgrades it, or hands it to the
// HTTP server. (Reserving here keeps the accept loop off s.mu, which a
// broadcast holds.)
func (s *Server) serveConn(c net.Conn) {
	key, status, why := s.reserve(c.RemoteAddr().String())
	if status != 0 {
		s.refuseConn(c, status, why)
		return
	}
	// The place is taken before a TLS handshake, which costs the server
	// far more than a refusal.
	if c = s.sniff(c); c == nil {
		s.unreserve(key)
		return
	}
	rec := &headRecorder{r: c, limit: s.hs.MaxHeaderBytes + headSlack}
	rec.buf = headBufs.Get().(*[]byte)
	done := func() {
		if rec.buf != nil {
			*rec.buf = (*rec.buf)[:0]
			headBufs.Put(rec.buf)
			rec.buf = nil
		}
	}
	defer done()
	br := bufio.NewReaderSize(rec, readBufferSize)
	r, err := http.ReadRequest(br)
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, errHeadTooLarge):
			// As net/http answers it.
			io.WriteString(c, "HTTP/1.1 431 Request Header Fields Too Large\r\n"+
				"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"+
				"431 Request Header Fields Too Large")
			s.unreserve(key)
			c.Close()
		case errors.Is(err, io.EOF), errors.As(err, &ne), errors.Is(rec.err, os.ErrDeadlineExceeded):
			// Gone or too slow: net/http closes these without a word. A
			// line cut short by the deadline reads as a whole one
			// (bufio.Reader.ReadLine), which may then be malformed:
			// handed over, it would get the HTTP server's own deadline
			// for the rest of the head.
			s.unreserve(key)
			c.Close()
		default:
			s.handOff(c, rec.bytes(), key) // net/http answers 400
		}
		return
	}
	r.RemoteAddr = c.RemoteAddr().String()
	// Only what ServeHTTP would upgrade. A request for an absolute URL
	// takes its r.Host from it; whether it also had the Host header
	// net/http's server requires, only that server can tell.
	if status, _ := upgradeStatus(r); status != http.StatusSwitchingProtocols || r.URL.Host != "" {
		s.handOff(c, rec.bytes(), key)
		return
	}
	h := &upgradeWriter{conn: &conn{Conn: c}, br: br}
	ws, err := s.fast.Upgrade(h, r, s.plainHeader(c))
	if err != nil {
		if !h.hijacked {
			// gorilla refused the request (origin, version, key): the
			// HTTP server refuses it again, with the answer and the log.
			s.handOff(c, rec.bytes(), key)
			return
		}
		s.unreserve(key)
		// gorilla closed the connection: it sent data before the
		// handshake was done, or the 101 could not be written.
		s.log.Debug("upgrade failed", "addr", r.RemoteAddr, "err", err)
		return
	}
	done()
	h.release()
	s.start(h.conn, ws, br, key)
}

// handOff gives c, with its slot key, to the HTTP server, which reads
// replay before the rest of the connection. replay holds a whole request
// head, or a malformed one that the HTTP server refuses without reading
// more: the head's deadline is not extended.
func (s *Server) handOff(c net.Conn, replay []byte, key string) {
	c.SetDeadline(time.Time{}) // the HTTP server sets its own
	rc := &replayConn{Conn: c, pending: append([]byte(nil), replay...), key: key}
	rc.held.Store(true)
	if !s.handoff.put(rc) {
		c.Close()
		rc.release(s)
	}
}

// headBufs recycles the buffers request heads are recorded in.
var headBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// headRecorder passes reads through and keeps a copy of everything read,
// up to limit bytes, so that a connection can be handed to the HTTP
// server with its request head replayed.
type headRecorder struct {
	r     io.Reader
	buf   *[]byte
	limit int
	err   error // the last error from r
}

// Read implements io.Reader.
func (h *headRecorder) Read(b []byte) (int, error) {
	if len(*h.buf) >= h.limit {
		return 0, errHeadTooLarge
	}
	if room := h.limit - len(*h.buf); len(b) > room {
		b = b[:room]
	}
	n, err := h.r.Read(b)
	*h.buf = append(*h.buf, b[:n]...)
	if err != nil {
		h.err = err
	}
	return n, err
}

func (h *headRecorder) bytes() []byte { return *h.buf }
