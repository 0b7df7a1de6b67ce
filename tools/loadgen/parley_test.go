package main

import (
	"context"
	"testing"
	"time"

	"parley/server"
)

// TestRunAgainstParley runs small loads against the real Parley server in
// both of its modes: the generator must read Parley's plain lines and
// rich msg frames, find every message, and see one message per frame.
func TestRunAgainstParley(t *testing.T) {
	for _, proto := range []string{"plain", "rich"} {
		t.Run(proto, func(t *testing.T) {
			srv := server.New(server.Config{Rate: -1})
			cfg := testConfig(t, srv)
			cfg.Proto = proto
			sc := scenario{Name: "t", Clients: 20, Senders: 3, Window: 8, Size: 64, Duration: 300 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := runScenario(ctx, sc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Clients != 20 || res.Held != 20 || len(res.Closed) != 0 {
				t.Errorf("clients %d, held %d, closed %v; want 20, 20, none", res.Clients, res.Held, res.Closed)
			}
			if res.Sent == 0 || res.Lost != 0 || res.Received != res.Sent*20 || res.Reordered != 0 {
				t.Errorf("sent %d, received %d, lost %d, reordered %d", res.Sent, res.Received, res.Lost, res.Reordered)
			}
			if res.MaxPerFrame != 1 || res.Frames != res.Received {
				t.Errorf("%d frames for %d messages, at most %d per frame; want one message per frame", res.Frames, res.Received, res.MaxPerFrame)
			}
			if res.ErrorFrames != 0 || res.Stalls != 0 {
				t.Errorf("%d error frames, %d stalled senders", res.ErrorFrames, res.Stalls)
			}
		})
	}
}
