package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
	"parley/server"
)

// testServer is the real chat server on a loopback port.
type testServer struct {
	*server.Server
	*chattest.Loopback
}

// startServer runs a server on addr ("127.0.0.1:0" for any port) until
// the test ends or Stop is called.
func startServer(t *testing.T, addr string, cfg server.Config) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = chattest.Logger(t, slog.LevelInfo).With("side", "server")
	}
	s, err := server.Open(cfg) // New, unless cfg has a Store
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return &testServer{Server: s, Loopback: chattest.Serve(t, s, chattest.Options{Addr: addr, Closed: server.ErrClosed})}
}

func isMsg(text string) func(client.Message) bool {
	return func(m client.Message) bool { return m.Msg.Text == text }
}

// Two clients join, chat, rename, set their status; errors come back
// where they belong.
func TestRichConversation(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{MaxText: 100})
	alice, ra := chattest.Dial(t, fastConfig(t, srv.Addr, "alice"))
	ca := chattest.Next[client.Connected](t, ra, nil)
	if ca.Plain || ca.Reset || ca.Welcome.Nick != "alice" || ca.Welcome.Session == "" || ca.Welcome.Epoch != srv.Epoch() {
		t.Fatalf("alice's Connected = %+v", ca)
	}
	if l := alice.Limits(); l.MaxText != 100 || l.Rate != server.DefaultRate {
		t.Errorf("Limits() = %+v, want the server's", l)
	}
	if alice.Plain() || alice.Nick() != "alice" {
		t.Errorf("Plain() = %v, Nick() = %q", alice.Plain(), alice.Nick())
	}

	bob, rb := joined(t, fastConfig(t, srv.Addr, "bob"))
	if j := chattest.Next[client.Joined](t, ra, nil); j.Nick != "bob" {
		t.Errorf("alice saw %+v join, want bob", j)
	}

	cid, err := alice.Send("hello bob")
	if err != nil {
		t.Fatal(err)
	}
	own := chattest.Next(t, ra, isMsg("hello bob"))
	if !own.Own || own.Msg.CID != cid || own.Msg.From != "alice" || own.Msg.ID == 0 || own.Raw || own.Backlog {
		t.Errorf("alice's echo = %+v", own)
	}
	got := chattest.Next(t, rb, isMsg("hello bob"))
	if got.Own || got.Msg.From != "alice" || got.Msg.ID != own.Msg.ID {
		t.Errorf("bob got %+v", got)
	}
	bob.Send("hi alice,\nhow are you?")
	if m := chattest.Next(t, ra, isMsg("hi alice,\nhow are you?")); m.Own || m.Msg.From != "bob" {
		t.Errorf("alice got %+v", m)
	}
	if p := alice.Pending(); len(p) != 0 {
		t.Errorf("Pending after the echo = %+v", p)
	}

	// Refused locally, before anything is queued.
	if _, err := alice.Send(strings.Repeat("x", 101)); !errors.Is(err, wire.ErrTextLong) {
		t.Errorf("Send over MaxText: %v, want wire.ErrTextLong", err)
	}
	if _, err := alice.Send(" \n\t "); !errors.Is(err, wire.ErrTextEmpty) {
		t.Errorf("Send of blanks: %v, want wire.ErrTextEmpty", err)
	}

	// Presence and nicknames.
	if err := alice.SetStatus(wire.Away); err != nil {
		t.Fatal(err)
	}
	if s := chattest.Next(t, rb, func(s client.StatusChanged) bool { return s.Nick == "alice" }); s.Status.Status != wire.Away {
		t.Errorf("bob saw %+v", s)
	}
	if err := alice.SetNick("alicia"); err != nil {
		t.Fatal(err)
	}
	if r := chattest.Next[client.Renamed](t, ra, nil); !r.Self || r.To != "alicia" {
		t.Errorf("alice saw %+v, want her own rename", r)
	}
	if r := chattest.Next[client.Renamed](t, rb, nil); r.Self || r.Nick != "alice" || r.To != "alicia" {
		t.Errorf("bob saw %+v", r)
	}
	if alice.Nick() != "alicia" {
		t.Errorf("Nick() = %q after rename", alice.Nick())
	}
	if err := alice.SetNick("BOB"); err != nil {
		t.Fatal(err)
	}
	f := chattest.Next[client.Failed](t, ra, nil)
	if f.CID != "" || !errors.Is(f.Err, client.ErrNickTaken) {
		t.Errorf("Failed = %+v, want ErrNickTaken without a cid", f)
	}
	if err := alice.SetNick("no spaces"); !errors.Is(err, client.ErrNickInvalid) {
		t.Errorf("SetNick with a space: %v", err)
	}
	cid, _ = alice.Send("after the rename")
	if m := chattest.Next(t, ra, isMsg("after the rename")); !m.Own || m.Msg.From != "alicia" || m.Msg.CID != cid {
		t.Errorf("echo after rename = %+v", m)
	}

	// A late comer gets the backlog, after Connected, as Message events.
	carol, rc := chattest.Dial(t, fastConfig(t, srv.Addr, "carol"))
	cc := chattest.Next[client.Connected](t, rc, nil)
	if cc.Backlog != 3 || cc.Welcome.History != nil || len(cc.Welcome.Users) != 3 {
		t.Errorf("carol's Connected = %+v, want 3 backlog messages and 3 users", cc)
	}
	var backlog []string
	for range cc.Backlog {
		m := chattest.Next[client.Message](t, rc, nil)
		if !m.Backlog || m.Own {
			t.Errorf("backlog message %+v", m)
		}
		backlog = append(backlog, m.Msg.Text)
	}
	want := []string{"hello bob", "hi alice,\nhow are you?", "after the rename"}
	if !slices.Equal(backlog, want) {
		t.Errorf("backlog %q, want %q", backlog, want)
	}
	_ = carol

	// The same nickname, in any case, is taken.
	cfg := fastConfig(t, srv.Addr, "Carol")
	if c, err := client.Dial(context.Background(), cfg); !errors.Is(err, client.ErrNickTaken) {
		if c != nil {
			c.Close()
		}
		t.Errorf("Dial as Carol: %v, want ErrNickTaken", err)
	} else {
		var se *client.ServerError
		if !errors.As(err, &se) || se.Frame.Code != wire.CodeNickTaken {
			t.Errorf("the error does not carry the server's frame: %v", err)
		}
	}
}

