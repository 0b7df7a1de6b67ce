// Package client is Parley's connection to a chat server: it dials,
// negotiates the rich protocol (falling back to the plain-text mode of the
// original teaching server and its kin), reconnects by itself after any
// drop, resumes without gaps or duplicates, and delivers what the user
// types exactly once through an outbox. Everything that happens reaches the
// caller as Events on one channel.
//
// Plain-text servers have no message ids, so there delivery is at least
// once rather than exactly once: a line written just before a drop and
// not yet echoed is written again after the reconnect. Lines that a plain
// server never echoes count as delivered after Config.PlainEchoWait.
//
// A Client runs, per connection, one reader goroutine and one writer
// goroutine (every write, pings and close frames included, happens in the
// writer), plus one goroutine for its lifetime that dispatches frames,
// emits events and reconnects.
package client

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"parley/net/nickname"
	"parley/net/wire"
)

// stableAfter is how long a connection must have lasted for the next drop
// to start the backoff over. A server that accepts and at once drops a
// client (a ban, a crash loop) thus meets a growing backoff, not a spin.
const stableAfter = 10 * time.Second

// recentSize bounds the set of messages remembered across server restarts.
const recentSize = 2048

// Client is a connection to a chat server that survives drops. Its methods
// may be called from any goroutine.
type Client struct {
	cfg    Config
	log    *slog.Logger
	url    *url.URL
	events chan Event
	// wake tells the current writer that the outbox has something new.
	wake chan struct{}
	// retryNow cuts the wait before the next reconnect attempt short.
	retryNow chan struct{}

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	done      chan struct{} // closed when the run goroutine ends
	closeOnce sync.Once
	cidPrefix string

	mu      sync.Mutex
	nick    string
	nicks   map[string]bool // folded nicknames this client has had
	plain   bool
	limits  wire.Limits
	caps    []string // the server's capabilities, from its welcome
	refSeq  uint64   // the last History or Search reference given out
	status  wire.Presence
	session string
	epoch   string
	lastID  uint64
	seen    *recent
	outbox  []*item
	// privates are the private messages sent and not yet confirmed
	// (privates.go).
	privates []wire.Private
	cidSeq   uint64
	gen      uint64
	cur      *conn // nil while disconnected
	sec      *security
	keys     keyCache // the room password's key (password.go); its own lock
	closed   bool
	stopped  error     // why the client gave up reconnecting, if it did
	role     wire.Role // this user's role: from the welcome and role events
}

// Dial connects to cfg.Addr and joins as cfg.Nick. It returns once the
// first connection is ready, or with the reason it is not: errors wrap
// ErrBadAddress, ErrRefused, ErrUnreachable, ErrTimeout, ErrNotChatServer,
// ErrBusy, ErrVersion, ErrNickTaken or ErrNickInvalid; a refusal by the
// server also wraps its *ServerError. ctx bounds this first attempt only;
// the Client then lives, reconnecting as needed, until Close.
//
// The first events are Connected and the backlog.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	u, err := ParseAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	sec, err := newSecurity(&cfg, u)
	if err != nil {
		return nil, err
	}
	// The server's rules, applied here too: the nickname asked for is
	// the one the welcome brings back, so a normalised name is not taken
	// for a rename, and a refused one costs no connection.
	nick, err := nickname.Check(cfg.Nick)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNickInvalid, err)
	}
	c := &Client{
		cfg:       cfg,
		log:       cfg.Logger.With("server", u.Host),
		url:       u,
		events:    make(chan Event, cfg.EventBuffer),
		wake:      make(chan struct{}, 1),
		retryNow:  make(chan struct{}, 1),
		done:      make(chan struct{}),
		cidPrefix: newCIDPrefix(),
		nick:      nick,
		nicks:     map[string]bool{wire.FoldNick(nick): true},
		limits:    defaultLimits(wire.Limits{}),
		seen:      newRecent(recentSize),
		sec:       sec,
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cn, pre, err := c.connect(ctx, false)
	if err != nil {
		c.cancel()
		return nil, err
	}
	go c.run(cn, pre)
	return c, nil
}

