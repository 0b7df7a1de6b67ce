package server

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// session is a rich client's identity across its connections: the token
// from its welcome, and the client message ids it sent recently, so that
// a message sent again after a reconnect is not broadcast twice.
type session struct {
	token string
	peer  *peer     // the connection using it, nil while detached
	left  time.Time // when it was last detached
	cids  map[string]uint64
	order []string // the same cids, oldest first, at most recentCIDs
}

// seen returns the id of the message sent with cid, if it is recent.
func (ss *session) seen(cid string) (uint64, bool) {
	id, ok := ss.cids[cid]
	return id, ok
}

// remember records that cid was broadcast as message id.
func (ss *session) remember(cid string, id uint64) {
	if ss.cids == nil {
		ss.cids = make(map[string]uint64)
	}
	if len(ss.order) >= recentCIDs {
		delete(ss.cids, ss.order[0])
		ss.order = append(ss.order[:0], ss.order[1:]...)
	}
	ss.cids[cid] = id
	ss.order = append(ss.order, cid)
}

// detached is an entry of the queue of sessions waiting to expire.
type detached struct {
	ss   *session
	left time.Time
}

// newToken returns a random 128-bit token in hex.
func newToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: see crypto/rand.Read
	return hex.EncodeToString(b[:])
}

// detachLocked parks ss after its connection went, and expires old ones.
// The caller holds s.mu.
func (s *Server) detachLocked(ss *session, now time.Time) {
	ss.peer = nil
	ss.left = now
	s.detached = append(s.detached, detached{ss, now})
	s.expireLocked(now)
}

// expireLocked forgets the sessions detached longer than sessionTTL, and
// the oldest ones beyond maxSessions. An entry whose session was taken up
// again since is skipped.
func (s *Server) expireLocked(now time.Time) {
	for len(s.detached) > 0 {
		d := s.detached[0]
		if d.ss.peer == nil && d.ss.left.Equal(d.left) &&
			now.Sub(d.left) < sessionTTL && len(s.detached) <= maxSessions {
			break
		}
		if d.ss.peer == nil && d.ss.left.Equal(d.left) {
			delete(s.sessions, d.ss.token)
		}
		s.detached[0] = detached{}
		s.detached = s.detached[1:]
	}
}
