package server

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"parley/net/nickname"
	"parley/net/wire"
)

// Moderation: who may do what (roles, roles.go), who is kept out or kept
// quiet for a while (sanctions, sanctions.go), and the room's topic.
// docs/PROTOCOL.md, "Moderation", is the contract; docs/SECURITY.md says
// what it defends.
//
// Bans and mutes are kept in the store too when it can (SanctionStore,
// sanctionstore.go), so that a restart does not lift them; otherwise they end
// with the process. Roles and the topic are in memory only. Roles belong
// to a rich client's session, so that they outlive its reconnections, and
// to a plain client's connection.

// moderation is the room's moderation state. Everything but mutes is
// guarded by s.mu.
type moderation struct {
	roles      map[*session]wire.Role // rich members' roles
	plainRoles map[*peer]wire.Role    // plain members' roles, for their connection
	sanctions  []sanction             // bans and mutes, some perhaps expired
	topic      wire.Topic

	// mutes counts the mutes in sanctions, so that a send from a room
	// with none (nearly always) does not take s.mu to look. Atomic;
	// written under s.mu.
	mutes atomic.Int32

	version uint64        // counts the bans and mutes made or lifted, for saver
	saver   sanctionSaver // writes them to the store; its own lock
}

// maxReasonRunes bounds a reason, in characters.
const maxReasonRunes = 120

// normNick is a nickname as someone typed it, in the form the room
// keeps nicknames (NFKC, trimmed), for looking it up. Overlong input is
// left as it is: it matches nobody.
func normNick(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 4*wire.MaxNick {
		return s
	}
	return norm.NFKC.String(s)
}

// findLocked returns the member whose nickname is nick, case aside, or
// nil. A look-alike of a nickname is not that nickname: a private
// message or a moderation addressed to "alice" never reaches "аlice"
// (Cyrillic а), who may have taken the look-alike after alice left.
func (s *Server) findLocked(nick string) *peer {
	want := wire.FoldNick(normNick(nick))
	q := s.nicks[nickname.Fold(normNick(nick))]
	if q == nil || wire.FoldNick(q.nick) != want {
		return nil
	}
	return q
}

