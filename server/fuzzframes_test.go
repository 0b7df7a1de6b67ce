package server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/net/wire"
)

// pipeWriter is the http.ResponseWriter of an upgrade over a connection
// the test accepted itself: Hijack hands it over, as the HTTP server
// would.
type pipeWriter struct {
	conn net.Conn
	h    http.Header
}

func (w *pipeWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *pipeWriter) Write(b []byte) (int, error) { return w.conn.Write(b) }
func (w *pipeWriter) WriteHeader(int)             {}
func (w *pipeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// upgradeRequest is a valid WebSocket upgrade, rich if sub is set.
func upgradeRequest(rich bool) *http.Request {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: parley.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if rich {
		b.WriteString("Sec-WebSocket-Protocol: " + wire.Subprotocol + "\r\n")
	}
	b.WriteString("\r\n")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		panic(err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	return r
}

// masked frames the payload as a client must: final, masked.
func masked(op byte, payload string) []byte {
	f := []byte{finBit | op}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	var key [4]byte
	rand.Read(key[:])
	f = append(f, key[:]...)
	for i := 0; i < len(payload); i++ {
		f = append(f, payload[i]^key[i%4])
	}
	return f
}

// validCloseCode reports whether code may appear in a close frame on the
// wire (RFC 6455 section 7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// FuzzFrames drives the server's whole input path with arbitrary bytes
// after a real upgrade: gorilla/websocket's frame parser (masking,
// fragments, control frames, lengths, reserved bits, opcodes), the read
// limit, the UTF-8 check and the handling of each message, in plain or
// rich mode, followed by a polite close. Nothing may panic, the
// connection must always be released, and what the server writes back
// must be well-formed frames, text frames valid UTF-8 and clean, with a
// valid close code.
func FuzzFrames(f *testing.F) {
	hello := masked(opText, `{"type":"hello","v":1,"nick":"fuzz"}`)
	seeds := [][]byte{
		masked(opText, "hello"),
		append(hello, masked(opText, `{"type":"send","cid":"1","text":"hi"}`)...),
		{0x01, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3, 0x80, 0x81, 1, 2, 3, 4, 'd' ^ 1}, // two fragments
		{0x80, 0x81, 1, 2, 3, 4, 'x'},              // continuation first
		{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'},      // unmasked
		{0xc1, 0x80, 1, 2, 3, 4},                   // RSV1
		{0x83, 0x80, 1, 2, 3, 4},                   // opcode 3
		{0x09, 0x80, 1, 2, 3, 4},                   // fragmented ping
		{0x89, 0xfe, 0x00, 0x7e},                   // ping of 126 bytes
		{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1},    // 64-bit length, top bit
		{0x81, 0xff, 0, 0, 1, 0, 0, 0, 0, 0},       // a terabyte
		masked(opText, "bad \xff utf-8"),           // 1007
		masked(0x2, "binary"),                      // 1003 plain, error rich
		masked(opClose, "\x03\xe8bye"),             // a normal close
		masked(opClose, "\x03\xed"),                // close 1005: invalid
		masked(opPing, "ping"),                     // a pong comes back
		masked(opText, strings.Repeat("x", 2000)),  // over the read limit
		masked(opText, "/nick bob\r\n\x1b[31mx"),   // plain command and escapes
		masked(opText, `{"type":"send","text":1}`), // bad request
	}
	for _, s := range seeds {
		f.Add(false, s)
		f.Add(true, s)
		f.Add(true, append(append([]byte{}, hello...), s...))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer ln.Close()
	f.Fuzz(func(t *testing.T, rich bool, input []byte) {
		s := New(Config{MaxFrame: 1024, MaxText: 256, Backlog: 4, PingInterval: time.Hour,
			HelloTimeout: time.Hour, QueueFrames: 64, QueueBytes: 64 << 10})
		out, reset, err := exchange(ln, s, rich, input)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for s.Stats().Conns > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the connection was not released: %+v", s.Stats())
			}
			time.Sleep(time.Millisecond)
		}
		ops, payloads := serverFrames(t, out)
		if !rich && (len(ops) > 0 || !reset) && (len(ops) == 0 || string(payloads[0]) != wire.Greeting) {
			t.Fatalf("no greeting first: %q", out)
		}
		for i, op := range ops {
			if op == opClose && len(payloads[i]) >= 2 {
				if code := int(binary.BigEndian.Uint16(payloads[i])); !validCloseCode(code) {
					t.Fatalf("close code %d on the wire", code)
				}
			}
		}
		// A close frame without a body echoes a client's close without a
		// code, as RFC 6455 allows; checkOutput, made for the server's own
		// closes, wants a code, so it checks everything before that one.
		if n := len(ops); n > 0 && ops[n-1] == opClose && len(payloads[n-1]) == 0 {
			out = out[:len(out)-2]
		}
		checkOutput(t, rich, out)
	})
}

// exchange upgrades a TCP connection from ln to s, writes input and a
// close frame, half-closes, and returns everything the server wrote after
// its 101 answer, once it closed the connection. If the server reset the
// connection, only the complete frames that arrived are returned.
func exchange(ln net.Listener, s *Server, rich bool, input []byte) (out []byte, reset bool, err error) {
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	cli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, false, err
	}
	defer cli.Close()
	srvEnd := <-accepted
	if srvEnd == nil {
		return nil, false, errors.New("accept failed")
	}
	var buf bytes.Buffer
	read := make(chan error, 1)
	go func() {
		cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(&buf, cli)
		read <- err
	}()
	s.ServeHTTP(&pipeWriter{conn: srvEnd}, upgradeRequest(rich))
	// The input, then a close frame that answers the server's close or
	// starts one, unless the input left a frame unfinished; then the end
	// of our input, which the server sees however far it got.
	cli.SetWriteDeadline(time.Now().Add(5 * time.Second))
	cli.Write(input)
	cli.Write(masked(opClose, "\x03\xe8"))
	cli.(*net.TCPConn).CloseWrite()
	if err := <-read; errors.Is(err, syscall.ECONNRESET) {
		// Bytes after the client's own close frame (ours, or the input's)
		// are never read: closing the socket then resets it, which may
		// cut what we had yet to read. What did arrive is checked.
		reset = true
	} else if err != nil {
		return nil, false, fmt.Errorf("reading the server: %w", err)
	}
	b := buf.Bytes()
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if reset && end < 0 {
		return nil, true, nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, reset, fmt.Errorf("upgrade answered %v, %v", resp, err)
	}
	if reset {
		return wholeFrames(b[end+4:]), true, nil
	}
	return b[end+4:], false, nil
}

// wholeFrames returns the complete server frames at the start of b.
func wholeFrames(b []byte) []byte {
	n := 0
	for {
		rest := b[n:]
		if len(rest) < 2 {
			return b[:n]
		}
		size, h := int(rest[1]&0x7f), 2
		switch size {
		case 126:
			if len(rest) < 4 {
				return b[:n]
			}
			size, h = int(binary.BigEndian.Uint16(rest[2:])), 4
		case 127:
			if len(rest) < 10 {
				return b[:n]
			}
			size, h = int(binary.BigEndian.Uint64(rest[2:])), 10
		}
		if size < 0 || len(rest) < h+size {
			return b[:n]
		}
		n += h + size
	}
}

// TestFuzzFramesHarness keeps FuzzFrames' harness honest: a rich
// client's message comes back as its own msg, a violation gets 1002.
func TestFuzzFramesHarness(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	run := func(rich bool, input []byte) (ops []byte, payloads [][]byte) {
		t.Helper()
		out, reset, err := exchange(ln, New(Config{PingInterval: time.Hour}), rich, input)
		if err != nil || reset {
			t.Fatalf("exchange: %v (reset %v)", err, reset)
		}
		return serverFrames(t, out)
	}
	ops, payloads := run(true, append(masked(opText, `{"type":"hello","v":1,"nick":"fuzz"}`),
		masked(opText, `{"type":"send","cid":"c","text":"hi"}`)...))
	if len(ops) != 3 || !bytes.Contains(payloads[0], []byte(`"type":"welcome"`)) ||
		!bytes.Contains(payloads[1], []byte(`"text":"hi","cid":"c"`)) || ops[2] != opClose ||
		binary.BigEndian.Uint16(payloads[2]) != 1000 {
		t.Fatalf("rich: ops %v, frames %q", ops, payloads)
	}
	ops, payloads = run(false, []byte{0x80, 0x81, 1, 2, 3, 4, 'x'})
	if len(ops) != 2 || ops[1] != opClose || binary.BigEndian.Uint16(payloads[1]) != 1002 {
		t.Fatalf("continuation first: ops %v, frames %q", ops, payloads)
	}
}
