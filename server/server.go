// Package server is Parley's chat server: one room shared by rich clients
// (WebSocket subprotocol parley.v1, JSON frames) and plain-text clients (any
// WebSocket client: one line of text per frame), as described in
// docs/PROTOCOL.md.
//
// A Server is an http.Handler, so it can be served by any http.Server or
// httptest.Server. Serve and Run accept connections themselves: they read
// WebSocket upgrades without net/http's per-connection buffers and hand
// every other request to an http.Server with the timeouts the protocol
// needs. A connection's writer goroutine exists only while it has frames
// to write; its reader goroutine, on Linux, only while it has input (an
// idle connection is parked in an epoll set), elsewhere for its whole
// life. A broadcast is
// encoded and framed once per mode and the same bytes are queued to every
// recipient; a recipient that lets its bounded queue overflow is dropped
// as a slow consumer without delaying anyone else.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server/store"
)

// ErrClosed is returned by Serve after Shutdown.
var ErrClosed = http.ErrServerClosed

// shutdownTimeout bounds the graceful part of Run's shutdown.
const shutdownTimeout = 5 * time.Second

// Server is a chat room served over WebSocket. Create it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	up       websocket.Upgrader // ServeHTTP's upgrades
	serveUp  websocket.Upgrader // Serve's own upgrades (serveConn): refusals are left to hs
	hs       *http.Server       // answers everything but Serve's upgrades
	hsOnce   sync.Once
	wheel    wheel
	handoff  handoffListener
	epoch    string
	limits   wire.Limits
	software string
	hooks    *testHooks // nil but in tests

	gate *gatekeeper // the room password; nil when there is none (password.go)

	// The rules of every peer's buckets (limits.go).
	sendRule   rule // frames a client sends: Rate and Burst
	strikeRule rule // frames over the rate a client may send before it is closed

	mu        sync.Mutex
	listeners map[net.Listener]struct{} // what Serve accepts on
	conns     map[*peer]struct{}        // every upgraded connection
	pending   int                       // counted connections that are not peers: requests being read, HTTP, upgrades
	perIP     map[string]int            // counted connections per client address, peers and pending
	nicks     map[string]*peer          // joined peers by nickname.Fold of their nicknames
	skels     map[string]*peer          // joined peers by nickname.Skeleton of their nicknames
	rich      []*peer                   // joined rich peers
	plain     []*peer                   // joined plain peers
	backlog   *backlog
	assigned  uint64 // the last message id given out; above backlog.last while committing
	sessions  map[string]*session
	restored  map[string]*session // sessions from the store by key, until presented
	detached  []detached
	guests    int      // the N of the last guest-N
	pend      *[]*peer // peers a broadcast found idle, for the deferred flush (flushPending); nil when none is pending
	nextConn  uint64
	closing   bool
	farewell  ending        // how Shutdown ends connections
	drained   chan struct{} // closed when conns is empty after Shutdown began
	mod       moderation    // roles, bans, mutes and the topic (moderation.go)

	// The connection ledger: every connection reserve admits is given
	// back exactly once, by unreserve (its upgrade failed) or by
	// unregister (it finished). Both guarded by mu.
	admitted uint64
	released uint64
	bugs     atomic.Uint64 // invariant violations seen (a peer finished twice)

	queued     atomic.Int64 // bytes queued to every peer or being written (MaxQueuedBytes)
	congestion congestion   // peers whose backlog passed the high-water mark (congestion.go)

	evictions   atomic.Uint64
	congestions atomic.Uint64
	throttled   atomic.Uint64
	limited     atomic.Uint64
	refused     atomic.Uint64
	dupes       atomic.Uint64
	refusing    atomic.Int32 // refusals answering on their own goroutine (see refuseConn)
	people      atomic.Int32 // len(rich)+len(plain), for readers without mu

	store  Store         // the history beyond the backlog: cfg.Store or mem
	mem    *store.Memory // the history when there is no cfg.Store
	commit *committer    // commits to cfg.Store; nil without one
}