// moderate carries out a moderation request from p. It returns a refusal,
// or nil once done and announced.
func (s *Server) moderate(p *peer, m wire.Mod) *wire.Error {
	refuse := func(code wire.Code, format string, args ...any) *wire.Error {
		return &wire.Error{Code: code, Text: fmt.Sprintf(format, args...), Ref: m.Ref}
	}
	if len(m.Ref) > wire.MaxRef {
		return refuse(wire.CodeBadRequest, "ref is longer than %d bytes", wire.MaxRef)
	}
	reason := oneLine(m.Reason, wire.MaxReason)
	var addr netip.Addr
	switch {
	case m.Nick != "" && m.Addr != "":
		return refuse(wire.CodeBadMod, "name a nickname or an address, not both")
	case m.Nick == "" && m.Addr == "":
		return refuse(wire.CodeBadMod, "name a nickname or an address")
	case m.Nick != "" && utf8.RuneCountInString(normNick(m.Nick)) > wire.MaxNick:
		return refuse(wire.CodeBadMod, "%q is not a nickname: at most %d characters", clip(m.Nick, 40), wire.MaxNick)
	case m.Addr != "":
		a, err := netip.ParseAddr(m.Addr)
		if err != nil {
			return refuse(wire.CodeBadMod, "%q is not an IP address", clip(m.Addr, 64))
		}
		addr = a.Unmap().WithZone("")
	}
	switch m.Action {
	case wire.ActKick, wire.ActUnban, wire.ActUnmute, wire.ActOp, wire.ActDeop:
	case wire.ActBan, wire.ActMute:
		if m.Secs < 1 || m.Secs > wire.MaxSanction {
			return refuse(wire.CodeBadMod, "a %s lasts from 1 second to 30 days", m.Action)
		}
	default:
		return refuse(wire.CodeBadMod, "unknown action %q", clip(string(m.Action), 32))
	}
	if addr.IsValid() && (m.Action == wire.ActOp || m.Action == wire.ActDeop) {
		return refuse(wire.CodeBadMod, "only a person can be a moderator: name a nickname")
	}

	now := time.Now()
	// Deferred before the unlock, so run after it: the store is written
	// outside s.mu, once the room has been told.
	defer s.saveSanctions()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined {
		return refuse(wire.CodeNotJoined, "not in the room")
	}
	role := s.roleLocked(p)
	switch {
	case role == "":
		return refuse(wire.CodeNotAllowed, "not allowed: only the host and moderators can %s", m.Action)
	case (m.Action == wire.ActOp || m.Action == wire.ActDeop) && role != wire.RoleHost:
		return refuse(wire.CodeNotAllowed, "not allowed: only the host names moderators")
	}
	var target *peer
	if m.Nick != "" {
		target = s.findLocked(m.Nick)
		needed := m.Action == wire.ActKick || m.Action == wire.ActOp || m.Action == wire.ActDeop
		if target == nil && needed {
			return refuse(wire.CodeNoSuchNick, "nobody here is called %s", clip(m.Nick, 64))
		}
	}
	if target == p {
		return refuse(wire.CodeBadMod, "you cannot %s yourself", m.Action)
	}
	if target != nil {
		if e := s.outranksLocked(role, target, m); e != nil {
			return e
		}
	}
	if addr.IsValid() && m.Action != wire.ActUnban && m.Action != wire.ActUnmute {
		// The host's own address cannot be banned: it would keep the
		// host out before its key could be presented.
		for _, q := range s.allJoinedLocked() {
			if s.roleLocked(q) == wire.RoleHost && peerAddr(q) == addr {
				return refuse(wire.CodeNotAllowed, "not allowed: the host connects from that address")
			}
		}
	}

	ev := wire.Moderation{Time: now.UnixMilli(), Action: m.Action, By: p.nick, Reason: reason}
	if target != nil {
		ev.Nick = target.nick
	} else if m.Nick != "" {
		ev.Nick = wire.CleanText(normNick(m.Nick))
	}
	switch m.Action {
	case wire.ActKick:
		s.putOutLocked(target, addr, p, kickEnding(p.nick, reason))
	case wire.ActBan, wire.ActMute:
		b := sanction{kind: m.Action, addr: addr, until: now.Add(time.Duration(m.Secs) * time.Second), reason: reason, by: p.nick}
		if ev.Nick != "" {
			b.fold = nickname.Fold(ev.Nick)
		}
		if target != nil {
			if target.sess != nil {
				b.key = target.sess.key
			} else {
				// A plain client has no identity but its address: a
				// new connection would be a new guest-N.
				b.addr = peerAddr(target)
			}
		}
		s.sweepLocked(now)
		if len(s.mod.sanctions) >= maxSanctions {
			return refuse(wire.CodeBadMod, "%d bans and mutes are in force, the most this server keeps: lift some first", maxSanctions)
		}
		s.mod.sanctions = append(s.mod.sanctions, b)
		s.mod.version++
		ev.Until = b.until.UnixMilli()
		if m.Action == wire.ActBan {
			s.putOutLocked(target, addr, p, banEnding(&b))
		} else {
			s.mod.mutes.Add(1)
			s.tellMutedLocked(target, addr, &b)
		}
	case wire.ActUnban, wire.ActUnmute:
		kind := wire.ActBan
		if m.Action == wire.ActUnmute {
			kind = wire.ActMute
		}
		if !s.liftLocked(kind, ev.Nick, addr, now) {
			return refuse(wire.CodeBadMod, "no %s in force on %s", kind, clip(m.Nick+m.Addr, 64))
		}
		s.mod.version++
	case wire.ActOp, wire.ActDeop:
		r := wire.RoleMod
		if m.Action == wire.ActDeop {
			r = ""
		}
		s.setRoleLocked(target, r)
		s.announceRoleLocked(target, p.nick)
		if !target.rich {
			what := "you are a moderator now: /help lists what you can do"
			if r == "" {
				what = "you are no longer a moderator"
			}
			target.enqueue(textFrame(wire.PlainNotice(what)))
		}
	}
	s.log.Info("moderation", "action", m.Action, "nick", ev.Nick, "addr", addr, "by", p.nick, "reason", reason)
	s.announceModerationLocked(p, ev, m.Ref, addr)
	return nil
}

