package server

import (
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/net/nickname"
	"parley/net/wire"
	"parley/server/store"
)

// The room's state lives in Server under s.mu. Each operation takes s.mu
// once, changes the state, and queues the resulting frames to every
// recipient before letting go, so every client sees every change in the
// same order. Queueing never blocks: no lock is held across I/O.

// nowMS returns the server's clock in Unix milliseconds.
func nowMS() int64 { return time.Now().UnixMilli() }

// broadcastLocked queues a rich frame to every rich peer and a plain frame
// to every plain peer; a nil frame is not sent to that mode. The peers
// that were idle are written by the deferred flush (flushPending), not
// by a goroutine each.
func (s *Server) broadcastLocked(rich, plain []byte) {
	if rich != nil {
		for _, p := range s.rich {
			if p.queue(rich, true) {
				s.pendLocked(p)
			}
		}
	}
	if plain != nil {
		for _, p := range s.plain {
			if p.queue(plain, true) {
				s.pendLocked(p)
			}
		}
	}
}

// pendLocked adds p, which has frames queued and no flusher, to the
// peers the deferred flush writes, and starts that flush if none is
// pending.
//
// Deferring is what turns a burst into one write per peer, as
// nats-server's deferred flush does: until the flush runs, every further
// broadcast only appends its frame to the queues of the peers already
// pending (they hold qFlushing), so each peer gets everything the
// burst brought in one writev, one message per frame. A lone message is
// not held back: the flush runs as soon as the reader that broadcast it
// waits for input.
func (s *Server) pendLocked(p *peer) {
	if s.pend == nil {
		s.pend = idleLists.Get().(*[]*peer)
		go s.flushPending()
	}
	*s.pend = append(*s.pend, p)
}

// flushPending is the deferred flush: it lets the readers that are ready
// to run handle their messages first, then writes every pending peer.
//
// A large room is written by as many goroutines as the runtime has
// processors, each taking its share of the peers in turn: the write
// system calls, which are nearly all of a broadcast's cost, then run on
// every core.
func (s *Server) flushPending() {
	// The readers the poller has woken wait in the run queue behind
	// this goroutine, which their first broadcast started: let them
	// add their messages to this flush before it takes the list.
	runtime.Gosched()
	s.mu.Lock()
	idle := s.pend
	s.pend = nil
	s.mu.Unlock()
	n := min(runtime.GOMAXPROCS(0), len(*idle)/splitAt)
	if n <= 1 {
		flushEach(idle, 0, 1, nil)
		return
	}
	left := new(atomic.Int32)
	left.Store(int32(n))
	for i := 1; i < n; i++ {
		go flushEach(idle, i, n, left)
	}
	flushEach(idle, 0, n, left)
}

// splitAt is how many idle peers a broadcast gives each flushing goroutine
// at least.
const splitAt = 128

// idleLists recycles the lists of peers to flush.
var idleLists = sync.Pool{New: func() any { return new([]*peer) }}

// iovs recycles the flushing goroutines' writev vectors.
var iovs = sync.Pool{New: func() any { return new(iovScratch) }}

// flushEach flushes every n-th peer, from the i-th, of those pending, in
// the order they were queued to. The last of the n to finish (left counts
// them; nil when n is 1) recycles the list.
func flushEach(idle *[]*peer, i, n int, left *atomic.Int32) {
	iov := iovs.Get().(*iovScratch)
	list := *idle
	for j := i; j < len(list); j += n {
		list[j].tryFlush(iov)
	}
	iovs.Put(iov)
	if left != nil && left.Add(-1) > 0 {
		return
	}
	clear(list)
	*idle = list[:0]
	idleLists.Put(idle)
}

// addLocked puts a peer in the room under its nickname.
func (s *Server) addLocked(p *peer) {
	p.joined = true
	s.nicks[p.fold] = p
	s.skels[nickname.Skeleton(p.nick)] = p
	if p.rich {
		p.slot = int32(len(s.rich))
		s.rich = append(s.rich, p)
	} else {
		p.slot = int32(len(s.plain))
		s.plain = append(s.plain, p)
	}
	s.people.Add(1)
}

