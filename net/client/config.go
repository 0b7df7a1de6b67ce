package client

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"parley/net/pin"
)

// What a caller chooses about a connection (Config), and the defaults of
// what it leaves out.

// Defaults for the zero values of Config.
const (
	DefaultDialTimeout   = 10 * time.Second
	DefaultMinBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultOutboxLimit   = 1000
	DefaultPingInterval  = 15 * time.Second
	DefaultPongTimeout   = 35 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	DefaultReadLimit     = 32 << 20
	DefaultEventBuffer   = 256
	DefaultGreetingWait  = 500 * time.Millisecond
	DefaultPlainEchoWait = 5 * time.Second
	DefaultAgent         = "parley"
)

// Config describes a connection. Zero values mean the defaults above.
type Config struct {
	// Addr is the server: anything ParseAddr accepts.
	Addr string
	// Nick is the wanted nickname (nickname.Check rules). In plain mode
	// it only labels this user's own messages locally.
	Nick string
	// Logger receives connection state changes; nil discards them.
	Logger *slog.Logger
	// Agent names the client software to the server ("parley/1.2.0").
	Agent string
	// DialTimeout bounds one connection attempt: TCP, TLS, the WebSocket
	// upgrade and the hello/welcome exchange.
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a reconnect attempt;
	// it doubles per failed attempt, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// OutboxLimit is how many messages may wait for delivery at once.
	OutboxLimit int
	// PingInterval is how often the client pings the server, so that a
	// server that vanished without a FIN (a laptop gone to sleep) is
	// noticed.
	PingInterval time.Duration
	// PongTimeout is how long the connection may stay silent (no frame,
	// no pong) before it counts as dead. It is raised to twice
	// PingInterval if set lower.
	PongTimeout time.Duration
	// WriteTimeout bounds every write.
	WriteTimeout time.Duration
	// ReadLimit is the largest frame accepted from the server: a welcome
	// carries the whole backlog, so it is large.
	ReadLimit int64
	// EventBuffer is the capacity of the Events channel.
	EventBuffer int
	// GreetingWait is how long, in plain mode, the client waits for a
	// greeting before reporting Connected without one.
	GreetingWait time.Duration
	// PlainEchoWait is how long, in plain mode, a sent line may go without
	// coming back before the client stops waiting for an echo and shows it
	// as sent (some plain servers do not echo to the sender).
	PlainEchoWait time.Duration
	// NetDial, if set, opens the TCP connections (tests count and cut
	// them through it).
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is used for wss:// addresses. Without Fingerprint or
	// Pins, it verifies certificates as usual (by certificate authority);
	// with either, the pin decides (see tls.go).
	TLSConfig *tls.Config
	// Fingerprint, when set, is the server's key as a join link or QR
	// code gave it: the client connects over TLS only, to a server
	// presenting that key only, and never falls back to ws://. An address
	// may carry it instead, as ?fp= (pin.Param).
	Fingerprint pin.Fingerprint
	// Pins is the client's known hosts. The first TLS connection to a
	// server records its key (trust on first use); later ones must
	// present the same key, or fail with a *PinMismatchError. A host with
	// a pin is never joined without TLS.
	Pins pin.Store
	// Password is the room password, for a chat that has one. It never
	// leaves this process: the client answers the server's challenge
	// with a proof (password.go). Empty, joining such a chat fails with
	// ErrPasswordNeeded.
	Password string
	// HostKey, when set, is presented after every welcome (a claim
	// frame), making this client the host: the window sets it when it
	// hosts the chat. See moderation.go.
	HostKey string

	// stableAfter is stableAfter but in tests, which cannot wait for it
	// (export_test.go).
	stableAfter time.Duration
}

func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.DialTimeout, DefaultDialTimeout)
	def(&cfg.MinBackoff, DefaultMinBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.PingInterval, DefaultPingInterval)
	def(&cfg.PongTimeout, DefaultPongTimeout)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	def(&cfg.GreetingWait, DefaultGreetingWait)
	def(&cfg.PlainEchoWait, DefaultPlainEchoWait)
	def(&cfg.stableAfter, stableAfter)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.PongTimeout <= cfg.PingInterval {
		cfg.PongTimeout = 2 * cfg.PingInterval
	}
	if cfg.OutboxLimit <= 0 {
		cfg.OutboxLimit = DefaultOutboxLimit
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	if cfg.Agent == "" {
		cfg.Agent = DefaultAgent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}
