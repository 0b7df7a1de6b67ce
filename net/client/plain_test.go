package client_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
)

// The original teaching server: greets, relays every frame to everyone.
func TestPlainTeachingServer(t *testing.T) {
	srv := newPlainServer(t, false)
	c, rec := chattest.Dial(t, fastConfig(t, srv.addr(), "alice"))

	conn := chattest.Next[client.Connected](t, rec, nil)
	if !conn.Plain || conn.Greeting != wire.Greeting {
		t.Fatalf("Connected = %+v, want Plain with the teaching greeting", conn)
	}
	if !c.Plain() {
		t.Error("Plain() = false")
	}
	if l := c.Limits(); l.MaxText != wire.DefaultMaxText {
		t.Errorf("Limits().MaxText = %d, want wire's default", l.MaxText)
	}
	if err := c.SetNick("bob"); !errors.Is(err, client.ErrPlain) {
		t.Errorf("SetNick in plain mode: %v, want ErrPlain", err)
	}
	if err := c.SetStatus(wire.Away); !errors.Is(err, client.ErrPlain) {
		t.Errorf("SetStatus in plain mode: %v, want ErrPlain", err)
	}

	// Someone else, a browser console say, talks.
	peer := rawPeer(t, srv.URL)
	if _, hello, err := peer.ReadMessage(); err != nil || string(hello) != wire.Greeting {
		t.Fatalf("peer greeting %q, %v", hello, err)
	}
	peer.WriteMessage(websocket.TextMessage, []byte("hi from the console"))
	m := chattest.Next(t, rec, func(m client.Message) bool { return true })
	if !m.Raw || m.Own || m.Msg.Text != "hi from the console" || m.Msg.From != "" {
		t.Errorf("peer's line = %+v, want Raw, not Own, no sender", m)
	}

	// Our own lines come back as they were sent and leave the outbox.
	cid1, err := c.Send("  hello there  ")
	if err != nil {
		t.Fatal(err)
	}
	cid2, err := c.Send("two\nlines")
	if err != nil {
		t.Fatal(err)
	}
	own1 := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	own2 := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	if own1.Msg.CID != cid1 || own1.Msg.Text != "hello there" || own1.Msg.From != "alice" || own1.Raw {
		t.Errorf("first echo = %+v, want Own %s %q from alice", own1, cid1, "hello there")
	}
	if own2.Msg.CID != cid2 || own2.Msg.Text != "two\nlines" {
		t.Errorf("multi-line echo = %+v, want Own %s", own2, cid2)
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("Pending after echoes = %+v", p)
	}
	// The peer saw exactly what we typed (cleaned), one frame each.
	for _, want := range []string{"hi from the console", "hello there", "two\nlines"} {
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := peer.ReadMessage()
		if err != nil || string(got) != want {
			t.Fatalf("peer read %q, %v; want %q", got, err, want)
		}
	}
	// No echo was mistaken for someone else's line.
	if raw := rec.Texts(func(m client.Message) bool { return m.Raw }); !slices.Equal(raw, []string{"hi from the console"}) {
		t.Errorf("raw lines = %q", raw)
	}
}

// gorilla's chat example: no greeting, newlines in input become spaces,
// queued messages are joined with newlines into one frame.
func TestPlainGorillaJoinsFrames(t *testing.T) {
	srv := newPlainServer(t, true)
	srv.batch = 100 * time.Millisecond
	c, rec := chattest.Dial(t, fastConfig(t, srv.addr(), "alice"))
	conn := chattest.Next[client.Connected](t, rec, nil)
	if !conn.Plain || conn.Greeting != "" {
		t.Fatalf("Connected = %+v, want Plain without greeting", conn)
	}

	peer := rawPeer(t, srv.URL)
	chattest.WaitFor(t, "both connected", 5*time.Second, func() bool { return srv.count() == 2 })
	for _, s := range []string{"one", "two", "three"} {
		peer.WriteMessage(websocket.TextMessage, []byte(s))
	}
	chattest.WaitFor(t, "three lines", 5*time.Second, func() bool { return len(rec.Texts(nil)) >= 3 })

	cidA, _ := c.Send("first\nsecond")
	cidB, _ := c.Send("another")
	a := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	b := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	if a.Msg.CID != cidA || b.Msg.CID != cidB {
		t.Errorf("own echoes %s, %s; want %s, %s", a.Msg.CID, b.Msg.CID, cidA, cidB)
	}
	if got := rec.Texts(func(m client.Message) bool { return m.Raw }); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("raw lines = %q, want one two three", got)
	}
	if srv.joined.Load() == 0 {
		t.Error("the server never joined frames: the test did not test joining")
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v", p)
	}
}

// A plain server that relays to everyone but the sender: lines are shown
// as sent once the echo wait has passed, and the outbox does not fill up.
func TestPlainServerWithoutEcho(t *testing.T) {
	srv := newPlainServer(t, false)
	srv.noEcho = true
	c, rec := joined(t, fastConfig(t, srv.addr(), "alice"))

	start := time.Now()
	cid, _ := c.Send("anyone there?")
	m := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	if m.Msg.CID != cid || m.Msg.Text != "anyone there?" {
		t.Errorf("local echo = %+v", m)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Errorf("shown as sent after %s, before PlainEchoWait", waited)
	}
	// Now the client knows: the next line counts as sent once written.
	start = time.Now()
	c.Send("hello?")
	chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	if waited := time.Since(start); waited > 400*time.Millisecond {
		t.Errorf("second line took %s; the client should stop waiting for echoes", waited)
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v", p)
	}
}

// A plain server that drops everyone: the client reconnects by itself and
// sends what was typed meanwhile.
func TestPlainReconnect(t *testing.T) {
	srv := newPlainServer(t, false)
	c, rec := joined(t, fastConfig(t, srv.addr(), "alice"))

	srv.dropAll()
	d := chattest.Next[client.Disconnected](t, rec, nil)
	if d.Retry <= 0 || !errors.Is(d.Err, client.ErrConnLost) {
		t.Errorf("Disconnected = %+v, want ErrConnLost and a retry", d)
	}
	cid, err := c.Send("typed while away")
	if err != nil {
		t.Fatal(err)
	}
	chattest.Next(t, rec, func(ev client.Connected) bool { return ev.Plain })
	m := chattest.Next(t, rec, func(m client.Message) bool { return m.Own })
	if m.Msg.CID != cid {
		t.Errorf("echo %+v, want cid %s", m, cid)
	}
	if n := srv.got.Load(); n != 1 {
		t.Errorf("server received %d frames, want 1", n)
	}
}
