package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/net/wire"
)

// private delivers a private message from p to the member named f.To:
// to that member's connection and, as the echo, to p's, and to nobody
// else. It never enters the backlog or the history store, so no resume,
// page or search can bring it back. A cid the session used for a private
// message delivered recently is answered with duplicate, to the sender
// alone, so that a private message resent after a reconnect arrives once. (A nickname is held by one
// connection at a time: a session that connects again replaces its old
// connection, so "every session of a person" is that one connection.)
func (s *Server) private(p *peer, f wire.Private) *wire.Error {
	if len(f.CID) > wire.MaxClientID {
		return &wire.Error{Code: wire.CodeBadCID, Text: fmt.Sprintf("cid is longer than %d bytes", wire.MaxClientID)}
	}
	text, err := wire.CheckText(f.Text, s.cfg.MaxText)
	if err != nil {
		code := wire.CodeTooLong
		if errors.Is(err, wire.ErrTextEmpty) {
			code = wire.CodeEmpty
		}
		return &wire.Error{Code: code, Text: err.Error(), CID: f.CID}
	}
	if s.refuseMuted(p, f.CID) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined {
		return &wire.Error{Code: wire.CodeNotJoined, Text: "not in the room", CID: f.CID}
	}
	if f.CID != "" && p.sess != nil && p.sess.deliveredPrivate(f.CID) {
		s.dupes.Add(1)
		p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeDuplicate, CID: f.CID,
			Text: "already delivered: this private message was sent before"}))
		return nil
	}
	to := s.findLocked(f.To)
	if to == nil {
		return &wire.Error{Code: wire.CodeNoSuchNick, CID: f.CID,
			Text: "nobody here is called " + clip(f.To, 64) + "; /who lists who is here"}
	}
	m := wire.Private{Time: time.Now().UnixMilli(), From: p.nick, To: to.nick, Text: text}
	if to != p {
		to.enqueue(privateFrame(to, m, false))
	}
	m.CID = f.CID
	p.enqueue(privateFrame(p, m, true))
	if f.CID != "" && p.sess != nil {
		p.sess.rememberPrivate(f.CID)
	}
	return nil
}

// privateFrame is m as q sees it: a rich frame, or a plain server line.
func privateFrame(q *peer, m wire.Private, echo bool) []byte {
	if q.rich {
		return mustJSONFrame(m)
	}
	return textFrame(wire.PlainPrivate(m.From, m.To, m.Text, echo))
}

// plainSocial runs a plain client's commands for private messages and
// moderation. It reports false for a command it does not know.
func (s *Server) plainSocial(p *peer, name, arg string) bool {
	notice := func(text string) { p.enqueue(textFrame(wire.PlainNotice(text))) }
	refused := func(e *wire.Error) {
		if e != nil {
			notice(e.Text)
		}
	}
	switch name {
	case "/msg":
		to, text, _ := strings.Cut(arg, " ")
		if to == "" || strings.TrimSpace(text) == "" {
			notice("usage: /msg NICK text")
			return true
		}
		if e := s.private(p, wire.Private{To: to, Text: text}); e != nil {
			notice("not sent: " + e.Text)
		}
	case "/host":
		if arg == "" {
			notice("usage: /host KEY")
			return true
		}
		refused(s.claim(p, arg))
	case "/topic":
		if arg == "" {
			s.mu.Lock()
			t := s.mod.topic
			s.mu.Unlock()
			if t.Text == "" {
				notice("no topic is set")
			} else {
				notice("topic: " + t.Text + " (set by " + t.By + ")")
			}
			return true
		}
		refused(s.setTopic(p, arg))
	case "/kick", "/ban", "/mute", "/unban", "/unmute", "/op", "/deop":
		m, usage := parseModCommand(name, arg)
		if usage != "" {
			notice(usage)
			return true
		}
		refused(s.moderate(p, m))
	default:
		return false
	}
	return true
}

// parseModCommand turns "/ban alice 1h spam" and the like into a Mod, or
// returns how to use the command.
func parseModCommand(name, arg string) (m wire.Mod, usage string) {
	m.Action = wire.Action(strings.TrimPrefix(name, "/"))
	fields := strings.Fields(arg)
	needsTime := m.Action == wire.ActBan || m.Action == wire.ActMute
	switch {
	case len(fields) == 0, needsTime && len(fields) < 2:
		switch m.Action {
		case wire.ActKick:
			return m, "usage: /kick NICK [reason]"
		case wire.ActBan, wire.ActMute:
			return m, "usage: " + name + " NICK|ADDRESS TIME [reason]   (TIME like 90s, 10m, 1h, 2d)"
		case wire.ActUnban, wire.ActUnmute:
			return m, "usage: " + name + " NICK|ADDRESS"
		}
		return m, "usage: " + name + " NICK"
	}
	m.Nick, m.Addr = parseTarget(fields[0])
	rest := fields[1:]
	if needsTime {
		d, err := wire.ParseSpan(fields[1])
		if err != nil {
			return m, "not done: " + err.Error()
		}
		m.Secs = int64(d / time.Second)
		rest = fields[2:]
	}
	if m.Action == wire.ActKick || needsTime {
		m.Reason = strings.Join(rest, " ")
	}
	return m, ""
}

// handleSocial acts on a rich client's private message or moderation
// frame.
func (s *Server) handleSocial(p *peer, f wire.Frame) *wire.Error {
	switch f := f.(type) {
	case wire.Private:
		return s.private(p, f)
	case wire.Claim:
		return s.claim(p, f.Key)
	case wire.Mod:
		return s.moderate(p, f)
	case wire.Topic:
		return s.setTopic(p, f.Text)
	}
	return nil
}
