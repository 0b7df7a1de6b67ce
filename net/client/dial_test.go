package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/client"
	"parley/net/wire"
)

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener accepts connections and never says a word.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// talkerListener answers every connection with line and hangs up, like a
// service that is not HTTP at all.
func talkerListener(t *testing.T, line string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, line)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func httpServer(t *testing.T, h http.HandlerFunc) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		name    string
		addr    func(t *testing.T) string
		nick    string
		want    error
		maxTime time.Duration
	}{
		{"refused", closedPort, "alice", client.ErrRefused, 2 * time.Second},
		{"web page", func(t *testing.T) string {
			return httpServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<h1>hello</h1>") })
		}, "alice", client.ErrNotChatServer, 2 * time.Second},
		{"404", func(t *testing.T) string { return httpServer(t, http.NotFound) }, "alice", client.ErrNotChatServer, 2 * time.Second},
		{"busy", func(t *testing.T) string {
			return httpServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "too many connections", http.StatusServiceUnavailable)
			})
		}, "alice", client.ErrBusy, 2 * time.Second},
		{"not http", func(t *testing.T) string { return talkerListener(t, "SSH-2.0-OpenSSH_9.2\r\n") }, "alice", client.ErrNotChatServer, 2 * time.Second},
		{"hangs up", func(t *testing.T) string { return talkerListener(t, "") }, "alice", client.ErrNotChatServer, 2 * time.Second},
		{"silent", silentListener, "alice", client.ErrTimeout, 3 * time.Second},
		{"other protocol", func(t *testing.T) string {
			return httpServer(t, func(w http.ResponseWriter, r *http.Request) {
				up := websocket.Upgrader{}
				if ws, err := up.Upgrade(w, r, http.Header{"Sec-Websocket-Protocol": {"parley.v2"}}); err == nil {
					ws.Close()
				}
			})
		}, "alice", client.ErrVersion, 2 * time.Second},
		{"bad address", func(*testing.T) string { return "ws://" }, "alice", client.ErrBadAddress, time.Second},
		{"bad nick", closedPort, "al ice", client.ErrNickInvalid, time.Second},
		{"empty nick", closedPort, "", client.ErrNickInvalid, time.Second},
		{"no such host", func(*testing.T) string { return "no-such-host.invalid:2000" }, "alice", client.ErrUnreachable, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig(t, tc.addr(t), tc.nick)
			cfg.DialTimeout = 500 * time.Millisecond
			start := time.Now()
			c, err := client.Dial(context.Background(), cfg)
			took := time.Since(start)
			if err == nil {
				c.Close()
				t.Fatalf("Dial succeeded, want %v", tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Dial: %v; want it to wrap %v", err, tc.want)
			}
			if took > tc.maxTime {
				t.Errorf("Dial took %s, want at most %s", took, tc.maxTime)
			}
			t.Logf("%s: %v (%s)", tc.name, err, took.Round(time.Millisecond))
		})
	}
}

// Dial gives up when its context does, even in the middle of a handshake.
func TestDialContextCancel(t *testing.T) {
	cfg := fastConfig(t, silentListener(t), "alice")
	cfg.DialTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := client.Dial(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Dial took %s after its context was cancelled", took)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = client.Dial(ctx, cfg)
	if !errors.Is(err, client.ErrTimeout) {
		t.Errorf("Dial with an expiring context: %v, want ErrTimeout", err)
	}
}

func TestServerErrorIs(t *testing.T) {
	tests := []struct {
		code wire.Code
		want error
	}{
		{wire.CodeNickTaken, client.ErrNickTaken},
		{wire.CodeNickInvalid, client.ErrNickInvalid},
		{wire.CodeRateLimited, client.ErrRateLimited},
		{wire.CodeVersion, client.ErrVersion},
		{wire.CodeTooLong, wire.ErrTextLong},
		{wire.CodeEmpty, wire.ErrTextEmpty},
	}
	for _, tc := range tests {
		err := error(&client.ServerError{Frame: wire.Error{Code: tc.code, Text: "because"}})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: errors.Is(%v) = false", tc.code, tc.want)
		}
		if errors.Is(err, client.ErrClosed) {
			t.Errorf("%s matches ErrClosed", tc.code)
		}
		var se *client.ServerError
		if !errors.As(err, &se) || se.Frame.Code != tc.code {
			t.Errorf("%s: errors.As lost the frame", tc.code)
		}
	}
}
