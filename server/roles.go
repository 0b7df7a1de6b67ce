package server

import (
	"crypto/subtle"
	"fmt"

	"parley/net/wire"
)

// Roles: the host (whoever presents the host key) and the moderators the
// host names, and who may act against whom. Kept in moderation.roles and
// moderation.plainRoles.

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
