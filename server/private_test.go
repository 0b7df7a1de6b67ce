package server_test

import (
	"strings"
	"testing"

	"parley/net/wire"
	"parley/server"
)

// A private message reaches its addressee and comes back to its sender,
// and nobody else gets it, whatever they try: a third rich client, a
// plain one, /who, a resume from the start, an older page, a search, a
// look-alike of the addressee's nickname taken once the addressee left.
// The room has a history store, so that pages and search read the disk.
func TestPrivateReachesOnlyTheTwo(t *testing.T) {
	url := open(t, server.Config{}, openDB(t, t.TempDir())).url
	alice, _ := rich(t, url, "alice")
	bob, _ := rich(t, url, "bob")
	carol, cw := rich(t, url, "carol")
	guest := plain(t, url)

	const secret = "swordfish"
	alice.send(wire.Private{To: "Bob", Text: "the word is " + secret, CID: "p1"})
	echo := until[wire.Private](alice)
	if echo.From != "alice" || echo.To != "bob" || echo.CID != "p1" || !strings.Contains(echo.Text, secret) {
		t.Fatalf("alice's echo = %+v", echo)
	}
	got := until[wire.Private](bob)
	if got.From != "alice" || got.To != "bob" || got.CID != "" || got.Text != echo.Text || got.Time != echo.Time {
		t.Fatalf("bob got %+v, want alice's message without her cid", got)
	}

	// The third people see nothing of it.
	noneHolds(t, "carol", upTo(carol, "carol was here"), secret)
	noneHolds(t, "a plain client", plainUpTo(guest, "guest-1", "guest was here"), secret)
	guest.say("/who")
	noneHolds(t, "/who", []string{guest.text()}, secret)

	// Not in the backlog: a resume from message 0, a fresh join, pages
	// and search, in both modes.
	after := uint64(0)
	again := dial(t, url, true)
	again.name = "carol2"
	again.send(wire.Hello{V: wire.Version, Nick: "carol2", Epoch: cw.Epoch, After: &after})
	w := again.welcome()
	if !w.Resumed {
		t.Fatalf("resume from 0 not honoured: %+v", w)
	}
	noneHolds(t, "a resume from 0", []wire.Frame{w}, secret)
	again.send(wire.History{Ref: "h"})
	noneHolds(t, "a history page", []wire.Frame{until[wire.Page](again)}, secret)
	again.send(wire.Search{Ref: "s", Q: secret})
	if r := until[wire.Results](again); len(r.Msgs) != 0 {
		t.Errorf("search for the private word found %+v", r.Msgs)
	}
	guest.say("/search " + secret)
	if got := guest.text(); !strings.HasPrefix(got, "* nothing found") {
		t.Errorf("plain /search for the private word: %q", got)
	}

	// A look-alike of bob's nickname, taken once bob has gone, is not bob.
	bob.ws.Close()
	mallory := dial(t, url, true)
	mallory.name = "bоb" // Cyrillic о
	waitFor(t, "bob's nickname to be free", func() bool {
		mallory.send(wire.Hello{V: wire.Version, Nick: "bоb"})
		switch f := mallory.frame().(type) {
		case wire.Welcome:
			return true
		case wire.Error:
			if f.Code != wire.CodeNickTaken {
				t.Fatalf("mallory's hello: %+v", f)
			}
		}
		return false
	})
	alice.send(wire.Private{To: "bob", Text: "are you there? " + secret, CID: "p2"})
	if a := reply(alice); !refusedWith(a, wire.CodeNoSuchNick) {
		t.Errorf("to a look-alike: %+v, want no_such_nick", a)
	}
	noneHolds(t, "the look-alike", upTo(mallory, "mallory was here"), secret)
}

