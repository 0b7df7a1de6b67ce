package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"parley/net/wire"
)

// conn is one WebSocket connection and the channels between its reader,
// its writer and the client's run goroutine.
type conn struct {
	ws    *websocket.Conn
	gen   uint64
	plain bool

	// in carries text frames from the reader; it is closed when the
	// reader stops, after readErr is set.
	in      chan []byte
	readErr error
	// pong carries the payload of the server's last ping to the writer.
	pong chan string
	// ctrl carries nick and status requests to the writer.
	ctrl chan wire.Frame
	// written tells the run goroutine that the writer wrote an outbox
	// item (plain mode times echoes from it).
	written chan struct{}
	// limiter paces the outbox below the server's advertised rate.
	limiter *rate.Limiter

	// quit stops the reader and the writer; closeCode and closeText, set
	// before it is closed, are the close frame the writer sends (none if
	// closeCode is 0).
	quit       chan struct{}
	closeCode  int
	closeText  string
	readerDone chan struct{}
	writerDone chan struct{}

	// noEcho is set (run goroutine only) once a plain server failed to
	// echo a line: later lines count as delivered when written.
	noEcho bool
}

func newConn(ws *websocket.Conn) *conn {
	return &conn{
		ws:         ws,
		in:         make(chan []byte, 16),
		pong:       make(chan string, 1),
		ctrl:       make(chan wire.Frame, 8),
		written:    make(chan struct{}, 1),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

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

func (c *Client) extendRead(ws *websocket.Conn) {
	ws.SetReadDeadline(time.Now().Add(c.cfg.PongTimeout))
}

// altNicks is how many other nicknames a reconnect tries when its own is
// taken (someone took it while the server had forgotten this session).
const altNicks = 3

// hello sends the hello, resuming if there was an earlier connection, and
// reads up to the welcome. On a reconnect a taken nickname is retried with
// underscores appended.
func (c *Client) hello(ws *websocket.Conn, cn *conn, resume bool) ([]Event, error) {
	deadline := time.Now().Add(c.cfg.DialTimeout)
	c.mu.Lock()
	h := wire.Hello{V: wire.Version, Nick: c.nick, Session: c.session, Agent: c.cfg.Agent}
	if c.epoch != "" {
		after := c.lastID
		h.Epoch, h.After = c.epoch, &after
	}
	c.mu.Unlock()
	wanted := h.Nick
	tries := 0

	send := func() error {
		data, err := wire.Encode(h)
		if err != nil {
			return err
		}
		ws.SetWriteDeadline(deadline)
		if err := ws.WriteMessage(websocket.TextMessage, data); err != nil {
			return fmt.Errorf("%w: sending hello: %v", ErrConnLost, err)
		}
		return nil
	}
	if err := send(); err != nil {
		return nil, err
	}
	ws.SetReadDeadline(deadline)
	var notices []Event
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, fmt.Errorf("%w: %s accepted the connection but sent no welcome", ErrTimeout, c.url.Host)
			}
			if ce := (*websocket.CloseError)(nil); errors.As(err, &ce) {
				return nil, fmt.Errorf("%w: the server closed the connection before the welcome (%d %s)",
					ErrServerGone, ce.Code, ce.Text)
			}
			return nil, fmt.Errorf("%w: waiting for the welcome: %v", ErrConnLost, err)
		}
		if typ != websocket.TextMessage {
			continue
		}
		f, err := wire.Decode(data)
		if errors.Is(err, wire.ErrUnknownType) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s sent a malformed frame: %v", ErrNotChatServer, c.url.Host, err)
		}
		switch f := f.(type) {
		case wire.Welcome:
			c.extendRead(ws)
			return append(c.applyWelcome(cn, f, wanted), notices...), nil
		case wire.Error:
			se := &ServerError{Frame: f}
			if f.Code == wire.CodeNickTaken && resume && tries < altNicks {
				tries++
				h.Nick = altNick(wanted, tries)
				c.log.Info("nickname taken on reconnect, trying another", "nick", wanted, "alt", h.Nick)
				if err := send(); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("joining as %q: %w", h.Nick, se)
		case wire.Bye:
			return nil, byeError(f)
		case wire.Notice:
			notices = append(notices, Notice{Text: f.Text})
		}
	}
}

