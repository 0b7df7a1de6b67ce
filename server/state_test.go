package server

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"
)

func TestPhaseString(t *testing.T) {
	for _, tc := range []struct {
		ph   phase
		want string
	}{
		{phaseOpen, "open"}, {phaseClosing, "closing"}, {phaseSent, "sent"}, {phaseDead, "dead"}, {phase(9), "phase(9)"},
	} {
		if got := tc.ph.String(); got != tc.want {
			t.Errorf("phase %d: %q, want %q", tc.ph, got, tc.want)
		}
	}
}

func TestQueueFlagsString(t *testing.T) {
	for _, tc := range []struct {
		f    queueFlags
		want string
	}{
		{0, "none"},
		{qFlushing, "flushing"},
		{qHeld | qCongested, "held|congested"},
		{qFlushing | qHeld | qTraffic | qCongested, "flushing|held|traffic|congested"},
		{qTraffic | 0x80, "traffic|0x80"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("flags %#x: %q, want %q", uint8(tc.f), got, tc.want)
		}
	}
}

// The phase only moves forward, and each transition does its part once:
// a second end changes nothing, sent is closed once, and cut from any
// phase leaves the peer dead with its queue dropped.
func TestPhaseTransitions(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, PingInterval: time.Hour})
	defer release(s)
	p, _ := memPeer(s, false, false)
	drain(t, s)
	state := func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stateLocked()
	}
	if got := state(); got != "open traffic" {
		t.Fatalf("a new plain peer, greeted, is %q, want open traffic", got)
	}
	p.mu.Lock()
	p.flags |= qHeld // as a join would
	start := p.endLocked(endFlood)
	queued := len(p.q)
	p.mu.Unlock()
	if got := state(); !start || got != "closing flushing|traffic" {
		t.Fatalf("after end: start %v, state %q, want a flusher to start and closing flushing|traffic (the hold ended)", start, got)
	}
	p.mu.Lock()
	again := p.endLocked(endSlow)
	requeued := len(p.q)
	p.mu.Unlock()
	if again || requeued != queued {
		t.Fatalf("a second end started a flusher (%v) or queued frames (%d, was %d)", again, requeued, queued)
	}
	go p.flush()
	p.mu.Lock()
	sent := p.sent
	p.mu.Unlock()
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatalf("the close frame was not marked sent: %s", state())
	}
	drain(t, s)
	if got := state(); got != "sent traffic" {
		t.Fatalf("after the close frame went: %q, want sent traffic", got)
	}
	p.cut()
	p.cut()
	if got := state(); got != "dead traffic" {
		t.Fatalf("after cut: %q, want dead traffic", got)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q) != 0 || p.backlogLocked() != 0 || p.startFlusherLocked() {
		t.Fatalf("a dead peer holds %d frames, %d bytes, or takes a writer", len(p.q), p.backlogLocked())
	}
}

// gateConn is a memConn whose writes, while armed, each wait at a gate:
// a test can hold a flusher in the middle of its batch.
type gateConn struct {
	*memConn
	armed   atomic.Bool
	entered chan struct{} // one send per write that reached the gate
	gate    chan struct{} // one receive lets one write through
}

func (c *gateConn) Write(b []byte) (int, error) {
	if c.armed.Load() {
		c.entered <- struct{}{}
		<-c.gate
	}
	return c.memConn.Write(b)
}

// A rich peer's welcome goes before every frame broadcast after its join,
// even when a flusher started before the join is still writing its batch:
// that flusher stops at the end of the batch instead of writing what the
// hold keeps back, and releaseWelcome starts the next one.
func TestWelcomeFirstPastRunningFlusher(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, PingInterval: time.Hour, HelloTimeout: time.Hour})
	defer release(s)
	c := &gateConn{memConn: &memConn{record: true}, entered: make(chan struct{}), gate: make(chan struct{})}
	p := &peer{s: s, raw: c, rich: true}
	admit(s, p)

	pong := []byte{finBit | opPong, 0}
	c.armed.Store(true)
	p.enqueue(pong) // a flusher starts and blocks writing the pong
	select {
	case <-c.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no flusher wrote the pong")
	}
	c.armed.Store(false)
	p.holdForWelcome()
	broadcast := textFrame("bob: hi")
	p.enqueue(broadcast) // as the room would, under s.mu, once the peer is joined
	c.gate <- struct{}{}

	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		flushing := p.flags&qFlushing != 0
		p.mu.Unlock()
		if !flushing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the flusher did not stop")
		}
		time.Sleep(time.Millisecond)
	}
	c.mu.Lock()
	early := bytes.Contains(c.out.Bytes(), broadcast)
	c.mu.Unlock()
	if early {
		t.Fatal("a frame queued while the welcome was held was written before the welcome")
	}

	welcome := textFrame("welcome")
	p.releaseWelcome(welcome)
	drain(t, s)
	c.mu.Lock()
	out := bytes.Clone(c.out.Bytes())
	c.mu.Unlock()
	_, payloads := serverFrames(t, out)
	var got []string
	for _, f := range payloads {
		got = append(got, string(f))
	}
	if len(got) != 3 || got[0] != "" || got[1] != "welcome" || got[2] != "bob: hi" {
		t.Fatalf("frames written %q, want the pong, the welcome, then the broadcast", got)
	}
}
