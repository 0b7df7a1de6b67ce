package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// peer is one WebSocket connection, rich or plain.
//
// Three goroutines may touch a peer: its reader (the only caller of ws's
// read methods), its flusher (the only writer to raw, started on demand and
// gone when the queue is empty) and whoever enqueues (the hub under s.mu,
// timers, the reader). Everything written to raw goes through the queue.
type peer struct {
	s    *Server
	id   uint64
	raw  net.Conn        // the hijacked connection: only the flusher writes to it
	ws   *websocket.Conn // read side only: its writes land in the queue
	br   *bufio.Reader   // ws's read buffer, nil if gorilla brought its own
	rw   readWaiter
	ip   string // the key counted against MaxConnsPerIP, "" when exempt
	rich bool
	// gate: the room has a password this client has not yet proved it
	// knows (password.go). Set before the reader starts, then owned by it.
	gate bool

	// Room state, guarded by s.mu.
	joined bool
	slot   int32 // index in s.rich or s.plain while joined
	nick   string
	fold   string
	status wire.Presence
	sess   *session

	// Outbound queue and connection state, guarded by mu.
	mu        sync.Mutex
	flushing  bool          // a flusher goroutine is running
	busy      bool          // a frame other than a ping was queued since the last ping
	hold      bool          // the welcome is being encoded: do not flush yet
	closing   bool          // our close frame is queued: accept no more frames
	dead      bool          // raw is closed
	sentDone  bool          // sent is closed
	congested bool          // the backlog passed the high-water mark and has not yet drained below the low one (congestion.go)
	q         [][]byte      // frames waiting for the flusher
	spare     [][]byte      // the flusher's last batch, emptied, to become q again
	qbytes    int32         // bytes in q
	inflight  int32         // bytes of the batch being written
	writing   int64         // when the batch being written was started, in mono() nanoseconds; 0 when none
	reason    string        // the leave reason; the first cause wins
	sent      chan struct{} // closed once the close frame is written or never will be
	grace     *time.Timer
	helloWait *time.Timer
	expiry    *time.Timer // wakes a parked peer at its read deadline; rarely needed

	// Guarded by s.wheel.mu.
	wslot int32 // 1 + the ping wheel's slot holding the peer, 0 if none
	widx  int32 // the peer's index in that slot

	// Flusher-owned: its view of the batch being written, kept here so
	// that the vectored write does not allocate.
	bufs net.Buffers

	// Parking: see read.
	parked   atomic.Bool  // no reader runs; input or wake starts one
	pfd      int32        // the descriptor the peer is parked under
	deadline atomic.Int64 // the read deadline, in mono() nanoseconds

	finished atomic.Bool // finish has run: it must run exactly once

	// Reader-owned state.
	bad     int32  // refused frames, less one for each frame accepted since
	limit   bucket // every frame the client sends: s.sendRule
	strikes bucket // frames over the rate: s.strikeRule
	in      meter  // the frames passing from the socket to gorilla (meter.go)
}

// closedChan is a closed channel, the sent channel of a peer cut before it
// queued a close frame.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

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

// enqueue appends frame f to the queue and starts the flusher if none is
// running. A peer whose queue would overflow is closed as a slow consumer;
// frames for a closing peer are dropped.
func (p *peer) enqueue(f []byte) { p.push(f, true) }

// push is enqueue; traffic is false for the frames that do not count as
// activity when the ping tick decides whether the peer is quiet (pings).
func (p *peer) push(f []byte, traffic bool) {
	if p.queue(f, traffic) {
		go p.flush()
	}
}

// queue appends f to the queue, or ends the peer as a slow consumer if it
// would overflow. It reports whether the caller must start a flusher.
func (p *peer) queue(f []byte, traffic bool) (start bool) {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return false
	}
	s := p.s
	cfg := &s.cfg
	backlog := p.backlogLocked()
	over := len(p.q) >= cfg.QueueFrames || backlog+len(f) > cfg.QueueBytes
	if !over && cfg.MaxQueuedBytes > 0 && s.queued.Load()+int64(len(f)) > cfg.MaxQueuedBytes &&
		int64(backlog) > cfg.MaxQueuedBytes/int64(max(1, s.people.Load())) {
		// The server's output budget is spent: a peer holding more than
		// its share of it gives way; the others still get their frames,
		// so the sum stays under twice the budget.
		over = true
	}
	if over {
		frames, n := len(p.q), backlog
		// What is queued will never be read in time: free it now, so a
		// stuck client holds no more than the batch being written.
		start := p.evictLocked()
		p.mu.Unlock()
		s.uncongest(p)
		s.log.Warn("dropping slow consumer", "conn", p.id, "addr", p.raw.RemoteAddr(),
			"queued_frames", frames, "queued_bytes", n, "server_queued_bytes", s.queued.Load())
		return start
	}
	p.q = append(p.q, f)
	p.addQueuedLocked(len(f))
	if traffic {
		p.busy = true
	}
	congests := p.checkCongestedLocked()
	start = p.startLocked()
	p.mu.Unlock()
	if congests {
		s.congest(p)
	}
	return start
}

