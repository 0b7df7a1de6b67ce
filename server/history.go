package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"parley/net/wire"
	"parley/server/store"
)

// Store is where the room's history lives beyond the backlog: the server
// appends every message to it and reads its identity back at start
// (Open). store.DB keeps it in SQLite; another engine may stand in.
//
// Append must be durable when it returns nil, and all-or-nothing. The
// other methods are called from connections' reader goroutines, never
// with the server's lock held.
type Store interface {
	Load(ctx context.Context, recent int, since time.Time) (store.State, error)
	Append(ctx context.Context, batch []store.Entry) error
	Before(ctx context.Context, before uint64, limit int) ([]wire.Msg, error)
	Search(ctx context.Context, q string, before uint64, limit int) ([]wire.Msg, error)
}

// storageRetry is how long posts are refused after a commit failed,
// before the next post tries the store again.
const storageRetry = 5 * time.Second

// Open returns a server whose history is cfg.Store: it takes up the
// epoch, the last message id, the backlog and the sessions' recent client
// message ids where the last server on the same store stopped, and
// commits every message to the store before anyone sees it. A nil
// cfg.Store gives New's server, with history in memory.
//
// Shutdown stops the committer; the caller closes the store after it.
func Open(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return New(cfg), nil
	}
	s := newServer(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	st, err := cfg.Store.Load(ctx, s.cfg.Backlog, now.Add(-sessionTTL))
	if err != nil {
		return nil, fmt.Errorf("server: loading the history: %w", err)
	}
	s.store = cfg.Store
	s.epoch = st.Epoch
	s.restore(st, now)
	if err := s.loadSanctions(ctx, cfg.Store, now); err != nil {
		return nil, err
	}
	s.commit = newCommitter(s)
	s.commit.start()
	return s, nil
}

// restore takes up a loaded state. Only the consecutive run of messages
// ending at the last id goes into the backlog, whose ids must follow each
// other.
func (s *Server) restore(st store.State, now time.Time) {
	recent := st.Recent
	for i := len(recent) - 1; i >= 0; i-- {
		if recent[i].ID != st.LastID-uint64(len(recent)-1-i) {
			recent = recent[i+1:]
			break
		}
	}
	s.backlog.last = st.LastID - uint64(len(recent))
	for _, m := range recent {
		s.backlog.add(m)
	}
	s.backlog.last = st.LastID
	s.assigned = st.LastID
	for _, sent := range st.Sent {
		ss := s.restored[sent.Session]
		if ss == nil {
			ss = &session{key: sent.Session}
			s.restored[sent.Session] = ss
			s.detachLocked(ss, now)
		}
		ss.remember(sent.CID, sent.ID)
	}
}

// post broadcasts a chat message from p, whose text is already checked.
// A rich client's repeated cid is not broadcast again: the original is
// sent to that client alone while the backlog still holds it, and error
// duplicate with its id after that, so that the client's send never stays
// pending. With a store, the message is broadcast once its group is
// committed; post returns at once unless the connection has maxInflight
// messages waiting, when it waits for the group.
func (s *Server) post(p *peer, text, cid string) {
	s.mu.Lock()
	if !p.joined {
		s.mu.Unlock()
		return
	}
	if cid != "" && p.sess != nil {
		if id, ok := p.sess.seen(cid); ok {
			s.dupes.Add(1)
			s.answerDuplicateLocked(p, cid, id)
			s.mu.Unlock()
			return
		}
	}
	now := time.Now()
	if s.commit != nil && (s.commit.stopped || now.Before(s.commit.refuseUntil)) {
		wait := max(storageRetry, s.commit.refuseUntil.Sub(now))
		s.mu.Unlock()
		s.refuseStorage(p, cid, wait)
		return
	}
	s.assigned++
	m := wire.Msg{ID: s.assigned, Time: now.UnixMilli(), From: p.nick, Text: text, CID: cid}
	if !p.rich {
		m.CID = "" // plain clients have no message ids
	}
	if cid != "" && p.sess != nil {
		p.sess.remember(cid, m.ID)
	}
	if s.commit == nil {
		s.mem.Append(context.Background(), []store.Entry{{Msg: m}}) // memory: never fails
		s.publishLocked(m)
		s.mu.Unlock()
		return
	}
	e := pending{entry: store.Entry{Msg: m}, sess: p.sess, peer: p}
	if p.sess != nil {
		e.entry.Session = p.sess.key
	}
	done := s.commit.add(e)
	s.commit.inflight[p]++
	full := s.commit.inflight[p] >= maxInflight
	s.mu.Unlock()
	if full {
		<-done // stop reading this client until the disk catches up
	}
}

