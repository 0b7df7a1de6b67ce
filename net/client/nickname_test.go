package client_test

import (
	"errors"
	"testing"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/nickname"
	"parley/server"
)

// TestNickNormalised: a nickname the server will normalise is normalised
// before dialing, so that joining as NFD "José" is not reported as a
// rename (Connected.Renamed, which the app shows as "your nickname was
// taken"), and one the server would refuse is refused without a round
// trip, by Dial and by SetNick alike.
func TestNickNormalised(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	c, r := chattest.Dial(t, fastConfig(t, srv.Addr, "Jose\u0301"))
	ev := chattest.Next[client.Connected](t, r, nil)
	if ev.Renamed || ev.Welcome.Nick != "Jos\u00e9" || c.Nick() != "Jos\u00e9" {
		t.Fatalf("joined as NFD José: Renamed %v, welcome nick %+q, Nick() %+q; want NFC, not renamed",
			ev.Renamed, ev.Welcome.Nick, c.Nick())
	}
	for _, bad := range []string{"alice\u034F", "\u3164", "guest-7"} {
		if err := c.SetNick(bad); !errors.Is(err, client.ErrNickInvalid) {
			t.Errorf("SetNick(%+q): %v, want ErrNickInvalid", bad, err)
		}
		cfg := fastConfig(t, srv.Addr, bad)
		if _, err := client.Dial(t.Context(), cfg); !errors.Is(err, client.ErrNickInvalid) ||
			(errors.Is(err, nickname.ErrInvisible) == errors.Is(err, nickname.ErrReserved)) {
			t.Errorf("Dial as %+q: %v, want ErrNickInvalid wrapping the rule", bad, err)
		}
	}
}