// addQueuedLocked counts n bytes more in q, in the peer's and the server's
// count of output waiting to be written.
func (p *peer) addQueuedLocked(n int) {
	p.qbytes += int32(n)
	p.s.queued.Add(int64(n))
}

// backlogLocked returns the bytes queued to p or being written: at most
// QueueBytes (under 1 GiB) and a farewell.
func (p *peer) backlogLocked() int { return int(p.qbytes) + int(p.inflight) }

// dropQueuedLocked forgets every frame in q and the batch in flight, as
// the connection will never take them.
func (p *peer) dropQueuedLocked() {
	clear(p.q)
	p.q = nil
	p.s.queued.Add(-int64(p.backlogLocked()))
	p.qbytes, p.inflight = 0, 0
}

// evictLocked ends the peer as a slow consumer: its queue is freed, its
// farewell queued. It reports whether the caller must start a flusher.
func (p *peer) evictLocked() (start bool) {
	p.dropQueuedLocked()
	p.s.evictions.Add(1)
	return p.endLocked(endSlow)
}

// flushSoon is a flusher's first step without a goroutine of its own:
// everything queued, usually the frames of one broadcast or of a burst of
// them, is written with one non-blocking writev(2) on the caller's
// goroutine (iov is that goroutine's scratch vector). Whatever that does
// not finish (a full socket buffer, a close) goes to a flusher as usual,
// so a slow client still delays nobody.
func (p *peer) flushSoon(iov *iovScratch) {
	p.mu.Lock()
	if len(p.q) == 0 || p.closing || p.dead || !p.rw.pollable() {
		p.mu.Unlock()
		go p.flush()
		return
	}
	batch := p.q
	p.q, p.spare = p.spare[:0], nil
	size := int(p.qbytes)
	p.qbytes, p.inflight = 0, p.qbytes
	p.mu.Unlock()
	n, err := p.rw.tryWritev(batch, iov)
	if err != nil && err != syscall.EAGAIN {
		clear(batch)
		p.writeFailed(err)
		return
	}
	p.mu.Lock()
	p.wroteLocked()
	if n < size && !p.dead {
		// The rest goes first, before anything queued meanwhile.
		p.requeueRestLocked(batch, n)
	} else {
		clear(batch)
		if !p.dead && p.spare == nil {
			p.spare = batch[:0]
		}
	}
	drained := p.checkDrainedLocked()
	if len(p.q) == 0 || p.dead {
		p.flushing = false
		p.mu.Unlock()
		if drained {
			p.s.uncongest(p)
		}
		return
	}
	p.mu.Unlock()
	if drained {
		p.s.uncongest(p)
	}
	go p.flush()
}

// requeueRestLocked puts what a short write of batch left unwritten (all
// but its first n bytes) at the front of the queue, before the frames
// queued meanwhile. batch becomes the queue; the queue's old slice is
// kept as the spare.
func (p *peer) requeueRestLocked(batch [][]byte, n int) {
	k := 0
	for k < len(batch) && n >= len(batch[k]) {
		n -= len(batch[k])
		k++
	}
	rest := copy(batch, batch[k:])
	clear(batch[rest:])
	batch = batch[:rest]
	batch[0] = batch[0][n:]
	left := 0
	for _, f := range batch {
		left += len(f)
	}
	batch = append(batch, p.q...)
	clear(p.q)
	if p.spare == nil {
		p.spare = p.q[:0]
	}
	p.q = batch
	p.addQueuedLocked(left)
}

// startLocked reports whether the caller must start a flusher.
func (p *peer) startLocked() bool {
	if p.flushing || p.hold || p.dead || len(p.q) == 0 {
		return false
	}
	p.flushing = true
	return true
}

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

// control takes a frame gorilla/websocket wrote itself: a pong, the echo
// of the client's close frame, or the close frame of a protocol error or
// of a message over the read limit.
func (p *peer) control(f []byte) {
	if len(f) == 0 || f[0]&0x0f != opClose {
		p.enqueue(f)
		return
	}
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.hold = false
	p.q = append(p.q, f)
	p.addQueuedLocked(len(f))
	p.closingLocked()
	start := p.startLocked()
	p.mu.Unlock()
	if start {
		go p.flush()
	}
}

// release ends the hold a join put on the queue: the welcome goes first,
// before every frame broadcast while it was being encoded.
func (p *peer) release(welcome []byte) {
	p.mu.Lock()
	if !p.closing {
		p.requeueFirstLocked(welcome)
	}
	p.hold = false
	start := p.startLocked()
	p.mu.Unlock()
	if start {
		go p.flush()
	}
}

