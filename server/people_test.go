package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"parley/server"
)

// TestPeopleCounts: People follows rich and plain clients in and out of
// the room (an announcement's people count reads it).
func TestPeopleCounts(t *testing.T) {
	srv, url := start(t, server.Config{})
	if n := srv.People(); n != 0 {
		t.Fatalf("People() = %d in an empty room", n)
	}
	a, _ := rich(t, url, "alice")
	p := plain(t, url)
	waitFor(t, "two people", func() bool { return srv.People() == 2 })
	a.ws.Close()
	waitFor(t, "one person after alice left", func() bool { return srv.People() == 1 })
	p.ws.Close()
	waitFor(t, "nobody", func() bool { return srv.People() == 0 })
	if srv.Room() != server.DefaultRoom {
		t.Fatalf("Room() = %q", srv.Room())
	}
}

// TestOnListenHook: Run calls OnListen with its address once it listens,
// and the stop function it returned when it stops, before the clients are
// told (an announcement's goodbye goes first).
func TestOnListenHook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan net.Addr, 1)
	stopped := make(chan int, 1) // the people in the room at stop
	errc := make(chan error, 1)
	go func() {
		errc <- server.Run(ctx, server.Config{Addr: "127.0.0.1:0", Logger: testLogger(t),
			OnListen: func(s *server.Server, addr net.Addr) func() {
				got <- addr
				return func() { stopped <- s.People() }
			}})
	}()
	var addr net.Addr
	select {
	case addr = <-got:
	case err := <-errc:
		t.Fatalf("Run ended: %v", err)
	case <-time.After(wait):
		t.Fatal("OnListen was not called")
	}
	plain(t, "ws://"+addr.String()+"/") // greeted: in the room
	cancel()
	select {
	case n := <-stopped:
		if n != 1 {
			t.Fatalf("%d people in the room when the stop function ran, want 1: it must run before the clients are told", n)
		}
	case <-time.After(wait):
		t.Fatal("the function OnListen returned was not called")
	}
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
