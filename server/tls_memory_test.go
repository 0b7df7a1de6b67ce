package server_test

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
)

// idleTLSConnBudget bounds what an idle wss:// connection costs the
// process, the test's own TLS client included. A TLS connection is not
// parked (it is no bare socket): it keeps a reader goroutine and
// crypto/tls's buffers, so it costs several times a plain one. The figure
// goes in docs/PERFORMANCE.md.
const idleTLSConnBudget = 32 << 10

// TestIdleMemoryTLS opens 500 idle wss:// connections and measures their
// cost in heap and goroutine stacks, server and client together.
func TestIdleMemoryTLS(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector inflates stacks; make test runs this without -race")
	}
	if testing.Short() {
		t.Skip("opens 500 TLS connections")
	}
	const n = 500
	cfg, _ := tlsConfig(t, false)
	cfg.MaxConns = -1
	srv, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")

	before := memUse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := rawTLSHandshake(addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	waitFor(t, "every connection", func() bool { return srv.Stats().Conns == n })
	waitFor(t, "the writers to exit", func() bool { return runtime.NumGoroutine() < 2*n+50 })
	after := memUse()
	per := (after - before) / n
	t.Logf("%d idle wss:// connections: %d bytes of heap and stack each, client included", n, per)
	if per > idleTLSConnBudget {
		t.Fatalf("an idle TLS connection costs %d bytes, budget %d", per, idleTLSConnBudget)
	}
	runtime.KeepAlive(conns)
}

// rawTLSHandshake is rawHandshake over TLS.
func rawTLSHandshake(addr string) (net.Conn, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	var key [16]byte
	rand.Read(key[:])
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, base64.StdEncoding.EncodeToString(key[:]))
	c.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("handshake: %v %v", resp, err)
	}
	frame := make([]byte, 2+len(wire.Greeting))
	if _, err := io.ReadFull(br, frame); err != nil || string(frame[2:]) != wire.Greeting {
		c.Close()
		return nil, fmt.Errorf("greeting %q: %v", frame, err)
	}
	c.SetReadDeadline(time.Time{})
	return c, nil
}
