package server

import (
	"bufio"

	"github.com/gorilla/websocket"
)

// testHooks are steps a test injects into the server's own goroutines to
// force an interleaving that timing alone would reach only now and then.
// A production server has none (Server.hooks is nil), and each hook is one
// nil check where it sits.
type testHooks struct {
	// beforePark runs on the reader just before it hands its peer to the
	// epoll set (park_linux.go): a test can close the connection there,
	// as a grace timer or a failed write would.
	beforePark func(p *peer)
	// upgraded runs on the upgrading goroutine once gorilla/websocket
	// has returned the connection, before the peer exists and its reader
	// starts: a test can see what gorilla adopted (gorilla_test.go).
	upgraded func(c *conn, ws *websocket.Conn, br *bufio.Reader)
}
