package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/client"
)

// TestMain fails the run if any client goroutine outlives the tests: every
// test closes its clients, and Close must leave nothing behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoClientGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines of net/client still running after all tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// clientGoroutines returns the stacks of goroutines running this package's
// code.
func clientGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "parley/net/client.(*Client)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

func waitNoClientGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		g := clientGoroutines()
		if g == "" || time.Now().After(deadline) {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogger writes the client's log to the test's log, at debug level.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fastConfig is a Config with short timeouts for loopback tests.
func fastConfig(t *testing.T, addr, nick string) client.Config {
	return client.Config{
		Addr:          addr,
		Nick:          nick,
		Logger:        testLogger(t),
		DialTimeout:   2 * time.Second,
		MinBackoff:    20 * time.Millisecond,
		MaxBackoff:    200 * time.Millisecond,
		PingInterval:  time.Second,
		PongTimeout:   3 * time.Second,
		GreetingWait:  200 * time.Millisecond,
		PlainEchoWait: 500 * time.Millisecond,
	}
}

// recorder drains a client's events into a list that tests search.
type recorder struct {
	c    *client.Client
	mu   sync.Mutex
	evs  []client.Event
	pos  int // next() searches from here
	done chan struct{}
}

func record(t *testing.T, c *client.Client) *recorder {
	r := &recorder{c: c, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range c.Events() {
			r.mu.Lock()
			r.evs = append(r.evs, ev)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		c.Close()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("Events was not closed by Close")
		}
	})
	return r
}

// dial connects and starts recording, failing the test on error.
func dial(t *testing.T, cfg client.Config) (*client.Client, *recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial %s as %s: %v", cfg.Addr, cfg.Nick, err)
	}
	return c, record(t, c)
}

// next waits for the first event after the cursor that match accepts,
// moves the cursor past it and returns it.
func next[E client.Event](t *testing.T, r *recorder, match func(E) bool) E {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		for i := r.pos; i < len(r.evs); i++ {
			if ev, ok := r.evs[i].(E); ok && (match == nil || match(ev)) {
				r.pos = i + 1
				r.mu.Unlock()
				return ev
			}
		}
		n := len(r.evs)
		r.mu.Unlock()
		if time.Now().After(deadline) {
			var zero E
			t.Fatalf("no %T event after %d events; got:\n%s", zero, n, r.dump())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// events returns a copy of everything recorded.
func (r *recorder) events() []client.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]client.Event(nil), r.evs...)
}

func (r *recorder) dump() string {
	var b strings.Builder
	for i, ev := range r.events() {
		fmt.Fprintf(&b, "  %3d %T %+v\n", i, ev, ev)
	}
	return b.String()
}

// texts returns the texts of the non-backlog Message events, in order,
// that match keep.
func (r *recorder) texts(keep func(client.Message) bool) []string {
	var out []string
	for _, ev := range r.events() {
		if m, ok := ev.(client.Message); ok && (keep == nil || keep(m)) {
			out = append(out, m.Msg.Text)
		}
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingDialer counts TCP dials and keeps the connections so a test can
// cut them.
type countingDialer struct {
	n     atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, nc)
		d.mu.Unlock()
	}
	return nc, err
}

// cut closes every connection dialed so far, as a network failure would.
func (d *countingDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, nc := range d.conns {
		nc.Close()
	}
	d.conns = nil
}
