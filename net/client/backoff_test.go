package client_test

import (
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
	"parley/server"
)

// The reconnect backoff starts over after a connection that lasted, and
// only then. A real server on loopback is stopped several times: after
// connections too short to count (a server in a crash loop, a ban) the
// wait keeps growing, so that the client never hammers a server that
// accepts and drops it; after one that stayed up stableAfter, the next
// reconnect waits the initial backoff again, not the one grown during
// outages long forgotten.
//
// Each Disconnected event carries the wait the client chose (Retry). The
// first wait of a series is exactly MinBackoff; any later one is drawn
// from MinBackoff to twice the previous ceiling, so "grown" is "more than
// MinBackoff" (equal by chance once in ~10^8 draws).
func TestBackoffResetAfterStable(t *testing.T) {
	const (
		minBackoff = 20 * time.Millisecond
		stable     = 3 * time.Second // a connection this long resets the backoff
		refusals   = 2               // refused attempts waited out per outage
	)
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	addr := srv.Addr
	cfg := fastConfig(t, addr, "alice")
	cfg.MinBackoff, cfg.MaxBackoff = minBackoff, 2*time.Second
	_, r := joined(t, client.WithStableAfter(cfg, stable))

	// outage stops the server and returns the wait after the drop and when
	// the drop was seen, once the client's next refusals attempts were
	// refused (the backoff grew).
	outage := func() (time.Duration, time.Time) {
		srv.Stop(t, wire.ByeShutdown)
		retry, seen := chattest.Next[client.Disconnected](t, r, nil).Retry, time.Now()
		for range refusals {
			if d := chattest.Next[client.Disconnected](t, r, nil); d.Retry < minBackoff {
				t.Fatalf("refused attempt: %+v, want a retry of at least %v", d, minBackoff)
			}
		}
		return retry, seen
	}
	// restart serves again on the same address and waits for the client.
	restart := func() {
		srv = startServer(t, addr, server.Config{})
		chattest.Next[client.Connected](t, r, nil)
	}

	// A short first connection: its drop starts the series.
	if retry, _ := outage(); retry != minBackoff {
		t.Fatalf("the first drop waits %v, want the initial %v", retry, minBackoff)
	}

	// A connection far shorter than stable does not start the backoff over.
	t0 := time.Now()
	restart()
	retry, seen := outage()
	if lasted := seen.Sub(t0); lasted >= stable {
		t.Fatalf("a short connection took %v, not under %v: too slow a machine for this test", lasted, stable)
	}
	if retry <= minBackoff {
		t.Fatalf("after a connection of under %v the backoff started over (%v): a server in a crash loop would be hammered",
			stable, retry)
	}

	// A connection that stays up stable does.
	restart()
	connected := time.Now() // the client's own count began before this
	time.Sleep(time.Until(connected.Add(stable)))
	srv.Stop(t, wire.ByeShutdown)
	if d := chattest.Next[client.Disconnected](t, r, nil); d.Retry != minBackoff {
		t.Fatalf("after a connection of %v (stable after %v) the next reconnect waits %v, want the initial %v",
			time.Since(connected).Round(time.Millisecond), stable, d.Retry, minBackoff)
	}
	// And it grows again from there: the first refusal waits at most twice
	// the initial backoff.
	if d := chattest.Next[client.Disconnected](t, r, nil); d.Retry < minBackoff || d.Retry > 2*minBackoff {
		t.Fatalf("the first refusal after the reset waits %v, want %v to %v", d.Retry, minBackoff, 2*minBackoff)
	}
	restart()
}
