package server

// Pins of gorilla/websocket's internals that the server relies on. Each
// test fails if an upgrade of gorilla changes what it pins, and each place
// of reliance names its test:
//
//   - the read buffer: gorilla adopts the reader the hijacker hands it
//     (ReadBufferSize 0), so that the server can peek, wait and skip pongs
//     in the very buffer gorilla parses (peer.read, peer.skipPongs);
//   - one Write per control frame: conn.Write takes each Write gorilla
//     makes after the handshake as one whole frame (peer.control);
//   - skipping pongs: between messages gorilla's buffer is at a frame
//     boundary, pongs consumed there are never seen by gorilla, and what
//     peer.skipPongs leaves is still checked by gorilla (also checkClose);
//   - the errors ReadMessage returns, which endingFor maps to how a peer
//     ends (TestGorillaReadErrors, gorilla_pins_test.go);
//   - no write buffer: with noWriteBuffers as its pool gorilla holds none
//     (TestGorillaNoWriteBuffer, gorilla_pins_test.go).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pinWait bounds every read of these tests.
const pinWait = 5 * time.Second

// clientFrame builds a client frame from its first header byte, masked or
// not; the payload must be under 126 bytes unless ext16 asks for the
// 16-bit length form.
func clientFrame(b0 byte, mask bool, payload string) []byte {
	f := []byte{b0}
	var m byte
	if mask {
		m = 0x80
	}
	if len(payload) < 126 {
		f = append(f, m|byte(len(payload)))
	} else {
		f = append(f, m|126)
		f = binary.BigEndian.AppendUint16(f, uint16(len(payload)))
	}
	if !mask {
		return append(f, payload...)
	}
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	f = append(f, key[:]...)
	for i := 0; i < len(payload); i++ {
		f = append(f, payload[i]^key[i%4])
	}
	return f
}

// readServerFrame reads one frame the server wrote (unmasked; control
// frames and short texts only).
func readServerFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 || h[1]&0x7f > 125 {
		return 0, nil, fmt.Errorf("unexpected frame header % x", h)
	}
	payload = make([]byte, h[1]&0x7f)
	_, err = io.ReadFull(br, payload)
	return h[0] & 0x0f, payload, err
}

// upgradeAndDial upgrades a connection to s over the path the test names
// and returns the client's end after the 101, with a reader, the request
// having been a plain client's.
func upgradeAndDial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	cli, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	cli.SetDeadline(time.Now().Add(pinWait))
	fmt.Fprintf(cli, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	cbr := bufio.NewReader(cli)
	resp, err := http.ReadResponse(cbr, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return cli, cbr
}

// gorilla adopts the reader that either path hands it: bytes peeked
// through the server's reader are the ones gorilla then returns, and
// gorilla reads nothing of its own. If it kept a buffer of its own, the
// reader's peek would strand those bytes where gorilla never looks, and
// every connection would hang.
func TestGorillaAdoptsReadBuffer(t *testing.T) {
	for _, path := range []string{"serve", "handler"} {
		t.Run(path, func(t *testing.T) {
			s := New(Config{Logger: slog.New(slog.DiscardHandler), PingInterval: time.Hour})
			type upgrade struct {
				c  *conn
				ws *websocket.Conn
				br *bufio.Reader
			}
			got := make(chan upgrade, 1)
			checked := make(chan struct{})
			var once sync.Once
			s.hooks = &testHooks{upgraded: func(c *conn, ws *websocket.Conn, br *bufio.Reader) {
				got <- upgrade{c, ws, br}
				<-checked // the test drives gorilla until then
			}}
			var addr string
			if path == "serve" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				go s.Serve(ln)
				addr = ln.Addr().String()
			} else {
				ts := httptest.NewServer(s)
				t.Cleanup(ts.Close)
				addr = strings.TrimPrefix(ts.URL, "http://")
			}
			t.Cleanup(func() {
				once.Do(func() { close(checked) })
				s.Shutdown(t.Context(), "", "")
			})

			cli, _ := upgradeAndDial(t, addr)
			u := <-got
			if u.br == nil {
				t.Fatal("the upgrade handed gorilla no reader of the server's")
			}
			frame := clientFrame(0x81, true, "adopted")
			cli.Write(frame)
			u.c.SetReadDeadline(time.Now().Add(pinWait))
			peeked, err := u.br.Peek(len(frame))
			if err != nil || !bytes.Equal(peeked, frame) {
				t.Fatalf("peek through the server's reader: % x, %v; want the frame % x", peeked, err, frame)
			}
			typ, data, err := u.ws.ReadMessage()
			if err != nil || typ != websocket.TextMessage || string(data) != "adopted" {
				t.Fatalf("gorilla read %d %q, %v after the server peeked the frame: gorilla does not read "+
					"through the reader the server handed it (Upgrader.ReadBufferSize 0 no longer adopts it?)",
					typ, data, err)
			}
			if n := u.br.Buffered(); n != 0 {
				t.Fatalf("%d bytes left in the server's reader after gorilla read the frame", n)
			}
			once.Do(func() { close(checked) })
		})
	}
}