// altNick returns wanted with n underscores, cut to fit MaxNick.
func altNick(wanted string, n int) string {
	r := []rune(wanted)
	if len(r)+n > wire.MaxNick {
		r = r[:wire.MaxNick-n]
	}
	return string(r) + strings.Repeat("_", n)
}

// applyWelcome takes in a welcome: the session, the limits, and the
// backlog minus what was already seen. It returns Connected followed by
// the backlog's Message events.
func (c *Client) applyWelcome(cn *conn, w wire.Welcome, wanted string) []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	reset := c.epoch != "" && w.Epoch != c.epoch
	if c.epoch != w.Epoch {
		c.lastID = 0 // ids of another epoch say nothing about this one's
	}
	c.epoch = w.Epoch
	c.session = w.Session
	c.nick = w.Nick
	c.nicks[wire.FoldNick(w.Nick)] = true
	c.plain = false
	c.limits = defaultLimits(w.Limits)
	c.caps = w.Caps
	c.gen++
	cn.gen = c.gen
	if w.Limits.Rate > 0 {
		burst := max(1, w.Limits.Burst-1)
		cn.limiter = rate.NewLimiter(rate.Limit(w.Limits.Rate*0.9), burst)
	}
	if c.status != "" && c.status != wire.Active {
		cn.ctrl <- wire.Status{Status: c.status}
	}

	evs := make([]Event, 1, 1+len(w.History))
	for _, m := range w.History {
		if ev, ok := c.acceptMsg(m); ok {
			ev.Backlog = true
			evs = append(evs, ev)
		}
	}
	c.lastID = max(c.lastID, w.LastID)
	history := w.History
	w.History = nil
	evs[0] = Connected{Welcome: w, Resumed: w.Resumed, Reset: reset, Gap: w.Gap,
		Backlog: len(evs) - 1, Renamed: wire.FoldNick(w.Nick) != wire.FoldNick(wanted)}
	c.log.Info("joined", "nick", w.Nick, "epoch", w.Epoch, "resumed", w.Resumed, "reset", reset,
		"gap", w.Gap, "backlog", len(history), "new", len(evs)-1, "pending", len(c.outbox))
	return evs
}

// acceptMsg decides whether a rich-mode message is new, and whether it is
// this user's; an echo of an outbox item removes the item. c.mu is held.
func (c *Client) acceptMsg(m wire.Msg) (Message, bool) {
	from := wire.FoldNick(m.From)
	if m.CID != "" && c.nicks[from] {
		for i, it := range c.outbox {
			if it.cid == m.CID {
				c.outbox = append(c.outbox[:i], c.outbox[i+1:]...)
				c.seen.repeat(m, c.epoch)
				c.lastID = max(c.lastID, m.ID)
				return Message{Msg: m, Own: true}, true
			}
		}
	}
	if m.ID != 0 && m.ID <= c.lastID {
		return Message{}, false
	}
	c.lastID = max(c.lastID, m.ID)
	if c.seen.repeat(m, c.epoch) {
		return Message{}, false
	}
	own := from == wire.FoldNick(c.nick) || (c.nicks[from] && strings.HasPrefix(m.CID, c.cidPrefix))
	return Message{Msg: m, Own: own}, true
}

