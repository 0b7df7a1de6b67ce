//go:build !unix

package server

import (
	"errors"
	"net"
)

// socket waits for input before a read and writes without blocking
// where the platform allows; on this one it does neither: the reader
// waits inside its read, and every write goes through a flusher.
type socket struct{}

func newSocket(net.Conn) socket { return socket{} }

func (socket) wait() error { return nil }

func (socket) pollable() bool { return false }

func (socket) ready() (bool, error) { return true, nil }

func (socket) tryWrite([]byte) (int, error) { return 0, errors.ErrUnsupported }
