package server

import (
	"testing"
	"time"
)

// TestDefaultsKeepMeaningfulNegatives: withDefaults fills zero fields,
// keeps the negative values that mean "no limit" (connections, the rate,
// queued bytes) and replaces those that mean nothing.
func TestDefaultsKeepMeaningfulNegatives(t *testing.T) {
	c := Config{MaxConns: -1, MaxConnsPerIP: -1, Rate: -1, MaxQueuedBytes: -1,
		Backlog: -5, QueueFrames: -1, PingInterval: -time.Second, PasswordTries: -3, Burst: -1}.withDefaults()
	if c.MaxConns != -1 || c.MaxConnsPerIP != -1 || c.Rate != -1 || c.MaxQueuedBytes != -1 {
		t.Errorf("a meaningful negative was replaced: conns %d, per address %d, rate %v, queued %d",
			c.MaxConns, c.MaxConnsPerIP, c.Rate, c.MaxQueuedBytes)
	}
	if c.Backlog != DefaultBacklog || c.QueueFrames != DefaultQueueFrames || c.PingInterval != DefaultPingInterval ||
		c.PasswordTries != DefaultPasswordTries || c.Burst != DefaultBurst {
		t.Errorf("a meaningless negative was kept: backlog %d, frames %d, ping %v, tries %d, burst %d",
			c.Backlog, c.QueueFrames, c.PingInterval, c.PasswordTries, c.Burst)
	}
	if c.Addr != DefaultAddr() || c.Room != DefaultRoom || c.Logger == nil || c.PongTimeout <= c.PingInterval {
		t.Errorf("zero fields: addr %q, room %q, logger %v, pong %v after ping %v", c.Addr, c.Room, c.Logger, c.PongTimeout, c.PingInterval)
	}
	kept := Config{Addr: ":1", Room: "R", Backlog: 7, PingInterval: time.Second, PongTimeout: 2 * time.Second}.withDefaults()
	if kept.Addr != ":1" || kept.Room != "R" || kept.Backlog != 7 || kept.PongTimeout != 2*time.Second {
		t.Errorf("set fields changed: %q %q %d %v", kept.Addr, kept.Room, kept.Backlog, kept.PongTimeout)
	}
}