// A server restart in the middle of a conversation: both clients notice,
// come back to the new server on their own, and everything typed during
// the outage is delivered exactly once, in order.
func TestRichServerRestart(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	addr := srv.Addr
	alice, ra := joined(t, fastConfig(t, addr, "alice"))
	bob, rb := joined(t, fastConfig(t, addr, "bob"))
	alice.Send("before")
	chattest.Next(t, rb, isMsg("before"))
	chattest.Next(t, ra, isMsg("before"))

	oldEpoch := srv.Epoch()
	srv.Stop(t, wire.ByeShutdown)
	for _, r := range []*chattest.Recorder{ra, rb} {
		d := chattest.Next[client.Disconnected](t, r, nil)
		if d.Bye == nil || d.Bye.Reason != wire.ByeShutdown || d.Retry <= 0 || !errors.Is(d.Err, client.ErrServerGone) {
			t.Errorf("Disconnected = %+v, want bye shutdown with a retry", d)
		}
	}

	// Typed while the server is down.
	var aliceSaid, bobSaid []string
	for i := range 3 {
		s := fmt.Sprintf("alice during the outage %d", i)
		if _, err := alice.Send(s); err != nil {
			t.Fatal(err)
		}
		aliceSaid = append(aliceSaid, s)
	}
	for i := range 2 {
		s := fmt.Sprintf("bob during the outage %d", i)
		bob.Send(s)
		bobSaid = append(bobSaid, s)
	}
	if p := alice.Pending(); len(p) != 3 || p[0].Sent {
		t.Errorf("alice's Pending during the outage = %+v", p)
	}
	time.Sleep(100 * time.Millisecond) // a few refused reconnects

	srv2 := startServer(t, addr, server.Config{})
	for _, r := range []*chattest.Recorder{ra, rb} {
		c := chattest.Next(t, r, func(c client.Connected) bool { return true })
		if !c.Reset || c.Resumed || c.Welcome.Epoch == oldEpoch || c.Welcome.Epoch != srv2.Epoch() {
			t.Errorf("Connected after restart = %+v, want Reset with the new epoch", c)
		}
	}
	all := append(slices.Clone(aliceSaid), bobSaid...)
	chattest.WaitFor(t, "all outage messages on both sides", 10*time.Second, func() bool {
		return len(ra.Texts(nil)) >= 1+len(all) && len(rb.Texts(nil)) >= 1+len(all)
	})
	time.Sleep(200 * time.Millisecond) // room for any duplicate to show up

	for name, r := range map[string]*chattest.Recorder{"alice": ra, "bob": rb} {
		texts := r.Texts(nil)
		for _, s := range append([]string{"before"}, all...) {
			if n := chattest.Count(texts, s); n != 1 {
				t.Errorf("%s saw %q %d times; all: %q", name, s, n, texts)
			}
		}
		if got := chattest.Filter(texts, "alice during"); !slices.Equal(got, aliceSaid) {
			t.Errorf("%s saw alice's outage messages as %q", name, got)
		}
		if got := chattest.Filter(texts, "bob during"); !slices.Equal(got, bobSaid) {
			t.Errorf("%s saw bob's outage messages as %q", name, got)
		}
	}
	if st := srv2.Stats(); st.LastID != uint64(len(all)) {
		t.Errorf("the new server broadcast %d messages, want %d", st.LastID, len(all))
	}
	if p := alice.Pending(); len(p) != 0 {
		t.Errorf("alice's Pending after reconnect = %+v", p)
	}
}

