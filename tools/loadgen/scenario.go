package main

import (
	"fmt"
	"strings"
	"time"
)

// scenario is one load shape.
type scenario struct {
	Name    string
	Clients int
	// Senders are the first Senders clients; every client receives.
	Senders int
	// Rate is messages per second per sender; zero means as fast as the
	// window allows.
	Rate float64
	// Window bounds a sender's messages in flight: a sender does not send
	// message n+Window until every client has received message n. Zero
	// means no window (paced senders only).
	Window int
	// Pipeline is how many messages a windowed sender may write at once
	// (each in its own frame) when its window has room for several; 1
	// sends every message with its own write, as a person's client does.
	Pipeline int
	// Phase makes the paced senders send at the same instants (a burst
	// of Senders messages every period) instead of staggered over it.
	Phase bool
	// Fastest makes a windowed sender wait only for the fastest client:
	// message n counts as done once any client has received it, so the
	// senders can outrun every slower reader and overload the server.
	Fastest bool
	// Size is the payload size in bytes. gorilla's chat example closes a
	// client that sends a message over 512 bytes, so stay under that.
	Size     int
	Duration time.Duration
	// Settle is the pause between the last client joining and the RSS
	// reading, so that the server's start-up garbage is collected.
	Settle time.Duration
	// What says what the scenario shows.
	What string
}

// scenarios are the loads of issues 5 and 14, in the order make bench runs them.
var scenarios = []scenario{
	{Name: "chatroom", Clients: 100, Senders: 10, Rate: 20, Size: 64, Duration: 8 * time.Second,
		What: "100 clients, 10 senders × 20 msg/s, 64-byte payloads: latency of a busy room"},
	{Name: "fanout", Clients: 100, Senders: 4, Window: 32, Size: 64, Duration: 6 * time.Second,
		What: "100 clients, 4 senders as fast as a 32-message window allows: peak deliveries/s"},
	{Name: "bigroom", Clients: 1000, Senders: 2, Rate: 10, Size: 64, Duration: 8 * time.Second,
		What: "1,000 clients, 2 senders × 10 msg/s: latency of one message to many"},
	{Name: "burst", Clients: 100, Senders: 10, Rate: 20, Phase: true, Size: 64, Duration: 8 * time.Second,
		What: "the chat room with the 10 senders in phase: bursts of 10 messages every 50 ms"},
	{Name: "overload", Clients: 100, Senders: 4, Window: 32, Fastest: true, Size: 64, Duration: 6 * time.Second,
		What: "100 clients, 4 senders each waiting only for the fastest receiver: more than the readers drain"},
	{Name: "idle", Clients: 5000, Size: 64, Settle: 2 * time.Second,
		What: "5,000 idle connections: server memory per connection"},
	{Name: "large", Clients: 10000, Senders: 1, Rate: 2, Size: 64, Duration: 6 * time.Second, Settle: 2 * time.Second,
		What: "10,000 connections held, 1 sender × 2 msg/s to show they are served"},
}

// findScenario returns the named scenario.
func findScenario(name string) (scenario, error) {
	var names []string
	for _, s := range scenarios {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return scenario{}, fmt.Errorf("unknown scenario %q (have %s)", name, strings.Join(names, ", "))
}

// validate rejects a scenario the run engine cannot carry out.
func (s scenario) validate() error {
	switch {
	case s.Clients < 1:
		return fmt.Errorf("scenario %s: need at least one client", s.Name)
	case s.Senders < 0 || s.Senders > s.Clients:
		return fmt.Errorf("scenario %s: %d senders for %d clients", s.Name, s.Senders, s.Clients)
	case s.Senders > 0 && s.Rate <= 0 && s.Window <= 0:
		return fmt.Errorf("scenario %s: unpaced senders need a window", s.Name)
	case s.Senders > 0 && s.Duration <= 0:
		return fmt.Errorf("scenario %s: senders need a duration", s.Name)
	case s.Size < 32 || s.Size > 500:
		return fmt.Errorf("scenario %s: payload size %d outside 32..500 bytes", s.Name, s.Size)
	}
	return nil
}
