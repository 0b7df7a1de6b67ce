package server

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/nickname"
	"parley/net/wire"
)

// Sanctions: bans and mutes in force, how they match a connection, how a
// banned or kicked connection is ended, and the mute check on a send.
// moderation.go decides them; sanctionstore.go keeps them in the store.

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
