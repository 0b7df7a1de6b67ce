package server

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// More pins of gorilla/websocket's internals (see gorilla_test.go): the
// errors its reads return, which endingFor maps to how a peer ends, and
// the write buffer it does without.

// The error gorilla's ReadMessage returns for each way a client's
// connection ends is one endingFor tells apart: the client's close frame
// (the handshake is done, the client quit), the connection dropped
// without one, a message over the read limit, a protocol error, a passed
// read deadline. Were gorilla to return other errors, peers would end
// with the wrong leave reason, or linger after a finished handshake.
func TestGorillaReadErrors(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		name  string
		limit int64
		act   func(c *pinConn)
		leave leaveReason
		code  int
		done  bool
	}{
		{"close frame", 0, func(c *pinConn) { c.cli.Write(clientFrame(0x88, true, "\x03\xe8bye")) },
			leaveQuit, websocket.CloseNormalClosure, true},
		{"close frame without a code", 0, func(c *pinConn) { c.cli.Write(clientFrame(0x88, true, "")) },
			leaveQuit, websocket.CloseNormalClosure, true},
		{"connection dropped", 0, func(c *pinConn) { c.cli.Close() },
			leaveLost, websocket.CloseGoingAway, false},
		{"half a frame, then dropped", 0, func(c *pinConn) { c.cli.Write(clientFrame(0x81, true, "cut")[:4]); c.cli.Close() },
			leaveLost, websocket.CloseGoingAway, false},
		{"read limit", 16, func(c *pinConn) { c.cli.Write(clientFrame(0x81, true, strings.Repeat("x", 100))) },
			leavePolicy, websocket.CloseMessageTooBig, false},
		{"protocol error", 0, func(c *pinConn) { c.cli.Write(clientFrame(0x81|0x40, true, "rsv1")) },
			leavePolicy, websocket.CloseProtocolError, false},
		{"read deadline", 0, func(c *pinConn) { c.ws.SetReadDeadline(time.Now().Add(-time.Second)) },
			leaveTimeout, websocket.CloseGoingAway, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := pinUpgrade(t, s)
			if tc.limit > 0 {
				c.ws.SetReadLimit(tc.limit)
			}
			tc.act(c)
			_, _, err := c.ws.ReadMessage()
			e, done := endingFor(err)
			if e.leave != tc.leave || e.code != tc.code || done != tc.done {
				t.Fatalf("gorilla returned %T %q: the peer would end %q with %d (handshake done %v), want %q with %d (%v)",
					err, err, e.leave, e.code, done, tc.leave, tc.code, tc.done)
			}
		})
	}
}

// The server frames its own writes and never calls gorilla's writers, so
// it gives gorilla a write buffer pool that never hands out a buffer
// (noWriteBuffers) to keep it from allocating one per connection. gorilla
// must then hold no write buffer, after the upgrade or after writing its
// own control frames. The buffer is websocket.Conn's unexported field
// writeBuf: a gorilla without it fails here and must be looked at again.
func TestGorillaNoWriteBuffer(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	c := pinUpgrade(t, s)
	check := func(when string) {
		t.Helper()
		f := reflect.ValueOf(c.ws).Elem().FieldByName("writeBuf")
		if !f.IsValid() || f.Kind() != reflect.Slice {
			t.Fatalf("websocket.Conn has no writeBuf slice: check what noWriteBuffers keeps gorilla from allocating")
		}
		if f.Cap() != 0 {
			t.Fatalf("%s gorilla holds a write buffer of %d bytes", when, f.Cap())
		}
	}
	check("after the upgrade")
	c.cli.Write(append(clientFrame(0x89, true, "ping"), clientFrame(0x81, true, "end")...))
	if _, data, err := c.ws.ReadMessage(); err != nil || string(data) != "end" {
		t.Fatalf("after the ping: %q, %v", data, err)
	}
	check("after its pong")
	c.cli.Write(clientFrame(0x88, true, "\x03\xe8"))
	c.ws.ReadMessage()
	check("after its close echo")
	if n := len(c.rec.recorded()); n != 2 {
		t.Fatalf("gorilla made %d writes, want the pong and the close echo", n)
	}
}
