package server

import (
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"
	"time"

	"parley/net/password"
	"parley/net/wire"
)

// Config holds a server's settings. The zero value of every field means the
// documented default, so Config{} is a working server on ":2000".
type Config struct {
	// Addr is the TCP address Run listens on. Default ":2000".
	Addr string
	// Room is the room's name, sent in every welcome. Default "Parley".
	Room string
	// HostKey is the secret that makes a client the host (a claim frame,
	// or /host KEY): it may kick, mute and ban, name moderators and set
	// the topic. Empty: nobody is the host, so nobody can moderate.
	HostKey string
	// Version is the server software's version, sent in every welcome as
	// "parley/<Version>". Default "dev".
	Version string

	// Backlog is how many recent messages the server keeps for new and
	// resuming clients. Default 500.
	Backlog int
	// MaxFrame is the largest WebSocket message, in bytes, read from a
	// client; a larger one closes the connection with 1009.
	// Default wire.DefaultMaxFrame (64 KiB).
	MaxFrame int
	// MaxText is the largest chat text, in bytes after cleaning; a longer
	// one is refused with error too_long. Default wire.DefaultMaxText.
	MaxText int

	// QueueFrames and QueueBytes bound each client's outbound queue. A
	// client whose queue would grow past either is dropped as a slow
	// consumer (bye "slow", close 1008). Defaults 1024 frames and 1 MiB.
	// Past a quarter of either, the client is congested and the server
	// stops reading from senders until it drains (congestion.go).
	QueueFrames int
	QueueBytes  int
	// MaxQueuedBytes bounds the output queued to all clients together:
	// once it is reached, a client with anything queued already is
	// dropped as a slow consumer rather than given more. Default 256 MiB;
	// negative means no bound.
	MaxQueuedBytes int64
	// MaxLag is how long a congested client's write (its queue past a
	// quarter of its bound) may stay blocked while it holds the senders
	// back: past it, the client no longer holds anyone, and is dropped
	// when its queue overflows. Default 250ms.
	MaxLag time.Duration

	// PingInterval is how often the server pings each client. Default 10s.
	PingInterval time.Duration
	// PongTimeout is how long a client may stay silent (no pong, no data)
	// before it is dropped as dead. It must exceed PingInterval.
	// Default 25s.
	PongTimeout time.Duration
	// WriteTimeout bounds each write to a client; a client that accepts no
	// bytes for that long is dropped as slow. Default 10s.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds reading the HTTP request and answering the
	// WebSocket upgrade, so that half-open handshakes (slowloris) go away.
	// On Serve's connections it is one deadline from accept to the end of
	// the first request head, however the head stalls. Default 5s.
	HandshakeTimeout time.Duration
	// HelloTimeout is how long a rich client may take to join with a valid
	// hello before it is closed with 1008. Default 10s.
	HelloTimeout time.Duration

	// Rate and Burst are the per-connection token bucket for incoming
	// messages (messages per second, bucket size). A message over the rate
	// is dropped with error rate_limited; a client that keeps flooding is
	// closed with 1008. Defaults 30/s and 60. A negative Rate disables the
	// limit.
	Rate  float64
	Burst int

	// MaxConns is the most connections at once; more are refused with
	// HTTP 503. Default 10000; negative means no limit. Serve counts every
	// connection it accepts, from accept to close: WebSockets, HTTP
	// connections (kept alive or not) and requests still arriving. Behind
	// another http.Server (ServeHTTP) only WebSocket connections are
	// counted: limit the rest in that server.
	MaxConns int
	// MaxConnsPerIP is the most connections from one IP address, counted
	// as for MaxConns; more are refused with HTTP 429. Default 64;
	// negative means no limit.
	// Loopback addresses are exempt unless LimitLoopback is set, because
	// every client of a server on 127.0.0.1 shares that address.
	MaxConnsPerIP int
	// LimitLoopback applies MaxConnsPerIP to loopback clients too.
	LimitLoopback bool

	// AllowedOrigins lists the browser origins that may connect, as
	// "scheme://host[:port]" or a bare "host[:port]". A request without an
	// Origin header (any non-browser client) is always allowed. Empty means
	// same-origin only: the Origin's host must equal the request's Host.
	// "*" allows every origin.
	AllowedOrigins []string

	// DataDir is the folder the server keeps its state in: the
	// self-signed certificate (under DataDir/tls, see LoadCertificate).
	// Empty means none.
	DataDir string
	// TLS, when set, makes Serve and Run speak TLS: one port serves
	// wss:// and https://. Plain connections to that port are refused
	// with a 400 that names the https:// address, unless AllowPlain. Nil
	// serves ws:// and http:// only. See NewTLSConfig and tls.go.
	TLS *tls.Config
	// AllowPlain, with TLS set, serves plain ws:// and http:// on the same
	// port as well, for plain-text clients that cannot do TLS.
	AllowPlain bool
	// Store keeps the room's history, identity and recent client message
	// ids across restarts (store.DB); Open takes them up. Nil keeps the
	// history in memory, as New does. The caller closes it after
	// Shutdown.
	Store Store

	// Password, when set, is the room password: clients must prove they
	// know it before they join (password.go). PasswordTries wrong ones
	// from one address (default 5) lock it out for PasswordLockout
	// (default 30s), doubling with each further wrong one.
	Password        *password.Verifier
	PasswordTries   int
	PasswordLockout time.Duration

	// Logger receives the server's logs. Default: discard.
	Logger *slog.Logger

	// OnListen, if set, is called by Run once it listens, with the
	// server and its address; the function it returns, if any, runs when
	// Run stops, before the clients are told. It is how main adds work
	// that lives as long as the server (announcing it on the network,
	// checking its addresses) without the server depending on it.
	OnListen func(s *Server, addr net.Addr) (stop func())
}

