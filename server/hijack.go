package server

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"time"
)

// The handshake plumbing: what gorilla/websocket hijacks on either path
// (upgradeWriter on Serve's own, hijacker under an http.Server), and conn,
// the connection gorilla reads and writes through.

// upgradeWriter is the http.ResponseWriter of an upgrade on Serve's own
// path: gorilla may only hijack it. Its refusals are not written: the
// connection goes to the HTTP server, which writes them.
type upgradeWriter struct {
	conn     *conn
	br       *bufio.Reader
	bw       *bufio.Writer
	header   http.Header
	hijacked bool
}

// Header implements http.ResponseWriter.
func (w *upgradeWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// Write implements http.ResponseWriter. Nothing is written: see
// upgradeWriter.
func (w *upgradeWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader implements http.ResponseWriter.
func (w *upgradeWriter) WriteHeader(int) {}

// Hijack implements http.Hijacker: the connection, its small reader (which
// gorilla adopts as its read buffer: TestGorillaAdoptsReadBuffer) and a
// writer whose buffer gorilla borrows to compose the 101.
func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	if w.br.Buffered() == 0 {
		// The reader read the request head through the recorder; from
		// now on it reads the connection. gorilla happens to do this
		// too when it adopts the reader (br.Reset in bufioReaderSize),
		// but that is its business, not a promise
		// (TestUpgradeWriterReadsConn). With bytes buffered gorilla
		// refuses the upgrade anyway.
		w.br.Reset(w.conn)
	}
	w.bw = handshakeWriters.Get().(*bufio.Writer)
	w.bw.Reset(w.conn)
	return w.conn, bufio.NewReadWriter(w.br, w.bw), nil
}

// release recycles the handshake writer once gorilla is done with it.
func (w *upgradeWriter) release() {
	if w.bw != nil {
		w.bw.Reset(nil)
		handshakeWriters.Put(w.bw)
		w.bw = nil
	}
}

// handshakeWriters hold the buffers gorilla composes 101 responses in
// (about 170 bytes; it grows a copy if one is longer).
var handshakeWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256) }}

// hijacker wraps the ResponseWriter handed to the Upgrader so that the
// connection gorilla/websocket gets is a conn, read through a small buffer
// the server can see.
type hijacker struct {
	http.ResponseWriter
	conn *conn
	br   *bufio.Reader
}

// Hijack implements http.Hijacker.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &conn{Conn: unwrap(c)}
	if brw.Reader.Buffered() == 0 {
		// The Upgrader (ReadBufferSize 0) adopts this reader as its own,
		// instead of the HTTP server's 4 KiB one
		// (TestGorillaAdoptsReadBuffer). It reads h.conn from the start,
		// so gorilla's own Reset of it changes nothing.
		h.br = bufio.NewReaderSize(h.conn, readBufferSize)
		brw = bufio.NewReadWriter(h.br, brw.Writer)
	}
	return h.conn, brw, nil
}

// conn is the hijacked connection as gorilla/websocket sees it. Until the
// handshake is written it is the plain connection; from then on, the
// frames gorilla writes by itself (pongs, close frames) are copied into
// the peer's queue instead of being written, so that the peer's flusher is
// the only writer, and gorilla's write deadlines are ignored because the
// flusher sets its own.
type conn struct {
	net.Conn
	p *peer // nil during the handshake
}

// Write implements net.Conn. After the handshake each Write from gorilla
// is one whole control frame (WriteControl builds it in one buffer):
// TestGorillaControlFrameOneWrite.
func (c *conn) Write(b []byte) (int, error) {
	if c.p == nil {
		return c.Conn.Write(b)
	}
	c.p.control(bytes.Clone(b))
	return len(b), nil
}

// Read implements net.Conn. Once the connection is a peer's, every byte
// gorilla reads passes the peer's input meter first.
func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.p != nil && n > 0 {
		if merr := c.p.in.feed(b[:n]); merr != nil {
			return 0, merr
		}
	}
	return n, err
}

// SetWriteDeadline implements net.Conn.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if c.p == nil {
		return c.Conn.SetWriteDeadline(t)
	}
	return nil
}

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error {
	if c.p == nil {
		return c.Conn.SetDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}
