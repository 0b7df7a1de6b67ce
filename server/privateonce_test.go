package server_test

import (
	"testing"

	"parley/net/wire"
	"parley/server"
)

// A private message sent again with the same cid by the same session
// (its echo lost with a connection) is not delivered again: the sender
// alone is told duplicate. A new cid, or the same cid from another
// session, is a new message.
func TestPrivateResentOnce(t *testing.T) {
	_, url := start(t, server.Config{})
	alice, aw := rich(t, url, "alice")
	bob, _ := rich(t, url, "bob")
	carol, _ := rich(t, url, "carol")

	const text = "meet at noon"
	alice.send(wire.Private{To: "bob", Text: text, CID: "p1"})
	if got := until[wire.Private](bob); got.Text != text {
		t.Fatalf("bob got %+v", got)
	}
	alice.ws.Close() // the echo is lost, unread

	again := dial(t, url, true)
	again.name = "alice"
	again.send(wire.Hello{V: wire.Version, Nick: "alice", Session: aw.Session, Epoch: aw.Epoch})
	if w := again.welcome(); w.Session != aw.Session {
		t.Fatalf("resume: session %q, want %q", w.Session, aw.Session)
	}
	again.send(wire.Private{To: "bob", Text: text, CID: "p1"})
	if a := reply(again); !refusedWith(a, wire.CodeDuplicate) || a.(wire.Error).CID != "p1" {
		t.Fatalf("the resent private message: %+v, want duplicate with cid p1", a)
	}
	for _, f := range upTo(bob, "bob was here") {
		if p, ok := f.(wire.Private); ok {
			t.Errorf("bob got the private message again: %+v", p)
		}
	}

	again.send(wire.Private{To: "bob", Text: "and bring the map", CID: "p2"})
	if e := until[wire.Private](again); e.CID != "p2" {
		t.Fatalf("a new cid: echo %+v", e)
	}
	if got := until[wire.Private](bob); got.Text != "and bring the map" {
		t.Fatalf("bob got %+v", got)
	}
	carol.send(wire.Private{To: "bob", Text: "mine", CID: "p1"})
	if e := until[wire.Private](carol); e.CID != "p1" {
		t.Fatalf("another session's p1: echo %+v", e)
	}
	if got := until[wire.Private](bob); got.Text != "mine" || got.From != "carol" {
		t.Fatalf("bob got %+v, want carol's", got)
	}
}
