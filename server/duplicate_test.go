package server_test

import (
	"fmt"
	"testing"

	"parley/net/wire"
	"parley/server"
)

// A cid repeated after its message left the backlog (a client resending
// what it sent before a long drop) is not broadcast again, and the sender
// is told, by error duplicate with the message's id, that it was
// delivered: nothing stays pending for ever. While the backlog holds the
// message, the original comes back instead (TestRepeatedCID).
func TestDuplicateBeyondBacklog(t *testing.T) {
	srv, url := start(t, server.Config{Backlog: 3})
	obs, _ := rich(t, url, "observer")
	a, w := rich(t, url, "alice")
	next[wire.Join](obs)
	a.send(wire.Send{CID: "c1", Text: "first"})
	first := next[wire.Msg](a)
	for i := range 3 {
		obs.send(wire.Send{Text: fmt.Sprint("pushes it out ", i)})
	}
	for range 4 {
		next[wire.Msg](obs)
	}
	for range 3 {
		next[wire.Msg](a)
	}

	check := func(c *client) {
		t.Helper()
		c.send(wire.Send{CID: "c1", Text: "first"})
		e := next[wire.Error](c)
		if e.Code != wire.CodeDuplicate || e.CID != "c1" || e.ID != first.ID {
			t.Fatalf("repeat of a message gone from the backlog: %+v, want duplicate of id %d", e, first.ID)
		}
	}
	check(a)
	// The same on a new connection of the session, after a resume.
	a.ws.Close()
	b := dial(t, url, true)
	b.name = "alice again"
	last := srv.Stats().LastID
	b.send(wire.Hello{V: wire.Version, Nick: "alice", Session: w.Session, Epoch: w.Epoch, After: &last})
	b.welcome()
	check(b)

	// Nobody saw it twice, and the room went on.
	b.send(wire.Send{CID: "c2", Text: "second"})
	if m := next[wire.Msg](obs); m.Text != "second" || m.ID != first.ID+4 {
		t.Fatalf("observer got %+v, want only alice's second message", m)
	}
	if st := srv.Stats(); st.Duplicates != 2 || st.LastID != first.ID+4 {
		t.Fatalf("stats %+v", st)
	}
}
