package server

import (
	"errors"
	"net"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// Ending a peer: the farewells and close codes it is ended with
// (ending), the close frame queued last, the grace timer that bounds its
// sending, and cut, which closes the socket at once.

// ending describes how the server ends a connection on purpose.
type ending struct {
	code  int    // WebSocket close code
	text  string // close frame reason, for people
	leave string // the reason in the leave event others see
	rich  []byte // frame sent to a rich client before the close, or nil
	plain []byte // frame sent to a plain client before the close, or nil
}

// Leave reasons, as sent in leave events.
const (
	leaveQuit     = "quit"     // the client closed the connection
	leaveLost     = "lost"     // the connection dropped without a close frame
	leaveTimeout  = "timeout"  // no pong or data within PongTimeout
	leaveSlow     = "slow"     // the client did not read fast enough
	leaveReplaced = "replaced" // the session connected again
	leavePolicy   = "policy"   // the client broke a rule and was closed
	leaveShutdown = "shutdown" // the server is stopping
)

// Endings the server uses often, built once.
var (
	endSlow = ending{
		code: websocket.ClosePolicyViolation, text: "slow consumer", leave: leaveSlow,
		rich:  mustJSONFrame(wire.Bye{Reason: wire.ByeSlow, Text: "You did not read messages fast enough."}),
		plain: textFrame(wire.PlainNotice("disconnected: you did not read messages fast enough")),
	}
	endReplaced = ending{
		code: websocket.CloseNormalClosure, text: "replaced by a new connection", leave: leaveReplaced,
		rich: mustJSONFrame(wire.Bye{Reason: wire.ByeReplaced, Text: "You connected again from elsewhere."}),
	}
	endFlood = ending{
		code: websocket.ClosePolicyViolation, text: "flooding", leave: leavePolicy,
		rich:  mustJSONFrame(wire.Bye{Reason: wire.ByePolicy, Text: "Too many messages: you were disconnected."}),
		plain: textFrame(wire.PlainNotice("disconnected: too many messages")),
	}
	endBadFrames = ending{
		code: websocket.ClosePolicyViolation, text: "too many bad frames", leave: leavePolicy,
		rich: mustJSONFrame(wire.Bye{Reason: wire.ByePolicy, Text: "Too many invalid frames."}),
	}
	endNoHello = ending{
		code: websocket.ClosePolicyViolation, text: "no hello", leave: leavePolicy,
		rich:  mustJSONFrame(wire.Bye{Reason: wire.ByePolicy, Text: "No valid hello in time."}),
		plain: textFrame(wire.PlainNotice("disconnected: no password in time")), // only gated plain clients wait to join
	}
	endBadUTF8 = ending{code: websocket.CloseInvalidFramePayloadData, text: "invalid UTF-8", leave: leavePolicy}
	endBinary  = ending{code: websocket.CloseUnsupportedData, text: "binary frames are not supported", leave: leavePolicy}
	endTimeout = ending{code: websocket.CloseGoingAway, text: "ping timeout", leave: leaveTimeout}
)

// end queues e's farewell frame and close frame unless the peer is
// already closing, and arms the timer that cuts the connection if it does
// not go in time.
func (p *peer) end(e ending) {
	p.mu.Lock()
	start := p.endLocked(e)
	p.mu.Unlock()
	if start {
		go p.flush()
	}
}

func (p *peer) endLocked(e ending) (start bool) {
	if p.reason == "" {
		p.reason = e.leave
	}
	if p.closing {
		return false
	}
	p.closing = true
	p.hold = false
	f := e.plain
	if p.rich {
		f = e.rich
	}
	if f != nil {
		p.q = append(p.q, f)
		p.addQueuedLocked(len(f))
	}
	cf := closeFrame(e.code, e.text)
	p.q = append(p.q, cf)
	p.addQueuedLocked(len(cf))
	p.closingLocked()
	return p.startLocked()
}

// closingLocked sets up what follows the queueing of a close frame.
func (p *peer) closingLocked() {
	p.closing = true
	if p.sent == nil {
		p.sent = make(chan struct{})
	}
	p.s.wheel.remove(p)
	if p.grace == nil && !p.dead {
		p.grace = time.AfterFunc(closeGrace, p.cut)
	}
}

// markSentLocked records that the close frame is written or never will be.
func (p *peer) markSentLocked() {
	if p.sent == nil {
		p.sent = closedChan
		p.sentDone = true
	}
	if !p.sentDone {
		close(p.sent)
		p.sentDone = true
	}
}

// writeFailed handles a failed write: the connection is useless.
func (p *peer) writeFailed(err error) {
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	p.mu.Lock()
	// flushing stays set: the flusher is done, but until cut marks the
	// peer dead, clearing it would let a new flusher start and write on
	// a broken connection, over the batch that failed.
	if p.reason == "" {
		p.reason = leaveLost
		if timeout {
			p.reason = leaveSlow
		}
	}
	p.mu.Unlock()
	if timeout {
		p.s.evictions.Add(1)
		p.s.log.Warn("dropping slow consumer", "conn", p.id, "addr", p.raw.RemoteAddr(), "err", err)
	} else {
		p.s.log.Debug("write failed", "conn", p.id, "addr", p.raw.RemoteAddr(), "err", err)
	}
	p.cut()
}

// cut closes the connection at once. The reader then fails and finishes.
func (p *peer) cut() {
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return
	}
	p.dead = true
	p.closing = true
	p.dropQueuedLocked()
	p.spare = nil
	p.markSentLocked()
	p.s.wheel.remove(p)
	if p.grace != nil {
		p.grace.Stop()
	}
	if p.helloWait != nil {
		p.helloWait.Stop()
	}
	if p.expiry != nil {
		p.expiry.Stop()
	}
	p.mu.Unlock()
	p.s.uncongest(p)
	p.raw.Close()
	p.wake() // a parked peer's reader finds the connection closed and finishes
}
