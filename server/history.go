package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
	s.commit = newCommitter(s)
	go s.commit.run()
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

// pending is a message waiting for its commit.
type pending struct {
	entry store.Entry
	sess  *session // the sender's session, nil for a plain client
	peer  *peer    // the connection it came from
}

// committer commits messages to the store in groups: whatever arrived
// while one commit ran goes into the next, in one transaction, so that a
// busy room pays for one disk sync per group rather than per message.
// Messages are broadcast in id order after their group is durable.
type committer struct {
	s    *Server
	wake chan struct{} // one pending wake-up is enough
	stop chan struct{} // closed by Shutdown
	done chan struct{} // closed when run has returned

	// Guarded by s.mu: the next group, the channel its posts wait on, and
	// when posts may try the store again after a failure.
	queue       []pending
	batchDone   chan struct{}
	inflight    map[*peer]int // messages queued or committing, per connection
	refuseUntil time.Time
	stopped     bool // stopCommitter was called: nothing more is committed
	failing     bool // owned by run: the last commit failed

	stopOnce sync.Once
}

func newCommitter(s *Server) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{}), batchDone: make(chan struct{}), inflight: make(map[*peer]int)}
}

// add queues e for the next commit and returns the channel closed when it
// is done. The caller holds s.mu.
func (c *committer) add(e pending) <-chan struct{} {
	c.queue = append(c.queue, e)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return c.batchDone
}

// run commits until stopped, then commits what is left.
func (c *committer) run() {
	defer close(c.done)
	var spare []pending
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			for c.commitNext(&spare) {
			}
			return
		}
		c.commitNext(&spare)
	}
}

// commitNext commits the queued group, if any, and publishes it; it
// reports whether there was one.
func (c *committer) commitNext(spare *[]pending) bool {
	s := c.s
	s.mu.Lock()
	group, done := c.queue, c.batchDone
	if len(group) == 0 {
		s.mu.Unlock()
		return false
	}
	c.queue, c.batchDone = (*spare)[:0], make(chan struct{})
	s.mu.Unlock()

	entries := make([]store.Entry, len(group))
	for i, e := range group {
		entries[i] = e.entry
	}
	err := s.store.Append(context.Background(), entries)

	s.mu.Lock()
	c.settleLocked(group)
	if err == nil {
		for _, e := range group {
			s.publishLocked(e.entry.Msg)
		}
	} else {
		// Ids must stay consecutive: everything queued behind the failed
		// group fails with it, and ids go on from the last one stored.
		more, moreDone := c.queue, c.batchDone
		c.queue, c.batchDone = nil, make(chan struct{})
		c.settleLocked(more)
		c.refuseUntil = time.Now().Add(storageRetry)
		s.assigned = s.backlog.last
		for _, list := range [][]pending{group, more} {
			for _, e := range list {
				c.failLocked(e)
			}
		}
		close(moreDone)
	}
	s.mu.Unlock()
	close(done)
	clear(group)
	*spare = group

	switch {
	case err != nil && !c.failing:
		c.failing = true
		s.log.Error("cannot store messages: refusing new ones; the history can still be read",
			"err", err, "retry", storageRetry, "full", errors.Is(err, store.ErrFull),
			"readonly", errors.Is(err, store.ErrReadOnly))
	case err != nil:
		s.log.Warn("still cannot store messages", "err", err)
	case c.failing:
		c.failing = false
		s.log.Warn("storing messages again")
	}
	return true
}

// settleLocked counts the messages of list as no longer in flight.
func (c *committer) settleLocked(list []pending) {
	for _, e := range list {
		if n := c.inflight[e.peer] - 1; n > 0 {
			c.inflight[e.peer] = n
		} else {
			delete(c.inflight, e.peer)
		}
	}
}

// failLocked tells the sender of a message that was not stored, and
// forgets its cid so that sending it again is a new attempt. A rich
// sender is told on its session's current connection.
func (c *committer) failLocked(e pending) {
	m := e.entry.Msg
	to := e.peer
	if e.sess != nil {
		if m.CID != "" {
			e.sess.forget(m.CID, m.ID)
		}
		to = e.sess.peer
	}
	if to != nil && to.joined {
		c.s.refuseStorage(to, m.CID, storageRetry)
	}
}

// stopCommitter commits what is queued and ends the committer.
func (s *Server) stopCommitter() {
	if s.commit == nil {
		return
	}
	s.mu.Lock()
	s.commit.stopped = true
	s.mu.Unlock()
	s.commit.stopOnce.Do(func() { close(s.commit.stop) })
	<-s.commit.done
}

// readTimeout bounds one history or search query.
const readTimeout = 5 * time.Second

