package ui

import (
	"sync"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/wire"
)

// fakeClient is a chatClient whose events the test writes.
type fakeClient struct {
	events chan client.Event
	once   sync.Once
}

func (f *fakeClient) Events() <-chan client.Event   { return f.events }
func (f *fakeClient) Send(string) (string, error)   { return "", nil }
func (f *fakeClient) SetNick(string) error          { return nil }
func (f *fakeClient) SetStatus(wire.Presence) error { return nil }
func (f *fakeClient) Reconnect()                    {}
func (f *fakeClient) Nick() string                  { return "me" }
func (f *fakeClient) Plain() bool                   { return false }
func (f *fakeClient) Limits() wire.Limits           { return wire.Limits{MaxText: wire.DefaultMaxText} }
func (f *fakeClient) Close() error                  { f.once.Do(func() { close(f.events) }); return nil }

// TestFloodIsBatched sends a burst of messages through a session and
// checks that they are applied in few batches: never more than one per
// frame of elapsed time, and all of them in order.
func TestFloodIsBatched(t *testing.T) {
	var q doQueue
	flushes := 0
	u := newUI(rememberingApp(t, "x:1", "me"), Options{MaxMessages: 100000}, q.do)
	fc := &fakeClient{events: make(chan client.Event, 64)}
	u.joined(fc, "x:1", "me")
	before := u.msgs.entries.Len()

	const n = 5000
	start := time.Now()
	go func() {
		fc.events <- client.Connected{Welcome: wire.Welcome{Nick: "me", Room: "R", Users: []wire.User{{Nick: "me"}, {Nick: "bob"}}}}
		for i := 1; i <= n; i++ {
			fc.events <- client.Message{Msg: wire.Msg{ID: uint64(i), Time: time.Now().UnixMilli(), From: "bob", Text: "flood"}}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for u.msgs.entries.Len() < before+n+1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d messages applied", u.msgs.entries.Len()-before, n)
		}
		flushes += q.run()
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	if limit := int(elapsed/frame) + 2; flushes > limit {
		t.Errorf("%d flushes for %d messages in %v: more than one per frame (limit %d)", flushes, n, elapsed, limit)
	}
	if flushes > n/10 {
		t.Errorf("%d flushes for %d messages: not batched", flushes, n)
	}
	for i := 0; i < n; i++ {
		if e := u.msgs.entries.At(u.msgs.entries.Len() - n + i); e.ID != uint64(i+1) {
			t.Fatalf("message %d has id %d: out of order", i+1, e.ID)
		}
	}
	t.Logf("%d messages in %d flushes over %v", n, flushes, elapsed)
	u.Close()
}

// TestReconnectCountdown: while the client waits to reconnect, the status
// bar counts the wait down by itself, says when it is trying, and stops
// counting once connected.
func TestReconnectCountdown(t *testing.T) {
	var q doQueue
	u := newUI(rememberingApp(t, "x:1", "me"), Options{}, q.do)
	defer u.Close()
	clock := time.Unix(1_000_000, 0)
	u.now = func() time.Time { return clock } // read on this goroutine only
	fc := &fakeClient{events: make(chan client.Event, 8)}
	u.joined(fc, "x:1", "me")
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for u.status.Text != want {
			if time.Now().After(deadline) {
				t.Fatalf("status %q, want %q", u.status.Text, want)
			}
			q.run()
			time.Sleep(5 * time.Millisecond)
		}
	}
	fc.events <- client.Connected{Welcome: wire.Welcome{Nick: "me", Room: "R", Users: []wire.User{{Nick: "me"}}}}
	waitStatus("In R at x:1 as me")
	fc.events <- client.Disconnected{Err: client.ErrConnLost, Retry: 5 * time.Second}
	waitStatus("Connection lost. Reconnecting to x:1 in 5 seconds…")
	// No event comes, only time passes.
	clock = clock.Add(2 * time.Second)
	waitStatus("Connection lost. Reconnecting to x:1 in 3 seconds…")
	clock = clock.Add(3 * time.Second)
	waitStatus("Connection lost. Trying to reach x:1…")
	fc.events <- client.Connected{Resumed: true, Welcome: wire.Welcome{Nick: "me", Room: "R", Users: []wire.User{{Nick: "me"}}}}
	waitStatus("In R at x:1 as me")
	clock = clock.Add(time.Hour)
	// The tick scheduled before the connection came back runs once more
	// and stops; a countdown that went on would schedule the next.
	deadline := time.Now().Add(5 * time.Second)
	for u.sess.ticking {
		if time.Now().After(deadline) {
			t.Fatalf("still counting down 5 s after reconnecting; status %q", u.status.Text)
		}
		q.run()
		time.Sleep(5 * time.Millisecond)
	}
	if u.status.Text != "In R at x:1 as me" {
		t.Errorf("after reconnecting: status %q", u.status.Text)
	}
}
