package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// netConnHolder lets Close abort a handshake that is waiting on the
// network: the dialer reports the TCP connection here, and closing the
// holder closes it, whenever it comes.
type netConnHolder struct {
	mu     sync.Mutex
	nc     net.Conn
	closed bool
}

func (h *netConnHolder) set(nc net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nc = nc
	if h.closed {
		nc.Close()
	}
}

func (h *netConnHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.nc != nil {
		h.nc.Close()
	}
}

// connect makes one connection attempt: dial, upgrade, and in rich mode
// hello and welcome. It returns the connection with the events that open
// it (Connected and the backlog), ready for serve. resume marks a
// reconnect: it may then take an alternative nickname if its own is taken.
func (c *Client) connect(ctx context.Context, resume bool) (*conn, []Event, error) {
	var holder netConnHolder
	base := c.cfg.NetDial
	if base == nil {
		base = (&net.Dialer{}).DialContext
	}
	dialer := websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := base(ctx, network, addr)
			if err == nil {
				holder.set(nc)
			}
			return nc, err
		},
		TLSClientConfig:  c.cfg.TLSConfig,
		HandshakeTimeout: c.cfg.DialTimeout,
		Subprotocols:     []string{wire.Subprotocol},
	}
	// Neither the dialer nor a blocked read watch ctx; closing the TCP
	// connection when ctx ends (a Close, or Dial's caller giving up) does.
	stop := context.AfterFunc(ctx, holder.close)
	defer stop()

	addr := c.url.Host
	hdr := http.Header{"User-Agent": {c.cfg.Agent}}
	ws, resp, err := c.dialSecure(ctx, &dialer, hdr)
	if err != nil {
		if ctxErr := c.ctxError(ctx); ctxErr != nil {
			return nil, nil, ctxErr
		}
		return nil, nil, secureDialError(addr, resp, err)
	}
	cn := newConn(ws)
	ws.SetReadLimit(c.cfg.ReadLimit)
	// The handlers run in whichever goroutine reads: during the handshake
	// that is this one, later the reader. Neither writes: replies go to
	// the writer.
	ws.SetPingHandler(func(data string) error {
		c.extendRead(ws)
		select {
		case cn.pong <- data:
		default: // one pending pong answers them all
		}
		return nil
	})
	ws.SetPongHandler(func(string) error {
		c.extendRead(ws)
		return nil
	})
	ws.SetCloseHandler(func(int, string) error { return nil })

	var pre []Event
	switch ws.Subprotocol() {
	case wire.Subprotocol:
		pre, err = c.hello(ws, cn, resume)
	default:
		// A protocol this client did not offer: a newer, incompatible
		// server, not a plain one.
		err = fmt.Errorf("%w: %s chose subprotocol %q", ErrVersion, addr, ws.Subprotocol())
	case "":
		c.mu.Lock()
		c.plain = true
		c.limits = defaultLimits(wire.Limits{})
		c.gen++
		cn.gen = c.gen
		cn.plain = true
		c.mu.Unlock()
		c.log.Info("connected in plain-text mode", "subprotocol", ws.Subprotocol())
	}
	if err != nil {
		// A polite goodbye where the server can still take one.
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(100*time.Millisecond))
		ws.Close()
		if ctxErr := c.ctxError(ctx); ctxErr != nil {
			return nil, nil, ctxErr
		}
		return nil, nil, err
	}
	if !stop() {
		// ctx ended just now and the holder closed the connection.
		ws.Close()
		return nil, nil, c.ctxError(ctx)
	}
	return cn, pre, nil
}

// ctxError reports why ctx ended, in this package's terms, or nil.
func (c *Client) ctxError(ctx context.Context) error {
	switch {
	case ctx.Err() == nil:
		return nil
	case c.ctx.Err() != nil:
		return ErrClosed
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: connecting to %s: %w", ErrTimeout, c.url.Host, ctx.Err())
	}
	return fmt.Errorf("connecting to %s: %w", c.url.Host, ctx.Err())
}
