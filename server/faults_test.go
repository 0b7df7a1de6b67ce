package server_test

// Faults, with Parley's own client (net/client) against the real server:
// the server killed and restarted mid-chat, the host ending the chat, a
// client vanishing. net/client's own tests cover the client's side of
// these alone (TestRichServerKilled through a proxy, TestRichServerRestart,
// TestRichByeEndedNoReconnect, TestRichDeadServerNoticed); these add the
// server's side: a real kill of every connection, plain clients, and what
// the others in the room see.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	netclient "parley/net/client"
	"parley/net/wire"
	"parley/server"
)

// clientConfig is a net/client configuration with short timeouts.
func clientConfig(t testing.TB, addr, nick string) netclient.Config {
	cfg := chattest.ClientConfig(t, addr, nick)
	cfg.Logger = quietLogger(t)
	cfg.PingInterval, cfg.PongTimeout = 500*time.Millisecond, 1500*time.Millisecond
	return cfg
}

// serveKillable runs a new server on addr until the test ends or Kill.
func serveKillable(t testing.TB, addr string, cfg server.Config) (*server.Server, *chattest.Loopback) {
	t.Helper()
	srv := server.New(cfg)
	return srv, chattest.Serve(t, srv, chattest.Options{Addr: addr})
}

// The server is killed mid-chat (no close frames: the listener closes and
// every connection is reset) while two users keep typing, and a new server
// comes up on the same address. Just before the kill alice's link loses
// what the server sends, so a few of her messages reach the old server
// and bob but not her: she sends them again to the new server. Both
// clients reconnect by themselves; every message typed, before, during
// and after the outage, reaches both of them exactly once and in order,
// and nothing stays pending.
func TestFaultServerKilled(t *testing.T) {
	cfg := secConfig(t)
	srv1, k1 := serveKillable(t, "127.0.0.1:0", cfg)
	addr := k1.Addr
	rl := chattest.NewRelay(t, addr)
	alice, ra := chattest.Dial(t, clientConfig(t, rl.Addr(), "alice"))
	bob, rb := chattest.Dial(t, clientConfig(t, addr, "bob"))

	const n = 40
	var typed sync.WaitGroup
	var sent [2]atomic.Int64
	// Bob waits while alice's link is deaf: what she missed then would be
	// gone with the old server, which keeps no history across a restart.
	var bobTurn sync.Mutex
	typist := func(i int, c *netclient.Client, name string) {
		defer typed.Done()
		for j := range n {
			if i == 1 {
				bobTurn.Lock()
			}
			_, err := c.Send(fmt.Sprintf("%s %02d", name, j))
			if i == 1 {
				bobTurn.Unlock()
			}
			if err != nil {
				t.Errorf("%s: Send %d: %v", name, j, err)
				return
			}
			sent[i].Add(1)
			time.Sleep(15 * time.Millisecond)
		}
	}
	typed.Add(2)
	go typist(0, alice, "alice")
	go typist(1, bob, "bob")

	waitFor(t, "some messages before the kill", func() bool { return srv1.Stats().LastID >= 10 })
	bobTurn.Lock()
	waitFor(t, "bob's messages so far to reach alice", func() bool {
		return len(chattest.Filter(ra.Texts(nil), "bob ")) >= len(chattest.Filter(rb.Texts(nil), "bob ")) &&
			len(bob.Pending()) == 0
	})
	rl.MuteDown.Store(true)
	echoless := func() int {
		n := 0
		for _, s := range chattest.Filter(rb.Texts(nil), "alice ") {
			if chattest.Count(ra.Texts(nil), s) == 0 {
				n++
			}
		}
		return n
	}
	waitFor(t, "alice's messages that only bob saw", func() bool { return echoless() >= 3 })
	k1.Kill()
	rl.MuteDown.Store(false)
	bobTurn.Unlock()
	killedAt := sent[0].Load()
	time.Sleep(300 * time.Millisecond) // the outage; they keep typing
	duringOutage := sent[0].Load() - killedAt
	srv2, _ := serveKillable(t, addr, cfg)
	typed.Wait()

	var want []string
	for j := range n {
		want = append(want, fmt.Sprintf("alice %02d", j), fmt.Sprintf("bob %02d", j))
	}
	for name, r := range map[string]*chattest.Recorder{"alice": ra, "bob": rb} {
		deadline := time.Now().Add(4 * wait)
		for len(r.Texts(nil)) < len(want) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // room for a duplicate to show
		got := r.Texts(nil)
		for _, s := range want {
			if c := chattest.Count(got, s); c != 1 {
				t.Errorf("%s saw %q %d times", name, s, c)
			}
		}
		for _, who := range []string{"alice ", "bob "} {
			if seq := chattest.Filter(got, who); !slices.IsSorted(seq) {
				t.Errorf("%s saw %s's messages out of order: %q", name, who, seq)
			}
		}
		d, ok := chattest.Find(r, 0, func(d netclient.Disconnected) bool { return true })
		if !ok || !errors.Is(d.Err, netclient.ErrConnLost) || d.Bye != nil || d.Retry <= 0 {
			t.Errorf("%s: Disconnected = %+v, want a lost connection, no goodbye, a retry", name, d)
		}
		if c, ok := chattest.Find(r, 0, func(c netclient.Connected) bool { return c.Reset }); !ok || c.Welcome.Epoch != srv2.Epoch() {
			t.Errorf("%s: no reconnect to the new server (%+v)", name, c)
		}
	}
	for name, c := range map[string]*netclient.Client{"alice": alice, "bob": bob} {
		if p := c.Pending(); len(p) != 0 {
			t.Errorf("%s still has %d messages pending: %+v", name, len(p), p)
		}
	}
	// The new server broadcast what the old one never did, and what it
	// did whose echo was lost; bob's client dropped the second kind.
	st1, st2 := srv1.Stats(), srv2.Stats()
	t.Logf("old server: %d messages; new server: %d; alice typed %d during the outage", st1.LastID, st2.LastID, duringOutage)
	if st1.LastID+st2.LastID < 2*n+3 {
		t.Errorf("the servers broadcast %d+%d messages; want the %d typed and at least 3 sent again", st1.LastID, st2.LastID, 2*n)
	}
	if duringOutage == 0 {
		t.Error("nothing was typed during the outage: the test did not test it")
	}
	waitFor(t, "the killed server to let go of its connections", func() bool { return srv1.Stats().Conns == 0 })
}