// run is the client's lifetime goroutine: it serves each connection, and
// reconnects after each drop, until Close or a goodbye that means stop.
func (c *Client) run(cn *conn, pre []Event) {
	defer close(c.done)
	attempt := 0
	for {
		start := time.Now()
		bye, err := c.serve(cn, pre)
		if c.ctx.Err() != nil {
			return
		}
		// TestBackoffResetAfterStable (backoff_test.go).
		if time.Since(start) >= c.cfg.stableAfter {
			attempt = 0
		}
		for {
			if errors.Is(err, ErrEnded) || errors.Is(err, ErrReplaced) {
				c.giveUp(err, bye)
				return
			}
			if errors.Is(err, ErrPinMismatch) {
				// Retrying cannot help: only a person can say whether
				// the new key is the host's (see tls.go).
				c.giveUp(err, bye)
				return
			}
			wait := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
			attempt++
			c.log.Info("disconnected", "err", err, "retry", wait)
			// A nudge from before this drop is stale: the UI offers
			// "Retry now" only once it has seen the event below.
			select {
			case <-c.retryNow:
			default:
			}
			if !c.emit(Disconnected{Err: err, Retry: wait, Bye: bye}) {
				return
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.retryNow:
				t.Stop()
				c.log.Info("reconnecting now, as asked")
			case <-c.ctx.Done():
				t.Stop()
				return
			}
			cn, pre, err = c.connect(c.ctx, true)
			if c.ctx.Err() != nil {
				if cn != nil {
					cn.ws.Close()
				}
				return
			}
			if err == nil {
				break
			}
			bye = nil
		}
	}
}

// giveUp stops reconnecting for err, and says so with a last
// Disconnected without a retry.
func (c *Client) giveUp(err error, bye *wire.Bye) {
	c.log.Info("not reconnecting", "reason", err)
	c.mu.Lock()
	c.stopped = err
	c.mu.Unlock()
	c.emit(Disconnected{Err: err, Bye: bye})
}

