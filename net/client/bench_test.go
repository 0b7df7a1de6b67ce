package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/server"
)

// benchClient joins a fresh loopback server without a rate limit.
func benchClient(b *testing.B, nick string) (*client.Client, func()) {
	b.Helper()
	srv := server.New(server.Config{Rate: -1, Logger: slog.New(slog.DiscardHandler)})
	l := chattest.Serve(b, srv, chattest.Options{})
	c, err := client.Dial(context.Background(), client.Config{Addr: l.Addr, Nick: nick})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := (<-c.Events()).(client.Connected); !ok {
		b.Fatal("first event is not Connected")
	}
	return c, func() { c.Close() } // the server stops when the benchmark ends
}

// BenchmarkRoundTrip measures one message's trip from Send to its echo's
// event: the latency a user feels on loopback.
func BenchmarkRoundTrip(b *testing.B) {
	c, done := benchClient(b, "alice")
	defer done()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Send("ping"); err != nil {
			b.Fatal(err)
		}
		if _, ok := (<-c.Events()).(client.Message); !ok {
			b.Fatal("not a message")
		}
	}
}

// BenchmarkPipelined measures throughput: b.N messages queued at once,
// then all their echoes received.
func BenchmarkPipelined(b *testing.B) {
	c, done := benchClient(b, "alice")
	defer done()
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for got := 0; got < b.N; {
		for sent < b.N && sent-got < 500 {
			if _, err := c.Send(fmt.Sprint("message ", sent)); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		if _, ok := (<-c.Events()).(client.Message); ok {
			got++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
