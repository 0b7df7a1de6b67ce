package server

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/text/unicode/norm"

	"parley/net/nickname"
	"parley/net/wire"
)

// Moderation: who may do what (roles), who is kept out or kept quiet for
// a while (sanctions), and the room's topic. docs/PROTOCOL.md,
// "Moderation", is the contract; docs/SECURITY.md says what it defends.
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

// sanction is one ban or mute. It matches a connection by any of its
// keys that is set: the folded nickname (so that case and look-alikes do
// not escape it), the session the person had (so that renaming does not),
// or the address (so that neither does a new nickname nor a new session).
// The session is kept by its store key, not its token: the store must not
// hold what would let its reader present the session.
type sanction struct {
	kind   wire.Action // wire.ActBan or wire.ActMute
	fold   string      // nickname.Fold of the nickname, or ""
	key    string      // store.SessionKey of the person's session, or ""
	addr   netip.Addr  // the address, or the zero Addr
	until  time.Time
	reason string
	by     string
}

// maxReasonRunes bounds a reason, in characters.
const maxReasonRunes = 120

// maxSanctions bounds the bans and mutes in force, which the host and
// moderators add: each costs a scan on every hello and muted send.
const maxSanctions = 1024

// peerAddr is the address a connection comes from, as bans compare it.
func peerAddr(p *peer) netip.Addr {
	ap, err := netip.ParseAddrPort(p.raw.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// roleLocked returns p's role.
func (s *Server) roleLocked(p *peer) wire.Role {
	if p.rich {
		if p.sess == nil {
			return ""
		}
		return s.mod.roles[p.sess]
	}
	return s.mod.plainRoles[p]
}

// setRoleLocked gives p a role, or takes it away ("").
func (s *Server) setRoleLocked(p *peer, r wire.Role) {
	if p.rich {
		if p.sess == nil {
			return
		}
		if s.mod.roles == nil {
			s.mod.roles = make(map[*session]wire.Role)
		}
		if r == "" {
			delete(s.mod.roles, p.sess)
		} else {
			s.mod.roles[p.sess] = r
		}
		return
	}
	if s.mod.plainRoles == nil {
		s.mod.plainRoles = make(map[*peer]wire.Role)
	}
	if r == "" {
		delete(s.mod.plainRoles, p)
	} else {
		s.mod.plainRoles[p] = r
	}
}

// forgetPlainRoleLocked drops a plain peer's role as it leaves.
func (s *Server) forgetPlainRoleLocked(p *peer) {
	if !p.rich && s.mod.plainRoles != nil {
		delete(s.mod.plainRoles, p)
	}
}

// sanctionLocked returns the ban or mute (kind) in force at now on a
// connection with nickname fold, session key key and address addr, or
// nil. Expired sanctions are swept on the way. The caller leaves out the
// host and moderators, who are never kept out.
func (s *Server) sanctionLocked(kind wire.Action, fold, key string, addr netip.Addr, now time.Time) *sanction {
	s.sweepLocked(now)
	for i := range s.mod.sanctions {
		b := &s.mod.sanctions[i]
		if b.kind != kind {
			continue
		}
		if (b.fold != "" && b.fold == fold) || (b.key != "" && b.key == key) ||
			(b.addr.IsValid() && b.addr == addr) {
			return b
		}
	}
	return nil
}

// peerSanctionLocked is sanctionLocked for a connection in the room.
func (s *Server) peerSanctionLocked(kind wire.Action, p *peer, now time.Time) *sanction {
	if s.roleLocked(p) != "" {
		return nil
	}
	key := ""
	if p.sess != nil {
		key = p.sess.key
	}
	return s.sanctionLocked(kind, p.fold, key, peerAddr(p), now)
}

// sweepLocked forgets the sanctions that have ended.
func (s *Server) sweepLocked(now time.Time) {
	s.mod.sanctions = slices.DeleteFunc(s.mod.sanctions, func(b sanction) bool {
		if now.Before(b.until) {
			return false
		}
		if b.kind == wire.ActMute {
			s.mod.mutes.Add(-1)
		}
		return true
	})
}

// until formats the end of a sanction for people.
func until(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// banEnding is how a banned connection is ended: refused on arrival, or
// put out when the ban is made.
func banEnding(b *sanction) ending {
	text := "You are banned until " + until(b.until)
	if b.reason != "" {
		text += ": " + b.reason
	}
	return ending{
		code: websocket.ClosePolicyViolation, text: "banned until " + until(b.until), leave: leaveBanned,
		rich:  mustJSONFrame(wire.Bye{Reason: wire.ByeBanned, Text: text + ".", Until: b.until.UnixMilli()}),
		plain: textFrame(wire.PlainNotice("disconnected: " + strings.ToLower(text[:1]) + text[1:])),
	}
}

// kickEnding is how a kicked connection is ended.
func kickEnding(by, reason string) ending {
	text := "You were removed by " + by
	if reason != "" {
		text += ": " + reason
	}
	return ending{
		code: websocket.ClosePolicyViolation, text: "kicked by " + by, leave: leaveKicked,
		rich:  mustJSONFrame(wire.Bye{Reason: wire.ByeKicked, Text: text + "."}),
		plain: textFrame(wire.PlainNotice("disconnected: you were removed by " + by + reasonSuffix(reason))),
	}
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// bannedOnArrivalLocked returns how to refuse a plain client that
// connects while its address is banned, or ok false.
func (s *Server) bannedOnArrivalLocked(p *peer) (e ending, ok bool) {
	if b := s.sanctionLocked(wire.ActBan, "", "", peerAddr(p), time.Now()); b != nil {
		return banEnding(b), true
	}
	return ending{}, false
}

// claim makes p the host if key is the host key.
func (s *Server) claim(p *peer, key string) *wire.Error {
	want := s.cfg.HostKey
	if want == "" || subtle.ConstantTimeCompare([]byte(key), []byte(want)) != 1 {
		return &wire.Error{Code: wire.CodeNotAllowed, Text: "that is not the host key"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined || s.roleLocked(p) == wire.RoleHost {
		return nil
	}
	s.setRoleLocked(p, wire.RoleHost)
	s.log.Info("host key presented", "conn", p.id, "nick", p.nick, "addr", p.raw.RemoteAddr())
	s.announceRoleLocked(p, "")
	if !p.rich {
		p.enqueue(textFrame(wire.PlainNotice("you are the host: /help lists what you can do")))
	}
	return nil
}

// announceRoleLocked tells the rich clients p's role.
func (s *Server) announceRoleLocked(p *peer, by string) {
	s.broadcastLocked(mustJSONFrame(wire.RoleChange{Time: nowMS(), Nick: p.nick, Role: s.roleLocked(p), By: by}), nil)
}

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

// outranksLocked refuses an action of someone with role against target:
// nobody acts against the host, and moderators not against each other.
func (s *Server) outranksLocked(role wire.Role, target *peer, m wire.Mod) *wire.Error {
	tr := s.roleLocked(target)
	switch {
	case tr == wire.RoleHost:
		return &wire.Error{Code: wire.CodeNotAllowed, Ref: m.Ref,
			Text: fmt.Sprintf("not allowed: nobody can %s the host", m.Action)}
	case tr == wire.RoleMod && role != wire.RoleHost:
		return &wire.Error{Code: wire.CodeNotAllowed, Ref: m.Ref,
			Text: fmt.Sprintf("not allowed: %s is a moderator; only the host can %s them", target.nick, m.Action)}
	}
	return nil
}

// allJoinedLocked lists every member, rich and plain.
func (s *Server) allJoinedLocked() []*peer {
	return append(slices.Clip(s.rich), s.plain...)
}

// putOutLocked ends target, if any, and every connection from addr, if
// valid, that holds no role, with e. by is never removed.
func (s *Server) putOutLocked(target *peer, addr netip.Addr, by *peer, e ending) {
	if target != nil {
		target.end(e)
	}
	if !addr.IsValid() {
		return
	}
	for _, q := range s.allJoinedLocked() {
		if q != by && q != target && s.roleLocked(q) == "" && peerAddr(q) == addr {
			q.end(e)
		}
	}
}

// tellMutedLocked tells plain members that a mute now covers that they
// are muted; rich ones learn it from the moderation event.
func (s *Server) tellMutedLocked(target *peer, addr netip.Addr, b *sanction) {
	line := textFrame(wire.PlainNotice("you are muted until " + until(b.until) + " by " + b.by + reasonSuffix(b.reason)))
	for _, q := range s.plain {
		if q == target || (addr.IsValid() && s.roleLocked(q) == "" && peerAddr(q) == addr) {
			q.enqueue(line)
		}
	}
}

// liftLocked removes the bans or mutes (kind) on nick or addr, and
// reports whether there were any.
func (s *Server) liftLocked(kind wire.Action, nick string, addr netip.Addr, now time.Time) bool {
	s.sweepLocked(now)
	fold := ""
	if nick != "" {
		fold = nickname.Fold(nick)
	}
	n := len(s.mod.sanctions)
	s.mod.sanctions = slices.DeleteFunc(s.mod.sanctions, func(b sanction) bool {
		hit := b.kind == kind && ((fold != "" && b.fold == fold) || (addr.IsValid() && b.addr == addr))
		if hit && kind == wire.ActMute {
			s.mod.mutes.Add(-1)
		}
		return hit
	})
	return len(s.mod.sanctions) < n
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

// refuseMuted answers a send or private message from a muted member and
// reports true; false lets it through.
func (s *Server) refuseMuted(p *peer, cid string) bool {
	if s.mod.mutes.Load() == 0 {
		return false
	}
	now := time.Now()
	s.mu.Lock()
	b := s.peerSanctionLocked(wire.ActMute, p, now)
	var end time.Time
	var reason string
	if b != nil {
		end, reason = b.until, b.reason
	}
	s.mu.Unlock()
	if b == nil {
		return false
	}
	text := "you are muted until " + until(end) + reasonSuffix(reason)
	if p.rich {
		p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeMuted, Text: text, CID: cid,
			RetryMS: max(1, end.Sub(now).Milliseconds())}))
	} else {
		p.enqueue(textFrame(wire.PlainNotice("not sent: " + text)))
	}
	return true
}

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
