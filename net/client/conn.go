package client

import (
	"errors"
	"fmt"
	"net"
	"time"

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

func (c *Client) extendRead(ws *websocket.Conn) {
	ws.SetReadDeadline(time.Now().Add(c.cfg.PongTimeout))
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
			if errors.Is(err, ErrEnded) || errors.Is(err, ErrReplaced) || errors.Is(err, ErrKicked) || errors.Is(err, ErrBanned) {
				c.giveUp(err, bye)
				return
			}
			if errors.Is(err, ErrPinMismatch) || isPasswordError(err) {
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
