package server

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"parley/server/store"
)

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
	durable     []pending // owned by syncLoop: settle's buffer, kept between calls

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
	run := c.durable[:0] // the durable messages not yet broadcast, in order
	for _, w := range list {
		c.settleLocked(w.group)
		err := cmp.Or(w.err, syncErr)
		if err == nil {
			run = append(run, w.group...)
			continue
		}
		if len(run) > 0 {
			s.publishRunLocked(run)
			run = run[:0]
		}
		failed = err
		for _, e := range w.group {
			c.failLocked(e)
		}
	}
	if len(run) > 0 {
		s.publishRunLocked(run)
	}
	clear(run)
	c.durable = run[:0]
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
