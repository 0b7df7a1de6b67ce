package server

import (
	"syscall"
	"time"
)

// A peer's outbound queue and its flushing: every byte written to a
// peer's socket passes through the queue and is written by one flusher at
// a time.

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

// queued reports the peer's queue length in frames and bytes.
func (p *peer) queued() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.q), p.backlogLocked()
}
