package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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

// pipeline is a Store that can take the disk's sync out of the commit:
// Write stores a batch, all or nothing, without waiting for the disk, and
// Sync returns once everything written before it is durable. store.DB is
// one. With it the committer writes the next group while the last one's
// sync is in flight, and one sync covers every group written meanwhile.
type pipeline interface {
	Write(ctx context.Context, batch []store.Entry) error
	Sync(ctx context.Context) error
	// SyncWaits reports whether Sync waits for the disk (store.SyncFull),
	// so that syncs are worth gathering.
	SyncWaits() bool
}

// committer commits messages to the store in groups: whatever arrived
// while one group was written goes into the next, in one transaction.
// Its writer goroutine (run) writes the groups in id order and hands them
// to its syncer goroutine (syncLoop), which waits for the disk once for
// every group written since its last sync, then broadcasts them: a
// message is broadcast only after its own group is durable, and a busy
// room pays for one disk sync per several groups.
type committer struct {
	s       *Server
	wake    chan struct{} // one pending wake-up is enough
	stop    chan struct{} // closed by Shutdown
	written chan written  // from run to syncLoop; closed when run returns
	spares  chan []pending
	done    chan struct{} // closed when syncLoop has returned

	// Guarded by s.mu: the next group, the channel its posts wait on, and
	// when posts may try the store again after a failure.
	queue       []pending
	batchDone   chan struct{}
	inflight    map[*peer]int // messages queued or committing, per connection
	refuseUntil time.Time
	stopped     bool // stopCommitter was called: nothing more is committed

	lastWritten uint64    // owned by run: the id of the newest message written
	held        []written // owned by run: written, not yet handed to the syncer
	heldMsgs    int       // owned by run: the messages in held
	gather      bool      // syncs are gathered (pipeline.SyncWaits)
	failing     bool      // owned by syncLoop: the last group failed

	stopOnce sync.Once
}

// written is a group on its way from run to syncLoop: written to the
// store, or failed with err.
type written struct {
	group []pending
	dones []chan struct{} // closed once the group is settled
	err   error
}

// syncBatch is how many written messages the writer holds back from the
// syncer while more are queued. Every sync costs the server's core too
// (about 60 µs of the kernel's time for one fdatasync on the machine of
// docs/PERFORMANCE.md): when messages arrive faster than the writer
// writes them, waiting until it catches up, or has this many, makes one
// sync serve many groups. A lone message is handed over at once.
const syncBatch = 64

// syncAhead is how many written groups may wait for the syncer before the
// writer waits too: enough to cover a slow sync, few enough that a disk
// that cannot keep up holds the senders back (maxInflight) rather than
// the memory.
const syncAhead = 8

func newCommitter(s *Server) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		written: make(chan written, syncAhead), spares: make(chan []pending, syncAhead+2),
		done: make(chan struct{}), batchDone: make(chan struct{}), inflight: make(map[*peer]int),
		lastWritten: s.assigned}
}

// start runs the writer and the syncer.
func (c *committer) start() {
	if pl, ok := c.s.store.(pipeline); ok {
		c.gather = pl.SyncWaits()
	}
	go c.run()
	go c.syncLoop()
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

// run writes until stopped, then writes what is left. Once the queue is
// empty, whatever it holds goes to the syncer.
func (c *committer) run() {
	defer close(c.written)
	for {
		stop := false
		select {
		case <-c.wake:
		case <-c.stop:
			stop = true
		}
		for c.writeNext() {
		}
		c.handOff()
		if stop {
			return
		}
	}
}

// handOff gives the held groups to the syncer, in order.
func (c *committer) handOff() {
	for _, w := range c.held {
		c.written <- w
	}
	clear(c.held)
	c.held, c.heldMsgs = c.held[:0], 0
}

// writeNext writes the queued group, if any, and holds it for the syncer
// (see syncBatch); it reports whether there was one.
func (c *committer) writeNext() bool {
	s := c.s
	var spare []pending
	select {
	case spare = <-c.spares:
	default:
	}
	s.mu.Lock()
	group, done := c.queue, c.batchDone
	if len(group) == 0 {
		s.mu.Unlock()
		return false
	}
	c.queue, c.batchDone = spare, make(chan struct{})
	s.mu.Unlock()

	entries := make([]store.Entry, len(group))
	for i, e := range group {
		entries[i] = e.entry
	}
	var err error
	if pl, ok := s.store.(pipeline); ok {
		err = pl.Write(context.Background(), entries)
	} else {
		err = s.store.Append(context.Background(), entries)
	}
	w := written{group: group, dones: []chan struct{}{done}, err: err}
	if err == nil {
		c.lastWritten = entries[len(entries)-1].Msg.ID
	} else {
		// Ids must stay consecutive: everything queued behind the failed
		// group fails with it, and ids go on from the last one written.
		s.mu.Lock()
		w.group = append(w.group, c.queue...)
		w.dones = append(w.dones, c.batchDone)
		c.queue, c.batchDone = nil, make(chan struct{})
		c.refuseUntil = time.Now().Add(storageRetry)
		s.assigned = c.lastWritten
		s.mu.Unlock()
	}
	c.held = append(c.held, w)
	c.heldMsgs += len(w.group)
	if err != nil || !c.gather || c.heldMsgs >= syncBatch {
		c.handOff()
	}
	return true
}

// syncLoop takes the written groups in order, waits once for the disk for
// all that have arrived, and settles them: broadcasts the durable ones and
// tells the senders of the others.
func (c *committer) syncLoop() {
	defer close(c.done)
	pl, _ := c.s.store.(pipeline)
	var list []written
	for w := range c.written {
		list = append(list[:0], w)
	drain:
		for {
			select {
			case w, ok := <-c.written:
				if !ok {
					break drain
				}
				list = append(list, w)
			default:
				break drain
			}
		}
		var err error
		if pl != nil && slices.ContainsFunc(list, func(w written) bool { return w.err == nil }) {
			err = pl.Sync(context.Background())
		}
		c.settle(list, err)
	}
}

// settle broadcasts the groups of list that were written, if syncErr is
// nil, and fails the others, then logs a change between storing and not.
func (c *committer) settle(list []written, syncErr error) {
	s := c.s
	var failed error
	s.mu.Lock()
	for _, w := range list {
		c.settleLocked(w.group)
		err := cmp.Or(w.err, syncErr)
		if err == nil {
			for _, e := range w.group {
				s.publishLocked(e.entry.Msg)
			}
			continue
		}
		failed = err
		for _, e := range w.group {
			c.failLocked(e)
		}
	}
	if syncErr != nil {
		// The store refuses every write from now on (store.ErrSync):
		// posts are refused before they get an id.
		c.refuseUntil = time.Now().Add(storageRetry)
	}
	s.mu.Unlock()
	for _, w := range list {
		for _, d := range w.dones {
			close(d)
		}
		clear(w.group)
		select {
		case c.spares <- w.group[:0]:
		default:
		}
	}

	switch {
	case failed != nil && !c.failing:
		c.failing = true
		s.log.Error("cannot store messages: refusing new ones; the history can still be read",
			"err", failed, "retry", storageRetry, "full", errors.Is(failed, store.ErrFull),
			"readonly", errors.Is(failed, store.ErrReadOnly), "sync", errors.Is(failed, store.ErrSync))
	case failed != nil:
		s.log.Warn("still cannot store messages", "err", failed)
	case c.failing:
		c.failing = false
		s.log.Warn("storing messages again")
	}
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