// Plain clients send with /msg and see private lines that cannot pass for
// public ones; refusals are clear.
func TestPrivatePlain(t *testing.T) {
	_, url := start(t, server.Config{})
	alice, _ := rich(t, url, "alice")
	guest := plain(t, url)
	other := plain(t, url)

	guest.say("/msg alice hello there")
	if got := guest.text(); got != "* [private] to alice: hello there" {
		t.Fatalf("plain echo = %q", got)
	}
	if p := until[wire.Private](alice); p.From != "guest-1" || p.Text != "hello there" {
		t.Fatalf("alice got %+v", p)
	}
	alice.send(wire.Private{To: "GUEST-1", Text: "hi\nguest-2: forged line"})
	if got := guest.text(); got != "* [private] alice: hi\n         guest-2: forged line" {
		t.Fatalf("plain recipient saw %q", got)
	}
	guest.say("/msg nobody hi")
	if got := guest.text(); !strings.HasPrefix(got, "* not sent: nobody here is called nobody") {
		t.Fatalf("unknown nick: %q", got)
	}
	guest.say("/msg alice")
	if got := guest.text(); got != "* usage: /msg NICK text" {
		t.Fatalf("no text: %q", got)
	}
	noneHolds(t, "another plain client", plainUpTo(other, "guest-2", "still here"), "hello there")
}

// Refusals of a rich private message name the cid.
func TestPrivateRefusals(t *testing.T) {
	_, url := start(t, server.Config{})
	alice, _ := rich(t, url, "alice")
	tests := []struct {
		send wire.Private
		code wire.Code
	}{
		{wire.Private{To: "nobody", Text: "hi", CID: "a"}, wire.CodeNoSuchNick},
		{wire.Private{To: "alice", Text: " \n ", CID: "b"}, wire.CodeEmpty},
		{wire.Private{To: "alice", Text: strings.Repeat("x", wire.DefaultMaxText+1), CID: "c"}, wire.CodeTooLong},
		{wire.Private{To: "alice", Text: "hi", CID: strings.Repeat("d", wire.MaxClientID+1)}, wire.CodeBadCID},
	}
	for _, tc := range tests {
		alice.send(tc.send)
		e := until[wire.Error](alice)
		if e.Code != tc.code || (tc.code != wire.CodeBadCID && e.CID != tc.send.CID) {
			t.Errorf("%+v: got %+v, want %s", tc.send, e, tc.code)
		}
	}
	// To oneself: delivered once.
	alice.send(wire.Private{To: "alice", Text: "note to self", CID: "n"})
	if p := until[wire.Private](alice); p.CID != "n" {
		t.Fatalf("note to self: %+v", p)
	}
	for _, f := range upTo(alice, "marker") {
		if _, ok := f.(wire.Private); ok {
			t.Errorf("a message to oneself arrived twice: %+v", f)
		}
	}
}

// Private messages count against the sender's rate limit like sends: over
// it, they are dropped with rate_limited and the cid, and not delivered.
func TestPrivateRateLimited(t *testing.T) {
	_, url := start(t, server.Config{Rate: 1, Burst: 5})
	alice, _ := rich(t, url, "alice")
	bob, _ := rich(t, url, "bob")
	for i := range 6 {
		alice.send(wire.Private{To: "bob", Text: "spam", CID: string(rune('a' + i))})
	}
	limited, echoed := 0, 0
	for limited+echoed < 6 {
		switch f := reply(alice).(type) {
		case wire.Error:
			if f.Code != wire.CodeRateLimited || f.CID == "" {
				t.Fatalf("refusal %+v, want rate_limited with the cid", f)
			}
			limited++
		case wire.Private:
			echoed++
		}
	}
	if limited == 0 {
		t.Fatal("six private messages at once passed a rate of 1/s, burst 5 (the hello took one)")
	}
	got := 0
	for got < echoed {
		until[wire.Private](bob)
		got++
	}
	bob.send(wire.Send{Text: "marker"})
	for {
		f := bob.frame()
		if m, ok := f.(wire.Msg); ok && m.Text == "marker" {
			break
		}
		if _, ok := f.(wire.Private); ok {
			t.Fatalf("bob got %d private messages, more than the %d that passed the limit", echoed+1, echoed)
		}
	}
}
