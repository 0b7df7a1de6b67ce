package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/wire"
	"parley/server"
)

// wait bounds every read and poll in these tests.
const wait = 5 * time.Second

// start serves a new server for cfg and shuts it down when the test ends.
// It runs the production path, Serve's own accept loop (serve), unless
// PARLEY_TEST_PATH=handler asks for the http.Handler path behind an
// httptest.Server, which `make test` runs the suite over as well.
func start(t testing.TB, cfg server.Config) (*server.Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if os.Getenv("PARLEY_TEST_PATH") != "handler" {
		return serve(t, cfg)
	}
	return startHandler(t, cfg)
}

// startHandler serves a new server as an http.Handler behind an
// httptest.Server and shuts both down when the test ends.
func startHandler(t testing.TB, cfg server.Config) (*server.Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	srv := server.New(cfg)
	l := chattest.Serve(t, srv, chattest.Options{Handler: true, Check: emptyCheck(srv)})
	return srv, l.URL
}

// emptyCheck is checkEmpty for srv, as chattest.Options.Check.
func emptyCheck(srv *server.Server) func(testing.TB) {
	return func(t testing.TB) { checkEmpty(t, srv) }
}

// checkEmpty waits until every client of srv has gone and the server
// holds nothing for them (server.CheckEmpty: every admitted connection
// given back once, the room empty, no address counted), and fails the
// test if that does not happen in time. Every test that runs a server
// checks this when it ends, its clients having been closed by their own
// cleanups, which run first.
func checkEmpty(t testing.TB, srv *server.Server) {
	t.Helper()
	deadline := time.Now().Add(emptyWithin)
	for {
		err := server.CheckEmpty(srv)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after the test: %v", err)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// emptyWithin bounds how long a server may take to finish the
// connections of a test's closed clients: a close handshake's grace
// period and the linger after it, with room for a busy machine.
const emptyWithin = 10 * time.Second

// client is a test's WebSocket client, rich or plain.
type client struct {
	t    testing.TB
	ws   *websocket.Conn
	name string
}

// dial connects a client; rich ones offer the parley.v1 subprotocol.
func dial(t testing.TB, url string, rich bool) *client {
	t.Helper()
	c, resp, err := tryDial(url, rich, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	c.t = t
	t.Cleanup(func() { c.ws.Close() })
	return c
}

func tryDial(url string, rich bool, header http.Header) (*client, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: wait}
	if rich {
		d.Subprotocols = []string{wire.Subprotocol}
	}
	ws, resp, err := d.Dial(url, header)
	if err != nil {
		return nil, resp, err
	}
	if rich && ws.Subprotocol() != wire.Subprotocol {
		ws.Close()
		return nil, resp, errors.New("server did not pick parley.v1")
	}
	return &client{ws: ws}, resp, nil
}

// plain connects a plain client and checks the greeting.
func plain(t testing.TB, url string) *client {
	t.Helper()
	c := dial(t, url, false)
	if got := c.text(); got != wire.Greeting {
		t.Fatalf("greeting = %q, want %q", got, wire.Greeting)
	}
	return c
}

// rich connects a rich client and joins as nick.
func rich(t testing.TB, url, nick string) (*client, wire.Welcome) {
	t.Helper()
	c := dial(t, url, true)
	c.name = nick
	c.send(wire.Hello{V: wire.Version, Nick: nick})
	return c, c.welcome()
}

func (c *client) read() (int, []byte, error) {
	c.ws.SetReadDeadline(time.Now().Add(wait))
	return c.ws.ReadMessage()
}

// text reads one text frame.
func (c *client) text() string {
	c.t.Helper()
	typ, data, err := c.read()
	if err != nil {
		c.t.Fatalf("%s: read: %v", c.name, err)
	}
	if typ != websocket.TextMessage {
		c.t.Fatalf("%s: got a frame of type %d, want text", c.name, typ)
	}
	return string(data)
}

// frame reads and decodes one rich frame.
func (c *client) frame() wire.Frame {
	c.t.Helper()
	s := c.text()
	f, err := wire.Decode([]byte(s))
	if err != nil {
		c.t.Fatalf("%s: decode %q: %v", c.name, s, err)
	}
	return f
}

// next reads rich frames until one of type T, failing on a frame that is
// not a presence event (join, leave, rename, status), which tests skip.
func next[T wire.Frame](c *client) T {
	c.t.Helper()
	for {
		f := c.frame()
		if v, ok := f.(T); ok {
			return v
		}
		switch f.(type) {
		case wire.Join, wire.Leave, wire.Rename, wire.Status:
			continue
		}
		var zero T
		c.t.Fatalf("%s: got %#v, want a %s", c.name, f, zero.FrameType())
	}
}

func (c *client) welcome() wire.Welcome {
	c.t.Helper()
	f := c.frame()
	w, ok := f.(wire.Welcome)
	if !ok {
		c.t.Fatalf("%s: got %#v, want a welcome", c.name, f)
	}
	return w
}

func (c *client) send(f wire.Frame) {
	c.t.Helper()
	data, err := wire.Encode(f)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(websocket.TextMessage, data)
}

func (c *client) say(text string) {
	c.t.Helper()
	c.write(websocket.TextMessage, []byte(text))
}

func (c *client) write(typ int, data []byte) {
	c.t.Helper()
	c.ws.SetWriteDeadline(time.Now().Add(wait))
	if err := c.ws.WriteMessage(typ, data); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// closed reads until the connection ends and returns the close frame's
// code and text; a connection that ends without one fails the test.
func (c *client) closed() (int, string) {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		_, _, err := c.read()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		c.t.Fatalf("%s: connection ended without a close frame: %v", c.name, err)
	}
	c.t.Fatalf("%s: connection not closed within %v", c.name, wait)
	return 0, ""
}

// expectClose checks the close code, optionally after some text frames
// which it returns.
func (c *client) expectClose(code int) []string {
	c.t.Helper()
	var frames []string
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		typ, data, err := c.read()
		if err == nil {
			if typ == websocket.TextMessage {
				frames = append(frames, string(data))
			}
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("%s: connection ended without a close frame: %v (after %q)", c.name, err, frames)
		}
		if ce.Code != code {
			c.t.Fatalf("%s: close code %d (%q), want %d", c.name, ce.Code, ce.Text, code)
		}
		return frames
	}
	c.t.Fatalf("%s: no close within %v", c.name, wait)
	return nil
}

// waitFor is chattest.WaitFor with this package's bound, wait.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	chattest.WaitFor(t, what, wait, cond)
}