// allJoinedLocked lists every member, rich and plain.
func (s *Server) allJoinedLocked() []*peer {
	return append(slices.Clip(s.rich), s.plain...)
}

// announceModerationLocked tells the room what a moderator did, and the
// moderator (with its request's ref) that it is done. An address is told
// only to the moderator: the room learns nothing of anyone's address.
func (s *Server) announceModerationLocked(by *peer, ev wire.Moderation, ref string, addr netip.Addr) {
	if ev.Nick != "" {
		f := mustJSONFrame(ev)
		for _, q := range s.rich {
			if q != by {
				q.enqueue(f)
			}
		}
	}
	if by.rich {
		ev.Ref = ref
		if addr.IsValid() {
			ev.Addr = addr.String()
		}
		by.enqueue(mustJSONFrame(ev))
		return
	}
	who := ev.Nick
	if addr.IsValid() {
		who = addr.String()
	}
	line := string(ev.Action) + " " + who + ": done"
	if ev.Until != 0 {
		line += ", until " + until(time.UnixMilli(ev.Until))
	}
	by.enqueue(textFrame(wire.PlainNotice(line)))
}

// setTopic sets the room's topic and announces it.
func (s *Server) setTopic(p *peer, text string) *wire.Error {
	clean := oneLine(text, 1<<20)
	if len(clean) > wire.MaxTopic {
		return &wire.Error{Code: wire.CodeTooLong, Text: fmt.Sprintf("a topic is at most %d bytes", wire.MaxTopic)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined {
		return &wire.Error{Code: wire.CodeNotJoined, Text: "not in the room"}
	}
	if s.roleLocked(p) == "" {
		return &wire.Error{Code: wire.CodeNotAllowed, Text: "not allowed: only the host and moderators can set the topic"}
	}
	s.mod.topic = wire.Topic{Time: nowMS(), By: p.nick, Text: clean}
	s.broadcastLocked(mustJSONFrame(s.mod.topic), nil)
	if !p.rich {
		p.enqueue(textFrame(wire.PlainNotice("topic set")))
	}
	return nil
}

// topicLocked is the topic, for the welcome.
func (s *Server) topicLocked() string { return s.mod.topic.Text }

// oneLine cleans text for a reason or a topic: one line, at most max
// bytes (cut at a character), reasons also at most maxReasonRunes
// characters.
func oneLine(text string, max int) string {
	t := strings.Join(strings.Fields(wire.CleanText(text)), " ")
	if max == wire.MaxReason {
		if r := []rune(t); len(r) > maxReasonRunes {
			t = string(r[:maxReasonRunes]) + "…"
		}
	}
	return t
}

// clip shortens what a client sent for quoting it back.
func clip(s string, n int) string {
	s = wire.CleanText(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// parseTarget tells an address from a nickname in a plain command: an IP
// address is an address, anything else a nickname.
func parseTarget(arg string) (nick, addr string) {
	if a, err := netip.ParseAddr(arg); err == nil {
		return "", a.String()
	}
	if h, _, err := net.SplitHostPort(arg); err == nil {
		if a, err := netip.ParseAddr(h); err == nil {
			return "", a.String()
		}
	}
	return arg, ""
}