// checkIDs fails unless the ids of the messages r saw run 1, 2, 3, ...
// with no gap and no repeat.
func checkIDs(t *testing.T, name string, r *chattest.Recorder) {
	t.Helper()
	var ids []uint64
	for _, ev := range r.Events() {
		if m, ok := ev.(client.Message); ok {
			ids = append(ids, m.Msg.ID)
		}
	}
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Errorf("%s saw message ids %v: want 1..%d without gap or repeat", name, ids, len(ids))
			return
		}
	}
}

// The link to the server breaks (the server stays up): the client
// resumes from the last id it saw, and gets exactly what it missed.
func TestRichResumeAfterDrop(t *testing.T) {
	srv, px := relayed(t, server.Config{})
	alice, ra := chattest.Dial(t, fastConfig(t, px.Addr(), "alice"))
	bob, rb := chattest.Dial(t, fastConfig(t, srv.Addr, "bob"))
	ca := chattest.Next[client.Connected](t, ra, nil)
	chattest.Next[client.Connected](t, rb, nil)
	bob.Send("one")
	alice.Send("two")
	chattest.Next(t, ra, isMsg("two"))

	px.Reject.Store(true)
	px.Cut()
	d := chattest.Next[client.Disconnected](t, ra, nil)
	if !errors.Is(d.Err, client.ErrConnLost) || d.Retry <= 0 || d.Bye != nil {
		t.Errorf("Disconnected = %+v, want ErrConnLost and a retry", d)
	}
	for i := range 5 {
		bob.Send(fmt.Sprintf("missed %d", i))
	}
	alice.Send("typed offline")
	chattest.Next(t, rb, isMsg("missed 4"))
	px.Reject.Store(false)

	c := chattest.Next(t, ra, func(c client.Connected) bool { return true })
	if !c.Resumed || c.Reset || c.Gap || c.Welcome.Session != ca.Welcome.Session || c.Welcome.Nick != "alice" {
		t.Errorf("Connected after the drop = %+v, want a resume of the same session", c)
	}
	if c.Backlog != 5 {
		t.Errorf("resumed with %d backlog messages, want the 5 missed", c.Backlog)
	}
	chattest.Next(t, ra, isMsg("typed offline"))
	chattest.Next(t, rb, isMsg("typed offline"))
	bob.Send("after")
	chattest.Next(t, ra, isMsg("after"))
	checkIDs(t, "alice", ra)
	checkIDs(t, "bob", rb)
	if n := chattest.Count(rb.Texts(nil), "typed offline"); n != 1 {
		t.Errorf("bob saw alice's offline message %d times", n)
	}
	// Bob saw no leave and join: the server held alice's session.
	for _, ev := range rb.Events() {
		if l, ok := ev.(client.Left); ok {
			t.Logf("bob saw %+v (the server noticed the drop)", l)
		}
	}
}

