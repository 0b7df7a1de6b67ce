package ui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// The moderation side of the window: what it needs of the connection,
// how it applies the events of private messages, the topic, roles and
// moderations, the key that makes the hosted chat's own client its host,
// and what a user put out of the chat is told.

// moderator is what the window needs of a connection for private
// messages and moderation; *client.Client has it.
type moderator interface {
	Role() wire.Role
	SendPrivate(to, text string) (string, error)
	Kick(nick, reason string) (string, error)
	Ban(target string, d time.Duration, reason string) (string, error)
	Mute(target string, d time.Duration, reason string) (string, error)
	Unban(target string) (string, error)
	Unmute(target string) (string, error)
	Op(nick string) (string, error)
	Deop(nick string) (string, error)
	SetTopic(text string) error
	ClaimHost(key string) error
}

// moderator returns the current connection's moderation side.
func (s *social) moderator() (moderator, bool) {
	if s.u.sess == nil {
		return nil, false
	}
	m, ok := s.u.sess.c.(moderator)
	return m, ok
}

// apply shows the events of private messages and moderation.
func (s *social) apply(ev client.Event) {
	u := s.u
	now := u.now().UnixMilli()
	event := func(ms int64, text string) {
		u.msgs.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ms, now), Text: text})
	}
	switch ev := ev.(type) {
	case client.Private:
		s.receive(ev)
	case client.Topic:
		s.setTopic(ev.Text)
		if ev.Text == "" {
			event(ev.Time, ev.By+" cleared the topic")
		} else {
			event(ev.Time, ev.By+" set the topic: "+ev.Text)
		}
	case client.RoleChanged:
		u.users.role(ev.Nick, ev.Role)
		who := ev.Nick + " is"
		if ev.Self {
			who = "You are"
		}
		switch {
		case ev.Role == wire.RoleHost:
			event(ev.Time, who+" the host")
		case ev.Role == wire.RoleMod:
			event(ev.Time, who+" now a moderator, named by "+ev.By)
		default:
			event(ev.Time, who+" no longer a moderator")
		}
	case client.Moderated:
		event(ev.Time, moderationText(ev.Moderation, u.sess != nil && ev.By == u.sess.c.Nick()))
	}
}

// moderationText says what a moderation did, for the room's log.
func moderationText(m wire.Moderation, mine bool) string {
	target := m.Nick
	if target == "" {
		target = m.Addr
	}
	by := m.By
	if mine {
		by = "you"
	}
	var text string
	switch m.Action {
	case wire.ActKick:
		text = fmt.Sprintf("%s removed %s", by, target)
	case wire.ActBan:
		text = fmt.Sprintf("%s banned %s until %s", by, target, time.UnixMilli(m.Until).Format("15:04"))
	case wire.ActMute:
		text = fmt.Sprintf("%s muted %s until %s", by, target, time.UnixMilli(m.Until).Format("15:04"))
	case wire.ActUnban:
		text = fmt.Sprintf("%s lifted the ban on %s", by, target)
	case wire.ActUnmute:
		text = fmt.Sprintf("%s lifted the mute on %s", by, target)
	case wire.ActOp:
		text = fmt.Sprintf("%s made %s a moderator", by, target)
	case wire.ActDeop:
		text = fmt.Sprintf("%s took moderation back from %s", by, target)
	default:
		text = fmt.Sprintf("%s: %s %s", by, m.Action, target)
	}
	if m.Reason != "" {
		text += " (" + m.Reason + ")"
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	return text
}

// newHostKey makes the key a hosted chat's own client presents to be its
// host: 128 random bits, never shown.
func newHostKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hostKeyFor is the host key to present when joining addr: the hosted
// chat's, when addr is where the window's own client joins it.
func (u *UI) hostKeyFor(addr string) string {
	if h := u.hosting; h != nil && addr == h.local {
		return h.key
	}
	return ""
}

// removedText says why a moderator put this user out, for the room's log
// and the status bar; ok is false for any other end.
func removedText(ev client.Disconnected, addr string) (text, ended string, ok bool) {
	why := ""
	if ev.Bye != nil && ev.Bye.Text != "" {
		why = " " + ev.Bye.Text
	}
	switch {
	case errors.Is(ev.Err, client.ErrKicked):
		return "You were removed from the chat." + why + " You can join again.",
			"Removed from the chat at " + addr, true
	case errors.Is(ev.Err, client.ErrBanned):
		text = "You are banned from this chat." + why
		ended = "Banned from the chat at " + addr
		if ev.Bye != nil && ev.Bye.Until != 0 {
			ended += " until " + time.UnixMilli(ev.Bye.Until).Format("15:04")
		}
		return text, ended, true
	}
	return "", "", false
}
