package server_test

// HTTP and WebSocket edge cases, in the manner of net/http's
// serve_test.go: one small case per rule, raw bytes in, the exact answer
// out, on both of the server's paths where both apply: Serve's own accept
// loop (serveOwn) and ServeHTTP behind net/http (start, httptest).

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/server"
)

// upgradeHeaders are the headers of a valid plain-mode handshake, but for
// Host.
const upgradeHeaders = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

// paths returns the address of a server on each path, for cfg: Serve's
// own accept loop, and ServeHTTP behind an httptest.Server.
func paths(t *testing.T, cfg server.Config) map[string]string {
	_, own := serveOwn(t, cfg)
	_, url := startHandler(t, cfg)
	return map[string]string{"Serve": own, "ServeHTTP": strings.TrimPrefix(url, "ws://")}
}

// A request head has one deadline, HandshakeTimeout from accept, however
// it stalls: a line cut short used to be handed to net/http, which
// started a deadline of its own and answered 400 after twice the time.
// The connection is closed without an answer, as net/http closes one
// that times out, and its place in the connection counts is given back.
func TestHeadDeadline(t *testing.T) {
	const timeout, slack = time.Second, 700 * time.Millisecond
	srv, addr := serveOwn(t, server.Config{HandshakeTimeout: timeout})
	for _, tc := range []struct{ name, sent string }{
		{"nothing", ""},
		{"half a request line", "GET / HT"},
		{"half a header line", "GET / HTTP/1.1\r\nHo"},
		{"half a header value", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: web"},
		{"whole lines, no end", "GET / HTTP/1.1\r\nHost: h\r\n" + upgradeHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.DialTimeout("tcp", addr, wait)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			io.WriteString(c, tc.sent)
			c.SetReadDeadline(start.Add(wait))
			got, err := io.ReadAll(c)
			took := time.Since(start)
			if err != nil && !isReset(err) {
				t.Fatalf("still open after %v: %v", took, err)
			}
			if took < timeout-50*time.Millisecond || took > timeout+slack {
				t.Errorf("%s: closed after %v, want %v (+%v)", tc.name, took.Round(time.Millisecond), timeout, slack)
			}
			if len(got) > 0 {
				t.Errorf("%s: answered %.80q, want a close without an answer", tc.name, got)
			}
		})
	}
	t.Cleanup(func() {
		waitFor(t, "no connection counted", func() bool { return srv.Stats().Open == 0 })
	})
}

// Both paths apply the same rules to a handshake request (upgradeStatus):
// RFC 6455 wants HTTP/1.1 or later (any 1.x, as net/http reads them) and
// a Host of the form host[:port]; an HTTP/1.0 request's Upgrade header is
// ignored (RFC 9110 §7.8), so it is an ordinary GET; other versions are
// refused as net/http refuses them.
func TestUpgradeRules(t *testing.T) {
	hostless := "GET / HTTP/1.1\r\n" + upgradeHeaders
	cases := []struct {
		name, req string
		status    int
	}{
		{"HTTP/1.1", "GET / HTTP/1.1\r\nHost: h\r\n" + upgradeHeaders, 101},
		{"HTTP/1.1 on /ws", "GET /ws HTTP/1.1\r\nHost: h:2000\r\n" + upgradeHeaders, 101},
		{"a later HTTP/1.x", "GET / HTTP/1.2\r\nHost: h\r\n" + upgradeHeaders, 101},
		{"IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:2000\r\n" + upgradeHeaders, 101},
		{"absolute URL", "GET http://h/ HTTP/1.1\r\nHost: h\r\n" + upgradeHeaders, 101},
		{"no Host", hostless, 400},
		{"absolute URL, no Host", "GET http://h/ HTTP/1.1\r\n" + upgradeHeaders, 400},
		{"empty Host", "GET / HTTP/1.1\r\nHost: \r\n" + upgradeHeaders, 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + upgradeHeaders, 400},
		{"Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n" + upgradeHeaders, 400},
		{"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n" + upgradeHeaders, 400},
		{"Host with user info", "GET / HTTP/1.1\r\nHost: u@h\r\n" + upgradeHeaders, 400},
		{"Host with a bad port", "GET / HTTP/1.1\r\nHost: h:x\r\n" + upgradeHeaders, 400},
		{"unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n" + upgradeHeaders, 400},
		{"HTTP/1.0: the page", "GET / HTTP/1.0\r\nHost: h\r\n" + upgradeHeaders, 200},
		{"HTTP/1.0 without Host: the page", "GET / HTTP/1.0\r\n" + upgradeHeaders, 200},
		{"HTTP/1.0 on /ws", "GET /ws HTTP/1.0\r\nHost: h\r\n" + upgradeHeaders, 426},
		{"HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n" + upgradeHeaders, 505},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n" + upgradeHeaders, 505},
		{"HTTP/9.9", "GET / HTTP/9.9\r\nHost: h\r\n" + upgradeHeaders, 505},
	}
	for path, addr := range paths(t, server.Config{}) {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				resp := exchange(t, addr, tc.req+"\r\n")
				if resp.StatusCode != tc.status {
					body, _ := io.ReadAll(resp.Body)
					t.Fatalf("%s, %s: HTTP %d %q, want %d", path, tc.name, resp.StatusCode, body, tc.status)
				}
			})
		}
	}
}