// removeLocked takes a peer out of the room without telling anyone.
func (s *Server) removeLocked(p *peer) {
	if !p.joined {
		return
	}
	p.joined = false
	s.unindexLocked(p)
	s.forgetPlainRoleLocked(p)
	list := &s.plain
	if p.rich {
		list = &s.rich
	}
	l := *list
	last := len(l) - 1
	l[p.slot] = l[last]
	l[p.slot].slot = p.slot
	l[last] = nil
	*list = l[:last]
	s.people.Add(-1)
	if p.sess != nil && p.sess.peer == p {
		s.detachLocked(p.sess, time.Now())
	}
}

// joinPlainLocked joins a plain client as the next free guest-N. The
// caller queues its greeting before it lets go of s.mu, so that it comes
// before anything broadcast after the join.
func (s *Server) joinPlainLocked(p *peer) {
	for {
		s.guests++
		p.nick = nickname.GuestPrefix + strconv.Itoa(s.guests)
		p.fold = nickname.Fold(p.nick)
		if s.holderLocked(p.fold, nickname.Skeleton(p.nick), nil) == nil {
			break
		}
	}
	p.status = wire.Active
	s.addLocked(p)
	s.announceJoinLocked(p)
}

// greetingFrame is the plain-mode greeting, shared by every plain client.
var greetingFrame = textFrame(wire.Greeting)

// announceJoinLocked tells the other rich clients that p joined. Plain
// clients get no join and leave lines: a plain client's frames after its
// own message are chat lines, as the original chat's clients expect.
func (s *Server) announceJoinLocked(p *peer) {
	if len(s.rich) == 0 {
		return
	}
	f := mustJSONFrame(wire.Join{Time: nowMS(), Nick: p.nick, Status: p.status, Plain: !p.rich, Role: s.roleLocked(p)})
	for _, q := range s.rich {
		if q != p {
			q.enqueue(f)
		}
	}
}

// leave takes a finished peer out of the room and tells the rich clients
// why it left.
func (s *Server) leave(p *peer) {
	p.mu.Lock()
	reason := p.reason
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined {
		return
	}
	s.removeLocked(p)
	s.log.Debug("left", "conn", p.id, "nick", p.nick, "reason", reason.String())
	if s.closing || len(s.rich) == 0 {
		return
	}
	s.broadcastLocked(mustJSONFrame(wire.Leave{Time: nowMS(), Nick: p.nick, Reason: reason.String()}), nil)
}

// helloResult is what join decided, for the reader to send.
type helloResult struct {
	err     *wire.Error
	welcome *wire.Welcome
	old     *peer   // a connection of the same session, replaced
	ban     *ending // the client is banned: end it so
}

// join handles a rich client's hello. On success p is in the room, its
// queue is on hold, and the caller encodes the welcome and releases it.
func (s *Server) join(p *peer, h wire.Hello) helloResult {
	if h.V != wire.Version {
		return helloResult{err: &wire.Error{Code: wire.CodeVersion,
			Text: "this server speaks protocol version " + strconv.Itoa(wire.Version)}}
	}
	nick, err := nickname.Check(h.Nick)
	if err != nil {
		return helloResult{err: &wire.Error{Code: wire.CodeNickInvalid, Text: err.Error()}}
	}
	fold, skel := nickname.Fold(nick), nickname.Skeleton(nick)
	now := time.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return helloResult{err: &wire.Error{Code: wire.CodeNotJoined, Text: "the server is shutting down"}}
	}
	ss := s.sessions[h.Session]
	if h.Session == "" {
		ss = nil
	} else if ss == nil {
		ss = s.adoptLocked(h.Session) // a session from before a restart
	}
	var old *peer
	if ss != nil && ss.peer != nil && ss.peer != p {
		old = ss.peer
	}
	// A session the server does not know (from before a restart, say)
	// is still matched by the key a ban keeps of it.
	key := store.SessionKey(h.Session)
	if ss != nil {
		key = ss.key
	}
	if ss == nil || s.mod.roles[ss] == "" { // the host and moderators are never kept out
		if b := s.sanctionLocked(wire.ActBan, fold, key, peerAddr(p), now); b != nil {
			e := banEnding(b)
			return helloResult{ban: &e}
		}
	}
	if holder := s.holderLocked(fold, skel, old); holder != nil {
		return helloResult{err: nickTaken(nick, holder)}
	}

	status := wire.Active
	if old != nil {
		// The same client again, its old connection not yet dropped: the
		// new one takes its place without a leave and a join.
		status = old.status
		s.removeLocked(old)
	}
	if ss == nil {
		ss = &session{token: newToken()}
		ss.key = store.SessionKey(ss.token)
		s.sessions[ss.token] = ss
	}
	ss.peer = p
	p.sess = ss
	p.nick, p.fold, p.status = nick, fold, status

	w := &wire.Welcome{
		V:       wire.Version,
		Nick:    nick,
		Session: ss.token,
		Epoch:   s.epoch,
		Room:    s.cfg.Room,
		Server:  s.software,
		LastID:  s.backlog.last,
		Limits:  s.limits,
		Caps:    s.caps(),
		Topic:   s.topicLocked(),
	}
	if h.Epoch == s.epoch && h.After != nil && *h.After <= s.backlog.last {
		var complete bool
		w.History, complete = s.backlog.since(*h.After, historyBytes)
		w.Resumed, w.Gap = true, !complete
	} else {
		w.History, _ = s.backlog.since(0, historyBytes)
	}
	w.Users = s.usersLocked(p)

	p.holdForWelcome() // the welcome goes first, once encoded outside the lock
	s.addLocked(p)
	if old == nil {
		s.announceJoinLocked(p)
	}
	s.expireLocked(now)
	return helloResult{welcome: w, old: old}
}

