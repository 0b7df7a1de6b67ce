package server

import (
	"strconv"
	"strings"
	"time"
)

// A peer's state and its transitions, drawn in docs/ARCHITECTURE.md ("A
// peer's life"). Everything here is guarded by p.mu.
//
// The state is two values, because it holds two kinds of fact:
//
//   - phase: where the connection is in its life. It only moves forward,
//     open → closing → sent → dead, and each move is one method below.
//   - queueFlags: facts about the outbound queue that are independent of
//     the phase and of each other (a flusher may run in any phase but
//     dead; a closing peer may be congested). Each is set and cleared in
//     the places its constant names.
//
// Three timers belong to the state: helloWait (armed by awaitHello,
// stopped by holdForWelcome or cut), grace (armed by beginClosingLocked,
// stopped by cut) and expiry (armed by watchDeadline for a parked peer,
// stopped by cut).
//
// The read side's state is kept apart, in atomics: whether a reader runs
// or the peer is parked (p.parked, read.go and park_linux.go), and
// whether finish has run (p.finished).

// phase is where a peer's connection is in its life.
type phase uint8

const (
	// phaseOpen: frames are queued and written. Every peer starts here.
	phaseOpen phase = iota
	// phaseClosing: our close frame is queued, last; no frame is queued
	// after it, and the grace timer cuts the connection if it is not
	// written in time. Entered by beginClosingLocked.
	phaseClosing
	// phaseSent: the close frame is written, or never will be; p.sent is
	// closed, so finish goes on to close the socket. Entered by
	// markSentLocked.
	phaseSent
	// phaseDead: the socket is closed and the queue dropped; nothing is
	// written again. Entered by cut, from any phase.
	phaseDead
)

// String returns the phase's name, as docs/ARCHITECTURE.md uses it.
func (ph phase) String() string {
	switch ph {
	case phaseOpen:
		return "open"
	case phaseClosing:
		return "closing"
	case phaseSent:
		return "sent"
	case phaseDead:
		return "dead"
	}
	return "phase(" + strconv.Itoa(int(ph)) + ")"
}

// queueFlags are the facts about a peer's outbound queue that do not
// depend on its phase or on each other, one bit each.
type queueFlags uint8

const (
	// qFlushing: a writer owns the queue and raw's write side: a flusher
	// goroutine (flush), the deferred flush (tryFlush), or a write that
	// failed, until cut. Set by startFlusherLocked, cleared by
	// stopFlusherLocked.
	qFlushing queueFlags = 1 << iota
	// qHeld: a rich peer's welcome is being encoded outside s.mu; no
	// writer takes the queue until the welcome is put first. Set by
	// holdForWelcome, cleared by releaseWelcome and beginClosingLocked.
	qHeld
	// qTraffic: a frame other than a ping was queued since the last ping
	// tick, so the queue's slices are in use. Set by queue, cleared by
	// pingTick.
	qTraffic
	// qCongested: the backlog passed the high-water mark and has not yet
	// drained below the low one. Set by checkCongestedLocked, cleared by
	// checkDrainedLocked (congestion.go).
	qCongested
)

// queueFlagNames are the flags' names, bit by bit.
var queueFlagNames = [...]string{"flushing", "held", "traffic", "congested"}

