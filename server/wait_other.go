//go:build !unix

package server

import (
	"errors"
	"net"
)

// readWaiter waits for input before a read where the platform allows; on
// this one it does not, and the reader waits inside its read.
type readWaiter struct{}

func newReadWaiter(net.Conn) readWaiter { return readWaiter{} }

func (readWaiter) wait() error { return nil }

func (readWaiter) pollable() bool { return false }

func (readWaiter) ready() (bool, error) { return true, nil }

func (readWaiter) tryWrite([]byte) (int, error) { return 0, errors.ErrUnsupported }
