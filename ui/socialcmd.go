package ui

import (
	"strings"
	"time"

	"parley/net/wire"
)

// The commands typed in the compose box that need a rich chat: send.go's
// command hands them over.

// command runs the window's commands of private messages and moderation:
// /msg NICK text, /topic text, /kick NICK, /ban and /mute NICK TIME,
// /unban, /unmute, /op, /deop. It reports whether the line was done (the
// compose box is then cleared).
func (s *social) command(name, arg string) bool {
	u := s.u
	m, ok := s.moderator()
	if !ok || u.sess.plain {
		u.setHint("You are not in a chat that has private messages and moderation.")
		return false
	}
	fields := strings.Fields(arg)
	target := ""
	if len(fields) > 0 {
		target = fields[0]
	}
	rest := func(from int) string {
		if len(fields) <= from {
			return ""
		}
		return strings.Join(fields[from:], " ")
	}
	var err error
	switch name {
	case "/msg":
		text := rest(1)
		if target == "" || text == "" {
			u.setHint("Usage: /msg NICK text")
			return false
		}
		err = s.send(s.open(target), text)
	case "/topic":
		err = m.SetTopic(arg)
	case "/host":
		if arg == "" {
			u.setHint("Usage: /host KEY, with the key from the server's host.key file")
			return false
		}
		err = m.ClaimHost(arg)
	case "/kick":
		_, err = m.Kick(target, rest(1))
	case "/ban", "/mute":
		var d time.Duration
		if len(fields) >= 2 {
			d, err = wire.ParseSpan(fields[1])
		}
		if len(fields) < 2 || err != nil {
			u.setHint("Usage: " + name + " NICK|ADDRESS TIME [reason], with TIME like 10m, 1h or 2d")
			return false
		}
		if name == "/ban" {
			_, err = m.Ban(target, d, rest(2))
		} else {
			_, err = m.Mute(target, d, rest(2))
		}
	case "/unban":
		_, err = m.Unban(target)
	case "/unmute":
		_, err = m.Unmute(target)
	case "/op":
		_, err = m.Op(target)
	case "/deop":
		_, err = m.Deop(target)
	default:
		return false
	}
	if err != nil {
		u.setHint("Not done: " + errText(err) + ".")
		return false
	}
	u.setHint("")
	return true
}