// String lists the flags that are set, as "flushing|held", or "none".
func (f queueFlags) String() string {
	var b strings.Builder
	for i, name := range queueFlagNames {
		if f&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(name)
	}
	if rest := f &^ (1<<len(queueFlagNames) - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// stateLocked describes the peer's whole state for a log line, as
// "closing flushing|congested".
func (p *peer) stateLocked() string { return p.phase.String() + " " + p.flags.String() }

// startFlusherLocked makes the caller the queue's writer if the queue
// needs one: it has frames, no writer owns it, it is not held, and the
// socket is open. It reports whether the caller must now write the queue
// (start a flusher, or be one: tryFlush).
func (p *peer) startFlusherLocked() bool {
	if p.flags&(qFlushing|qHeld) != 0 || p.phase == phaseDead || len(p.q) == 0 {
		return false
	}
	p.flags |= qFlushing
	return true
}

// stopFlusherLocked ends a writer's turn once it has nothing it may
// write: the queue is empty, the socket is closed, or the queue is held
// for a welcome (releaseWelcome starts the next writer). It reports
// whether the writer let go of the queue; if not, the writer goes on.
func (p *peer) stopFlusherLocked() bool {
	if len(p.q) > 0 && p.phase != phaseDead && p.flags&qHeld == 0 {
		return false
	}
	p.flags &^= qFlushing
	return true
}

// awaitHello arms the hello timer of a rich peer that is still open: it
// ends the peer (endNoHello) unless a hello joins it first.
func (p *peer) awaitHello(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phase == phaseOpen {
		p.helloWait = time.AfterFunc(d, func() { p.s.helloTimedOut(p) })
	}
}

// holdForWelcome is a rich peer's join, under s.mu: its hello came, so
// the hello timer stops, and the queue is held, so that what is broadcast
// from now on waits until releaseWelcome puts the welcome, encoded
// outside s.mu, before it. A writer already running stops at the end of
// its batch (stopFlusherLocked).
func (p *peer) holdForWelcome() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flags |= qHeld
	if p.helloWait != nil {
		p.helloWait.Stop()
		p.helloWait = nil // a stopped timer is garbage: drop it
	}
}

// releaseWelcome ends the hold: the welcome goes first, before every
// frame broadcast while it was being encoded. A closing peer gets no
// welcome.
func (p *peer) releaseWelcome(welcome []byte) {
	p.mu.Lock()
	if p.phase == phaseOpen {
		p.requeueFirstLocked(welcome)
	}
	p.flags &^= qHeld
	start := p.startFlusherLocked()
	p.mu.Unlock()
	if start {
		go p.flush()
	}
}

// beginClosingLocked is open → closing: it queues farewell (if not nil)
// and the close frame cf, last; ends a hold, since the close goes out
// welcome or not; takes the peer out of the ping wheel; and arms the
// grace timer. A peer past open is left as it is. It reports whether the
// caller must start a flusher.
func (p *peer) beginClosingLocked(farewell, cf []byte) (start bool) {
	if p.phase != phaseOpen {
		return false
	}
	p.phase = phaseClosing
	p.flags &^= qHeld
	if farewell != nil {
		p.appendLocked(farewell)
	}
	p.appendLocked(cf)
	p.sent = make(chan struct{})
	p.s.wheel.remove(p)
	p.grace = time.AfterFunc(closeGrace, p.cut)
	return p.startFlusherLocked()
}

// markSentLocked is closing → sent: the close frame is written, or, from
// cut, never will be. It closes p.sent, for finish.
func (p *peer) markSentLocked() {
	if p.phase >= phaseSent {
		return
	}
	p.phase = phaseSent
	if p.sent == nil {
		p.sent = closedChan // cut before a close frame was queued
	} else {
		close(p.sent)
	}
}

// closedChan is a closed channel, the sent channel of a peer cut before it
// queued a close frame.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// cut is any phase → dead: it closes the connection at once, drops the
// queue and stops the timers. The reader then fails and finishes.
func (p *peer) cut() {
	p.mu.Lock()
	if p.phase == phaseDead {
		p.mu.Unlock()
		return
	}
	p.markSentLocked()
	p.phase = phaseDead
	p.dropQueuedLocked()
	p.spare = nil
	p.s.wheel.remove(p)
	for _, t := range [...]*time.Timer{p.grace, p.helloWait, p.expiry} {
		if t != nil {
			t.Stop()
		}
	}
	p.mu.Unlock()
	p.s.uncongest(p)
	p.raw.Close()
	p.wake() // a parked peer's reader finds the connection closed and finishes
}