// caps is what the server lists in every welcome.
var caps = []string{wire.CapHistory, wire.CapSearch, wire.CapPrivate, wire.CapModeration}

// readable returns the id below which history may be read: messages
// stored but not yet broadcast stay out of pages and results until
// everyone has seen them go by.
func (s *Server) readable(before uint64) uint64 {
	s.mu.Lock()
	next := s.backlog.last + 1
	s.mu.Unlock()
	if before == 0 || before > next {
		return next
	}
	return before
}

// pageLimit clamps a request's limit.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return wire.DefaultPage
	case n > wire.MaxPage:
		return wire.MaxPage
	}
	return n
}

// badRef checks a request's reference; it answers and returns true if it
// is too long.
func (s *Server) badRef(p *peer, ref string) bool {
	if len(ref) <= wire.MaxRef {
		return false
	}
	s.refuse(p, wire.Error{Code: wire.CodeBadRequest,
		Text: "ref is longer than " + strconv.Itoa(wire.MaxRef) + " bytes"})
	return true
}

// history answers a rich client's request for an older page. It runs on
// the client's reader goroutine and reads the store without the room's
// lock.
func (s *Server) history(p *peer, h wire.History) {
	if s.badRef(p, h.Ref) {
		return
	}
	limit := pageLimit(h.Limit)
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	msgs, err := s.store.Before(ctx, s.readable(h.Before), limit+1)
	if err != nil {
		s.readFailed(p, h.Ref, err)
		return
	}
	pg := wire.Page{Ref: h.Ref, Msgs: msgs}
	if len(msgs) > limit {
		pg.Msgs, pg.More = msgs[1:], true
	}
	if pg.Msgs == nil {
		pg.Msgs = []wire.Msg{}
	}
	p.enqueue(mustJSONFrame(pg))
}

// search answers a rich client's search.
func (s *Server) search(p *peer, q wire.Search) {
	if s.badRef(p, q.Ref) {
		return
	}
	if len(q.Q) > wire.MaxQuery {
		s.refuse(p, wire.Error{Code: wire.CodeTooLong, Ref: q.Ref,
			Text: "a search is at most " + strconv.Itoa(wire.MaxQuery) + " bytes"})
		return
	}
	msgs, more, err := s.find(q.Q, q.Before, pageLimit(q.Limit))
	if err != nil {
		s.readFailed(p, q.Ref, err)
		return
	}
	p.enqueue(mustJSONFrame(wire.Results{Ref: q.Ref, Q: q.Q, Msgs: msgs, More: more}))
}

// find searches the store, newest first.
func (s *Server) find(q string, before uint64, limit int) (msgs []wire.Msg, more bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	msgs, err = s.store.Search(ctx, q, s.readable(before), limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(msgs) > limit {
		msgs, more = msgs[:limit], true
	}
	if msgs == nil {
		msgs = []wire.Msg{}
	}
	return msgs, more, nil
}

// readFailed tells a client that the history could not be read, and logs
// why.
func (s *Server) readFailed(p *peer, ref string, err error) {
	s.log.Error("cannot read the history", "conn", p.id, "err", err)
	p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeUnavailable, Ref: ref,
		Text: "the history cannot be read right now", RetryMS: storageRetry.Milliseconds()}))
}

// plainResults is how many results /search shows a plain client.
const plainResults = 10

// plainSearch answers a plain client's /search.
func (s *Server) plainSearch(p *peer, q string) {
	notice := func(text string) { p.enqueue(textFrame(wire.PlainNotice(text))) }
	if len(store.Terms(q)) == 0 {
		notice("usage: /search WORDS")
		return
	}
	if len(q) > wire.MaxQuery {
		notice("a search is at most " + strconv.Itoa(wire.MaxQuery) + " bytes")
		return
	}
	msgs, more, err := s.find(q, 0, plainResults)
	if err != nil {
		s.log.Error("cannot read the history", "conn", p.id, "err", err)
		notice("the history cannot be read right now")
		return
	}
	if len(msgs) == 0 {
		notice("nothing found for " + strconv.Quote(wire.CleanText(q)))
		return
	}
	var b strings.Builder
	head := strconv.Itoa(len(msgs)) + " found for " + strconv.Quote(wire.CleanText(q))
	if more {
		head = "the newest " + head
	}
	b.WriteString(head + ", newest first:")
	for _, m := range msgs {
		when := time.UnixMilli(m.Time).UTC().Format("2006-01-02 15:04 UTC")
		line := wire.PlainLine(m.From, m.Text)
		b.WriteString("\n  " + when + " #" + strconv.FormatUint(m.ID, 10) + " " +
			strings.ReplaceAll(line, "\n", "\n  "))
	}
	notice(b.String())
}
