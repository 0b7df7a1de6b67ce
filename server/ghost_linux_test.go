package server

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/wire"
)

// A connection cut just as its reader parks it (a grace period ending, a
// write failing) must still be finished: it leaves the room and gives back
// its slots. The hook closes the connection between the reader's decision
// to park and the epoll registration, the interleaving that used to leave
// a ghost: a peer in the room with no reader, no descriptor and no way out.
func TestCutWhileParkingLeavesNoGhost(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxConnsPerIP: 4, LimitLoopback: true})
	var once sync.Once
	cut := make(chan struct{})
	s.hooks = &testHooks{beforePark: func(p *peer) {
		once.Do(func() {
			p.cut()
			close(cut)
		})
	}}
	// A ghost would hold the server open: the shutdown when the test ends
	// fails then.
	l := chattest.Serve(t, s, chattest.Options{Closed: ErrClosed})

	ws, _, err := websocket.DefaultDialer.Dial(l.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != wire.Greeting {
		t.Fatalf("greeting %q, %v", data, err)
	}
	// The client stays silent, so its reader parks, and the hook cuts it.
	select {
	case <-cut:
	case <-time.After(5 * time.Second):
		t.Fatal("the reader never tried to park")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Stats()
		s.mu.Lock()
		perIP, members := len(s.perIP), len(s.plain)+len(s.rich)
		s.mu.Unlock()
		if st.Conns == 0 && perIP == 0 && members == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ghost: cut while parking, yet %d connections, %d room members and %d addresses still counted",
				st.Conns, members, perIP)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("the cut connection still delivers frames")
	}
}