// Defaults for Config's zero values.
const (
	DefaultRoom             = "Parley"
	DefaultBacklog          = 500
	DefaultQueueFrames      = 1024
	DefaultQueueBytes       = 1 << 20
	DefaultMaxQueuedBytes   = 256 << 20
	DefaultMaxLag           = 250 * time.Millisecond
	DefaultPingInterval     = 10 * time.Second
	DefaultPongTimeout      = 25 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultHelloTimeout     = 10 * time.Second
	DefaultRate             = 30
	DefaultBurst            = 60
	DefaultMaxConns         = 10000
	DefaultMaxConnsPerIP    = 64
)

// Fixed limits that are not worth a setting.
const (
	// maxBadFrames is how many refused frames in a row (malformed JSON,
	// unknown types, binary frames, frames before hello) close a rich
	// connection with 1008.
	maxBadFrames = 10
	// closeGrace is how long a connection we are closing may take to
	// receive our close frame and answer it before we cut it.
	closeGrace = 2 * time.Second
	// lingerTime bounds reading what a client still sends after our close
	// frame, so that closing the socket does not reset it and destroy the
	// close frame in flight.
	lingerTime = time.Second
	// maxQueueBytes caps QueueBytes, so that a queue's bytes fit the
	// int32 a peer counts them in.
	maxQueueBytes = 1 << 30
	// historyBytes caps the history in one welcome, so that one joining
	// client cannot pin more than this much memory beyond its queue.
	historyBytes = 512 << 10
	// recentCIDs is how many client message ids per session the server
	// remembers to drop repeated sends.
	recentCIDs = 256
	// maxSessions bounds the sessions kept for clients that went away, so
	// that they can resume and have repeated sends dropped.
	maxSessions = 4096
	// sessionTTL is how long a session outlives its last connection.
	sessionTTL = 30 * time.Minute
	// readBufferSize is the per-connection read buffer. Messages may be
	// larger (they are read past it); a small buffer keeps idle
	// connections cheap. gorilla/websocket adopts a hijacked reader only
	// if it is over 256 bytes, and peeks at most 125 at once
	// (TestGorillaAdoptsReadBuffer).
	readBufferSize = 320
)

// DefaultAddr is Config.Addr's default: every interface, on
// wire.DefaultPort.
func DefaultAddr() string { return ":" + strconv.Itoa(wire.DefaultPort) }

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	// Where a negative value means something (-1: no limit; a negative
	// rate: none), only zero takes the default.
	orDefault(&c.Addr, DefaultAddr())
	orDefault(&c.Room, DefaultRoom)
	orDefault(&c.Version, "dev")
	orDefault(&c.MaxQueuedBytes, DefaultMaxQueuedBytes)
	orDefault(&c.Rate, DefaultRate)
	orDefault(&c.MaxConns, DefaultMaxConns)
	orDefault(&c.MaxConnsPerIP, DefaultMaxConnsPerIP)
	orDefault(&c.Logger, slog.New(slog.DiscardHandler))
	// Elsewhere a negative value means nothing and takes the default too.
	positive(&c.Backlog, DefaultBacklog)
	positive(&c.MaxFrame, wire.DefaultMaxFrame)
	positive(&c.MaxText, wire.DefaultMaxText)
	positive(&c.QueueFrames, DefaultQueueFrames)
	positive(&c.QueueBytes, DefaultQueueBytes)
	c.QueueBytes = min(c.QueueBytes, maxQueueBytes)
	positive(&c.MaxLag, DefaultMaxLag)
	positive(&c.PingInterval, DefaultPingInterval)
	positive(&c.PongTimeout, DefaultPongTimeout)
	if c.PongTimeout <= c.PingInterval {
		c.PongTimeout = c.PingInterval * 5 / 2
	}
	positive(&c.WriteTimeout, DefaultWriteTimeout)
	positive(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	positive(&c.HelloTimeout, DefaultHelloTimeout)
	positive(&c.Burst, DefaultBurst)
	positive(&c.PasswordTries, DefaultPasswordTries)
	positive(&c.PasswordLockout, DefaultPasswordLockout)
	return c
}

// orDefault sets *v to def when it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// positive sets *v to def unless it is above zero.
func positive[T ~int | ~int64 | ~float64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
