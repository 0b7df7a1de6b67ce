package chattest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/client"
)

// Recorder drains a client's events into a list that tests search. It is
// the one headless chat peer of the tests: Client sends, the list is what
// it saw.
type Recorder struct {
	// Client is the recorded client.
	Client *client.Client
	mu     sync.Mutex
	evs    []client.Event
	pos    int // Next searches from here
	done   chan struct{}
}

// closeWait bounds how long Close may take to end the event stream.
const closeWait = 5 * time.Second

// Record starts recording c's events. When the test ends, c is closed and
// its event stream must end within closeWait.
func Record(t testing.TB, c *client.Client) *Recorder {
	r := &Recorder{Client: c, done: make(chan struct{})}
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
		case <-time.After(closeWait):
			t.Error("Events was not closed by Close")
		}
	})
	return r
}

// Dial connects a client and records it, failing the test on error.
func Dial(t testing.TB, cfg client.Config) (*client.Client, *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial %s as %s: %v", cfg.Addr, cfg.Nick, err)
	}
	return c, Record(t, c)
}

// Events returns a copy of everything recorded.
func (r *Recorder) Events() []client.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// Dump lists the events, one a line, for failure messages.
func (r *Recorder) Dump() string {
	var b strings.Builder
	for i, ev := range r.Events() {
		fmt.Fprintf(&b, "  %3d %T %+v\n", i, ev, ev)
	}
	return b.String()
}

// Texts returns the texts of the Message events that keep accepts (nil:
// all, live or from a welcome's backlog), in order.
func (r *Recorder) Texts(keep func(client.Message) bool) []string {
	var out []string
	for _, ev := range r.Events() {
		if m, ok := ev.(client.Message); ok && (keep == nil || keep(m)) {
			out = append(out, m.Msg.Text)
		}
	}
	return out
}

// nextWait bounds Next.
const nextWait = 10 * time.Second

// Next waits for the first event after r's cursor that match accepts (nil:
// any of type E), moves the cursor past it and returns it. It fails the
// test after nextWait.
func Next[E client.Event](t testing.TB, r *Recorder, match func(E) bool) E {
	t.Helper()
	deadline := time.Now().Add(nextWait)
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
			t.Fatalf("no %T event after %d events; got:\n%s", zero, n, r.Dump())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Find waits up to d for any event so far (the cursor aside) that match
// accepts, and reports whether one came.
func Find[E client.Event](r *Recorder, d time.Duration, match func(E) bool) (E, bool) {
	deadline := time.Now().Add(d)
	for {
		for _, ev := range r.Events() {
			if e, ok := ev.(E); ok && (match == nil || match(e)) {
				return e, true
			}
		}
		if time.Now().After(deadline) {
			var zero E
			return zero, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Say sends text from the recorded client, failing the test if the client
// refuses it.
func (r *Recorder) Say(t testing.TB, text string) {
	t.Helper()
	if _, err := r.Client.Send(text); err != nil {
		t.Fatalf("Send %q: %v", text, err)
	}
}

// Count returns how many Message events so far have text.
func (r *Recorder) Count(text string) int {
	return Count(r.Texts(nil), text)
}

// ClientConfig is a client configuration for loopback tests: dial and
// backoff times short enough that a reconnect happens well within a
// test's deadlines, and the client's log in the test's log. Tests set
// their own ping and pong times on top.
func ClientConfig(t testing.TB, addr, nick string) client.Config {
	return client.Config{
		Addr:        addr,
		Nick:        nick,
		Logger:      Logger(t, slog.LevelDebug),
		DialTimeout: 2 * time.Second,
		MinBackoff:  20 * time.Millisecond,
		MaxBackoff:  200 * time.Millisecond,
	}
}