// The host ends the chat: rich clients are told (bye ended), report it
// once and never dial again; a plain WebSocket client gets the host's
// words and close 1001; a Parley client in plain mode, which cannot be
// told, retries with a bounded backoff instead of spinning.
func TestFaultHostEnded(t *testing.T) {
	cfg := secConfig(t)
	srv, k := serveKillable(t, "127.0.0.1:0", cfg)
	addr := k.Addr

	var dials [2]chattest.Dialer
	var recs [2]*chattest.Recorder
	var clients [2]*netclient.Client
	for i, nick := range []string{"alice", "bob"} {
		cc := clientConfig(t, addr, nick)
		cc.NetDial = dials[i].Dial
		clients[i], recs[i] = chattest.Dial(t, cc)
	}
	plainWS := dialPeer(t, nil, "ws://"+addr, "", false)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx, wire.ByeEnded, "The host ended the chat."); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	for i, r := range recs {
		d, ok := chattest.Find(r, wait, func(d netclient.Disconnected) bool { return true })
		if !ok || !errors.Is(d.Err, netclient.ErrEnded) || d.Retry != 0 || d.Bye == nil || d.Bye.Reason != wire.ByeEnded {
			t.Errorf("client %d: Disconnected = %+v, want ErrEnded, bye ended, no retry", i, d)
		}
	}
	ce := plainWS.closeError(t, wait)
	all := plainWS.in.all()
	if ce.Code != websocket.CloseGoingAway || len(all) == 0 || all[len(all)-1].raw != "* The host ended the chat." {
		t.Errorf("plain client: %q then close %d, want the host's words and 1001", all, ce.Code)
	}

	// A plain-mode Parley client cannot tell an end from a restart.
	var plainDials chattest.Dialer
	plainSrv := newPlainEcho(t)
	pc := clientConfig(t, plainSrv.addr(), "carol")
	pc.NetDial = plainDials.Dial
	pc.MinBackoff, pc.MaxBackoff = 50*time.Millisecond, 400*time.Millisecond
	_, rp := chattest.Dial(t, pc)
	plainSrv.close()

	time.Sleep(1500 * time.Millisecond)
	for i := range dials {
		if n := dials[i].N.Load(); n != 1 {
			t.Errorf("client %d dialed %d times; after the end it must not dial again", i, n)
		}
		if _, err := clients[i].Send("anyone?"); !errors.Is(err, netclient.ErrEnded) {
			t.Errorf("client %d: Send after the end: %v, want ErrEnded", i, err)
		}
	}
	// Backoff 50ms doubling to 400ms, with jitter: about 5 attempts in
	// 1.5s, never dozens.
	if n := plainDials.N.Load() - 1; n < 2 || n > 15 {
		t.Errorf("the plain-mode client redialed %d times in 1.5s (backoff 50..400ms)", n)
	}
	if _, ok := chattest.Find(rp, 0, func(d netclient.Disconnected) bool { return d.Retry > 0 }); !ok {
		t.Error("the plain-mode client reported no retry")
	}
}

