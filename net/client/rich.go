package client

import (
	"slices"
	"strings"
	"time"

	"parley/net/wire"
)

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
	case wire.Private, wire.Topic, wire.RoleChange, wire.Moderation:
		c.handleSocial(f)
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
			private := c.privateRefusalLocked(e.CID)
			if private && e.Code == wire.CodeDuplicate {
				ev, ok := c.privateDuplicateLocked(e.CID)
				c.mu.Unlock()
				if ok {
					c.emit(ev)
				}
				return
			}
			if private {
				c.takePendingLocked(e.CID)
			}
			c.mu.Unlock()
			if private {
				c.emit(Failed{CID: e.CID, Err: &ServerError{Frame: e}})
				return
			}
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
