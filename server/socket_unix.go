//go:build unix

package server

import (
	"net"
	"syscall"
)

// socket is a peer's connection as Go's poller sees it, for the two
// things the server does below net.Conn: waiting until there is input
// without reading it (the reader), and writing without blocking (the
// deferred flush, tryFlush).
//
// An idle connection's reader spends its life waiting for input. Waiting
// inside gorilla/websocket's read path takes a deep call stack that the
// runtime cannot shrink; waiting here first takes a shallow one that the
// garbage collector shrinks to the minimum, which is most of what an idle
// connection costs.
type socket struct {
	rc syscall.RawConn
}

// newSocket returns c's socket; one that is not pollable (pollable
// false) if c is not a socket, as in tests.
func newSocket(c net.Conn) socket {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return socket{}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return socket{}
	}
	return socket{rc: rc}
}

// wait returns when the connection has input or an error to report, or
// with the error of its read deadline or of its closing.
func (w socket) wait() error {
	if w.rc == nil {
		return nil
	}
	return w.rc.Read(hasInput)
}

// pollable reports whether the connection is a socket waited for by Go's
// poller, as parking needs.
func (w socket) pollable() bool { return w.rc != nil }

// ready reports whether the connection has input or an error to report,
// without waiting; it returns the error of a passed read deadline or of
// the connection's closing.
func (w socket) ready() (bool, error) {
	ready := false
	err := w.rc.Read(func(fd uintptr) bool {
		ready = hasInput(fd)
		return true
	})
	return ready, err
}

// hasInput peeks at the socket without blocking: false means nothing to
// read yet, and the poller waits for input before asking again. An end of
// file or an error counts as input, for the reader to find.
func hasInput(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR
}

// tryWrite writes b with one non-blocking write(2): n may be short, and
// err is syscall.EAGAIN if the socket buffer is full.
//
// It goes through Control, not RawConn.Write: Write fails at once once the
// connection's write deadline has passed, and the deadline a flusher set
// for its last batch (or the handshake's) is long gone when an idle peer
// gets its next message. A write that cannot block needs no deadline.
func (w socket) tryWrite(b []byte) (n int, err error) {
	cerr := w.rc.Control(func(fd uintptr) {
		for {
			n, err = syscall.Write(int(fd), b)
			if err != syscall.EINTR {
				return
			}
		}
	})
	if n < 0 {
		n = 0
	}
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}