// The echo of a message is lost with the connection: the message reached
// the server and everyone else, but not its sender. After the resume the
// sender finds it in the backlog: it is delivered, and not sent again.
func TestRichEchoLostInDrop(t *testing.T) {
	srv, px := relayed(t, server.Config{})
	alice, ra := joined(t, fastConfig(t, px.Addr(), "alice"))
	_, rb := joined(t, fastConfig(t, srv.Addr, "bob"))

	px.MuteDown.Store(true)
	cid, _ := alice.Send("did it arrive?")
	chattest.Next(t, rb, isMsg("did it arrive?"))
	px.Reject.Store(true)
	px.Cut()
	px.MuteDown.Store(false)
	chattest.Next[client.Disconnected](t, ra, nil)
	if p := alice.Pending(); len(p) != 1 || p[0].CID != cid {
		t.Fatalf("Pending while away = %+v, want the unacknowledged message", p)
	}
	px.Reject.Store(false)

	c := chattest.Next(t, ra, func(c client.Connected) bool { return true })
	m := chattest.Next(t, ra, isMsg("did it arrive?"))
	if !c.Resumed || !m.Own || !m.Backlog || m.Msg.CID != cid {
		t.Errorf("after resume: %+v then %+v, want the echo from the backlog", c, m)
	}
	time.Sleep(200 * time.Millisecond)
	if n := chattest.Count(ra.Texts(nil), "did it arrive?"); n != 1 {
		t.Errorf("alice saw her message %d times", n)
	}
	if n := chattest.Count(rb.Texts(nil), "did it arrive?"); n != 1 {
		t.Errorf("bob saw alice's message %d times", n)
	}
	if st := srv.Stats(); st.LastID != 1 {
		t.Errorf("server broadcast %d messages, want 1", st.LastID)
	}
	if p := alice.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v", p)
	}
}

// The server vanishes without a FIN (the host's laptop went to sleep):
// the client's pings go unanswered and it notices within PongTimeout.
func TestRichDeadServerNoticed(t *testing.T) {
	_, px := relayed(t, server.Config{})
	cfg := fastConfig(t, px.Addr(), "alice")
	// Seven pings go in each PongTimeout, so that a busy machine that
	// holds up a pong or two does not drop a healthy connection.
	cfg.PingInterval = 200 * time.Millisecond
	cfg.PongTimeout = 1500 * time.Millisecond
	alice, ra := joined(t, cfg)

	// A live server answers pings: the connection outlives PongTimeout
	// several times over, although the server itself pings only every 10s.
	time.Sleep(3 * cfg.PongTimeout)
	for _, ev := range ra.Events() {
		if d, ok := ev.(client.Disconnected); ok {
			t.Fatalf("a healthy connection dropped: %v", d.Err)
		}
	}

	px.Silence(true)
	start := time.Now()
	d := chattest.Next[client.Disconnected](t, ra, nil)
	took := time.Since(start)
	if !errors.Is(d.Err, client.ErrConnLost) {
		t.Errorf("Disconnected = %+v, want ErrConnLost", d)
	}
	// The margin is for a busy machine; without the deadline the drop
	// never comes (Next fails after 10s).
	if took > cfg.PongTimeout+2*time.Second {
		t.Errorf("a dead server was noticed after %s, PongTimeout is %s", took, cfg.PongTimeout)
	}
	t.Logf("dead server noticed after %s: %v", took.Round(time.Millisecond), d.Err)
	px.Silence(false)
	c := chattest.Next(t, ra, func(c client.Connected) bool { return true })
	if !c.Resumed {
		t.Errorf("Connected = %+v, want a resume", c)
	}
	alice.Send("back")
	chattest.Next(t, ra, isMsg("back"))
}

// The host ends the chat: the client reports it once and does not dial
// again. Sends are refused from then on.
func TestRichByeEndedNoReconnect(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	var dials chattest.Dialer
	cfg := fastConfig(t, srv.Addr, "alice")
	cfg.NetDial = dials.Dial
	alice, ra := joined(t, cfg)

	srv.Stop(t, wire.ByeEnded)
	d := chattest.Next[client.Disconnected](t, ra, nil)
	if d.Retry != 0 || d.Bye == nil || d.Bye.Reason != wire.ByeEnded || !errors.Is(d.Err, client.ErrEnded) {
		t.Errorf("Disconnected = %+v, want bye ended and no retry", d)
	}
	time.Sleep(time.Second)
	if n := dials.N.Load(); n != 1 {
		t.Errorf("%d dials after the host ended the chat, want only the first", n)
	}
	if _, err := alice.Send("anyone?"); !errors.Is(err, client.ErrEnded) {
		t.Errorf("Send after the end: %v, want ErrEnded", err)
	}
	if evs := ra.Events(); len(evs) != 2 {
		t.Errorf("events after the end: %s", ra.Dump())
	}
}

