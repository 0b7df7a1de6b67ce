package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// hubServer is a minimal broadcast chat server for testing the run
// engine: every text message goes to every client. With merge set, a
// client's writer joins the messages it finds queued into one frame with
// "\n", as gorilla's chat example does; with prefix set, it sends
// "nick: text" lines as Parley's plain mode does. dropEvery > 0 drops every
// n-th delivery to the last client, to check that loss is seen.
type hubServer struct {
	merge, prefix bool
	dropEvery     int

	mu      sync.Mutex
	clients []chan []byte
	n       int
}

func (h *hubServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	send := make(chan []byte, 4096)
	h.mu.Lock()
	idx := len(h.clients)
	h.clients = append(h.clients, send)
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range send {
			if h.merge {
				for n := len(send); n > 0; n-- {
					m = append(append(m, '\n'), <-send...)
				}
			}
			if c.WriteMessage(websocket.TextMessage, m) != nil {
				return
			}
		}
	}()
	defer func() {
		h.mu.Lock()
		h.clients[idx] = nil
		h.mu.Unlock()
		close(send)
		<-done
		c.Close()
	}()
	for {
		_, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if h.prefix {
			p = append([]byte("u"+string(rune('a'+idx%26))+": "), p...)
		}
		h.mu.Lock()
		h.n++
		for i, s := range h.clients {
			if s == nil || (h.dropEvery > 0 && i == len(h.clients)-1 && h.n%h.dropEvery == 0) {
				continue
			}
			s <- bytes.Clone(p)
		}
		h.mu.Unlock()
	}
}

func testConfig(t *testing.T, h http.Handler) config {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return config{
		Addr: strings.TrimPrefix(srv.URL, "http://"), Path: "/ws", Proto: "plain",
		PID: os.Getpid(), RampTimeout: 10 * time.Second, DialConc: 10, Drain: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestRunScenario(t *testing.T) {
	tests := []struct {
		name  string
		hub   *hubServer
		sc    scenario
		multi bool // frames with several messages expected
		lossy bool
	}{
		{"paced, one per frame, prefixed", &hubServer{prefix: true},
			scenario{Name: "t", Clients: 8, Senders: 3, Rate: 100, Size: 64, Duration: 300 * time.Millisecond}, false, false},
		{"windowed, merged frames", &hubServer{merge: true},
			scenario{Name: "t", Clients: 8, Senders: 2, Window: 8, Size: 64, Duration: 300 * time.Millisecond}, true, false},
		{"windowed, pipelined writes", &hubServer{prefix: true},
			scenario{Name: "t", Clients: 6, Senders: 2, Window: 8, Pipeline: 4, Size: 64, Duration: 300 * time.Millisecond}, false, false},
		{"lossy", &hubServer{dropEvery: 5},
			scenario{Name: "t", Clients: 4, Senders: 2, Rate: 100, Size: 64, Duration: 300 * time.Millisecond}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, tt.hub)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := runScenario(ctx, tt.sc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Clients != tt.sc.Clients || res.Held != tt.sc.Clients {
				t.Errorf("clients %d, held %d, want %d", res.Clients, res.Held, tt.sc.Clients)
			}
			if res.Sent == 0 || res.Expected != res.Sent*uint64(tt.sc.Clients) {
				t.Errorf("sent %d, expected %d deliveries", res.Sent, res.Expected)
			}
			if tt.lossy {
				if res.Lost <= 0 || res.Received+uint64(res.Lost) != res.Expected {
					t.Errorf("lossy server: lost %d, received %d of %d", res.Lost, res.Received, res.Expected)
				}
			} else if res.Lost != 0 || res.Received != res.Expected {
				t.Errorf("lost %d: received %d of %d", res.Lost, res.Received, res.Expected)
			}
			if res.Reordered != 0 {
				t.Errorf("reordered %d, want 0", res.Reordered)
			}
			if res.Rate <= 0 || res.Latency != res.Received || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
				t.Errorf("rate %.0f, %d latency samples, p50 %v p99 %v max %v", res.Rate, res.Latency, res.P50, res.P99, res.Max)
			}
			if (res.MultiFrames > 0) != tt.multi || (res.MaxPerFrame > 1) != tt.multi {
				t.Errorf("%d multi-message frames, at most %d per frame; want multi=%v", res.MultiFrames, res.MaxPerFrame, tt.multi)
			}
			if res.RSSAfterKB <= 0 {
				t.Errorf("RSS not read: %d KB", res.RSSAfterKB)
			}
			if len(res.Closed) != 0 {
				t.Errorf("closed by server: %v", res.Closed)
			}
		})
	}
}

// TestRunScenarioEvictions: a server that closes every client during the
// load is seen as evicting them, and the run still ends by itself.
func TestRunScenarioEvictions(t *testing.T) {
	var mu sync.Mutex
	var conns []*websocket.Conn
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		for {
			_, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			mu.Lock()
			for _, o := range conns {
				o.WriteMessage(websocket.TextMessage, p)
			}
			if !bytes.HasPrefix(p, []byte("#0.0.")) { // a load message, not a probe: evict everyone
				for _, o := range conns {
					o.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "slow"))
				}
				conns = nil
			}
			mu.Unlock()
		}
	})
	cfg := testConfig(t, h)
	sc := scenario{Name: "t", Clients: 3, Senders: 1, Window: 4, Size: 64, Duration: 500 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := runScenario(ctx, sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed["close 1008 slow"] != 3 || res.Held != 0 {
		t.Errorf("closed %v, held %d; want 3 × close 1008 slow, none held", res.Closed, res.Held)
	}
}