// flush writes the queue until it is empty, one vectored write per batch,
// then exits: an idle peer has no writer goroutine.
func (p *peer) flush() {
	p.mu.Lock()
	batch := p.spare
	p.spare = nil
	p.mu.Unlock()
	for {
		p.mu.Lock()
		if len(p.q) == 0 || p.dead {
			p.flushing = false
			// Keep both slices for the next burst, however large this
			// one was: regrowing them burst after burst was a tenth of
			// the server's CPU under load, and most of its garbage. The
			// ping tick lets go of them once the peer has been quiet.
			if !p.dead {
				p.spare = batch[:0]
			}
			p.mu.Unlock()
			return
		}
		batch, p.q = p.q, batch[:0]
		p.qbytes, p.inflight = 0, p.qbytes
		last := p.closing // the close frame is queued last, so it is in this batch
		p.writing = mono()
		p.mu.Unlock()

		p.raw.SetWriteDeadline(time.Now().Add(p.s.cfg.WriteTimeout))
		p.bufs = batch
		_, err := p.bufs.WriteTo(p.raw) // writev; consumes p.bufs, not batch
		p.bufs = nil
		clear(batch)
		if err != nil {
			p.writeFailed(err)
			return
		}
		p.mu.Lock()
		p.wroteLocked()
		if last {
			p.markSentLocked()
		}
		drained := p.checkDrainedLocked()
		p.mu.Unlock()
		if drained {
			p.s.uncongest(p)
		}
	}
}

// wroteLocked records that the batch in flight is written.
func (p *peer) wroteLocked() {
	p.s.queued.Add(-int64(p.inflight))
	p.inflight = 0
	p.writing = 0
}

// requeueFirstLocked puts f at the front of the queue: the rest of a
// frame a short write left, or a welcome that must go before what was
// broadcast while it was encoded.
func (p *peer) requeueFirstLocked(f []byte) {
	p.q = append(p.q, nil)
	copy(p.q[1:], p.q)
	p.q[0] = f
	p.addQueuedLocked(len(f))
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

// idleQueueCap is the largest queue slice a quiet peer keeps.
const idleQueueCap = 4

// trimLocked lets go of large queue slices if nothing but pings was
// queued since the last ping tick, so that a peer that once had a burst
// does not hold its peak (up to twice QueueFrames slice headers) while
// idle.
func (p *peer) trimLocked() {
	if p.busy || p.flushing || len(p.q) > 0 {
		return
	}
	if cap(p.q) > idleQueueCap {
		p.q = nil
	}
	if cap(p.spare) > idleQueueCap {
		p.spare = nil
	}
}

// isClosing reports whether the server has queued its close frame.
func (p *peer) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
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

// queued reports the peer's queue length in frames and bytes.
func (p *peer) queued() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.q), p.backlogLocked()
}

// hijacker wraps the ResponseWriter handed to the Upgrader so that the
// connection gorilla/websocket gets is a conn, read through a small buffer
// the server can see.
type hijacker struct {
	http.ResponseWriter
	conn *conn
	br   *bufio.Reader
}

// Hijack implements http.Hijacker.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &conn{Conn: unwrap(c)}
	if brw.Reader.Buffered() == 0 {
		// The Upgrader (ReadBufferSize 0) adopts this reader as its own,
		// instead of the HTTP server's 4 KiB one
		// (TestGorillaAdoptsReadBuffer). It reads h.conn from the start,
		// so gorilla's own Reset of it changes nothing.
		h.br = bufio.NewReaderSize(h.conn, readBufferSize)
		brw = bufio.NewReadWriter(h.br, brw.Writer)
	}
	return h.conn, brw, nil
}

// conn is the hijacked connection as gorilla/websocket sees it. Until the
// handshake is written it is the plain connection; from then on, the
// frames gorilla writes by itself (pongs, close frames) are copied into
// the peer's queue instead of being written, so that the peer's flusher is
// the only writer, and gorilla's write deadlines are ignored because the
// flusher sets its own.
type conn struct {
	net.Conn
	p *peer // nil during the handshake
}

// Write implements net.Conn. After the handshake each Write from gorilla
// is one whole control frame (WriteControl builds it in one buffer):
// TestGorillaControlFrameOneWrite.
func (c *conn) Write(b []byte) (int, error) {
	if c.p == nil {
		return c.Conn.Write(b)
	}
	c.p.control(bytes.Clone(b))
	return len(b), nil
}

// Read implements net.Conn. Once the connection is a peer's, every byte
// gorilla reads passes the peer's input meter first.
func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.p != nil && n > 0 {
		if merr := c.p.in.feed(b[:n]); merr != nil {
			return 0, merr
		}
	}
	return n, err
}

// SetWriteDeadline implements net.Conn.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if c.p == nil {
		return c.Conn.SetWriteDeadline(t)
	}
	return nil
}

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error {
	if c.p == nil {
		return c.Conn.SetDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}
