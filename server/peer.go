package server

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
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

// isClosing reports whether the server has queued its close frame.
func (p *peer) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
}
