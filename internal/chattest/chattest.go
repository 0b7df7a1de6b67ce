// Package chattest is the test support of Parley's network packages
// (server, net/client, ui and the main package): a real server on a
// loopback listener over the production Serve path (or, on request, the
// http.Handler path), a listener that can be killed like a process, a
// dialer that counts and resets its connections, a TCP relay that breaks
// links the ways networks do, a recorder of a client's events, WaitFor
// with a deadline, and the count and filter helpers of the message lists
// tests compare.
//
// It does not import package server: a server comes in through the small
// Server interface, so that package server's own tests can use this
// package without an import cycle, and the check that package server
// exports only to its tests (the ledger check after every test) comes in
// as a func.
package chattest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/wire"
)

// Server is what the harness needs of a chat server; *server.Server has
// it.
type Server interface {
	http.Handler
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context, reason wire.ByeReason, text string) error
}

// Options says how Serve runs a server. The zero value serves on any
// loopback port through Serve.
type Options struct {
	// Addr is the address to listen on; empty means 127.0.0.1:0. A port
	// that a killed server held may take a moment to free: Serve retries
	// for a second.
	Addr string
	// Handler serves the server as an http.Handler behind an
	// httptest.Server instead of through its own Serve.
	Handler bool
	// Check, if set, runs when the test ends, after the test's clients
	// were closed by their own cleanups and before the server shuts down:
	// the place for what must hold after every test.
	Check func(t testing.TB)
	// Closed, if set, is the error Serve must return after Shutdown
	// (errors.Is); another is reported as a test error.
	Closed error
}

// shutdownWait bounds a shutdown and Serve's return after it.
const shutdownWait = 5 * time.Second

// Loopback is a server running on a loopback listener for one test.
type Loopback struct {
	// Addr is the host:port clients dial; URL is the same as ws://.
	Addr, URL string

	srv    Server
	ln     *Killable
	ts     *httptest.Server // the Handler path, else nil
	served chan error       // Serve's result (the Serve path only)
	closed error

	mu      sync.Mutex
	stopped bool
}

// Serve runs srv on a loopback listener until the test ends, Stop or
// Kill.
func Serve(t testing.TB, srv Server, o Options) *Loopback {
	t.Helper()
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := listen(addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	l := &Loopback{srv: srv, ln: NewKillable(ln), closed: o.Closed}
	if o.Handler {
		l.ts = httptest.NewUnstartedServer(srv)
		l.ts.Listener.Close()
		l.ts.Listener = l.ln
		l.ts.Start()
	} else {
		l.served = make(chan error, 1)
		go func() { l.served <- srv.Serve(l.ln) }()
	}
	l.Addr = ln.Addr().String()
	l.URL = "ws://" + l.Addr
	t.Cleanup(func() {
		// A killed server keeps what its reset connections left behind
		// until it shuts down: no check applies to it.
		if o.Check != nil && !l.isStopped() && !l.ln.isKilled() {
			o.Check(t)
		}
		l.Stop(t, wire.ByeShutdown)
	})
	return l
}

// listen listens on addr, retrying for up to a second while the address
// is in use: the port of a server a test just killed may take a moment.
func listen(addr string) (net.Listener, error) {
	var err error
	deadline := time.Now().Add(time.Second)
	for {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *Loopback) isStopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopped
}

// stop marks l stopped and reports whether it was running.
func (l *Loopback) stop() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	was := !l.stopped
	l.stopped = true
	return was
}

// Stop shuts the server down, telling its clients reason, and waits for
// it to stop serving. Only the first Stop or Kill acts.
func (l *Loopback) Stop(t testing.TB, reason wire.ByeReason) {
	t.Helper()
	if !l.stop() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := l.srv.Shutdown(ctx, reason, "test over: "+string(reason)); err != nil {
		t.Errorf("server shutdown: %v", err)
	}
	if l.ts != nil {
		l.ts.Close()
		return
	}
	select {
	case err := <-l.served:
		if l.closed != nil && !l.ln.isKilled() && !errors.Is(err, l.closed) {
			t.Errorf("Serve: %v, want %v", err, l.closed)
		}
	case <-time.After(shutdownWait):
		t.Error("Serve did not return after Shutdown")
	}
}

// Kill ends the server as a killed process would: the listener closes and
// every connection it accepted is reset, with no close frame and no FIN.
// The server itself is shut down when the test ends.
func (l *Loopback) Kill() {
	l.ln.Kill()
}

// WaitFor polls cond until it holds, failing the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Count returns how many times s is in list.
func Count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// Filter returns the members of list that start with prefix, in order.
func Filter(list []string, prefix string) []string {
	var out []string
	for _, x := range list {
		if strings.HasPrefix(x, prefix) {
			out = append(out, x)
		}
	}
	return out
}

// Logger returns a logger that writes to the test's log (shown when it
// fails, or with -v) from level up, and drops lines once the test is
// over, when testing would panic on them.
func Logger(t testing.TB, level slog.Level) *slog.Logger {
	w := &logWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type logWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(b), "\n"))
	}
	return len(b), nil
}
