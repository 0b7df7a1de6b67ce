//go:build !linux

package server

// canPark reports whether idle peers can be parked; on this platform
// every connection keeps its reader goroutine.
const canPark = false

func (p *peer) park() bool { return false }

func unparked(*peer) {}
