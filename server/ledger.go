package server

import (
	"fmt"
	"strings"
)

// checkEmpty checks the invariants that hold once every client of s has
// gone and its connections have finished: every admitted connection was
// given back exactly once, no connection is left or half-admitted, no
// address is still counted, and the room is empty. It returns nil, or an
// error listing every invariant that does not hold.
//
// The test harness calls it after every test that ran a server, so that
// each test checks the connection lifecycle for free.
func (s *Server) checkEmpty() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []string
	if s.admitted != s.released {
		bad = append(bad, fmt.Sprintf("%d connections admitted but %d given back", s.admitted, s.released))
	}
	if len(s.conns) != 0 {
		bad = append(bad, fmt.Sprintf("%d connections left", len(s.conns)))
	}
	if s.pending != 0 {
		bad = append(bad, fmt.Sprintf("%d connections still counted as in the handshake", s.pending))
	}
	if len(s.perIP) != 0 {
		bad = append(bad, fmt.Sprintf("addresses still counted: %v", s.perIP))
	}
	if n := len(s.rich) + len(s.plain); n != 0 {
		bad = append(bad, fmt.Sprintf("%d people still in the room", n))
	}
	if len(s.nicks) != 0 {
		bad = append(bad, fmt.Sprintf("%d nicknames still taken", len(s.nicks)))
	}
	if n := s.queued.Load(); n != 0 {
		bad = append(bad, fmt.Sprintf("%d bytes still counted as queued", n))
	}
	s.congestion.mu.Lock()
	if n := len(s.congestion.peers); n != 0 {
		bad = append(bad, fmt.Sprintf("%d peers still congested", n))
	}
	s.congestion.mu.Unlock()
	if n := s.bugs.Load(); n != 0 {
		bad = append(bad, fmt.Sprintf("%d connections finished more than once", n))
	}
	if bad == nil {
		return nil
	}
	return fmt.Errorf("server not empty after its clients left: %s", strings.Join(bad, "; "))
}
