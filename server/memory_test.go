package server_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server"
)

// idleConnBudget is the most heap and stack an idle plain connection may
// cost the server, raw client included. The target for the whole process
// is 6 KB of RSS per connection; heap and stack are most of it.
const idleConnBudget = 6 << 10

// TestIdleMemory opens 2,000 idle plain connections and measures what they
// cost in heap and goroutine stacks. The clients are bare sockets that did
// the handshake by hand, so nearly all of the cost is the server's.
func TestIdleMemory(t *testing.T) {
	const n = 2000
	skipMemory(t, n, "")
	srv, url := start(t, server.Config{MaxConns: -1, Logger: slog.New(slog.DiscardHandler)})
	addr := strings.TrimPrefix(url, "ws://")
	checkIdleCost(t, srv, n, func() (net.Conn, error) { return rawHandshake(addr) }, n+n/20+50, idleConnBudget, "")
}

// skipMemory skips a test that measures n idle connections (kind: "",
// "TLS ") where its figure would mean nothing or cost too much: under the
// race detector, which inflates stacks, and in -short.
func skipMemory(t *testing.T, n int, kind string) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector inflates stacks; make test runs this without -race")
	}
	if testing.Short() {
		t.Skipf("opens %d %sconnections", n, kind)
	}
}

// checkIdleCost measures what n idle connections to srv opened with dial
// cost (idleCost), logs it and fails above budget bytes each.
func checkIdleCost(t *testing.T, srv *server.Server, n int, dial func() (net.Conn, error), goroutines int, budget uint64, kind string) {
	t.Helper()
	per := idleCost(t, srv, n, dial, goroutines)
	t.Logf("%d idle %sconnections: %d bytes of heap and stack each", n, kind, per)
	if per > budget {
		t.Fatalf("an idle %sconnection costs %d bytes of heap and stack, budget %d", kind, per, budget)
	}
}

// idleCost opens n connections to srv with dial, waits until srv holds
// them all and the process runs fewer than goroutines goroutines, and
// returns the heap and stack each costs, in bytes.
func idleCost(t *testing.T, srv *server.Server, n int, dial func() (net.Conn, error), goroutines int) uint64 {
	t.Helper()
	before := memUse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := dial()
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	waitFor(t, "every connection", func() bool { return srv.Stats().Conns == n })
	waitFor(t, "the writers to exit", func() bool { return runtime.NumGoroutine() < goroutines })
	after := memUse()
	runtime.KeepAlive(conns)
	return (after - before) / uint64(n)
}

// memUse returns the bytes of heap objects and goroutine stacks in use
// after a full collection.
func memUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// rawHandshake opens a plain WebSocket connection with a hand-written
// handshake and reads the greeting, leaving a bare socket behind.
func rawHandshake(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return nil, err
	}
	return handshakeOn(c, addr)
}

// handshakeOn does a hand-written WebSocket handshake on c and reads the
// greeting; it closes c if either fails.
func handshakeOn(c net.Conn, addr string) (net.Conn, error) {
	var key [16]byte
	rand.Read(key[:])
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, base64.StdEncoding.EncodeToString(key[:]))
	c.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	frame := make([]byte, 2+len(wire.Greeting))
	if _, err := io.ReadFull(br, frame); err != nil || string(frame[2:]) != wire.Greeting {
		c.Close()
		return nil, fmt.Errorf("greeting %q: %v", frame, err)
	}
	c.SetReadDeadline(time.Time{})
	return c, nil
}
