package server

import (
	"parley/net/nickname"
	"parley/net/wire"
)

// Two people in the room may not have nicknames that look alike
// (net/nickname): not the same in another case (nickname.Fold), and not
// confusable as shown (nickname.Skeleton). Both keys of every joined peer
// are indexed, s.nicks by its fold (p.fold) and s.skels by its skeleton,
// so a join or a rename costs two map lookups whatever the size of the
// room. The skeleton is computed again when a peer leaves rather than
// kept in the peer, which TestPeerSize holds to its size class.

// holderLocked returns a joined peer other than self (which may be nil)
// whose nickname has the key fold or skel, or nil. Both maps are asked
// even when self holds one key: "alice" renaming herself "ALICE" keeps
// her fold, but "ALICE" may be the skeleton of "ALlCE", who is here too.
func (s *Server) holderLocked(fold, skel string, self *peer) *peer {
	if q := s.nicks[fold]; q != nil && q != self {
		return q
	}
	if q := s.skels[skel]; q != nil && q != self {
		return q
	}
	return nil
}

// unindexLocked takes p's nickname out of s.nicks and s.skels.
func (s *Server) unindexLocked(p *peer) {
	if s.nicks[p.fold] == p {
		delete(s.nicks, p.fold)
	}
	if skel := nickname.Skeleton(p.nick); s.skels[skel] == p {
		delete(s.skels, skel)
	}
}

// nickTaken is the refusal of nick because holder is in the room: the
// same nickname but for case, or one that looks like it.
func nickTaken(nick string, holder *peer) *wire.Error {
	text := "the nickname " + nick + " is taken"
	if wire.FoldNick(nick) != wire.FoldNick(holder.nick) {
		text = nick + " looks like " + holder.nick + ", who is here"
	}
	return &wire.Error{Code: wire.CodeNickTaken, Text: text}
}
