package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"parley/net/wire"
)

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
	var ex exchange // the room password's, if the server asks (password.go)
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
		case wire.Challenge:
			if err := c.answer(ws, f, &ex, deadline); err != nil {
				return nil, err
			}
		case wire.AuthOK:
			if err := ex.accepted(f); err != nil {
				return nil, err
			}
		case wire.Welcome:
			if err := ex.welcomed(); err != nil {
				return nil, err
			}
			c.extendRead(ws)
			return append(c.applyWelcome(cn, f, wanted), notices...), nil
		case wire.Error:
			if err := passwordError(f); err != nil {
				return nil, err
			}
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
	sameSession := c.session != "" && w.Session == c.session
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
	c.welcomeRoleLocked(cn, w)
	unconfirmed := c.resendPrivatesLocked(cn, sameSession)

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
	evs = append(evs, unconfirmed...)
	c.log.Info("joined", "nick", w.Nick, "epoch", w.Epoch, "resumed", w.Resumed, "reset", reset,
		"gap", w.Gap, "backlog", len(history), "new", len(evs)-1, "pending", len(c.outbox))
	return evs
}
