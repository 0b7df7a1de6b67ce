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
	added := make([]time.Time, n)
	for i := range peers {
		added[i] = time.Now()
		peers[i], conns[i] = memPeer(s, false, true)
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
	time.Sleep(3*interval + interval/2)
	drain(t, s)
	for i := 1; i < n; i++ {
		// A peer's k-th ping comes no sooner than k intervals less one
		// slot after it joined; timers fire late, never early, so one
		// fewer is allowed.
		got := pings(conns[i])
		e := time.Since(added[i])
		most := int((e + interval/wheelSlots) / interval)
		if got < most-1 || got > most {
			t.Errorf("peer %d got %d pings in %v, want %d or %d", i, got, e.Round(time.Millisecond), most-1, most)
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