// usersLocked lists the room, with p (not yet added) included.
func (s *Server) usersLocked(p *peer) []wire.User {
	users := make([]wire.User, 0, len(s.rich)+len(s.plain)+1)
	for _, q := range s.rich {
		users = append(users, wire.User{Nick: q.nick, Status: q.status, Role: s.roleLocked(q)})
	}
	for _, q := range s.plain {
		users = append(users, wire.User{Nick: q.nick, Status: q.status, Plain: true, Role: s.roleLocked(q)})
	}
	if p != nil {
		users = append(users, wire.User{Nick: p.nick, Status: p.status, Plain: !p.rich, Role: s.roleLocked(p)})
	}
	return users
}

// sortUsers orders a user list by nickname, case-insensitively.
func sortUsers(users []wire.User) {
	slices.SortFunc(users, func(a, b wire.User) int {
		return strings.Compare(wire.FoldNick(a.Nick), wire.FoldNick(b.Nick))
	})
}

// rename changes p's nickname. It returns a refusal, or nil.
func (s *Server) rename(p *peer, want string) *wire.Error {
	nick, err := nickname.Check(want)
	if err != nil {
		return &wire.Error{Code: wire.CodeNickInvalid, Text: err.Error()}
	}
	fold, skel := nickname.Fold(nick), nickname.Skeleton(nick)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined {
		return &wire.Error{Code: wire.CodeNotJoined, Text: "not in the room"}
	}
	if nick == p.nick {
		return nil
	}
	if holder := s.holderLocked(fold, skel, p); holder != nil {
		return nickTaken(nick, holder)
	}
	if b := s.sanctionLocked(wire.ActBan, fold, "", netip.Addr{}, time.Now()); b != nil && s.roleLocked(p) == "" {
		return &wire.Error{Code: wire.CodeNickInvalid, Text: "the nickname " + nick + " is banned until " + until(b.until)}
	}
	old := p.nick
	s.unindexLocked(p)
	p.nick, p.fold = nick, fold
	s.nicks[fold] = p
	s.skels[skel] = p
	if len(s.rich) > 0 {
		s.broadcastLocked(mustJSONFrame(wire.Rename{Time: nowMS(), Nick: old, To: nick}), nil)
	}
	if !p.rich {
		p.enqueue(textFrame(wire.PlainNotice("you are now " + nick)))
	}
	return nil
}

// setStatus changes a rich client's presence and tells the rich clients.
func (s *Server) setStatus(p *peer, st wire.Presence) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.joined || p.status == st {
		return
	}
	p.status = st
	s.broadcastLocked(mustJSONFrame(wire.Status{Time: nowMS(), Nick: p.nick, Status: st}), nil)
}

// who returns the room's users, sorted.
func (s *Server) who() []wire.User {
	s.mu.Lock()
	users := s.usersLocked(nil)
	s.mu.Unlock()
	sortUsers(users)
	return users
}
