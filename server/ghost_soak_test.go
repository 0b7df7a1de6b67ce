package server_test

import (
	"flag"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server"
)

var ghostSoak = flag.Int("ghost-soak", 0, "run TestGhostSoak with this many attempts (make ghost-soak)")

// The outside reproduction of the ghost-user race, run many times: a
// plain client sends a binary frame, gets the 1003 close, never answers
// it, and sends one text frame just before the server's grace period
// ends, when the reader is about to park and the grace timer cuts the
// connection. Afterwards the server must be empty (the harness checks
// server.CheckEmpty after the test). TestCutWhileParkingLeavesNoGhost
// forces the interleaving once; this runs the real timing, by the
// thousand, with `make ghost-soak`.
func TestGhostSoak(t *testing.T) {
	n := *ghostSoak
	if n == 0 {
		t.Skip("a soak: run with -ghost-soak N (make ghost-soak)")
	}
	const closeGrace = 2 * time.Second // server's closeGrace
	const batch = 200
	srv, url := serve(t, server.Config{Rate: -1, MaxConns: -1, Logger: quietLogger(t)})
	addr := strings.TrimPrefix(url, "ws://")
	for done := 0; done < n; done += batch {
		var wg sync.WaitGroup
		for i := 0; i < min(batch, n-done); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, _, err := rawDial(addr, rawOpts{})
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				defer r.c.Close()
				if _, _, err := r.readFrame(); err != nil { // the greeting
					t.Errorf("greeting: %v", err)
					return
				}
				r.write(rawFrame(bitFin|opBinary, true, []byte("x")))
				// Spread the text frame over the 15 to 25 ms before the
				// grace period ends, where the race was: the reader reads
				// it, waits 20 ms more (parkAfter), then parks just as the
				// grace timer cuts the connection.
				time.Sleep(closeGrace - 15*time.Millisecond - time.Duration(i%100)*100*time.Microsecond)
				r.write(rawFrame(bitFin|opText, true, []byte("late")))
				r.c.SetReadDeadline(time.Now().Add(2 * closeGrace))
				for {
					if _, _, err := r.readFrame(); err != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		waitFor(t, "the batch's connections to go", func() bool { return srv.Stats().Open == 0 })
	}
}
