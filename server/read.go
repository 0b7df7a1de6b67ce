package server

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// A peer's read side: its reader, parking an idle peer, pongs, pings and
// the read deadline, and finishing once the reader stops.

// startPings puts the peer in the server's ping wheel. Each ping is
// queued like any frame.
func (p *peer) startPings() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closing {
		p.s.wheel.add(p)
	}
}

// pingTick is the peer's turn in the ping wheel: it trims the queue of a
// quiet peer and queues a ping.
func (p *peer) pingTick() {
	p.mu.Lock()
	p.trimLocked()
	p.busy = false
	p.mu.Unlock()
	p.push(pingFrame, false)
	p.watchDeadline()
}

// startReading sets up the peer's read side and runs its reader.
func (p *peer) startReading() {
	p.ws.SetReadLimit(int64(p.s.cfg.MaxFrame))
	p.ws.SetPongHandler(func(string) error {
		p.extend()
		return nil
	})
	p.extend()
	p.read()
}

// read is the peer's reader: it runs until the connection fails or the
// close handshake ends, then finishes the peer. Where the platform allows,
// a reader that has had no input for a moment parks the peer instead and
// returns; a reader starts again (read again) when input arrives. Only one
// reader runs at a time.
func (p *peer) read() {
	var err error
	for {
		if p.br != nil {
			if p.br.Buffered() == 0 {
				if err = p.await(); err != nil {
					if err == errParked {
						return
					}
					break
				}
				if _, err = p.br.Peek(1); err != nil {
					break
				}
			}
			if p.skipPongs() && p.br.Buffered() == 0 {
				continue
			}
			if err = p.checkClose(); err != nil {
				break
			}
		}
		var typ int
		var data []byte
		typ, data, err = p.ws.ReadMessage()
		if err != nil {
			break
		}
		if p.isClosing() {
			// Wait for the client's answer to our close frame, but not
			// longer than the grace period.
			continue
		}
		p.extend()
		p.s.handle(p, typ, data)
		if p.s.congestion.holding.Load() {
			p.s.throttle(p)
		}
	}
	p.finish(err)
}

// errParked reports that the reader parked the peer and must return.
var errParked = errors.New("parked")

// parkAfter is how long a reader waits for more input before it parks
// the peer: a busy client's next frame is usually moments away, and a
// park costs a few system calls and a new goroutine.
const parkAfter = 20 * time.Millisecond

// await returns once the connection has input or an error to report, or
// errParked once it parked the peer. It waits on a shallow stack (see
// readWaiter).
func (p *peer) await() error {
	if !canPark || !p.rw.pollable() {
		return p.rw.wait()
	}
	if ready, err := p.rw.ready(); ready || err != nil {
		return err
	}
	d := p.deadline.Load()
	if short := mono() + int64(parkAfter); short < d {
		p.raw.SetReadDeadline(clockBase.Add(time.Duration(short)))
		err := p.rw.wait()
		p.raw.SetReadDeadline(clockBase.Add(time.Duration(d)))
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			return err
		}
	}
	if p.park() {
		p.watchDeadline()
		return errParked
	}
	return p.rw.wait()
}

// extend moves the read deadline PongTimeout ahead: the client showed it
// is alive.
func (p *peer) extend() {
	d := mono() + int64(p.s.cfg.PongTimeout)
	p.deadline.Store(d)
	p.raw.SetReadDeadline(clockBase.Add(time.Duration(d)))
}

// mono returns the monotonic clock in nanoseconds since clockBase.
func mono() int64 { return int64(time.Since(clockBase)) }

// skipPongs consumes the complete pong frames at the start of the read
// buffer, as gorilla's pong handler would: between messages gorilla is at
// a frame boundary, and a pong read by gorilla would leave the reader
// waiting for the next frame deep inside gorilla, where it can neither
// park nor have its stack shrunk. Anything else is left to gorilla,
// which also checks what a pong must be. TestGorillaSkipPongs pins what
// this relies on: gorilla stops at the frame boundary after a message,
// and keeps no state that the skipped pongs would have touched.
func (p *peer) skipPongs() bool {
	skipped := false
	for {
		n := p.br.Buffered()
		if n < 6 {
			return skipped
		}
		b, _ := p.br.Peek(min(n, 6+125))
		// Final, no reserved bits, pong; masked, as client frames are;
		// a control frame's payload is at most 125 bytes.
		if b[0] != finBit|opPong || b[1]&0x80 == 0 || b[1]&0x7f > 125 {
			return skipped
		}
		size := 6 + int(b[1]&0x7f)
		if len(b) < size {
			return skipped
		}
		p.br.Discard(size)
		p.extend()
		skipped = true
	}
}

