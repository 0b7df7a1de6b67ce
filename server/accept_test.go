package server_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley/server"
)

// serveOwn runs a server on its own loopback listener through Serve
// (serve) and returns its address.
func serveOwn(t testing.TB, cfg server.Config) (*server.Server, string) {
	t.Helper()
	srv, url := serve(t, cfg)
	return srv, strings.TrimPrefix(url, "ws://")
}

// exchange writes req on a new connection and reads one response.
func exchange(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("request %q: %v", strings.SplitN(req, "\r\n", 2)[0], err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// Serve upgrades WebSocket requests itself and hands everything else to
// its HTTP server, with the bytes it read replayed: every answer is the
// one net/http gives.
func TestServeHandsOffHTTP(t *testing.T) {
	_, addr := serveOwn(t, server.Config{})
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	long := strings.Repeat("x", 20<<10)
	for _, tc := range []struct {
		name, req string
		status    int
		body      string
	}{
		{"page", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 200, "Parley"},
		{"page after a long header", "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + strings.Repeat("p", 2000) + "\r\n\r\n", 200, "Parley"},
		{"script", "GET /parley.js HTTP/1.1\r\nHost: h\r\n\r\n", 200, "WebSocket"},
		{"ws without upgrade", "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n", 426, "WebSocket client"},
		{"unknown path", "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n", 404, ""},
		{"upgrade elsewhere", "GET /nope HTTP/1.1\r\nHost: h\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", 404, ""},
		{"post", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 405, ""},
		{"bad version", "GET / HTTP/1.1\r\nHost: h\r\n" + upgrade + "Sec-WebSocket-Version: 8\r\n\r\n", 400, ""},
		{"bad key", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, ""},
		{"cross origin", "GET / HTTP/1.1\r\nHost: h\r\nOrigin: http://evil.example\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", 403, ""},
		{"malformed", "GARBAGE\r\n\r\n", 400, ""},
		{"head too large", "GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + long + "\r\n\r\n", 431, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := exchange(t, addr, tc.req)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Fatalf("HTTP %d %q, want %d with %q", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}
	// A page, then another request on the same connection: the HTTP
	// server keeps it alive as usual.
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	for i := range 2 {
		fmt.Fprintf(c, "GET /parley.js HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d on one connection: %v %v", i+1, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// And the upgrades themselves, on both paths.
	for _, path := range []string{"/", "/ws"} {
		p := plain(t, "ws://"+addr+path)
		p.say("hello from " + path)
		if got := p.text(); got != "guest-"+map[string]string{"/": "1", "/ws": "2"}[path]+": hello from "+path {
			t.Fatalf("%s: got %q", path, got)
		}
	}
}

// A refused upgrade on Serve's path is counted once, with Retry-After.
func TestServeRefusals(t *testing.T) {
	srv, addr := serveOwn(t, server.Config{MaxConns: 1})
	plain(t, "ws://"+addr+"/")
	req := "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	resp := exchange(t, addr, req)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over MaxConns: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := srv.Stats(); st.Refused != 1 || st.Conns != 1 {
		t.Fatalf("stats %+v, want 1 refused, 1 connection", st)
	}
}

// Data sent before the 101 arrives is a protocol error: gorilla closes
// the connection, as it does behind net/http.
func TestServeEarlyData(t *testing.T) {
	srv, addr := serveOwn(t, server.Config{})
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x80abcd")
	if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
		t.Fatalf("got %q, %v; want the connection closed without an answer", b, err)
	}
	if st := srv.Stats(); st.Conns != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Serve's upgrades leave far less garbage than net/http's: no 4 KiB
// reader and writers per connection. The same client handshakes with a
// server behind httptest (ServeHTTP) and with Serve.
func TestServeHandshakeGarbage(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocations")
	}
	const n = 300
	perConn := func(addr string, srv *server.Server) uint64 {
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			c, err := rawHandshake(addr)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		waitFor(t, "every connection", func() bool { return srv.Stats().Conns == n })
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / n
	}
	quiet := server.Config{MaxConns: -1, Logger: slog.New(slog.DiscardHandler)}
	viaHTTP, url := startHandler(t, quiet)
	httpBytes := perConn(strings.TrimPrefix(url, "ws://"), viaHTTP)
	own, addr := serveOwn(t, quiet)
	ownBytes := perConn(addr, own)
	t.Logf("bytes allocated per handshake, client included: %d behind net/http, %d through Serve", httpBytes, ownBytes)
	if ownBytes+8<<10 > httpBytes {
		t.Fatalf("Serve allocates %d bytes per handshake, net/http %d: want 8 KiB less at least", ownBytes, httpBytes)
	}
}