// The server goes away for good: the client retries with a growing,
// bounded backoff, never spinning.
func TestRichReconnectBackoff(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	var dials chattest.Dialer
	cfg := fastConfig(t, srv.Addr, "alice")
	cfg.NetDial = dials.Dial
	cfg.MinBackoff = 50 * time.Millisecond
	cfg.MaxBackoff = 400 * time.Millisecond
	_, ra := joined(t, cfg)

	srv.Stop(t, wire.ByeShutdown)
	chattest.Next[client.Disconnected](t, ra, nil)
	start := dials.N.Load()
	time.Sleep(2 * time.Second)
	n := dials.N.Load() - start
	// Waits are at least 50ms and, after three doublings, average 225ms:
	// about a dozen attempts in two seconds, and never more than 40.
	if n < 3 || n > 40 {
		t.Errorf("%d reconnect attempts in 2s with backoff 50ms..400ms", n)
	}
	var retries []time.Duration
	for _, ev := range ra.Events() {
		if d, ok := ev.(client.Disconnected); ok {
			retries = append(retries, d.Retry)
			if !errors.Is(d.Err, client.ErrRefused) && !errors.Is(d.Err, client.ErrServerGone) {
				t.Errorf("Disconnected.Err = %v", d.Err)
			}
			if d.Retry < cfg.MinBackoff || d.Retry > cfg.MaxBackoff {
				t.Errorf("Retry %s outside %s..%s", d.Retry, cfg.MinBackoff, cfg.MaxBackoff)
			}
		}
	}
	t.Logf("%d attempts in 2s; waits %v", n, retries)
}

// The same session connects from elsewhere: the old connection is told it
// was replaced and does not fight back.
func TestRichReplaced(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	var dials chattest.Dialer
	cfg := fastConfig(t, srv.Addr, "alice")
	cfg.NetDial = dials.Dial
	_, ra := chattest.Dial(t, cfg)
	c := chattest.Next[client.Connected](t, ra, nil)

	other := rawPeer(t, "ws://"+srv.Addr+"/", wire.Subprotocol)
	hello, _ := wire.Encode(wire.Hello{V: wire.Version, Nick: "alice", Session: c.Welcome.Session})
	other.WriteMessage(websocket.TextMessage, hello)
	d := chattest.Next[client.Disconnected](t, ra, nil)
	if d.Retry != 0 || !errors.Is(d.Err, client.ErrReplaced) {
		t.Errorf("Disconnected = %+v, want ErrReplaced without retry", d)
	}
	time.Sleep(500 * time.Millisecond)
	if n := dials.N.Load(); n != 1 {
		t.Errorf("%d dials, want 1", n)
	}
}

// More messages at once than the server's burst: the client paces them
// under the server's rate, so none is refused and all arrive in order.
func TestRichPacing(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{Rate: 40, Burst: 5})
	alice, ra := joined(t, fastConfig(t, srv.Addr, "alice"))
	var want []string
	for i := range 30 {
		s := fmt.Sprintf("line %02d", i)
		if _, err := alice.Send(s); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	chattest.WaitFor(t, "30 echoes", 10*time.Second, func() bool { return len(ra.Texts(nil)) >= 30 })
	if got := ra.Texts(func(m client.Message) bool { return m.Own }); !slices.Equal(got, want) {
		t.Errorf("echoes %q", got)
	}
	if st := srv.Stats(); st.RateLimited != 0 {
		t.Errorf("the server refused %d messages as too fast", st.RateLimited)
	}
	for _, ev := range ra.Events() {
		if f, ok := ev.(client.Failed); ok {
			t.Errorf("Failed: %+v", f)
		}
	}
}

