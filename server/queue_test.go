package server

import (
	"testing"
	"time"
)

// A peer keeps its queue slices across bursts, so that the next burst
// does not grow them again, and lets go of them at the second ping tick
// without traffic (the first tick still sees the burst).
func TestQueueSlicesKeptThenTrimmed(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, PingInterval: time.Hour})
	defer release(s)
	p, c := memPeer(s, false, false)
	drain(t, s)
	frame := textFrame("x: burst")
	bursts := 0
	// The queue is held during the burst, so that all of it is queued
	// before the flusher runs, however the goroutines are scheduled.
	burst := func() {
		bursts++
		p.mu.Lock()
		p.flags |= qHeld
		p.mu.Unlock()
		for range 500 {
			p.enqueue(frame)
		}
		p.mu.Lock()
		p.flags &^= qHeld
		start := p.startFlusherLocked()
		p.mu.Unlock()
		if start {
			go p.flush()
		}
		drain(t, s)
	}
	burst()
	p.mu.Lock()
	kept := cap(p.q) + cap(p.spare)
	p.mu.Unlock()
	if kept < 500 {
		t.Fatalf("after a burst of 500 frames the queue slices hold %d in all: dropped", kept)
	}
	if allocs := testing.AllocsPerRun(5, burst); allocs > 0 {
		// A flusher goroutine may be started per burst; the queue itself
		// must not grow again.
		t.Logf("%.0f allocations per burst", allocs)
		if allocs > 5 {
			t.Fatalf("%.0f allocations per burst of 500 frames: the queue regrows", allocs)
		}
	}

	p.pingTick() // traffic since the last tick: keep
	drain(t, s)
	p.mu.Lock()
	kept = cap(p.q) + cap(p.spare)
	p.mu.Unlock()
	if kept < 500 {
		t.Fatalf("the first tick after a burst trimmed the queue to %d", kept)
	}
	p.pingTick() // only a ping since: trim
	drain(t, s)
	p.mu.Lock()
	kept = cap(p.q) + cap(p.spare)
	p.mu.Unlock()
	if kept > 2*idleQueueCap {
		t.Fatalf("a quiet peer still holds queue slices of %d frames", kept)
	}
	c.mu.Lock()
	written := c.written
	c.mu.Unlock()
	if want := int64(len(greetingFrame) + bursts*500*len(frame) + 2*len(pingFrame)); written != want {
		t.Fatalf("wrote %d bytes, want %d", written, want)
	}
}
