package server_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// hostKey is the host key of the moderation tests' servers.
const hostKey = "0123456789abcdef0123456789abcdef"

// dialAt connects a client from the loopback address local (such as
// 127.0.0.2: Linux answers on all of 127/8), so that a test can have
// people at different addresses, as on a LAN.
func dialAt(t testing.TB, url, local string, rich bool) *client {
	t.Helper()
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: wait}
	d := websocket.Dialer{HandshakeTimeout: wait,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nd.DialContext(ctx, network, addr)
		}}
	if rich {
		d.Subprotocols = []string{wire.Subprotocol}
	}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", url, local, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// richFrom joins a rich client as nick from the address local.
func richFrom(t testing.TB, url, local, nick string) (*client, wire.Welcome) {
	t.Helper()
	c := dialAt(t, url, local, true)
	c.name = nick
	c.send(wire.Hello{V: wire.Version, Nick: nick})
	return c, c.welcome()
}

// host joins a rich client as nick and makes it the host.
func host(t testing.TB, url, nick string) *client {
	t.Helper()
	c, _ := rich(t, url, nick)
	c.send(wire.Claim{Key: hostKey})
	if r := until[wire.RoleChange](c); r.Nick != nick || r.Role != wire.RoleHost {
		t.Fatalf("claim: got %+v", r)
	}
	return c
}

// until reads frames until one of type T and returns it, skipping every
// other frame. Tests that must see that nothing else came use upTo.
func until[T wire.Frame](c *client) T {
	c.t.Helper()
	for {
		if v, ok := c.frame().(T); ok {
			return v
		}
	}
}

// upTo sends a public marker message from c and returns every frame c
// receives until its echo: everything the server sent c before that
// point, as the server queues in order.
func upTo(c *client, marker string) []wire.Frame {
	c.t.Helper()
	c.send(wire.Send{Text: marker})
	var got []wire.Frame
	for {
		f := c.frame()
		if m, ok := f.(wire.Msg); ok && m.Text == marker && m.From == c.name {
			return got
		}
		got = append(got, f)
	}
}

// plainUpTo is upTo for a plain client.
func plainUpTo(c *client, nick, marker string) []string {
	c.t.Helper()
	c.say(marker)
	var got []string
	for {
		line := c.text()
		if line == nick+": "+marker {
			return got
		}
		got = append(got, line)
	}
}

// noneHolds fails the test if any frame or line holds secret.
func noneHolds[T any](t testing.TB, who string, got []T, secret string) {
	t.Helper()
	for _, g := range got {
		s := strings.TrimSpace(strings.ReplaceAll(fmtAny(g), "\n", " "))
		if strings.Contains(s, secret) {
			t.Errorf("%s received %s, which holds %q: a private message leaked", who, s, secret)
		}
	}
}

func fmtAny(v any) string {
	if f, ok := v.(wire.Frame); ok {
		b, _ := wire.Encode(f)
		return string(b)
	}
	return v.(string)
}

// banTime is long enough that no ban or mute in these tests ends while
// the test runs, and short enough to read in a message.
const banTime = int64(time.Hour / time.Second)

// reply reads c's frames until the server's answer to a request: an
// error, or the effect the request would have (a private message, a
// moderation, a role, a topic, a welcome, a bye), so that a test sees a
// request that was carried out when it should have been refused.
func reply(c *client) wire.Frame {
	c.t.Helper()
	for {
		switch f := c.frame().(type) {
		case wire.Error, wire.Private, wire.Moderation, wire.RoleChange, wire.Topic, wire.Welcome, wire.Bye:
			return f
		}
	}
}

// refusedWith reports whether f is an error with code.
func refusedWith(f wire.Frame, code wire.Code) bool {
	e, ok := f.(wire.Error)
	return ok && e.Code == code
}
