package client_test

import (
	"fmt"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/server"
)

// The echo of a message is lost with the connection, and by the time the
// client is back the message has left the server's backlog: the resume
// cannot bring it, and the client sends it again. The server, which
// remembers the cid, answers error duplicate; the client counts the
// message as delivered instead of keeping it pending for ever, and nobody
// sees it twice.
func TestRichDuplicateBeyondBacklog(t *testing.T) {
	srv, px := relayed(t, server.Config{Backlog: 3})
	alice, ra := joined(t, fastConfig(t, px.Addr(), "alice"))
	bob, rb := joined(t, fastConfig(t, srv.Addr, "bob"))

	px.MuteDown.Store(true)
	cid, _ := alice.Send("echo lost")
	orig := chattest.Next(t, rb, isMsg("echo lost"))
	for i := range 4 {
		bob.Send(fmt.Sprint("meanwhile ", i))
	}
	chattest.Next(t, rb, isMsg("meanwhile 3"))
	px.Reject.Store(true)
	px.Cut()
	chattest.Next[client.Disconnected](t, ra, nil)
	px.MuteDown.Store(false)
	px.Reject.Store(false)

	c := chattest.Next(t, ra, func(c client.Connected) bool { return true })
	if !c.Resumed || !c.Gap {
		t.Errorf("Connected = %+v, want a resume with a gap", c)
	}
	m := chattest.Next(t, ra, func(m client.Message) bool { return m.Msg.CID == cid })
	if !m.Own || m.Backlog || m.Msg.Text != "echo lost" || m.Msg.ID != orig.Msg.ID || m.Msg.From != "alice" {
		t.Errorf("delivery = %+v, want alice's own message with id %d", m, orig.Msg.ID)
	}
	chattest.WaitFor(t, "the outbox to empty", 5*time.Second, func() bool { return len(alice.Pending()) == 0 })
	bob.Send("after")
	chattest.Next(t, ra, isMsg("after"))
	if n := chattest.Count(rb.Texts(nil), "echo lost"); n != 1 {
		t.Errorf("bob saw alice's message %d times", n)
	}
	if st := srv.Stats(); st.Duplicates != 1 || st.LastID != 6 {
		t.Errorf("server stats %+v, want 1 duplicate and 6 messages", st)
	}
	for _, ev := range ra.Events() {
		if f, ok := ev.(client.Failed); ok {
			t.Errorf("alice got %+v", f)
		}
	}
}
