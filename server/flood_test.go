package server_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A flood of control frames (pongs nobody asked for, pings) or a message
// of endless empty continuation frames costs a server CPU without ever
// finishing a message, so no message limit sees it. Each is closed with
// 1008 "flooding", and nobody else notices.
func TestSecInputFloods(t *testing.T) {
	sec := openCase(t, secConfig(t))
	addr, w := sec.addr, sec.w

	cases := []struct {
		name  string
		frame []byte // sent over and over
		first []byte // sent once before
	}{
		{"pongs", rawFrame(bitFin|opPong, true, []byte("FLOOD")), nil},
		{"pings", rawFrame(bitFin|opPing, true, []byte("FLOOD")), nil},
		{"empty fragments", rawFrame(opCont, true, nil), rawFrame(opText, true, []byte("FLOOD "))},
	}
	w.repeat(t, func(t *testing.T, round int) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := mustRaw(t, addr, false)
				// Bounded: a thousand frames at most, far beyond any limit.
				burst := bytes.Repeat(tc.frame, 1000)
				r.write(append(append([]byte(nil), tc.first...), burst...))
				e, err := r.end(wait)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if e.code != websocket.ClosePolicyViolation || e.reason != "flooding" {
					t.Fatalf("%s: closed with %d %q, want 1008 \"flooding\"", tc.name, e.code, e.reason)
				}
			})
		}
	})

	sec.close(t, 2, "FLOOD")
}

// What a healthy client sends is far from the flood limits: a long message
// in gorilla's 4 KiB fragments, and a pong for every ping over a while.
func TestInputWithinLimits(t *testing.T) {
	_, url := start(t, secConfig(t))
	a := dial(t, url, false)
	a.text() // greeting
	b := dial(t, url, false)
	b.text()
	w, err := a.ws.NextWriter(websocket.TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	long := bytes.Repeat([]byte("x"), 16000)
	for i := 0; i < len(long); i += 100 {
		// Small writes, each flushed as a frame of its own once the
		// writer's buffer fills: the message arrives in several frames.
		w.Write(long[i : i+100])
	}
	w.Close()
	for _, c := range []*client{a, b} {
		if got := c.text(); got != "guest-1: "+string(long) {
			t.Fatalf("a fragmented message arrived as %d bytes", len(got))
		}
	}
	// Pongs for pings, over several ping intervals (secConfig pings every
	// 250 ms): gorilla answers them while b reads.
	b.ws.SetReadDeadline(time.Now().Add(time.Second))
	if _, _, err := b.ws.ReadMessage(); err == nil {
		t.Fatal("a frame came while the room was quiet")
	}
	a.say("still here")
	if got := a.text(); got != "guest-1: still here" {
		t.Fatalf("got %.80q", got)
	}
}
