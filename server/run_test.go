package server

import (
	"fmt"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server/store"
)

// countConn is a memConn that also counts the Write calls it takes: a
// flusher writing to a connection other than TCP writes each queued
// buffer with one Write, so the count is the number of pieces its writev
// would have had.
type countConn struct {
	memConn
	calls int
}

func (c *countConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.memConn.Write(b)
}

// The messages one sync settles reach every peer as one buffer, rich and
// plain alike, in id order, one message per frame; a run ends at
// runBytes, so that a queue's bounds still apply in steps of a few frames.
func TestSettledRunIsOneBuffer(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, PingInterval: time.Hour})
	defer release(s)
	conns := map[bool]*countConn{}
	for _, rich := range []bool{true, false} {
		c := &countConn{memConn: memConn{record: true}}
		p := &peer{s: s, raw: c, rich: rich, nick: fmt.Sprint("p", rich), status: wire.Active}
		admit(s, p)
		s.mu.Lock()
		if !p.joined { // a plain peer joins as it is registered
			s.addLocked(p)
		}
		s.mu.Unlock()
		conns[rich] = c
	}
	run := func(n int, text string) []pending {
		r := make([]pending, n)
		for i := range r {
			s.assigned++
			r[i] = pending{entry: store.Entry{Msg: wire.Msg{ID: s.assigned, From: "alice", Text: text}}}
		}
		return r
	}

	drain(t, s)
	for _, c := range conns { // whatever joining sent
		c.mu.Lock()
		c.calls = 0
		c.out.Reset()
		c.mu.Unlock()
	}
	const n = 40
	s.mu.Lock()
	s.publishRunLocked(run(n, "hello"))
	s.mu.Unlock()
	drain(t, s)
	for rich, c := range conns {
		c.mu.Lock()
		calls, out := c.calls, c.out.Bytes()
		c.calls = 0
		c.out.Reset()
		c.mu.Unlock()
		if calls != 1 {
			t.Errorf("rich=%v: %d messages settled together took %d writes, want 1", rich, n, calls)
		}
		_, payloads := serverFrames(t, out)
		if len(payloads) != n {
			t.Fatalf("rich=%v: %d frames, want %d: one message per frame", rich, len(payloads), n)
		}
		for i, pl := range payloads {
			want := wire.PlainLine("alice", "hello")
			if rich {
				want = string(mustJSONFrame(wire.Msg{ID: uint64(i + 1), From: "alice", Text: "hello"})[2:])
			}
			if string(pl) != want {
				t.Fatalf("rich=%v: frame %d is %q, want %q", rich, i, pl, want)
			}
		}
	}

	// A run longer than runBytes is cut into pieces of at most about
	// runBytes: still far fewer writes than messages.
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'x'
	}
	const m = 100 // about 100 KB
	s.mu.Lock()
	s.publishRunLocked(run(m, string(long)))
	s.mu.Unlock()
	drain(t, s)
	for rich, c := range conns {
		c.mu.Lock()
		calls, out := c.calls, c.out.Len()
		c.mu.Unlock()
		want := (out + runBytes - 1) / runBytes
		if calls < want || calls > want+1 {
			t.Errorf("rich=%v: %d bytes in %d writes, want %d or %d (runs of %d bytes)", rich, out, calls, want, want+1, runBytes)
		}
	}
	if got := s.backlog.last; got != n+m {
		t.Fatalf("backlog ends at %d, want %d", got, n+m)
	}
}
