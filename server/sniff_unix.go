//go:build unix

package server

import (
	"io"
	"net"
	"syscall"
)

// peekByte returns the first byte the client sent, leaving it unread on
// the socket, so that a plain connection goes on as if nothing had looked
// at it (and keeps its socket for parking). It waits within c's read
// deadline. A connection that is not a socket gets peekRead's wrapper.
func peekByte(c net.Conn) (byte, net.Conn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peekRead(c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return peekRead(c)
	}
	var (
		b    [1]byte
		n    int
		perr error
	)
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
			if perr != syscall.EINTR {
				break
			}
		}
		// Not yet: the poller waits for input and asks again.
		return perr != syscall.EAGAIN && perr != syscall.EWOULDBLOCK
	})
	switch {
	case err != nil:
		return 0, c, err
	case perr != nil:
		return 0, c, perr
	case n == 0:
		return 0, c, io.EOF
	}
	return b[0], c, nil
}
