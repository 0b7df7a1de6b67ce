package server

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"
)

// admit registers p as ServeHTTP does after an upgrade: counted as
// pending first, as accept counts it, then registered.
func admit(s *Server, p *peer) {
	s.mu.Lock()
	s.pending++
	s.mu.Unlock()
	s.register(p)
}

// joinFrames joins a fuzz seed's frames into one input, split on sep
// again by the fuzz function.
func joinFrames(frames []string, sep []byte) []byte {
	in := make([][]byte, len(frames))
	for i, fr := range frames {
		in[i] = []byte(fr)
	}
	return bytes.Join(in, sep)
}

// checkSent checks everything c was sent (checkOutput), under c's lock.
func (c *memConn) checkSent(tb testing.TB, rich bool) {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	checkOutput(tb, rich, c.out.Bytes())
}

// feedFrames splits a fuzz input on sep and hands p's server the first
// max frames, as p's reader would: binary when a frame starts with 0x02,
// text otherwise. after, when set, runs after each frame.
func feedFrames(s *Server, p *peer, input, sep []byte, max int, after func()) {
	for i, frame := range bytes.Split(input, sep) {
		if i >= max {
			break
		}
		typ := websocket.TextMessage
		if len(frame) > 0 && frame[0] == 0x02 {
			typ = websocket.BinaryMessage
		}
		s.handle(p, typ, frame)
		if after != nil {
			after()
		}
	}
}
