//go:build !unix

package server

import "net"

// peekByte returns the first byte the client sent and a connection that
// reads it again first.
func peekByte(c net.Conn) (byte, net.Conn, error) { return peekRead(c) }
