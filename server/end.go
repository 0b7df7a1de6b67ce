package server

import (
	"errors"
	"net"
	"strconv"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// Ending a peer: the farewells and close codes it is ended with
// (ending), and what starts its closing (end) or cuts it (a failed
// write). The transitions themselves are in state.go.

// ending describes how the server ends a connection on purpose.
type ending struct {
	code  int         // WebSocket close code
	text  string      // close frame reason, for people
	leave leaveReason // the reason in the leave event others see
	rich  []byte      // frame sent to a rich client before the close, or nil
	plain []byte      // frame sent to a plain client before the close, or nil
}

// leaveReason is why a peer left, as the leave event others see says it
// (String). One byte, not a string: every connection holds one.
type leaveReason uint8

// Leave reasons.
const (
	leaveUnknown  leaveReason = iota // none recorded yet: the first cause recorded wins
	leaveQuit                        // the client closed the connection
	leaveLost                        // the connection dropped without a close frame
	leaveTimeout                     // no pong or data within PongTimeout
	leaveSlow                        // the client did not read fast enough
	leaveReplaced                    // the session connected again
	leavePolicy                      // the client broke a rule and was closed
	leaveShutdown                    // the server is stopping
	leaveKicked                      // a moderator kicked the client (moderation.go)
	leaveBanned                      // a moderator banned the client (moderation.go)
)

// leaveNames are the reasons as sent in leave events (docs/PROTOCOL.md).
var leaveNames = [...]string{
	leaveUnknown:  "",
	leaveQuit:     "quit",
	leaveLost:     "lost",
	leaveTimeout:  "timeout",
	leaveSlow:     "slow",
	leaveReplaced: "replaced",
	leavePolicy:   "policy",
	leaveShutdown: "shutdown",
	leaveKicked:   "kicked",
	leaveBanned:   "banned",
}

// String returns the reason as sent in leave events.
func (r leaveReason) String() string {
	if int(r) < len(leaveNames) {
		return leaveNames[r]
	}
	return "leave(" + strconv.Itoa(int(r)) + ")"
}

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
// already closing (beginClosingLocked), and records e's leave reason
// unless one is recorded.
func (p *peer) end(e ending) {
	p.mu.Lock()
	start := p.endLocked(e)
	p.mu.Unlock()
	if start {
		go p.flush()
	}
}

// endLocked is end under p.mu. It reports whether the caller must start
// a flusher.
func (p *peer) endLocked(e ending) (start bool) {
	if p.reason == leaveUnknown {
		p.reason = e.leave
	}
	if p.phase != phaseOpen {
		return false
	}
	f := e.plain
	if p.rich {
		f = e.rich
	}
	return p.beginClosingLocked(f, closeFrame(e.code, e.text))
}

// writeFailed handles a failed write: the connection is useless.
func (p *peer) writeFailed(err error) {
	timeout := isTimeout(err)
	p.mu.Lock()
	// qFlushing stays set: the flusher is done, but until cut makes the
	// peer dead, clearing it would let a new flusher start and write on
	// a broken connection, over the batch that failed.
	if p.reason == leaveUnknown {
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

// isTimeout reports whether err is a passed deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
