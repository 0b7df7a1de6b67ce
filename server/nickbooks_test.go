package server

import (
	"fmt"

	"parley/net/nickname"
)

// roomBooksLocked says what is wrong with the room's nickname indexes,
// or returns "": each joined peer is in s.nicks under its nickname's
// Fold and in s.skels under its Skeleton, and nothing else is.
func roomBooksLocked(s *Server) string {
	joined := len(s.rich) + len(s.plain)
	if len(s.nicks) != joined || len(s.skels) != joined {
		return fmt.Sprintf("%d folds and %d skeletons for %d rich and %d plain clients",
			len(s.nicks), len(s.skels), len(s.rich), len(s.plain))
	}
	for fold, q := range s.nicks {
		if !q.joined || q.fold != fold || nickname.Fold(q.nick) != fold {
			return fmt.Sprintf("fold %q maps to %q", fold, q.nick)
		}
	}
	for skel, q := range s.skels {
		if !q.joined || nickname.Skeleton(q.nick) != skel {
			return fmt.Sprintf("skeleton %q maps to %q", skel, q.nick)
		}
	}
	return ""
}