// wake starts a reader for a parked peer: it has input, an error, or a
// deadline that passed. It does nothing for a peer that is not parked.
func (p *peer) wake() {
	if p.parked.CompareAndSwap(true, false) {
		unparked(p)
		go p.read()
	}
}

// watchDeadline makes sure a parked peer is woken when its read deadline
// passes: the ping wheel looks at it once per PingInterval, and a timer
// covers a deadline that falls before the wheel's next visit. Such a
// timer is rare: a healthy client's pongs keep its deadline further off.
func (p *peer) watchDeadline() {
	if !p.parked.Load() {
		return
	}
	left := time.Duration(p.deadline.Load() - mono())
	if left <= 0 {
		p.wake()
		return
	}
	if left >= p.s.cfg.PingInterval {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		return
	}
	if p.expiry == nil {
		p.expiry = time.AfterFunc(left, p.watchDeadline)
	} else {
		p.expiry.Reset(left)
	}
}

// finish ends a peer whose reader stopped with err: it leaves the room,
// its close frame is written (bounded by the grace period), then the
// socket is closed in a way that does not reset the close frame away.
func (p *peer) finish(err error) {
	if p.finished.Swap(true) {
		p.s.bugs.Add(1)
		p.s.log.Error("BUG: a connection finished twice", "conn", p.id, "err", err)
		return
	}
	var ce *websocket.CloseError
	var ne net.Error
	// gorilla reports a connection that ends without a close frame as a
	// CloseError with code 1006, which no peer can send.
	handshakeDone := errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
	switch {
	case handshakeDone:
		// gorilla queued the echo of the client's close frame already.
		p.end(ending{code: websocket.CloseNormalClosure, leave: leaveQuit})
	case errors.As(err, &ne) && ne.Timeout():
		p.end(endTimeout)
	case errors.Is(err, errControlFlood), errors.Is(err, errFragments):
		p.s.log.Info("closing a flooding client", "conn", p.id, "addr", p.raw.RemoteAddr(), "why", err)
		p.end(endFlood)
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla queued the 1009 close itself.
		p.end(ending{code: websocket.CloseMessageTooBig, text: "message too big", leave: leavePolicy})
	case ce != nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		// Nothing to say to a connection that is gone.
		p.end(ending{code: websocket.CloseGoingAway, leave: leaveLost})
	default:
		// A protocol error: gorilla queued a 1002 close itself, or the
		// connection broke.
		p.end(ending{code: websocket.CloseProtocolError, text: "protocol error", leave: leavePolicy})
	}
	p.s.leave(p)

	p.mu.Lock()
	sent, dead := p.sent, p.dead
	if sent == nil {
		sent = closedChan
	}
	p.mu.Unlock()
	<-sent // closed by the flusher, a failed write or the grace timer
	if !handshakeDone && !dead {
		p.linger()
	}
	p.cut()
	p.s.unregister(p)
	if err != nil && !handshakeDone {
		p.s.log.Debug("connection ended", "conn", p.id, "addr", p.raw.RemoteAddr(), "err", err)
	}
}

// linger half-closes the connection after our close frame and reads what
// the client still sends until it closes too, briefly. Closing a socket
// with unread input makes the kernel reset it, and a reset can destroy our
// close frame before the client reads it.
func (p *peer) linger() {
	p.mu.Lock()
	dead := p.dead
	p.mu.Unlock()
	if dead {
		return
	}
	if hc, ok := p.raw.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
	}
	p.raw.SetReadDeadline(time.Now().Add(lingerTime))
	io.CopyN(io.Discard, p.raw, 256<<10)
}
