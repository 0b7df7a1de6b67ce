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

// peer is one WebSocket connection, rich or plain. Its life, from the
// upgrade to finish, is drawn in docs/ARCHITECTURE.md ("A peer's life");
// its state and every transition of it are in state.go.
//
// Three goroutines may touch a peer: its reader (the only caller of ws's
// read methods), its writer (the only writer to raw, the holder of
// qFlushing: a flusher goroutine started on demand and gone when the
// queue is empty, or the deferred flush of a broadcast) and whoever
// enqueues (the hub under s.mu, timers, the reader). Everything written
// to raw goes through the queue.
// Each field says who owns it: read-only, guarded by s.mu, p.mu or the
// wheel's lock, atomic, or owned by one goroutine.
type peer struct {
	// Set before the reader starts, then read-only.
	s    *Server
	id   uint64          // set by register under s.mu
	raw  net.Conn        // the hijacked connection: only the writer writes to it
	ws   *websocket.Conn // read side only: its writes land in the queue (conn.Write)
	br   *bufio.Reader   // ws's read buffer, nil if gorilla brought its own
	sock socket          // raw as the poller sees it: waits for input, writes without blocking
	ip   string          // the key counted against MaxConnsPerIP, "" when exempt
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

	// The connection's state and its outbound queue, guarded by mu.
	mu        sync.Mutex
	phase     phase         // open, closing, sent, dead: only forward (state.go)
	flags     queueFlags    // independent facts about the queue: flushing, held, traffic, congested (state.go)
	q         [][]byte      // frames waiting for the flusher
	spare     [][]byte      // the flusher's last batch, emptied, to become q again
	qbytes    int32         // bytes in q
	inflight  int32         // bytes of the batch being written
	writing   int64         // when the batch being written was started, in mono() nanoseconds; 0 when none
	reason    leaveReason   // the leave reason; the first cause wins
	sent      chan struct{} // closed on entering phaseSent; made on entering phaseClosing
	grace     *time.Timer   // phaseClosing: cuts the connection if the close frame is not written in time
	helloWait *time.Timer   // a rich peer before its hello: ends it if no hello joins it in time
	expiry    *time.Timer   // wakes a parked peer at its read deadline; rarely needed

	// Guarded by s.wheel.mu.
	wslot int32 // 1 + the ping wheel's slot holding the peer, 0 if none
	widx  int32 // the peer's index in that slot

	// The read side: whether a reader runs is independent of the phase
	// (a closing peer still reads, for the client's close frame).
	parked   atomic.Bool  // no reader runs; input or wake starts one (park, wake)
	pfd      int32        // the descriptor the peer is parked under: written by the reader before parked is set, read by whoever clears it
	deadline atomic.Int64 // the read deadline, in mono() nanoseconds: stored by the reader, loaded by the ping tick
	finished atomic.Bool  // finish has run: it must run exactly once

	// Owned by the reader goroutine (one at a time: see read).
	bad     int32  // refused frames, less one for each frame accepted since
	limit   bucket // every frame the client sends: s.sendRule
	strikes bucket // frames over the rate: s.strikeRule
	in      meter  // the frames passing from the socket to gorilla (meter.go)
}

// isClosing reports whether the server has queued its close frame: the
// peer is past phaseOpen.
func (p *peer) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phase >= phaseClosing
}