// New returns a server for cfg, with defaults for its zero fields, that
// keeps its history in memory. It serves nothing until it is handed
// connections by Serve or by an http.Server using it as its Handler. A
// server with a Store is made by Open; New panics if cfg.Store is set.
func New(cfg Config) *Server {
	if cfg.Store != nil {
		panic("server: New with a Store; use Open")
	}
	s := newServer(cfg)
	s.mem = store.NewMemory(s.cfg.Backlog)
	s.store = s.mem
	return s
}

// newServer returns a server for cfg with an empty history.
func newServer(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		epoch:    newEpoch(),
		software: "parley/" + cfg.Version,
		conns:    make(map[*peer]struct{}),
		perIP:    make(map[string]int),
		nicks:    make(map[string]*peer),
		skels:    make(map[string]*peer),
		backlog:  newBacklog(cfg.Backlog),
		sessions: make(map[string]*session),
		restored: make(map[string]*session),
	}
	s.limits = wire.Limits{MaxText: cfg.MaxText, MaxFrame: cfg.MaxFrame}
	if cfg.Rate > 0 {
		s.limits.Rate, s.limits.Burst = cfg.Rate, cfg.Burst
		s.sendRule = rule{rate: cfg.Rate, burst: float64(cfg.Burst)}
		// A client may go over the rate now and then (a paste); one that
		// keeps going over it runs out of strikes and is closed.
		s.strikeRule = rule{rate: max(1, cfg.Rate/10), burst: float64(cfg.Burst)}
	}
	s.up = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		// ReadBufferSize 0 makes gorilla adopt the small read buffer the
		// hijacker hands it (TestGorillaAdoptsReadBuffer); the pool keeps
		// gorilla from allocating a write buffer it would never use, as
		// the server frames its own writes (TestGorillaNoWriteBuffer).
		WriteBufferPool:   noWriteBuffers{},
		Subprotocols:      []string{wire.Subprotocol},
		CheckOrigin:       s.checkOrigin,
		EnableCompression: false,
		Error:             s.handshakeError,
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HandshakeTimeout,
		WriteTimeout:      cfg.HandshakeTimeout,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		// The connections Serve hands over carry their place in the
		// connection counts: the request sees it, and the count is
		// given back when the connection closes (see replayConn).
		ConnContext: withReplayConn,
		ConnState:   s.connState,
	}
	s.gate = newGatekeeper(cfg)
	s.handoff.init()
	s.wheel.init(s)
	s.serveUp = s.up
	s.serveUp.CheckOrigin = s.originAllowed
	s.serveUp.Error = func(http.ResponseWriter, *http.Request, int, error) {}
	return s
}

// noWriteBuffers is a write buffer pool that is never used: setting one
// keeps gorilla from allocating a write buffer per connection, and the
// server never calls gorilla's writers. That gorilla then holds none is
// its internals, pinned by TestGorillaNoWriteBuffer.
type noWriteBuffers struct{}

func (noWriteBuffers) Get() any  { return nil }
func (noWriteBuffers) Put(x any) {}

// newEpoch returns a random id for this server instance.
func newEpoch() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Epoch returns the random id of this server instance that rich clients
// present when they resume.
func (s *Server) Epoch() string { return s.epoch }

// Run listens on cfg.Addr and serves until ctx ends, then shuts down: every
// client gets bye "shutdown" and a 1001 close, within a bounded time.
func Run(ctx context.Context, cfg Config) error {
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.log.Info("parley server listening", "addr", ln.Addr().String(), "room", s.cfg.Room,
		"version", s.cfg.Version, "epoch", s.epoch)
	s.logTLS()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	stop := func() {}
	if s.cfg.OnListen != nil {
		if f := s.cfg.OnListen(s, ln.Addr()); f != nil {
			stop = f
		}
	}
	select {
	case err := <-errc:
		stop()
		return err
	case <-ctx.Done():
	}
	// Before the shutdown: an announcement ends before the clients are
	// told, so that nobody finds the chat while it ends.
	stop()
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = s.Shutdown(sctx, wire.ByeShutdown, "The server is shutting down.")
	if serr := <-errc; serr != nil && !errors.Is(serr, ErrClosed) && err == nil {
		err = serr
	}
	s.log.Info("stopped")
	return err
}