// plainEcho is the original teaching server in miniature: no
// subprotocol, a greeting, every text frame echoed. Killing it ends its
// clients without a word, as the teaching server's exit would.
type plainEcho struct {
	k  *chattest.Killable
	hs *http.Server
}

func newPlainEcho(t testing.TB) *plainEcho {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &plainEcho{k: chattest.NewKillable(ln)}
	up := websocket.Upgrader{}
	p.hs = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(wire.Greeting))
		for {
			typ, data, err := ws.ReadMessage()
			if err != nil || ws.WriteMessage(typ, data) != nil {
				return
			}
		}
	})}
	go p.hs.Serve(p.k)
	t.Cleanup(func() { p.k.Kill(); p.hs.Close() })
	return p
}

func (p *plainEcho) addr() string { return "ws://" + p.k.Addr().String() + "/" }
func (p *plainEcho) close()       { p.k.Kill() }

// A client vanishes: behind a link that falls silent (no FIN), the others
// see it leave within the server's pong timeout; with a reset, at once.
// Its client comes back by itself in both cases.
func TestFaultClientVanishes(t *testing.T) {
	// The timeout spans several pings, and each bound below leaves a
	// busy machine a margin, yet stays under Find's wait: without the
	// pong timeout, carol never leaves.
	const ping, pong = 200 * time.Millisecond, 1500 * time.Millisecond
	const margin = 1500 * time.Millisecond
	cfg := secConfig(t)
	cfg.PingInterval, cfg.PongTimeout = ping, pong
	srv, k := serveKillable(t, "127.0.0.1:0", cfg)
	addr := k.Addr
	_, ra := chattest.Dial(t, clientConfig(t, addr, "alice"))

	rl := chattest.NewRelay(t, addr)
	_, rc := chattest.Dial(t, clientConfig(t, rl.Addr(), "carol"))
	var dd chattest.Dialer
	dc := clientConfig(t, addr, "dave")
	dc.NetDial = dd.Dial
	_, rd := chattest.Dial(t, dc)
	for _, nick := range []string{"carol", "dave"} {
		if _, ok := chattest.Find(ra, wait, func(j netclient.Joined) bool { return j.Nick == nick }); !ok {
			t.Fatalf("alice did not see %s join", nick)
		}
	}

	rl.Silence(true)
	silentAt := time.Now()
	if l, ok := chattest.Find(ra, wait, func(l netclient.Left) bool { return l.Nick == "carol" }); !ok || l.Reason != "timeout" {
		t.Errorf("carol's leave: %+v, want reason timeout", l)
	} else if d := time.Since(silentAt); d > pong+margin {
		t.Errorf("carol left %v after her link fell silent; pong timeout %v", d, pong)
	}

	dd.Reset()
	resetAt := time.Now()
	if l, ok := chattest.Find(ra, wait, func(l netclient.Left) bool { return l.Nick == "dave" }); !ok || l.Reason != "lost" {
		t.Errorf("dave's leave: %+v, want reason lost", l)
	} else if d := time.Since(resetAt); d > margin {
		t.Errorf("dave left %v after his connection was reset", d)
	}
	// Dave's client notices and comes back; carol's too, once her link
	// works again.
	if _, ok := chattest.Find(rd, wait, func(c netclient.Connected) bool { return c.Resumed }); !ok {
		t.Error("dave did not come back")
	}
	rl.Silence(false)
	if _, ok := chattest.Find(rc, 2*wait, func(c netclient.Connected) bool { return c.Resumed }); !ok {
		t.Error("carol did not come back")
	}
	waitFor(t, "all three back", func() bool { return srv.Stats().Conns == 3 })
}
