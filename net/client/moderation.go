package client

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/net/wire"
)

// Private messages and moderation (docs/PROTOCOL.md, "Private messages
// and moderation"). Requests go straight to the live connection, like
// nickname and status changes; a private message is also kept until it
// is confirmed, so that a reconnect can send it again (privates.go).

// Errors of private messages and moderation.
var (
	// ErrKicked: a moderator removed this client. It does not reconnect
	// by itself; a new Dial may.
	ErrKicked = errors.New("you were removed from the chat")
	// ErrBanned: this client is banned; the Bye's Until says until when.
	// It does not reconnect by itself.
	ErrBanned = errors.New("you are banned from the chat")
	// ErrNotAllowed: the server refused a moderation this user's role
	// does not allow, or a wrong host key.
	ErrNotAllowed = errors.New("not allowed")
	// ErrNoSuchNick: nobody in the room has that nickname.
	ErrNoSuchNick = errors.New("nobody here has that nickname")
	// ErrMuted: this user is muted; the refusal's RetryMS says how long.
	ErrMuted = errors.New("you are muted")
	// ErrNoModeration: the server has no private messages or moderation
	// (it does not list them in its welcome).
	ErrNoModeration = errors.New("the server offers no private messages or moderation")
)

// socialIs maps the error codes of this file to their sentinels.
func socialIs(code wire.Code, target error) bool {
	switch code {
	case wire.CodeNotAllowed:
		return target == ErrNotAllowed
	case wire.CodeNoSuchNick:
		return target == ErrNoSuchNick
	case wire.CodeMuted:
		return target == ErrMuted
	}
	return false
}

// Private is a private message, received or the echo of one sent. Own is
// true for the echo; its CID is the one SendPrivate returned.
type Private struct {
	wire.Private
	Own bool
}

// Topic reports the room's topic as set now.
type Topic struct {
	wire.Topic
}

// RoleChanged reports someone's new role; Self is true when it is this
// user's own.
type RoleChanged struct {
	wire.RoleChange
	Self bool
}

// Moderated reports a moderation: one that happened to someone in the
// room, or the answer to this user's own request (Ref set).
type Moderated struct {
	wire.Moderation
}

func (Private) event()     {}
func (Topic) event()       {}
func (RoleChanged) event() {}
func (Moderated) event()   {}

// handleSocial dispatches a private-message or moderation frame.
func (c *Client) handleSocial(f wire.Frame) {
	switch f := f.(type) {
	case wire.Private:
		c.mu.Lock()
		own := c.nicks[wire.FoldNick(f.From)] && f.CID != ""
		if own {
			c.takePendingLocked(f.CID)
		}
		c.mu.Unlock()
		c.emit(Private{Private: f, Own: own})
	case wire.Topic:
		c.emit(Topic{f})
	case wire.RoleChange:
		c.mu.Lock()
		self := wire.FoldNick(f.Nick) == wire.FoldNick(c.nick)
		if self {
			c.role = f.Role
		}
		c.mu.Unlock()
		c.emit(RoleChanged{RoleChange: f, Self: self})
	case wire.Moderation:
		c.emit(Moderated{f})
	}
}

// welcomeRoleLocked takes this user's role from a welcome and, for the
// host's own client, presents the host key. c.mu is held.
func (c *Client) welcomeRoleLocked(cn *conn, w wire.Welcome) {
	c.role = ""
	for _, u := range w.Users {
		if wire.FoldNick(u.Nick) == wire.FoldNick(w.Nick) {
			c.role = u.Role
		}
	}
	if c.cfg.HostKey != "" && c.role != wire.RoleHost && slices.Contains(w.Caps, wire.CapModeration) {
		cn.ctrl <- wire.Claim{Key: c.cfg.HostKey}
	}
}

// Role returns this user's role in the room: wire.RoleHost, wire.RoleMod
// or "" for an ordinary member.
func (c *Client) Role() wire.Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.role
}

