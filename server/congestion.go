package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// Overload: slow the producers, never evict a reader who reads.
//
// When senders push faster than some readers drain, a reader's backlog
// (its queue and the batch being written) grows. Past a high-water mark,
// a quarter of its queue bound, the peer is congested, until its backlog
// is below half the mark again. While a congested peer keeps completing
// its writes, the server holds the room's senders: after the message it
// is handling, each sender's reader waits before it reads the next one,
// so senders are slowed by TCP instead of their readers being thrown out.
//
// A congested peer whose write has been blocked for longer than MaxLag
// is not keeping up: it no longer holds anyone. The senders go on, and
// the peer is dropped as a slow consumer when its queue reaches its bound
// or its write makes no progress for WriteTimeout, as before. So a reader
// that drains is never dropped, and no reader, drained or dropped, holds
// the others for more than MaxLag at a time.

// congestion is the set of congested peers and whether they hold the
// senders.
type congestion struct {
	holding atomic.Bool // some congested peer is draining: senders wait (read on every message)
	mu      sync.Mutex
	peers   map[*peer]struct{}
	release chan struct{} // closed when holding ends; nil while not holding
	watched bool          // the watchdog runs
}

// checkCongestedLocked marks p congested if its backlog passed the
// high-water mark, and reports whether it just became so.
func (p *peer) checkCongestedLocked() bool {
	if p.flags&qCongested != 0 {
		return false
	}
	cfg := &p.s.cfg
	if 4*p.backlogLocked() < cfg.QueueBytes && 4*len(p.q) < cfg.QueueFrames {
		return false
	}
	p.flags |= qCongested
	return true
}

// checkDrainedLocked clears p's congestion once its backlog is below half
// the high-water mark, and reports whether it just did.
func (p *peer) checkDrainedLocked() bool {
	if p.flags&qCongested == 0 {
		return false
	}
	cfg := &p.s.cfg
	if 8*p.backlogLocked() >= cfg.QueueBytes || 8*len(p.q) >= cfg.QueueFrames {
		return false
	}
	p.flags &^= qCongested
	return true
}

// stalledLocked reports whether p's write has been blocked for longer
// than MaxLag.
func (p *peer) stalledLocked(now int64) bool {
	return p.writing != 0 && time.Duration(now-p.writing) > p.s.cfg.MaxLag
}

// congest adds p, which just became congested, to the set: the senders
// are held from now on.
func (s *Server) congest(p *peer) {
	c := &s.congestion
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peers == nil {
		c.peers = make(map[*peer]struct{})
	}
	if _, ok := c.peers[p]; ok {
		return
	}
	c.peers[p] = struct{}{}
	s.congestions.Add(1)
	c.holdLocked(true)
	if !c.watched {
		c.watched = true
		go s.watchCongestion()
	}
}

// uncongest removes p from the set, if it is there: it drained, or it is
// gone.
func (s *Server) uncongest(p *peer) {
	c := &s.congestion
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.peers[p]; !ok {
		return
	}
	delete(c.peers, p)
	if len(c.peers) == 0 {
		c.holdLocked(false)
	}
}

// holdLocked starts or ends holding the senders.
func (c *congestion) holdLocked(hold bool) {
	if hold == c.holding.Load() {
		return
	}
	c.holding.Store(hold)
	if hold {
		c.release = make(chan struct{})
	} else {
		close(c.release)
		c.release = nil
	}
}

// congestionTick is how often the watchdog looks at the congested peers.
const congestionTick = 10 * time.Millisecond

// watchCongestion decides, while any peer is congested, whether one of
// them is still draining and so holds the senders.
func (s *Server) watchCongestion() {
	c := &s.congestion
	t := time.NewTicker(congestionTick)
	defer t.Stop()
	for range t.C {
		c.mu.Lock()
		if len(c.peers) == 0 {
			c.watched = false
			c.mu.Unlock()
			return
		}
		now := mono()
		draining := false
		for p := range c.peers {
			p.mu.Lock()
			draining = p.flags&qCongested != 0 && p.phase != phaseDead && !p.stalledLocked(now)
			p.mu.Unlock()
			if draining {
				break
			}
		}
		c.holdLocked(draining)
		c.mu.Unlock()
	}
}

// throttle holds a sender's reader while a congested peer drains, at most
// MaxLag: by then that peer drained or stalled. The client was not silent
// by its own doing, so its read deadline moves on.
func (s *Server) throttle(p *peer) {
	c := &s.congestion
	c.mu.Lock()
	release := c.release
	c.mu.Unlock()
	if release == nil {
		return
	}
	s.throttled.Add(1)
	t := time.NewTimer(s.cfg.MaxLag)
	select {
	case <-release:
	case <-t.C:
	}
	t.Stop()
	p.extend()
}
