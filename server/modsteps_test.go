package server_test

import (
	"testing"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

// modRoom starts a server with the tests' host key and joins alice as its
// host: the opening of the moderation tests.
func modRoom(t *testing.T) (url string, alice *client) {
	t.Helper()
	_, url = start(t, server.Config{HostKey: hostKey})
	return url, host(t, url, "alice")
}

// refuse sends f from c and reads c's frames up to an error, failing the
// test (on what) unless its code is code. It returns the error for the
// checks of its other members.
func refuse(t *testing.T, c *client, f wire.Frame, code wire.Code, what string) wire.Error {
	t.Helper()
	c.send(f)
	e := until[wire.Error](c)
	if e.Code != code {
		t.Errorf("%s: %+v, want %s", what, e, code)
	}
	return e
}

// closedForPolicy fails the test unless the server closes c's connection
// with 1008 (policy violation), as it does on a kick or a ban.
func closedForPolicy(t *testing.T, c *client, who string) {
	t.Helper()
	if code, _ := c.closed(); code != websocket.ClosePolicyViolation {
		t.Errorf("%s: close code %d, want 1008", who, code)
	}
}