// SendPrivate sends text to the member called to, and nobody else. It
// returns the cid that the echo (a Private event with Own set) or the
// refusal (a Failed event) carries: exactly one of them, also across a
// reconnect (privates.go). It needs a live connection.
func (c *Client) SendPrivate(to, text string) (cid string, err error) {
	clean, err := wire.CheckText(text, c.maxText())
	if err != nil {
		return "", fmt.Errorf("private message: %w", err)
	}
	c.mu.Lock()
	c.cidSeq++
	cid = c.cidPrefix + privateMark + strconv.FormatUint(c.cidSeq, 36)
	ok := c.plain || slices.Contains(c.caps, wire.CapPrivate)
	f := wire.Private{To: to, Text: clean, CID: cid}
	if ok && !c.plain {
		if err := c.addPendingLocked(f); err != nil {
			c.mu.Unlock()
			return "", err
		}
	}
	c.mu.Unlock()
	if !ok {
		return "", ErrNoModeration
	}
	if err := c.request(f); err != nil {
		c.mu.Lock()
		c.takePendingLocked(cid)
		c.mu.Unlock()
		return "", err
	}
	return cid, nil
}

// privateMark follows the cid prefix in the cids of private messages:
// not a base-36 digit, so that no outbox cid has it. A refusal naming such
// a cid is reported, though no outbox item is pending for it.
const privateMark = "~"

// privateRefusalLocked reports whether an error names a private message's cid.
// c.mu is held.
func (c *Client) privateRefusalLocked(cid string) bool {
	return strings.HasPrefix(cid, c.cidPrefix+privateMark)
}

// maxText is the server's text limit.
func (c *Client) maxText() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limits.MaxText > 0 {
		return c.limits.MaxText
	}
	return wire.DefaultMaxText
}

// Kick removes nick from the room. It returns the request's ref: the
// answer is a Moderated event, or a Failed event, with it.
func (c *Client) Kick(nick, reason string) (ref string, err error) {
	return c.moderate(wire.Mod{Action: wire.ActKick, Nick: nick, Reason: reason})
}

// Ban keeps target (a nickname, or an IP address) out for d.
func (c *Client) Ban(target string, d time.Duration, reason string) (ref string, err error) {
	return c.moderate(timed(wire.ActBan, target, d, reason))
}

// Mute refuses target's messages (a nickname, or an IP address) for d.
func (c *Client) Mute(target string, d time.Duration, reason string) (ref string, err error) {
	return c.moderate(timed(wire.ActMute, target, d, reason))
}

// Unban lifts a ban on target (a nickname, or an IP address).
func (c *Client) Unban(target string) (ref string, err error) {
	return c.moderate(timed(wire.ActUnban, target, 0, ""))
}

// Unmute lifts a mute on target (a nickname, or an IP address).
func (c *Client) Unmute(target string) (ref string, err error) {
	return c.moderate(timed(wire.ActUnmute, target, 0, ""))
}

// Op makes nick a moderator (the host only).
func (c *Client) Op(nick string) (ref string, err error) {
	return c.moderate(wire.Mod{Action: wire.ActOp, Nick: nick})
}

// Deop takes moderation back from nick (the host only).
func (c *Client) Deop(nick string) (ref string, err error) {
	return c.moderate(wire.Mod{Action: wire.ActDeop, Nick: nick})
}

// SetTopic sets the room's topic (host and moderators); "" clears it. The
// answer is a Topic event, or a Failed event.
func (c *Client) SetTopic(text string) error {
	if !c.hasCap(wire.CapModeration) {
		return ErrNoModeration
	}
	return c.request(wire.Topic{Text: text})
}

// ClaimHost presents the host key; a RoleChanged event with Self set
// answers it, or a Failed event wrapping ErrNotAllowed.
func (c *Client) ClaimHost(key string) error {
	if !c.hasCap(wire.CapModeration) {
		return ErrNoModeration
	}
	return c.request(wire.Claim{Key: key})
}

// timed builds a Mod for target, which is an address when it parses as
// one.
func timed(a wire.Action, target string, d time.Duration, reason string) wire.Mod {
	m := wire.Mod{Action: a, Reason: reason, Secs: int64(d / time.Second)}
	if isAddr(target) {
		m.Addr = target
	} else {
		m.Nick = target
	}
	return m
}

func (c *Client) hasCap(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.caps, name)
}

// moderate sends m with a new ref.
func (c *Client) moderate(m wire.Mod) (string, error) {
	c.mu.Lock()
	ok := slices.Contains(c.caps, wire.CapModeration)
	c.refSeq++
	m.Ref = "m" + strconv.FormatUint(c.refSeq, 36)
	c.mu.Unlock()
	if !ok {
		return "", ErrNoModeration
	}
	if err := c.request(m); err != nil {
		return "", err
	}
	return m.Ref, nil
}

// isAddr reports whether s is an IP address.
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
