package server_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

// idleFor is longer than a reader waits before it parks its peer.
const idleFor = 150 * time.Millisecond

// waitParked waits until no reader goroutine runs, where idle peers park.
func waitParked(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		time.Sleep(idleFor)
		return
	}
	waitFor(t, "every peer to park", func() bool {
		readers, _ := serverGoroutines()
		return readers == 0
	})
}

// Parked peers wake for what they send: messages, a rename, pongs and
// their close frame.
func TestParkedPeersWake(t *testing.T) {
	// The clients answer pings only while they read, and they do not
	// read while waitParked inspects every goroutine's stack, which takes
	// a while on a busy machine: the pong timeout leaves room for that.
	const ping, pong = 50 * time.Millisecond, time.Second
	srv, url := start(t, server.Config{PingInterval: ping, PongTimeout: pong})
	a := plain(t, url)
	b, _ := rich(t, url, "bob")
	waitParked(t)
	for round := range 3 {
		a.say(fmt.Sprint("after a pause ", round))
		if got := a.text(); got != fmt.Sprintf("guest-1: after a pause %d", round) {
			t.Fatalf("plain echo %q", got)
		}
		if m := next[wire.Msg](b); m.Text != fmt.Sprint("after a pause ", round) {
			t.Fatalf("rich got %+v", m)
		}
		waitParked(t)
	}

	// Over several pong timeouts the clients only answer pings (gorilla's
	// client does so while it reads): they stay.
	done := time.Now().Add(5 * pong / 2)
	errs := make(chan error, 2)
	for _, c := range []*client{a, b} {
		go func() {
			c.ws.SetReadDeadline(done)
			_, _, err := c.ws.ReadMessage()
			errs <- err
		}()
	}
	for range 2 {
		// A read that timed out leaves gorilla's connection unusable:
		// both are closed below.
		if err := <-errs; err == nil {
			t.Fatal("a frame came while the room was quiet")
		} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("while answering pings: %v", err)
		}
	}
	if st := srv.Stats(); st.Conns != 2 || st.Plain != 1 || st.Rich != 1 {
		t.Fatalf("clients that answered every ping were dropped: %+v", st)
	}
	a.ws.Close()
	b.ws.Close()
	waitFor(t, "the clients to go", func() bool { return srv.Stats().Conns == 0 })

	// A parked peer's close frame gets the close handshake.
	c := plain(t, url)
	waitParked(t)
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(wait))
	if code, _ := c.closed(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d", code)
	}
	waitFor(t, "the closed client to go", func() bool { return srv.Stats().Conns == 0 })
}

// A parked peer that stops answering pings is dropped after the pong
// timeout, not before, and a parked peer whose socket breaks leaves at
// once.
func TestParkedPeerTimeouts(t *testing.T) {
	// The bounds leave a busy machine a margin and stay under next's
	// wait, so that a mute client kept past its timeout fails here.
	const ping, pong = 100 * time.Millisecond, time.Second
	srv, url := start(t, server.Config{PingInterval: ping, PongTimeout: pong})
	watcher, _ := rich(t, url, "watcher")
	addr := strings.TrimPrefix(url, "ws://")
	mute, err := rawHandshake(addr) // never reads, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	joined := time.Now()
	broken, err := rawHandshake(addr)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three connections", func() bool { return srv.Stats().Conns == 3 })
	waitParked(t)
	broken.(*net.TCPConn).SetLinger(0)
	broken.Close() // a reset
	if l := next[wire.Leave](watcher); l.Reason != "lost" {
		t.Fatalf("the reset client left for %q", l.Reason)
	}
	l := next[wire.Leave](watcher)
	took := time.Since(joined)
	if l.Reason != "timeout" || took < pong-ping || took > pong+1500*time.Millisecond {
		t.Fatalf("the mute client left for %q after %v; pong timeout %v", l.Reason, took, pong)
	}
}

// Shutdown ends parked peers like any other.
func TestShutdownParked(t *testing.T) {
	srv := server.New(server.Config{Logger: testLogger(t)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	url := "ws://" + ln.Addr().String() + "/"
	p := plain(t, url)
	r, _ := rich(t, url, "r")
	waitParked(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx, wire.ByeShutdown, "") }()
	p.expectClose(websocket.CloseGoingAway)
	r.expectClose(websocket.CloseGoingAway)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := srv.Stats(); st.Conns != 0 {
		t.Fatalf("after Shutdown: %+v", st)
	}
}