// The outbox is bounded while the server is away.
func TestOutboxFull(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	cfg := fastConfig(t, srv.Addr, "alice")
	cfg.OutboxLimit = 3
	alice, ra := joined(t, cfg)
	srv.Stop(t, wire.ByeShutdown)
	chattest.Next[client.Disconnected](t, ra, nil)
	for i := range 3 {
		if _, err := alice.Send(fmt.Sprint("queued ", i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if _, err := alice.Send("one too many"); !errors.Is(err, client.ErrOutboxFull) {
		t.Errorf("fourth Send: %v, want ErrOutboxFull", err)
	}
	p := alice.Pending()
	if len(p) != 3 || p[0].Text != "queued 0" || p[2].Text != "queued 2" || p[0].Sent {
		t.Errorf("Pending = %+v", p)
	}
	if err := alice.SetNick("alicia"); !errors.Is(err, client.ErrNotConnected) {
		t.Errorf("SetNick while away: %v, want ErrNotConnected", err)
	}
	if err := alice.SetStatus(wire.Away); err != nil {
		t.Errorf("SetStatus while away: %v", err)
	}
}

// Close ends everything: the server sees a normal close, the Events
// channel closes, no goroutine stays, and later calls say ErrClosed.
func TestClose(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	bob, rb := chattest.Dial(t, fastConfig(t, srv.Addr, "bob"))
	c, err := client.Dial(context.Background(), fastConfig(t, srv.Addr, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	chattest.Next[client.Joined](t, rb, nil)
	start := time.Now()
	c.Close()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s", took)
	}
	for range c.Events() {
		// Connected is still buffered; then the channel must be closed.
	}
	c.Close() // idempotent
	if _, err := c.Send("x"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if err := c.SetStatus(wire.Away); !errors.Is(err, client.ErrClosed) {
		t.Errorf("SetStatus after Close: %v", err)
	}
	// A close frame, not a dropped connection: the server says "quit".
	if l := chattest.Next[client.Left](t, rb, nil); l.Nick != "alice" || l.Reason != "quit" {
		t.Errorf("bob saw %+v, want alice to quit", l)
	}
	chattest.WaitFor(t, "the server to see alice go", 5*time.Second, func() bool { return srv.Stats().Conns == 1 })
	bob.Close()
	chattest.WaitFor(t, "the server to see bob go", 5*time.Second, func() bool { return srv.Stats().Conns == 0 })
	if g := waitNoClientGoroutines(2 * time.Second); g != "" {
		t.Errorf("goroutines left after Close:\n%s", g)
	}
}

// Close while a reconnect attempt hangs in its handshake, and while the
// client waits out its backoff: both return at once.
func TestCloseWhileReconnecting(t *testing.T) {
	_, px := relayed(t, server.Config{})
	cfg := fastConfig(t, px.Addr(), "alice")
	cfg.DialTimeout = 30 * time.Second
	c, ra := joined(t, cfg)

	px.Hold.Store(true)
	px.Cut()
	chattest.Next[client.Disconnected](t, ra, nil)
	chattest.WaitFor(t, "a reconnect attempt", 5*time.Second, func() bool { return px.Accepted.Load() >= 2 })
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	c.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close during a hanging handshake took %s", took)
	}

	cfg = fastConfig(t, px.Addr(), "bob")
	cfg.MinBackoff, cfg.MaxBackoff = time.Minute, time.Minute
	px.Hold.Store(false)
	c, rb := joined(t, cfg)
	px.Cut()
	chattest.Next[client.Disconnected](t, rb, nil)
	start = time.Now()
	c.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close during backoff took %s", took)
	}
}

// The server broadcast a message and crashed before its sender got the
// echo. The sender sends it again to the restarted server, which cannot
// know it: the others must not see it twice.
func TestRichResendAfterRestartNotDuplicated(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	addr := srv.Addr
	px := chattest.NewRelay(t, addr)
	alice, ra := joined(t, fastConfig(t, px.Addr(), "alice"))
	_, rb := joined(t, fastConfig(t, addr, "bob"))

	px.MuteDown.Store(true)
	cid, _ := alice.Send("last words")
	chattest.Next(t, rb, isMsg("last words"))
	srv.Stop(t, wire.ByeShutdown)
	chattest.Next[client.Disconnected](t, ra, nil)
	chattest.Next[client.Disconnected](t, rb, nil)
	px.MuteDown.Store(false)

	srv2 := startServer(t, addr, server.Config{})
	m := chattest.Next(t, ra, isMsg("last words"))
	if !m.Own || m.Msg.CID != cid {
		t.Errorf("alice's echo from the new server = %+v", m)
	}
	chattest.Next(t, rb, func(c client.Connected) bool { return c.Reset })
	alice.Send("and more")
	chattest.Next(t, rb, isMsg("and more"))
	if n := chattest.Count(rb.Texts(nil), "last words"); n != 1 {
		t.Errorf("bob saw the re-sent message %d times", n)
	}
	if st := srv2.Stats(); st.LastID != 2 {
		t.Errorf("the new server broadcast %d messages, want 2 (the re-send and one more)", st.LastID)
	}
}

// Messages the server refuses as too fast (here because status changes
// used up the server's bucket, which the client's pacing does not count)
// stay pending and go again when the server says: none is lost, none is
// doubled.
func TestRichRateLimitedRetried(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{Rate: 10, Burst: 3})
	alice, ra := joined(t, fastConfig(t, srv.Addr, "alice"))
	for i := range 4 {
		alice.SetStatus([]wire.Presence{wire.Away, wire.Active}[i%2])
	}
	var want []string
	for i := range 5 {
		s := fmt.Sprintf("msg %d", i)
		alice.Send(s)
		want = append(want, s)
	}
	chattest.WaitFor(t, "5 echoes", 10*time.Second, func() bool {
		return len(ra.Texts(func(m client.Message) bool { return m.Own })) >= 5
	})
	time.Sleep(200 * time.Millisecond)
	got := ra.Texts(func(m client.Message) bool { return m.Own })
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("echoes %q, want each of %q once", got, want)
	}
	if st := srv.Stats(); st.RateLimited == 0 {
		t.Error("the server refused nothing: the test did not test retries")
	} else {
		t.Logf("server refused %d frames as too fast", st.RateLimited)
	}
	for _, ev := range ra.Events() {
		if f, ok := ev.(client.Failed); ok && f.CID != "" {
			t.Errorf("a message failed: %+v", f)
		}
	}
	if p := alice.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v", p)
	}
}

