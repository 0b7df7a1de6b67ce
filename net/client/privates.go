package client

import (
	"errors"
	"fmt"
	"slices"

	"parley/net/wire"
)

// A private message is sent at once to the live connection and kept until
// the server confirms it: its echo, or an error naming its cid. If the
// connection drops first, the next welcome decides. The same session
// again: it is sent again with the same cid, and the server, which
// remembers the session's private cids, delivers it only if it had not
// (else it answers duplicate, which counts as delivered). A new session
// (the server forgot this client, or restarted): the server cannot tell,
// so the message is reported as unconfirmed rather than risk it twice.

// ErrUnconfirmed: a private message was sent, and the connection was lost
// before the server confirmed it, and the server no longer knows this
// client's session: it may or may not have been delivered.
var ErrUnconfirmed = errors.New("the connection was lost before the server confirmed it; it may not have been delivered")

// MaxPendingPrivate bounds the private messages sent and not yet
// confirmed; SendPrivate refuses more with ErrRateLimited. A person sends
// far fewer in one round trip; more pile up only on a connection that has
// silently died.
const MaxPendingPrivate = 4

// addPendingLocked keeps a private message until it is confirmed, or
// refuses it when MaxPendingPrivate are. c.mu is held.
func (c *Client) addPendingLocked(p wire.Private) error {
	if len(c.privates) >= MaxPendingPrivate {
		return fmt.Errorf("%w: %d private messages are waiting for the server", ErrRateLimited, MaxPendingPrivate)
	}
	c.privates = append(c.privates, p)
	return nil
}

// takePendingLocked removes and returns the pending private message with
// cid. c.mu is held.
func (c *Client) takePendingLocked(cid string) (wire.Private, bool) {
	i := slices.IndexFunc(c.privates, func(p wire.Private) bool { return p.CID == cid })
	if i < 0 {
		return wire.Private{}, false
	}
	p := c.privates[i]
	c.privates = slices.Delete(c.privates, i, i+1)
	return p, true
}

// resendPrivatesLocked acts on a welcome for the pending private
// messages: it queues them on cn if the session is the one they were sent
// on (same is true), and returns a Failed event for each it cannot. c.mu
// is held.
func (c *Client) resendPrivatesLocked(cn *conn, same bool) []Event {
	var evs []Event
	keep := c.privates[:0]
	for _, p := range c.privates {
		if same {
			select {
			case cn.ctrl <- p:
				keep = append(keep, p)
				continue
			default:
			}
		}
		evs = append(evs, Failed{CID: p.CID, Err: fmt.Errorf("private message to %s: %w", p.To, ErrUnconfirmed)})
	}
	clear(c.privates[len(keep):])
	c.privates = keep
	return evs
}

// privateDuplicateLocked answers an error duplicate naming a pending
// private message: the server delivered it before, and this is its echo.
// c.mu is held.
func (c *Client) privateDuplicateLocked(cid string) (Private, bool) {
	p, ok := c.takePendingLocked(cid)
	if !ok {
		return Private{}, false
	}
	p.From = c.nick
	return Private{Private: p, Own: true}, true
}
