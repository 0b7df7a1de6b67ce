package client_test

import (
	"errors"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/server"
)

// A private message whose echo is lost with the connection is sent again
// on the same session after the reconnect, and the server's duplicate
// answer reports it as delivered: the sender sees one echo, the addressee
// one message.
func TestPrivateEchoLostResentOnce(t *testing.T) {
	srv, px := relayed(t, server.Config{})
	alice, ar := joined(t, fastConfig(t, px.Addr(), "alice"))
	_, br := joined(t, fastConfig(t, srv.Addr, "bob"))
	chattest.Next(t, ar, func(e client.Joined) bool { return e.Nick == "bob" })

	px.MuteDown.Store(true) // the echo will be lost
	cid, err := alice.SendPrivate("bob", "the key is under the mat")
	if err != nil {
		t.Fatal(err)
	}
	chattest.Next(t, br, func(e client.Private) bool { return e.Text == "the key is under the mat" })
	// Cut, then unmute: an echo still on its way when the link comes
	// back would otherwise get through.
	px.Cut()
	px.MuteDown.Store(false)

	c := chattest.Next(t, ar, func(e client.Connected) bool { return true })
	if !c.Resumed {
		t.Fatalf("reconnect not resumed: %+v", c)
	}
	if p := chattest.Next(t, ar, func(e client.Private) bool { return e.Own }); p.CID != cid || p.To != "bob" ||
		p.Text != "the key is under the mat" || p.From != "alice" {
		t.Fatalf("alice's echo %+v, want cid %s", p, cid)
	}
	if _, err := alice.Send("done"); err != nil {
		t.Fatal(err)
	}
	chattest.Next(t, br, func(e client.Message) bool { return e.Msg.Text == "done" })
	if n := privates(br); n != 1 {
		t.Errorf("bob got %d private messages, want 1:\n%s", n, br.Dump())
	}
	if n := privates(ar); n != 1 {
		t.Errorf("alice saw %d echoes, want 1:\n%s", n, ar.Dump())
	}
	if s := srv.Stats(); s.Duplicates != 1 {
		t.Errorf("server duplicates %d, want 1", s.Duplicates)
	}
}

// A private message unconfirmed when the server went away, answered by a
// server that does not know the session, is reported as unconfirmed, not
// sent to a server that could not tell whether it was delivered.
func TestPrivateUnconfirmedOnNewSession(t *testing.T) {
	first, px := relayed(t, server.Config{})
	alice, ar := joined(t, fastConfig(t, px.Addr(), "alice"))
	joined(t, fastConfig(t, first.Addr, "bob"))
	chattest.Next(t, ar, func(e client.Joined) bool { return e.Nick == "bob" })

	px.Silence(true) // the link falls silent: the message goes nowhere
	cid, err := alice.SendPrivate("bob", "are you there?")
	if err != nil {
		t.Fatal(err)
	}
	second := startServer(t, "127.0.0.1:0", server.Config{})
	px.SetTarget(second.Addr)
	// Cut, then give the link back: the private message, if the writer
	// writes it late, must not reach the first server.
	px.Cut()
	px.Silence(false)

	if c := chattest.Next(t, ar, func(e client.Connected) bool { return true }); c.Resumed {
		t.Errorf("a new server resumed the session: %+v", c)
	}
	f := chattest.Next(t, ar, func(e client.Failed) bool { return e.CID == cid })
	if !errors.Is(f.Err, client.ErrUnconfirmed) {
		t.Fatalf("Failed %+v, want ErrUnconfirmed", f)
	}
	if _, ok := chattest.Find(ar, 200*time.Millisecond, func(e client.Private) bool { return e.CID == cid }); ok {
		t.Errorf("an echo came for %s", cid)
	}
}

// privates counts the Private events r recorded.
func privates(r *chattest.Recorder) int {
	n := 0
	for _, ev := range r.Events() {
		if _, ok := ev.(client.Private); ok {
			n++
		}
	}
	return n
}