// While the client was away someone else took its nickname (the server
// had noticed the drop and freed it): the client comes back under a
// variant, says so, and still resumes its session.
func TestRichNickTakenOnReconnect(t *testing.T) {
	srv, px := relayed(t, server.Config{})
	alice, ra := joined(t, fastConfig(t, px.Addr(), "alice"))
	_, rb := joined(t, fastConfig(t, srv.Addr, "bob"))

	px.Reject.Store(true)
	px.Cut()
	chattest.Next[client.Disconnected](t, ra, nil)
	if l := chattest.Next[client.Left](t, rb, nil); l.Nick != "alice" {
		t.Fatalf("bob saw %+v", l)
	}
	impostor := rawPeer(t, "ws://"+srv.Addr+"/", wire.Subprotocol)
	hello, _ := wire.Encode(wire.Hello{V: wire.Version, Nick: "alice"})
	impostor.WriteMessage(websocket.TextMessage, hello)
	chattest.Next(t, rb, func(j client.Joined) bool { return j.Nick == "alice" })
	px.Reject.Store(false)

	c := chattest.Next(t, ra, func(c client.Connected) bool { return true })
	if !c.Renamed || c.Welcome.Nick != "alice_" || !c.Resumed {
		t.Errorf("Connected = %+v, want a resume as alice_ with Renamed", c)
	}
	if alice.Nick() != "alice_" {
		t.Errorf("Nick() = %q", alice.Nick())
	}
	cid, _ := alice.Send("it's me")
	if m := chattest.Next(t, ra, isMsg("it's me")); !m.Own || m.Msg.CID != cid || m.Msg.From != "alice_" {
		t.Errorf("echo %+v", m)
	}
}

// Close on a link that went silent (no FIN, nothing answers) still
// returns promptly: the goodbye is bounded.
func TestCloseOnDeadLink(t *testing.T) {
	_, px := relayed(t, server.Config{})
	c, _ := joined(t, fastConfig(t, px.Addr(), "alice"))
	px.Silence(true)
	start := time.Now()
	c.Close()
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("Close on a dead link took %s", took)
	} else {
		t.Logf("Close on a dead link took %s", took.Round(time.Millisecond))
	}
}