// serve runs one connection until it ends: it starts the reader and the
// writer, emits pre (or, in plain mode, Connected once any greeting has
// come), dispatches frames, and finally tears the connection down. It
// returns why the connection ended and the server's goodbye, if any.
func (c *Client) serve(cn *conn, pre []Event) (*wire.Bye, error) {
	c.mu.Lock()
	c.cur = cn
	c.mu.Unlock()
	go c.read(cn)
	go c.write(cn)
	defer c.teardown(cn)

	var first []byte // a plain server's first frame, if not a greeting
	gone := false    // the plain connection ended before its first frame
	if cn.plain {
		greeting := ""
		t := time.NewTimer(c.cfg.GreetingWait)
		select {
		case data, ok := <-cn.in:
			switch {
			case !ok:
				gone = true
			case isGreeting(data):
				greeting = string(data)
			default:
				first = data
			}
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		}
		t.Stop()
		pre = []Event{Connected{Plain: true, Greeting: greeting}}
	}
	for _, ev := range pre {
		if !c.emit(ev) {
			return nil, ErrClosed
		}
	}
	if gone {
		return nil, c.dropError(cn, nil)
	}
	if first != nil {
		c.handlePlain(cn, first)
	}

	var bye *wire.Bye
	echo := time.NewTimer(time.Hour)
	echo.Stop()
	defer echo.Stop()
	for {
		select {
		case data, ok := <-cn.in:
			if !ok {
				return bye, c.dropError(cn, bye)
			}
			if cn.plain {
				c.handlePlain(cn, data)
				c.armEcho(cn, echo)
			} else if b := c.handleRich(data); b != nil {
				bye = b
			}
		case <-cn.written:
			c.armEcho(cn, echo)
		case <-echo.C:
			c.echoTimeout(cn)
			c.armEcho(cn, echo)
		case <-c.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// dropError says why the reader stopped.
func (c *Client) dropError(cn *conn, bye *wire.Bye) error {
	if bye != nil {
		return byeError(*bye)
	}
	err := cn.readErr
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		if ce.Text != "" {
			return fmt.Errorf("%w (%d %s)", ErrServerGone, ce.Code, ce.Text)
		}
		return fmt.Errorf("%w (%d)", ErrServerGone, ce.Code)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: no sign of life from the server for %s", ErrConnLost, c.cfg.PongTimeout)
	case errors.Is(err, websocket.ErrReadLimit):
		return fmt.Errorf("%w: the server sent a frame over %d bytes", ErrConnLost, c.cfg.ReadLimit)
	}
	return fmt.Errorf("%w: %v", ErrConnLost, err)
}

// closeWait bounds each step of a connection's goodbye: the writer
// finishing its last write, and the server answering our close frame.
const closeWait = time.Second

// teardown stops the connection's writer and reader and closes it. When
// the client is closing, the writer says goodbye with close 1000 and the
// server gets a moment to answer; when the server closed first, its close
// frame is echoed. Nothing here waits on the network for longer than
// closeWait at a time, so Close is prompt even on a dead link.
func (c *Client) teardown(cn *conn) {
	c.mu.Lock()
	if c.cur == cn {
		c.cur = nil
	}
	c.mu.Unlock()

	closing := c.ctx.Err() != nil
	if !closing {
		// serve returns without a Close only once the reader has stopped.
		<-cn.readerDone
	}
	var ce *websocket.CloseError
	select {
	case <-cn.readerDone:
		if errors.As(cn.readErr, &ce) && ce.Code != websocket.CloseAbnormalClosure {
			cn.closeCode = ce.Code
			if ce.Code == websocket.CloseNoStatusReceived {
				cn.closeCode = websocket.CloseNormalClosure
			}
		}
	default:
		cn.closeCode, cn.closeText = websocket.CloseNormalClosure, "bye"
	}
	close(cn.quit)
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-cn.writerDone:
	case <-t.C:
		cn.ws.Close() // unblocks a write stuck on a dead link
		<-cn.writerDone
	}
	if closing {
		t.Reset(closeWait)
		select {
		case <-cn.readerDone:
		case <-t.C:
		}
	}
	cn.ws.Close()
	<-cn.readerDone
}

// read is the connection's only reader. Every frame, ping and pong
// extends the read deadline; a silent connection dies at PongTimeout.
func (c *Client) read(cn *conn) {
	defer close(cn.readerDone)
	defer close(cn.in)
	c.extendRead(cn.ws)
	for {
		typ, data, err := cn.ws.ReadMessage()
		if err != nil {
			cn.readErr = err
			return
		}
		c.extendRead(cn.ws)
		if typ != websocket.TextMessage {
			continue // neither protocol uses binary frames
		}
		select {
		case cn.in <- data:
		case <-cn.quit:
			// Keep reading until the close reply or the connection's end.
		}
	}
}

// write is the connection's only writer: outbox items, nick and status
// requests, pings, pongs and the close frame.
func (c *Client) write(cn *conn) {
	defer close(cn.writerDone)
	ws := cn.ws
	fail := func(what string, err error) {
		c.log.Debug("write failed", "what", what, "err", err)
		ws.Close() // the reader notices and the connection ends
	}
	control := func(typ int, data []byte) error {
		return ws.WriteControl(typ, data, time.Now().Add(c.cfg.WriteTimeout))
	}
	send := func(data []byte) error {
		ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
		return ws.WriteMessage(websocket.TextMessage, data)
	}
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()

	for {
		// Stopping comes first: nothing more goes to a connection that is
		// being torn down.
		select {
		case <-cn.quit:
			if cn.closeCode != 0 {
				control(websocket.CloseMessage, websocket.FormatCloseMessage(cn.closeCode, cn.closeText))
			}
			return
		default:
		}
		wait, err := c.flush(cn, send)
		if err != nil {
			fail("message", err)
			return
		}
		if wait > 0 {
			retry.Reset(wait)
		}
		select {
		case <-c.wake:
		case <-retry.C:
		case <-ping.C:
			if err := control(websocket.PingMessage, nil); err != nil {
				fail("ping", err)
				return
			}
		case data := <-cn.pong:
			if err := control(websocket.PongMessage, []byte(data)); err != nil {
				fail("pong", err)
				return
			}
		case f := <-cn.ctrl:
			data, err := wire.Encode(f)
			if err == nil {
				err = send(data)
			}
			if err != nil {
				fail(string(f.FrameType()), err)
				return
			}
		case <-cn.quit:
		}
		retry.Stop()
	}
}

// flush writes the outbox items not yet written to this connection, in
// order, as fast as the server's rate limit allows. It returns how long to
// wait before the next item may go (zero when none is waiting).
func (c *Client) flush(cn *conn, send func([]byte) error) (time.Duration, error) {
	for {
		c.mu.Lock()
		var it *item
		for _, x := range c.outbox {
			if x.sentGen != cn.gen {
				it = x
				break
			}
		}
		if it == nil {
			c.mu.Unlock()
			return 0, nil
		}
		now := time.Now()
		if now.Before(it.notBefore) {
			c.mu.Unlock()
			return it.notBefore.Sub(now), nil
		}
		if cn.limiter != nil {
			r := cn.limiter.ReserveN(now, 1)
			if d := r.DelayFrom(now); d > 0 {
				r.CancelAt(now)
				c.mu.Unlock()
				return d, nil
			}
		}
		it.sentGen, it.sentAt = cn.gen, now
		var data []byte
		if cn.plain {
			data = []byte(it.text)
		} else {
			data, _ = wire.Encode(wire.Send{CID: it.cid, Text: it.text})
		}
		c.mu.Unlock()
		if err := send(data); err != nil {
			return 0, err
		}
		if cn.plain {
			select {
			case cn.written <- struct{}{}:
			default:
			}
		}
	}
}

// handleRich dispatches one rich-mode frame. It returns a goodbye, which
// the caller keeps until the close frame that follows it.
func (c *Client) handleRich(data []byte) *wire.Bye {
	f, err := wire.Decode(data)
	if err != nil {
		// A newer server may send frames this version does not know; a
		// broken one, frames it cannot parse. Neither is worth a drop.
		c.log.Debug("ignoring frame", "err", err)
		return nil
	}
	switch f := f.(type) {
	case wire.Msg:
		c.mu.Lock()
		ev, ok := c.acceptMsg(f)
		c.mu.Unlock()
		if ok {
			c.emit(ev)
		}
	case wire.Join:
		c.emit(Joined{f})
	case wire.Leave:
		c.emit(Left{f})
	case wire.Rename:
		c.mu.Lock()
		self := wire.FoldNick(f.Nick) == wire.FoldNick(c.nick)
		if self {
			c.nick = f.To
			c.nicks[wire.FoldNick(f.To)] = true
		}
		c.mu.Unlock()
		c.emit(Renamed{Rename: f, Self: self})
	case wire.Status:
		c.emit(StatusChanged{f})
	case wire.Error:
		c.onError(f)
	case wire.Notice:
		c.emit(Notice{Text: f.Text})
	case wire.Page:
		c.emit(Page{f})
	case wire.Results:
		c.emit(Results{f})
	case wire.Bye:
		c.log.Info("server said goodbye", "reason", f.Reason, "text", f.Text)
		return &f
	}
	return nil
}

// minRetry is the least wait before re-sending a message the server
// refused as too fast, whatever it advised.
const minRetry = 100 * time.Millisecond

// onError handles an Error frame. A refused outbox item leaves the outbox
// and is reported, except when it was only too fast: then it stays pending
// and goes again when the server says it may, so nothing typed is lost to
// the rate limit or to a server that cannot store messages for a while. An item the server calls a duplicate was delivered
// before (its echo was lost with a connection, and the server no longer
// holds the message to send it again): it is reported as delivered. An
// error naming an item that is not pending answers a send already settled
// and reports nothing, so that each item is reported once.
func (c *Client) onError(e wire.Error) {
	if e.CID != "" {
		c.mu.Lock()
		i := slices.IndexFunc(c.outbox, func(it *item) bool { return it.cid == e.CID })
		if i < 0 {
			c.mu.Unlock()
			c.log.Debug("error for a message not pending", "cid", e.CID, "code", e.Code)
			return
		}
		it := c.outbox[i]
		switch e.Code {
		case wire.CodeRateLimited, wire.CodeUnavailable:
			it.sentGen = 0
			it.notBefore = time.Now().Add(max(time.Duration(e.RetryMS)*time.Millisecond, minRetry))
			c.mu.Unlock()
			c.log.Debug("message refused as too fast; will retry", "cid", e.CID, "retry_ms", e.RetryMS)
			c.wakeWriter()
			return
		case wire.CodeDuplicate:
			c.outbox = slices.Delete(c.outbox, i, i+1)
			m := wire.Msg{ID: e.ID, From: c.nick, Text: it.text, CID: it.cid}
			c.mu.Unlock()
			c.log.Debug("message was delivered before", "cid", e.CID, "id", e.ID)
			c.emit(Message{Msg: m, Own: true})
			return
		}
		c.outbox = slices.Delete(c.outbox, i, i+1)
		c.mu.Unlock()
	}
	c.emit(Failed{CID: e.CID, Ref: e.Ref, Err: &ServerError{Frame: e}})
}

// isGreeting reports whether a plain server's first frame is a greeting
// rather than someone's message: the teaching server's, or anything that
// starts with "welcome".
func isGreeting(data []byte) bool {
	s := string(data)
	return s == wire.Greeting || len(s) <= 200 && !strings.Contains(s, "\n") &&
		strings.HasPrefix(strings.ToLower(s), "welcome")
}

// handlePlain shows a plain server's frame line by line: gorilla's chat
// example joins queued messages with newlines. A run of lines equal to the
// oldest line this client sent (on this connection) is its echo: it
// becomes an Own message and leaves the outbox.
func (c *Client) handlePlain(cn *conn, data []byte) {
	if !utf8.Valid(data) {
		data = []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	lines := strings.Split(wire.CleanText(string(data)), "\n")
	now := time.Now().UnixMilli()
	for i := 0; i < len(lines); {
		if n, ev, ok := c.plainEcho(cn, lines[i:], now); ok {
			c.emit(ev)
			i += n
			continue
		}
		if strings.TrimSpace(lines[i]) != "" {
			c.emit(Message{Msg: wire.Msg{Time: now, Text: lines[i]}, Raw: true})
		}
		i++
	}
}

// plainEcho checks whether lines start with the echo of the oldest item
// written to this connection: its text as sent, or with newlines turned
// into spaces (gorilla's example does that). It returns how many lines the
// echo spans.
func (c *Client) plainEcho(cn *conn, lines []string, now int64) (int, Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, it := range c.outbox {
		if it.sentGen != cn.gen {
			continue
		}
		want := strings.Split(it.text, "\n")
		flat := strings.ReplaceAll(it.text, "\n", " ")
		n := 0
		switch {
		case len(lines) >= len(want) && equalLines(lines[:len(want)], want):
			n = len(want)
		case lines[0] == flat:
			n = 1
		default:
			return 0, Message{}, false
		}
		c.outbox = append(c.outbox[:i], c.outbox[i+1:]...)
		return n, Message{Msg: wire.Msg{Time: now, From: c.nick, Text: it.text, CID: it.cid}, Own: true}, true
	}
	return 0, Message{}, false
}

func equalLines(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// armEcho sets the timer for the oldest line written to this plain
// connection and not yet echoed.
func (c *Client) armEcho(cn *conn, t *time.Timer) {
	if !cn.plain {
		return
	}
	t.Stop()
	wait := c.cfg.PlainEchoWait
	if cn.noEcho {
		wait = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range c.outbox {
		if it.sentGen == cn.gen {
			t.Reset(max(0, time.Until(it.sentAt.Add(wait))))
			return
		}
	}
}

// echoTimeout gives up waiting for the echo of lines written to a plain
// server more than PlainEchoWait ago: they count as delivered and are
// shown as this user's. From then on this connection does not wait.
func (c *Client) echoTimeout(cn *conn) {
	wait := c.cfg.PlainEchoWait
	if cn.noEcho {
		wait = 0
	}
	now := time.Now()
	var evs []Event
	c.mu.Lock()
	keep := c.outbox[:0]
	for _, it := range c.outbox {
		if it.sentGen == cn.gen && now.Sub(it.sentAt) >= wait {
			evs = append(evs, Message{Msg: wire.Msg{Time: now.UnixMilli(), From: c.nick, Text: it.text, CID: it.cid}, Own: true})
			continue
		}
		keep = append(keep, it)
	}
	clear(c.outbox[len(keep):])
	c.outbox = keep
	c.mu.Unlock()
	if len(evs) > 0 && !cn.noEcho {
		c.log.Info("plain server does not echo our lines; showing them as sent")
		cn.noEcho = true
	}
	for _, ev := range evs {
		c.emit(ev)
	}
}
