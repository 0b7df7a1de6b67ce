package server

import (
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"time"

	"parley/server/store"
)

// session is a rich client's identity across its connections: the token
// from its welcome, and the client message ids it sent recently, so that
// a message sent again after a reconnect is not broadcast twice.
type session struct {
	token string    // "" for a session restored from the store until presented
	key   string    // store.SessionKey(token): how the store knows it
	peer  *peer     // the connection using it, nil while detached
	left  time.Time // when it was last detached
	// sent holds the last recentCIDs sends, as hashes of their cids: a
	// ring, oldest at next once full. Hashes keep a session that sent the
	// longest cids at 4 KiB; a lookup scans the ring, which costs less
	// than encoding the message.
	sent []sentCID
	next int
	// priv holds the cid hashes of its last recentPrivate private
	// messages delivered, a ring like sent (privatecids.go).
	priv     []uint64
	privNext int
}

// sentCID is one send a session remembers.
type sentCID struct {
	hash uint64 // cidHash of the client's message id
	id   uint64 // the id the message was broadcast with
}

// cidSeed makes cid hashes unpredictable, so that a client cannot make
// two of its own message ids collide on purpose; a chance collision
// between two of a session's last 256 cids has odds of about 2^-49.
var cidSeed = maphash.MakeSeed()

func cidHash(cid string) uint64 { return maphash.String(cidSeed, cid) }

// seen returns the id of the message sent with cid, if it is recent.
func (ss *session) seen(cid string) (uint64, bool) {
	h := cidHash(cid)
	for _, e := range ss.sent {
		if e.hash == h && e.id != 0 {
			return e.id, true
		}
	}
	return 0, false
}

// remember records that cid was broadcast as message id, forgetting the
// oldest send once recentCIDs are held.
func (ss *session) remember(cid string, id uint64) {
	e := sentCID{hash: cidHash(cid), id: id}
	if len(ss.sent) < recentCIDs {
		ss.sent = append(ss.sent, e)
		return
	}
	ss.sent[ss.next] = e
	ss.next = (ss.next + 1) % recentCIDs
}

// forget drops cid, sent as message id, from the recent sends: its
// message was never stored, so sending it again is a new message.
func (ss *session) forget(cid string, id uint64) {
	h := cidHash(cid)
	for i, e := range ss.sent {
		if e.hash == h && e.id == id {
			ss.sent[i].id = 0
		}
	}
}

// adoptLocked returns the session restored from the store for token,
// if there is one, and files it under the token. The caller holds s.mu.
func (s *Server) adoptLocked(token string) *session {
	if token == "" || len(s.restored) == 0 {
		return nil
	}
	key := store.SessionKey(token)
	ss := s.restored[key]
	if ss == nil {
		return nil
	}
	delete(s.restored, key)
	ss.token = token
	s.sessions[token] = ss
	return ss
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
			if d.ss.token == "" {
				delete(s.restored, d.ss.key)
			} else {
				delete(s.sessions, d.ss.token)
			}
		}
		s.detached[0] = detached{}
		s.detached = s.detached[1:]
	}
}