// The server is killed, not shut down: the connections just break, no
// goodbye. A new server instance comes up; everything typed meanwhile is
// delivered exactly once.
func TestRichServerKilled(t *testing.T) {
	srv, px := relayed(t, server.Config{})
	alice, ra := joined(t, fastConfig(t, px.Addr(), "alice"))
	bob, rb := joined(t, fastConfig(t, px.Addr(), "bob"))
	bob.Send("before")
	chattest.Next(t, ra, isMsg("before"))

	px.Reject.Store(true)
	px.Cut()
	for _, r := range []*chattest.Recorder{ra, rb} {
		if d := chattest.Next[client.Disconnected](t, r, nil); !errors.Is(d.Err, client.ErrConnLost) || d.Bye != nil {
			t.Errorf("Disconnected = %+v, want a lost connection without goodbye", d)
		}
	}
	srv.Stop(t, wire.ByeShutdown) // nobody hears it: the "process" is gone
	alice.Send("alice typed this while the server was down")
	bob.Send("bob typed this while the server was down")
	alice.Send("and this")

	srv2 := startServer(t, "127.0.0.1:0", server.Config{})
	px.SetTarget(srv2.Addr)
	px.Reject.Store(false)
	want := []string{"alice typed this while the server was down", "bob typed this while the server was down", "and this"}
	for name, r := range map[string]*chattest.Recorder{"alice": ra, "bob": rb} {
		if c := chattest.Next(t, r, func(c client.Connected) bool { return true }); !c.Reset {
			t.Errorf("%s: Connected = %+v, want Reset", name, c)
		}
		chattest.WaitFor(t, name+" to see the outage messages", 10*time.Second, func() bool {
			texts := r.Texts(nil)
			return chattest.Count(texts, want[0]) > 0 && chattest.Count(texts, want[1]) > 0 && chattest.Count(texts, want[2]) > 0
		})
		if got := chattest.Filter(r.Texts(nil), "a"); !slices.Equal(got, []string{want[0], want[2]}) {
			t.Errorf("%s saw alice's messages as %q: out of order", name, got)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for name, r := range map[string]*chattest.Recorder{"alice": ra, "bob": rb} {
		for _, s := range append(want, "before") {
			if n := chattest.Count(r.Texts(nil), s); n != 1 {
				t.Errorf("%s saw %q %d times", name, s, n)
			}
		}
	}
	if st := srv2.Stats(); st.LastID != 3 {
		t.Errorf("the new server broadcast %d messages, want 3", st.LastID)
	}
}

// A full backlog (500 messages of 700 bytes, within the server's 512 KiB
// cap on history) arrives in one welcome frame far larger than any chat
// message; the client takes it whole.
func TestRichLargeBacklog(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{Rate: -1})
	bob, rb := joined(t, fastConfig(t, srv.Addr, "bob"))
	pad := strings.Repeat("x", 696)
	for i := range 500 {
		if _, err := bob.Send(fmt.Sprintf("%03d %s", i, pad)); err != nil {
			t.Fatal(err)
		}
	}
	chattest.WaitFor(t, "500 echoes", 20*time.Second, func() bool { return len(rb.Texts(nil)) == 500 })

	_, rc := chattest.Dial(t, fastConfig(t, srv.Addr, "carol"))
	c := chattest.Next[client.Connected](t, rc, nil)
	if c.Backlog != 500 {
		t.Fatalf("backlog of %d messages, want 500", c.Backlog)
	}
	for i := range 500 {
		m := chattest.Next[client.Message](t, rc, nil)
		if !m.Backlog || !strings.HasPrefix(m.Msg.Text, fmt.Sprintf("%03d ", i)) {
			t.Fatalf("backlog message %d = %.10q (backlog %v)", i, m.Msg.Text, m.Backlog)
		}
	}
}

// Reconnect cuts a long backoff short once the server is back: a person
// who restarted the host need not wait out the timer.
func TestRichReconnectNow(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{})
	addr := srv.Addr
	cfg := fastConfig(t, addr, "alice")
	cfg.MinBackoff, cfg.MaxBackoff = time.Minute, time.Minute
	c, r := joined(t, cfg)

	srv.Stop(t, wire.ByeShutdown)
	d := chattest.Next[client.Disconnected](t, r, nil)
	if d.Retry < time.Minute {
		t.Fatalf("Retry = %s, want the configured minute", d.Retry)
	}
	startServer(t, addr, server.Config{})
	start := time.Now()
	c.Reconnect()
	chattest.Next(t, r, func(c client.Connected) bool { return c.Reset })
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("reconnecting after Reconnect took %s", took)
	}
	if _, err := c.Send("back"); err != nil {
		t.Fatal(err)
	}
	chattest.Next(t, r, isMsg("back"))
}