// sink is a net.Conn-free stand-in used where a test needs to count what
// a reader goroutine received.
type sink struct {
	mu    sync.Mutex
	lines []string
	err   error
	done  chan struct{}
}

// collect reads text frames from c on a goroutine until the connection
// ends or want frames arrived.
func collect(c *client, want int) *sink {
	s := &sink{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c.ws.SetReadDeadline(time.Now().Add(2 * wait))
			_, data, err := c.ws.ReadMessage()
			s.mu.Lock()
			if err != nil {
				s.err = err
				s.mu.Unlock()
				return
			}
			s.lines = append(s.lines, string(data))
			n := len(s.lines)
			s.mu.Unlock()
			if n >= want {
				return
			}
		}
	}()
	return s
}

func (s *sink) wait(t testing.TB) []string {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(4 * wait):
		t.Fatal("collector did not finish")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// dialStuck connects a plain client that does not read until the test
// tells it to. Its receive buffer stays at the kernel's initial size:
// receive buffers grow only as the application reads.
func dialStuck(t testing.TB, url string) *client {
	t.Helper()
	c := dial(t, url, false)
	c.name = "stuck"
	return c
}

// testLogger logs to the test's log, shown when it fails or with -v, and
// drops lines once the test is over.
func testLogger(t testing.TB) *slog.Logger {
	return chattest.Logger(t, slog.LevelDebug)
}

// captureAddr returns a logger that sends the address of the server's
// "listening" line to the channel.
func captureAddr(t testing.TB) (*slog.Logger, <-chan string) {
	ch := make(chan string, 1)
	return slog.New(&addrHandler{Handler: testLogger(t).Handler(), ch: ch}), ch
}

type addrHandler struct {
	slog.Handler
	ch chan string
}

func (h *addrHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "addr" && strings.Contains(r.Message, "listening") {
			select {
			case h.ch <- a.Value.String():
			default:
			}
		}
		return true
	})
	return h.Handler.Handle(ctx, r)
}
