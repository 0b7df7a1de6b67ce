package server

import (
	"bytes"
	"testing"
	"time"
)

// The wheel pings every peer once per interval, stops pinging a peer that
// is closing, and disarms its timer when it holds nobody.
func TestPingWheel(t *testing.T) {
	const interval = 160 * time.Millisecond
	s := New(Config{Rate: -1, MaxConns: -1, PingInterval: interval})
	const n = 40
	conns := make([]*memConn, n)
	peers := make([]*peer, n)
	// The ticks done before and after each peer was added: the wheel's
	// own clock, so that a busy machine's late timers change nothing.
	type span struct{ from, to uint64 }
	added := make([]span, n)
	ticks := func() uint64 {
		s.wheel.mu.Lock()
		defer s.wheel.mu.Unlock()
		return s.wheel.ticks
	}
	for i := range peers {
		added[i].from = ticks()
		peers[i], conns[i] = memPeer(s, false, true)
		added[i].to = ticks()
		if i%8 == 7 {
			time.Sleep(interval / 8) // spread them over the slots
		}
	}
	pings := func(c *memConn) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return bytes.Count(c.out.Bytes(), pingFrame)
	}
	// Peer 0 starts closing: it leaves the wheel.
	peers[0].end(endTimeout)
	waitUntil := time.Now().Add(10 * time.Second)
	for ticks() < added[n-1].to+3*wheelSlots+wheelSlots/2 && time.Now().Before(waitUntil) {
		time.Sleep(interval / wheelSlots)
	}
	before := ticks() // every ping of these ticks is queued...
	drain(t, s)       // ...and now written
	counted := make([]int, n)
	for i := range peers {
		counted[i] = pings(conns[i])
	}
	after := ticks()
	if before < added[n-1].to+3*wheelSlots {
		t.Fatalf("the wheel did only %d ticks in 10 s", before)
	}
	for i := 1; i < n; i++ {
		// A peer added after k ticks is in the slot served last: its
		// pings come with ticks k+16, k+32, …
		least := int(before-added[i].to) / wheelSlots
		most := int(after-added[i].from) / wheelSlots
		if got := counted[i]; got < least || got > most {
			t.Errorf("peer %d got %d pings, want %d to %d (added after %d–%d ticks, counted after %d–%d)",
				i, got, least, most, added[i].from, added[i].to, before, after)
		}
	}
	if got := pings(conns[0]); got != 0 {
		t.Errorf("a closing peer got %d pings", got)
	}
	s.wheel.mu.Lock()
	held := s.wheel.n
	s.wheel.mu.Unlock()
	if held != n-1 {
		t.Fatalf("the wheel holds %d peers, want %d", held, n-1)
	}
	release(s)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.wheel.mu.Lock()
		held, armed := s.wheel.n, s.wheel.armed
		s.wheel.mu.Unlock()
		if held == 0 && !armed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after every peer left the wheel holds %d and is armed=%v", held, armed)
		}
		time.Sleep(interval / 16)
	}
}