// Shutdown stops accepting connections, sends every client a farewell (a
// bye frame to rich clients, a "* text" line to plain ones) and a 1001
// close frame, and waits until every connection is closed or ctx ends, when
// it cuts the rest. reason tells rich clients whether to reconnect
// (wire.ByeShutdown) or not (wire.ByeEnded). It returns ctx's error if it
// had to cut connections.
func (s *Server) Shutdown(ctx context.Context, reason wire.ByeReason, text string) error {
	if text == "" {
		text = "The server is shutting down."
	}
	e := ending{
		code: websocket.CloseGoingAway, text: text, leave: leaveShutdown,
		rich:  mustJSONFrame(wire.Bye{Reason: reason, Text: text}),
		plain: textFrame(wire.PlainNotice(text)),
	}
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		s.farewell = e
		s.drained = make(chan struct{})
		s.checkDrainedLocked()
	}
	peers := make([]*peer, 0, len(s.conns))
	for p := range s.conns {
		peers = append(peers, p)
	}
	drained := s.drained
	s.mu.Unlock()

	s.closeListeners()
	hsDone := make(chan error, 1)
	go func() { hsDone <- s.hs.Shutdown(ctx) }()

	for _, p := range peers {
		p.end(e)
	}
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = fmt.Errorf("server: shutdown: %w", ctx.Err())
		s.mu.Lock()
		left := make([]*peer, 0, len(s.conns))
		for p := range s.conns {
			left = append(left, p)
		}
		s.mu.Unlock()
		s.log.Warn("cutting connections that did not close in time", "conns", len(left))
		for _, p := range left {
			p.cut()
		}
		// Cut readers finish at once; the bound only guards against a bug.
		select {
		case <-drained:
		case <-time.After(closeGrace):
		}
	}
	s.stopCommitter()
	if herr := <-hsDone; herr != nil && err == nil && !errors.Is(herr, context.Canceled) &&
		!errors.Is(herr, context.DeadlineExceeded) {
		err = fmt.Errorf("server: shutdown: %w", herr)
	}
	return err
}

// Stats is a snapshot of a server's state and counters.
type Stats struct {
	Conns        int    // WebSocket connections, joined or not
	Rich         int    // rich clients in the room
	Plain        int    // plain clients in the room
	QueuedFrames int    // frames waiting in all outbound queues
	QueuedBytes  int    // bytes waiting in all outbound queues
	LastID       uint64 // id of the newest message
	Sessions     int    // sessions held, attached or not
	Evictions    uint64 // connections dropped as slow consumers
	RateLimited  uint64 // messages refused by the rate limit
	Refused      uint64 // connections refused by MaxConns or MaxConnsPerIP
	Open         int    // connections counted against MaxConns: WebSocket, HTTP, requests still arriving
	Addresses    int    // client addresses with connections counted against MaxConnsPerIP
	Duplicates   uint64 // repeated sends and private messages dropped by client message id
	Congestions  uint64 // times a peer's backlog passed the high-water mark
	Throttled    uint64 // times a producer's reader was held while a peer was congested
	Pending      int    // messages waiting for their commit to the store
}

// Room returns the room's name.
func (s *Server) Room() string { return s.cfg.Room }

// People returns how many people are in the room, rich and plain. It is
// one atomic load: an announcement may poll it.
func (s *Server) People() int { return int(s.people.Load()) }

// Stats returns a snapshot of the server's state.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{
		Conns:     len(s.conns),
		Rich:      len(s.rich),
		Plain:     len(s.plain),
		LastID:    s.backlog.last,
		Sessions:  len(s.sessions),
		Open:      len(s.conns) + s.pending,
		Addresses: len(s.perIP),
		Pending:   int(s.assigned - s.backlog.last),
	}
	peers := make([]*peer, 0, len(s.conns))
	for p := range s.conns {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		f, b := p.queued()
		st.QueuedFrames += f
		st.QueuedBytes += b
	}
	st.Evictions = s.evictions.Load()
	st.RateLimited = s.limited.Load()
	st.Refused = s.refused.Load()
	st.Duplicates = s.dupes.Load()
	st.Congestions = s.congestions.Load()
	st.Throttled = s.throttled.Load()
	return st
}