// A close frame's body is empty or at least two bytes (RFC 6455 §5.5.1):
// one byte is a protocol error, 1002, where gorilla alone would answer
// with an empty close. A valid close still gets its echo.
func TestShortClose(t *testing.T) {
	for path, addr := range paths(t, server.Config{}) {
		for _, tc := range []struct {
			name   string
			frames [][]byte
			code   int
		}{
			{"one byte", [][]byte{rawFrame(bitFin|opClose, true, []byte{0x03})}, 1002},
			{"one byte after a message", [][]byte{
				rawFrame(bitFin|opText, true, []byte("hi")),
				rawFrame(bitFin|opClose, true, []byte{0xe8}),
			}, 1002},
			{"two bytes", [][]byte{rawFrame(bitFin|opClose, true, closePayload(1000, ""))}, 1000},
			{"a code and a reason", [][]byte{rawFrame(bitFin|opClose, true, closePayload(4000, "bye"))}, 4000},
		} {
			for _, rich := range []bool{false, true} {
				mode := map[bool]string{false: "plain", true: "rich"}[rich]
				t.Run(path+"/"+mode+"/"+tc.name, func(t *testing.T) {
					r := mustRaw(t, addr, rich)
					if err := r.write(append(tc.frames[0], concat(tc.frames[1:])...)); err != nil {
						t.Fatal(err)
					}
					expectRawClose(t, r, tc.code)
				})
			}
		}
	}
}

func concat(bs [][]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// dialFrom connects to addr from the loopback address ip.
func dialFrom(t *testing.T, addr, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: wait, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(wait))
	return c
}

