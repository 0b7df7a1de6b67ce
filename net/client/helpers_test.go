package client_test

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/server"
)

// TestMain fails the run if any client goroutine outlives the tests: every
// test closes its clients, and Close must leave nothing behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoClientGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines of net/client still running after all tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// clientGoroutines returns the stacks of goroutines running this package's
// code.
func clientGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "parley/net/client.(*Client)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

func waitNoClientGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		g := clientGoroutines()
		if g == "" || time.Now().After(deadline) {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogger writes the client's log to the test's log, at debug level.
func testLogger(t *testing.T) *slog.Logger {
	return chattest.Logger(t, slog.LevelDebug)
}

// fastConfig is a Config with short timeouts for loopback tests.
func fastConfig(t *testing.T, addr, nick string) client.Config {
	cfg := chattest.ClientConfig(t, addr, nick)
	cfg.PingInterval, cfg.PongTimeout = time.Second, 3*time.Second
	cfg.GreetingWait, cfg.PlainEchoWait = 200*time.Millisecond, 500*time.Millisecond
	return cfg
}

// relayed starts a server for cfg with a relay in front of it: the link a
// test breaks.
func relayed(t *testing.T, cfg server.Config) (*testServer, *chattest.Relay) {
	t.Helper()
	srv := startServer(t, "127.0.0.1:0", cfg)
	return srv, chattest.NewRelay(t, srv.Addr)
}

// joined dials and waits for the client's Connected event.
func joined(t *testing.T, cfg client.Config) (*client.Client, *chattest.Recorder) {
	t.Helper()
	c, r := chattest.Dial(t, cfg)
	chattest.Next[client.Connected](t, r, nil)
	return c, r
}