// Once it has hijacked the connection, Serve's upgrade reads the
// connection itself, not the recorder the request head was read through,
// whether or not gorilla resets the reader it adopts.
func TestUpgradeWriterReadsConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	buf := make([]byte, 0, 1024)
	rec := &headRecorder{r: a, buf: &buf, limit: 1 << 20}
	br := bufio.NewReaderSize(rec, readBufferSize)
	go io.WriteString(b, "GET / HTTP/1.1\r\nHost: parley.test\r\n\r\n")
	if _, err := http.ReadRequest(br); err != nil {
		t.Fatal(err)
	}
	head := len(buf)
	w := &upgradeWriter{conn: &conn{Conn: a}, br: br}
	_, rw, err := w.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer w.release()
	go io.WriteString(b, "after the head")
	a.SetReadDeadline(time.Now().Add(pinWait))
	if p, err := rw.Reader.Peek(len("after the head")); err != nil || string(p) != "after the head" {
		t.Fatalf("read after Hijack: %q, %v", p, err)
	}
	if n := len(*rec.buf); n != head {
		t.Fatalf("the request head's recorder saw %d more bytes after Hijack: the reader still reads through it", n-head)
	}
}

// recConn records each Write once armed.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	armed  bool
	writes [][]byte
}

func (c *recConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.armed {
		c.writes = append(c.writes, bytes.Clone(b))
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *recConn) recorded() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// pinConn is a connection upgraded by the server's own Upgrader through
// its hijacker, as ServeHTTP does, with no peer and no reader: the test
// drives gorilla itself.
type pinConn struct {
	ws  *websocket.Conn
	br  *bufio.Reader // the reader gorilla adopted
	rec *recConn      // the server's end, recording gorilla's writes once armed
	cli net.Conn      // the client's end
	cbr *bufio.Reader
}

// tcpPair returns both ends of a new loopback TCP connection, the
// client's closed when the test ends.
func tcpPair(t *testing.T) (cli, srvEnd net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	d := net.Dialer{Timeout: pinWait}
	cli, err = d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	if srvEnd = <-accepted; srvEnd == nil {
		t.Fatal("accept failed")
	}
	return cli, srvEnd
}

func pinUpgrade(t *testing.T, s *Server) *pinConn {
	t.Helper()
	cli, srvEnd := tcpPair(t)
	rec := &recConn{Conn: srvEnd}
	t.Cleanup(func() { rec.Close() })
	h := &hijacker{ResponseWriter: &pipeWriter{conn: rec}}
	ws, err := s.up.Upgrade(h, upgradeRequest(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.br == nil || h.conn.Conn != rec {
		t.Fatal("the hijacker did not hand gorilla its own reader over the connection")
	}
	cli.SetDeadline(time.Now().Add(pinWait))
	cbr := bufio.NewReader(cli)
	if resp, err := http.ReadResponse(cbr, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	rec.mu.Lock()
	rec.armed = true
	rec.mu.Unlock()
	ws.SetReadDeadline(time.Now().Add(pinWait))
	return &pinConn{ws: ws, br: h.br, rec: rec, cli: cli, cbr: cbr}
}

// Each control frame gorilla writes by itself (the pong to a ping, the
// echo of a close, the close of a protocol error or of a message over the
// read limit) is one Write holding one whole frame: conn.Write queues
// what it is given as a frame and tells a close frame by its first byte.
func TestGorillaControlFrameOneWrite(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	long := strings.Repeat("p", 125)
	for _, tc := range []struct {
		name    string
		input   []byte
		limit   int64
		op      byte
		payload []byte
	}{
		{"pong", append(clientFrame(0x89, true, "ping"), clientFrame(0x81, true, "end")...), 0, opPong, []byte("ping")},
		{"pong, longest", append(clientFrame(0x89, true, long), clientFrame(0x81, true, "end")...), 0, opPong, []byte(long)},
		{"close echo", clientFrame(0x88, true, "\x03\xe8bye"), 0, opClose, []byte("\x03\xe8")},
		{"protocol error", clientFrame(0x81|0x40, true, "rsv1"), 0, opClose, nil},
		{"read limit", clientFrame(0x81, true, strings.Repeat("x", 100)), 16, opClose, []byte("\x03\xf1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := pinUpgrade(t, s)
			if tc.limit > 0 {
				c.ws.SetReadLimit(tc.limit)
			}
			c.cli.Write(tc.input)
			typ, data, err := c.ws.ReadMessage()
			if tc.op == opPong && (err != nil || string(data) != "end") {
				t.Fatalf("after the ping: %d %q, %v", typ, data, err)
			}
			writes := c.rec.recorded()
			if len(writes) != 1 {
				sizes := make([]int, len(writes))
				for i, w := range writes {
					sizes[i] = len(w)
				}
				t.Fatalf("gorilla wrote the %s in %d writes (of %v bytes), want one", tc.name, len(writes), sizes)
			}
			w := writes[0]
			if len(w) < 2 || w[0] != finBit|tc.op || w[1]&0x80 != 0 || int(w[1]) != len(w)-2 {
				t.Fatalf("gorilla's write % x is not one whole final frame of opcode %#x", w, tc.op)
			}
			if tc.name == "protocol error" {
				if code := binary.BigEndian.Uint16(w[2:]); code != websocket.CloseProtocolError {
					t.Fatalf("protocol error closed with %d", code)
				}
			} else if !bytes.Equal(w[2:], tc.payload) {
				t.Fatalf("payload %q, want %q", w[2:], tc.payload)
			}
		})
	}
}

// Between messages gorilla leaves its buffer at a frame boundary; pongs
// that peer.skipPongs consumes there are never seen by gorilla, which
// then reads the next message as if they had not been sent; anything
// skipPongs leaves, gorilla still checks and refuses with 1002.
func TestGorillaSkipPongs(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	one, two := clientFrame(0x81, true, "one"), clientFrame(0x81, true, "two")
	pongs := append(clientFrame(0x8a, true, "p1"), clientFrame(0x8a, true, strings.Repeat("p", 125))...)

	t.Run("skipped", func(t *testing.T) {
		c := pinUpgrade(t, s)
		p := &peer{s: s, raw: c.rec, ws: c.ws, br: c.br}
		seen := 0
		c.ws.SetPongHandler(func(string) error { seen++; return nil })
		c.cli.Write(bytes.Join([][]byte{one, pongs, two}, nil))
		if _, data, err := c.ws.ReadMessage(); err != nil || string(data) != "one" {
			t.Fatalf("first message: %q, %v", data, err)
		}
		rest := append(append([]byte(nil), pongs...), two...)
		if b, err := c.br.Peek(len(rest)); err != nil || !bytes.Equal(b, rest) {
			t.Fatalf("after a message gorilla's buffer holds % x (%v), want the next frames % x: not at a frame boundary",
				b, err, rest)
		}
		if !p.skipPongs() || c.br.Buffered() != len(two) || p.deadline.Load() == 0 {
			t.Fatalf("skipPongs left %d bytes, deadline %d; want the pongs gone and the deadline extended",
				c.br.Buffered(), p.deadline.Load())
		}
		c.ws.SetReadDeadline(time.Now().Add(pinWait))
		if _, data, err := c.ws.ReadMessage(); err != nil || string(data) != "two" {
			t.Fatalf("after the skipped pongs gorilla read %q, %v; want the next message", data, err)
		}
		if seen != 0 {
			t.Fatalf("gorilla saw %d of the pongs skipped before it", seen)
		}
	})

	t.Run("not skipped", func(t *testing.T) {
		// Without skipPongs gorilla reads them itself: what skipPongs
		// does instead (extend the deadline) is what gorilla's handler
		// would have done, and it leaves nothing behind.
		c := pinUpgrade(t, s)
		seen := 0
		c.ws.SetPongHandler(func(string) error { seen++; return nil })
		c.cli.Write(bytes.Join([][]byte{one, pongs, two}, nil))
		for _, want := range []string{"one", "two"} {
			if _, data, err := c.ws.ReadMessage(); err != nil || string(data) != want {
				t.Fatalf("read %q, %v; want %q", data, err, want)
			}
		}
		if seen != 2 {
			t.Fatalf("gorilla's pong handler ran %d times for 2 pongs", seen)
		}
	})

	for _, tc := range []struct {
		name string
		pong []byte
	}{
		{"unmasked pong", clientFrame(0x8a, false, "pong")},
		{"pong with RSV1", clientFrame(0x8a|0x40, true, "pong")},
		{"pong not final", clientFrame(0x0a, true, "pong")},
		{"pong over 125 bytes", clientFrame(0x8a, true, strings.Repeat("p", 126))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := pinUpgrade(t, s)
			p := &peer{s: s, raw: c.rec, ws: c.ws, br: c.br}
			c.cli.Write(append(append([]byte(nil), one...), tc.pong...))
			if _, data, err := c.ws.ReadMessage(); err != nil || string(data) != "one" {
				t.Fatalf("first message: %q, %v", data, err)
			}
			if _, err := c.br.Peek(len(tc.pong)); err != nil {
				t.Fatal(err)
			}
			if p.skipPongs() || c.br.Buffered() != len(tc.pong) {
				t.Fatalf("skipPongs consumed a bad pong (% x)", tc.pong)
			}
			_, data, err := c.ws.ReadMessage()
			var ce *websocket.CloseError
			var ne net.Error
			if err == nil || errors.As(err, &ce) || errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("gorilla accepted the %s: %q, %v", tc.name, data, err)
			}
			op, payload, err := readServerFrame(c.cbr)
			if err != nil || op != opClose || len(payload) < 2 ||
				binary.BigEndian.Uint16(payload) != websocket.CloseProtocolError {
				t.Fatalf("after the %s the client got op %d %q, %v; want close 1002", tc.name, op, payload, err)
			}
		})
	}
}