// maxInflight is how many of one connection's messages may wait for their
// commit while its reader goes on reading. Pipelining lets a client that
// sends a burst share one commit among its messages; the bound keeps a
// client that outruns the disk from queueing without end: its reader
// waits, and TCP holds it back.
const maxInflight = 64

// answerDuplicateLocked answers a send whose cid the session used for
// message id: the original message while the backlog holds it, error
// duplicate once it does not, and nothing while it is still being
// committed (its broadcast will reach this client, or an error if the
// commit fails).
func (s *Server) answerDuplicateLocked(p *peer, cid string, id uint64) {
	if id > s.backlog.last {
		return
	}
	if m, ok := s.backlog.get(id); ok {
		p.enqueue(mustJSONFrame(m))
		return
	}
	p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeDuplicate, CID: cid, ID: id,
		Text: "already sent as message " + strconv.FormatUint(id, 10)}))
}

// publishRunLocked adds settled messages, in id order, to the backlog and
// broadcasts them as runs of frames: each peer's queue takes a run as one
// buffer of consecutive frames, one message per frame, which its flusher
// writes as one piece of its writev instead of one per message. That is
// 40 % less of the kernel's time per write of 40 small frames over
// loopback (docs/PERFORMANCE.md, "The durable path's sync no longer
// holds the processor", its table of the two changes). A run stops at runBytes, so a queue's bounds still apply in
// steps of a few frames.
func (s *Server) publishRunLocked(run []pending) {
	if len(run) == 1 {
		s.publishLocked(run[0].entry.Msg)
		return
	}
	var rich, plain []byte
	for _, e := range run {
		m := e.entry.Msg
		s.backlog.add(m)
		if len(s.rich) > 0 {
			rich = appendJSONFrame(rich, m)
		}
		if len(s.plain) > 0 {
			plain = appendFrame(plain, opText, wire.PlainLine(m.From, m.Text))
		}
		if len(rich) >= runBytes || len(plain) >= runBytes {
			s.broadcastLocked(rich, plain)
			rich, plain = nil, nil
		}
	}
	if rich != nil || plain != nil {
		s.broadcastLocked(rich, plain)
	}
}

// runBytes is where publishRunLocked ends a run and starts the next.
const runBytes = 16 << 10

// publishLocked adds a stored message to the backlog and broadcasts it.
func (s *Server) publishLocked(m wire.Msg) {
	s.backlog.add(m)
	var rich, plain []byte
	if len(s.rich) > 0 {
		rich = mustJSONFrame(m)
	}
	if len(s.plain) > 0 {
		plain = textFrame(wire.PlainLine(m.From, m.Text))
	}
	s.broadcastLocked(rich, plain)
}

// storageNotice is what a sender is told when its message cannot be
// stored.
const storageNotice = "not sent: the server cannot store messages right now; try again later"

// refuseStorage tells p that its message was not stored, so not sent.
func (s *Server) refuseStorage(p *peer, cid string, wait time.Duration) {
	if p.rich {
		p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeUnavailable, CID: cid, Text: storageNotice,
			RetryMS: max(1, wait.Milliseconds())}))
		return
	}
	p.enqueue(textFrame(wire.PlainNotice(storageNotice)))
}