// roundTrip writes req on c and reads the answer through br.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%.40q: %v", req, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Every connection Serve accepts counts against MaxConnsPerIP and
// MaxConns, whatever it is: keep-alive HTTP connections, one still
// sending its request, WebSockets upgraded by either path. Over a limit
// the next one, HTTP or WebSocket, is refused with 429 or 503 and
// Retry-After; each gives its place back once when it closes.
func TestEveryConnCounted(t *testing.T) {
	const page = "GET /parley.js HTTP/1.1\r\nHost: h\r\n\r\n"
	ws := "GET / HTTP/1.1\r\nHost: h\r\n" + upgradeHeaders + "\r\n"
	refused := func(t *testing.T, c net.Conn, req string, status int) {
		t.Helper()
		resp := roundTrip(t, c, bufio.NewReader(c), req)
		if resp.StatusCode != status || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%.30q: HTTP %d (Retry-After %q), want %d", req, resp.StatusCode, resp.Header.Get("Retry-After"), status)
		}
	}
	counted := func(t *testing.T, srv *server.Server, open, addrs int) {
		t.Helper()
		waitFor(t, fmt.Sprintf("%d connections counted from %d addresses", open, addrs), func() bool {
			st := srv.Stats()
			return st.Open == open && st.Addresses == addrs
		})
	}

	t.Run("per address", func(t *testing.T) {
		srv, addr := serveOwn(t, server.Config{MaxConnsPerIP: 3, LimitLoopback: true})
		var conns []net.Conn
		for i := range 3 { // keep-alive connections, each after two requests
			c := dialFrom(t, addr, "127.0.0.2")
			br := bufio.NewReader(c)
			for j := range 2 {
				if resp := roundTrip(t, c, br, page); resp.StatusCode != 200 || resp.Close {
					t.Fatalf("connection %d, request %d: HTTP %d, close %v", i, j, resp.StatusCode, resp.Close)
				}
			}
			conns = append(conns, c)
		}
		counted(t, srv, 3, 1)
		refused(t, dialFrom(t, addr, "127.0.0.2"), page, 429)
		refused(t, dialFrom(t, addr, "127.0.0.2"), ws, 429)
		// Another address is not affected.
		other := dialFrom(t, addr, "127.0.0.3")
		if resp := roundTrip(t, other, bufio.NewReader(other), page); resp.StatusCode != 200 {
			t.Fatalf("from another address: HTTP %d", resp.StatusCode)
		}
		counted(t, srv, 4, 2)
		other.Close()
		for _, c := range conns {
			c.Close()
		}
		counted(t, srv, 0, 0)
		if st := srv.Stats(); st.Refused != 2 {
			t.Fatalf("stats %+v, want 2 refused", st)
		}
		// A freed place is taken again.
		c := dialFrom(t, addr, "127.0.0.2")
		if resp := roundTrip(t, c, bufio.NewReader(c), page); resp.StatusCode != 200 {
			t.Fatalf("after the others left: HTTP %d", resp.StatusCode)
		}
	})

	t.Run("in all", func(t *testing.T) {
		srv, addr := serveOwn(t, server.Config{MaxConns: 3})
		idle := dialFrom(t, addr, "127.0.0.1") // its request has not come yet
		keep := dialFrom(t, addr, "127.0.0.1")
		if resp := roundTrip(t, keep, bufio.NewReader(keep), page); resp.StatusCode != 200 {
			t.Fatalf("page: HTTP %d", resp.StatusCode)
		}
		peer := plain(t, "ws://"+addr+"/")
		counted(t, srv, 3, 0) // loopback is exempt per address, not in all
		refused(t, dialFrom(t, addr, "127.0.0.1"), ws, 503)
		refused(t, dialFrom(t, addr, "127.0.0.1"), page, 503)
		idle.Close()
		keep.Close()
		peer.ws.Close()
		counted(t, srv, 0, 0)
	})

	// Each owner of a connection's place gives it back once: the HTTP
	// server closing a connection, an upgrade through ServeHTTP (an
	// absolute URL goes there) and its failure after the hijack, a
	// refusal by gorilla on either path, a head too large.
	t.Run("handed over", func(t *testing.T) {
		srv, addr := serveOwn(t, server.Config{MaxConnsPerIP: 2, LimitLoopback: true})
		abs := "GET http://h/ HTTP/1.1\r\nHost: h\r\n" + upgradeHeaders + "\r\n"
		c := dialFrom(t, addr, "127.0.0.2")
		br := bufio.NewReader(c)
		if resp := roundTrip(t, c, br, page); resp.StatusCode != 200 {
			t.Fatalf("page: HTTP %d", resp.StatusCode)
		}
		// On the same connection, a handshake gorilla refuses, then one
		// it accepts: the page's connection becomes a WebSocket.
		bad := strings.Replace(abs, "Version: 13", "Version: 8", 1)
		if resp := roundTrip(t, c, br, bad); resp.StatusCode != 400 {
			t.Fatalf("bad version: HTTP %d", resp.StatusCode)
		}
		if resp := roundTrip(t, c, br, abs); resp.StatusCode != 101 {
			t.Fatalf("upgrade through ServeHTTP: HTTP %d", resp.StatusCode)
		}
		waitFor(t, "the upgrade", func() bool { return srv.Stats().Conns == 1 })
		counted(t, srv, 1, 1)
		// Data before the 101: gorilla closes the hijacked connection.
		early := dialFrom(t, addr, "127.0.0.2")
		io.WriteString(early, abs+string(rawFrame(bitFin|opText, true, []byte("early"))))
		if b, err := io.ReadAll(early); len(b) != 0 || err != nil && !isReset(err) {
			t.Fatalf("early data: got %q, %v; want a close", b, err)
		}
		counted(t, srv, 1, 1)
		big := dialFrom(t, addr, "127.0.0.2")
		if resp := roundTrip(t, big, bufio.NewReader(big), "GET / HTTP/1.1\r\nHost: h\r\nX: "+strings.Repeat("x", 40<<10)+"\r\n\r\n"); resp.StatusCode != 431 {
			t.Fatalf("head too large: HTTP %d", resp.StatusCode)
		}
		counted(t, srv, 1, 1)
		c.Close()
		counted(t, srv, 0, 0)
	})
}
