package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/wire"
)

// FuzzHandshake drives Serve's own accept path (the request head read
// without net/http, the upgrade, the hand-off of everything else to the
// HTTP server) with arbitrary bytes on a real loopback connection. Nothing
// may panic; whatever the server answers must be an HTTP response; the
// connection must be released, with its place in the connection counts;
// and a well-behaved plain client must still be greeted afterwards.
func FuzzHandshake(f *testing.F) {
	const upgrade = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, s := range []string{
		upgrade + "\r\n",
		upgrade + "Sec-WebSocket-Protocol: " + wire.Subprotocol + "\r\n\r\n",
		upgrade + "\r\n" + string(masked(opText, "hello")), // a frame right behind the head
		strings.Replace(upgrade, "GET / ", "GET /ws?x=1 ", 1) + "\r\n",
		strings.Replace(upgrade, "GET / ", "GET /other ", 1) + "\r\n",
		strings.Replace(upgrade, "GET", "POST", 1) + "\r\n",
		strings.Replace(upgrade, "Version: 13", "Version: 8", 1) + "\r\n",
		strings.Replace(upgrade, "HTTP/1.1", "HTTP/1.0", 1) + "\r\n",
		strings.Replace(upgrade, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1) + "\r\n",
		upgrade + "Origin: http://evil.example\r\n\r\n",
		upgrade + "Content-Length: 5\r\n\r\nhello",
		upgrade + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		upgrade + "X-Long: " + strings.Repeat("a", 40<<10) + "\r\n\r\n", // over the header limit
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",                             // the page
		"GET /parley.js HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET //../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // a TLS hello
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
		"\r\n\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
		"GET\x00/ HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	s := New(Config{MaxConnsPerIP: -1, HandshakeTimeout: 2 * time.Second, PingInterval: time.Hour})
	addr := chattest.Serve(f, s, chattest.Options{Closed: ErrClosed}).Addr

	f.Fuzz(func(t *testing.T, input []byte) {
		out, err := sendRaw(addr, input)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 {
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if err != nil {
				t.Fatalf("the answer is not an HTTP response (%v): %.200q", err, out)
			}
			resp.Body.Close()
			t.Logf("answered %s", resp.Status)
		} else {
			t.Log("closed without an answer")
		}
		// The server goes on: a plain client is greeted.
		greeting, err := sendRaw(addr, []byte(upgrade+"\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(greeting, []byte("HTTP/1.1 101 ")) || !bytes.Contains(greeting, []byte(wire.Greeting)) {
			t.Fatalf("after the input, a plain client got %.300q", greeting)
		}
		deadline := time.Now().Add(5 * time.Second)
		for st := s.Stats(); st.Conns > 0 || st.Open > 0; st = s.Stats() {
			if time.Now().After(deadline) {
				t.Fatalf("%d WebSocket connections still held, %d counted in all", st.Conns, st.Open)
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// sendRaw connects to addr, writes input, ends its side and returns what
// the server sent until it closed the connection (at most 64 KiB; a
// reset after a partial read is not an error).
func sendRaw(addr string, input []byte) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(input); err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		return nil, err
	}
	c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(io.LimitReader(c, 64<<10))
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return out, err
	}
	return out, nil
}
