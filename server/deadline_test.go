package server_test

import (
	"testing"
	"time"

	"parley/server"
)

// A broadcast to a peer that has been idle for longer than WriteTimeout
// is delivered. The write deadline a flusher set for its last batch (or
// the handshake's) has passed by then; the non-blocking write that
// delivers to idle peers must not trip over it and drop the peer as a
// slow consumer.
func TestIdlePeerAfterWriteDeadline(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	srv, url := start(t, server.Config{WriteTimeout: writeTimeout, PingInterval: time.Minute})
	a := plain(t, url)
	b := plain(t, url)
	a.say("one")
	for _, c := range []*client{a, b} {
		if got := c.text(); got != "guest-1: one" {
			t.Fatalf("got %q", got)
		}
	}
	// Idle for three write timeouts, then a message to both.
	time.Sleep(3 * writeTimeout)
	b.say("two")
	for _, c := range []*client{a, b} {
		if got := c.text(); got != "guest-2: two" {
			t.Fatalf("after an idle spell got %q", got)
		}
	}
	if st := srv.Stats(); st.Evictions != 0 {
		t.Fatalf("idle peers were dropped as slow consumers: %+v", st)
	}
}
