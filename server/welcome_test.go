package server_test

import (
	"strings"
	"testing"

	"parley/net/wire"
	"parley/server"
)

// The history in a welcome stays within its budget in the bytes the
// welcome really takes: texts made of quotes take twice their length once
// escaped, and the budget must count that.
func TestWelcomeHistoryCap(t *testing.T) {
	const (
		historyBytes = 512 << 10 // the documented cap (docs/SECURITY.md)
		slack        = 4 << 10   // the welcome's other members
		n            = 60
	)
	_, url := start(t, server.Config{Rate: -1})
	p := plain(t, url)
	quotes := strings.Repeat(`"`, 16000)
	for i := 0; i < n; i++ {
		p.say(quotes)
		if got := p.text(); got != "guest-1: "+quotes {
			t.Fatalf("echo %d: %d bytes", i, len(got))
		}
	}
	c := dial(t, url, true)
	c.send(wire.Hello{V: wire.Version, Nick: "late"})
	_, data, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	f, err := wire.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := f.(wire.Welcome)
	if !ok {
		t.Fatalf("got %.100s, want a welcome", data)
	}
	if len(data) > historyBytes+slack {
		t.Fatalf("the welcome is %d bytes with %d messages of history, over the cap of %d", len(data), len(w.History), historyBytes)
	}
	// The budget is used, not wasted: nearly as many messages as fit.
	perMsg := 2*len(quotes) + 60
	if min := historyBytes/perMsg - 1; len(w.History) < min {
		t.Fatalf("the welcome holds %d messages (%d bytes), want at least %d", len(w.History), len(data), min)
	}
	if last := w.History[len(w.History)-1]; last.ID != n || last.Text != quotes {
		t.Fatalf("the newest message in the history is %d, want %d", last.ID, n)
	}
}