// newCIDPrefix returns a random prefix for this client's message ids, so
// that they cannot collide with another client's, nor with this user's
// earlier runs.
func newCIDPrefix() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])) + "-"
}

// defaultLimits fills in what a server left out of its limits.
func defaultLimits(l wire.Limits) wire.Limits {
	if l.MaxText <= 0 {
		l.MaxText = wire.DefaultMaxText
	}
	if l.MaxFrame <= 0 {
		l.MaxFrame = wire.DefaultMaxFrame
	}
	return l
}

// Reconnect cuts short the wait before the next reconnect attempt, for a
// person who knows the server is back ("Retry now"). It does nothing while
// connected, after Close, or once the client has stopped reconnecting.
// The backoff still grows with each failed attempt, so a stream of calls
// cannot make the client spin faster than one attempt per call.
func (c *Client) Reconnect() {
	select {
	case c.retryNow <- struct{}{}:
	default:
	}
}

// Events returns the channel of events, in the order they happened. None
// is dropped: when the channel's buffer is full the client stops reading
// from the server until there is room, so a consumer that falls far behind
// is eventually dropped by the server as slow (and the client then
// reconnects and resumes). After a Disconnected with Retry zero no more
// events come. The channel is closed by Close.
func (c *Client) Events() <-chan Event { return c.events }

// SetNick asks the server for a new nickname. It returns once the request
// is queued for the current connection (ErrNotConnected while there is
// none); the result comes as a Renamed event with Self set, or a Failed
// event (ErrNickTaken, ErrNickInvalid) with an empty CID.
func (c *Client) SetNick(nick string) error {
	n, err := nickname.Check(nick)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNickInvalid, err)
	}
	return c.request(wire.Nick{Nick: n})
}

// SetStatus sets this user's presence. It is remembered and set again
// after every reconnect; while disconnected it takes effect on reconnect.
func (c *Client) SetStatus(p wire.Presence) error {
	if p == "" {
		return fmt.Errorf("client: empty presence")
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.plain {
		c.mu.Unlock()
		return ErrPlain
	}
	c.status = p
	connected := c.cur != nil
	c.mu.Unlock()
	if !connected {
		return nil
	}
	err := c.request(wire.Status{Status: p})
	if errors.Is(err, ErrNotConnected) {
		return nil // a reconnect sends it
	}
	return err
}

// request queues a control frame to the current connection's writer.
func (c *Client) request(f wire.Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	case c.stopped != nil:
		return c.stopped
	case c.plain:
		return ErrPlain
	case c.cur == nil:
		return ErrNotConnected
	}
	select {
	case c.cur.ctrl <- f:
		return nil
	default:
		return fmt.Errorf("%w: too many requests waiting", ErrRateLimited)
	}
}

// Nick returns this user's current nickname.
func (c *Client) Nick() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nick
}

// Plain reports whether the server is a plain-text server.
func (c *Client) Plain() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plain
}

// Limits returns the server's limits (wire's defaults in plain mode).
func (c *Client) Limits() wire.Limits {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limits
}

// Addr returns the server's address in a normal form that ParseAddr
// accepts: host:port for a ws:// URL with path "/", the whole URL
// otherwise.
func (c *Client) Addr() string {
	if c.url.Scheme == "ws" && c.url.Path == "/" && c.url.RawQuery == "" {
		return c.url.Host
	}
	return c.url.String()
}

// Close says goodbye to the server (close 1000), stops reconnecting,
// waits for the client's goroutines to end and closes the Events channel.
// It may be called more than once, from any goroutine, including the one
// reading Events.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		<-c.done
		close(c.events)
	})
	return nil
}

// emit delivers an event, waiting for room in the channel; it gives up
// only when the client is closing. Only the run goroutine calls it, which
// keeps events in order.
func (c *Client) emit(ev Event) bool {
	select {
	case c.events <- ev:
		return true
	case <-c.ctx.Done():
		return false
	}
}
