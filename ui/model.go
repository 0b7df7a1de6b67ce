package ui

import (
	"parley/net/wire"
)

// DefaultMaxMessages is how many chat log entries a window keeps in memory
// when Options.MaxMessages is zero. Older entries are dropped first.
const DefaultMaxMessages = 10000

// Kind says what an entry of the chat log is, which decides how it looks.
type Kind uint8

// Entry kinds. Everything but KindChat is a system line: it has no sender
// and is drawn muted or in a status colour.
const (
	// KindChat is a message someone sent (the user included).
	KindChat Kind = iota
	// KindEvent is someone joining, leaving, being renamed or changing
	// status: part of the room's life, drawn muted.
	KindEvent
	// KindInfo is about the connection going well: connected, resumed,
	// notices from the server.
	KindInfo
	// KindWarn is something the user should notice but need not act on:
	// reconnecting, a gap in the history, plain mode's missing features.
	KindWarn
	// KindError is something that went wrong: disconnected for good, a
	// message that was not sent.
	KindError
)

// State is the delivery state of the user's own message.
type State uint8

// Delivery states. Only own messages are ever Pending or Failed.
const (
	// Delivered: the server broadcast it (or it is someone else's).
	Delivered State = iota
	// Pending: handed to the client's outbox, no echo yet.
	Pending
	// Failed: the server refused it; Entry.Text still holds what was typed.
	Failed
)

// Entry is one line of the chat log: a message or a system line.
type Entry struct {
	// Seq is assigned by Log.Append and Log.Prepend; it follows the log's
	// order (one more than the entry before) and never repeats, so it
	// names an entry even after older ones are gone. Appended entries
	// count up from seqBase, older pages prepended count down from it.
	Seq uint64
	// Time is when it happened, in Unix milliseconds: the server's clock
	// for messages, the local clock for system lines and pending messages.
	Time int64
	// ID is the server's message id, zero for system lines and pending
	// messages.
	ID   uint64
	From string
	Text string
	Kind Kind
	// State is the delivery state of an own message.
	State State
	// Own marks the user's own message.
	Own bool
	// Mention marks a message from someone else that names the user.
	Mention bool
	// Found marks the search result whose context the log shows.
	Found bool

	// natural caches the width of Text's widest hard line, measured once
	// (zero: not measured yet). See Layout.
	natural float32
}

// Log is the chat log a window shows: a bounded sequence of entries,
// oldest first. Append is amortised O(1) and drops the oldest entries once
// the log holds its maximum. It has no Fyne dependency so that it can be
// tested and benchmarked on its own; it is not safe for concurrent use
// (the UI goroutine owns it).
type Log struct {
	entries ring[Entry]
	max     int
	first   uint64 // Seq of entries.at(0), or of the next entry when empty
	// pending maps the client message id of an own message still waiting
	// for its echo to that message's Seq.
	pending map[string]uint64
	dropped uint64
}

// NewLog returns an empty log that keeps at most max entries
// (DefaultMaxMessages when max <= 0).
func NewLog(max int) *Log {
	if max <= 0 {
		max = DefaultMaxMessages
	}
	return &Log{max: max, first: seqBase, pending: make(map[string]uint64)}
}

// Len reports how many entries the log holds.
func (l *Log) Len() int { return l.entries.len() }

// Max reports the most entries the log keeps.
func (l *Log) Max() int { return l.max }

// Dropped reports how many entries were dropped to stay within Max.
func (l *Log) Dropped() uint64 { return l.dropped }

// At returns the i-th entry, 0 being the oldest. The pointer is valid
// until the next Append.
func (l *Log) At(i int) *Entry { return l.entries.at(i) }

// FirstSeq returns the Seq of the oldest entry (or of the next one, when
// the log is empty).
func (l *Log) FirstSeq() uint64 { return l.first }

// seqBase is the Seq of a log's first appended entry: far enough from
// zero that older pages can be prepended below it (Prepend counts down).
const seqBase = 1 << 32

// Index returns the position of the entry with the given Seq, or false if
// it was dropped or never existed.
func (l *Log) Index(seq uint64) (int, bool) {
	if seq < l.first || seq >= l.first+uint64(l.entries.len()) {
		return 0, false
	}
	return int(seq - l.first), true
}

// Append adds e as the newest entry, assigning its Seq, which it returns.
// If the log is full the oldest entries are dropped first: a sixteenth
// of the maximum at once, so that a window showing the log redraws all
// its rows (their positions shift) once per that many messages rather
// than once per message.
func (l *Log) Append(e Entry) uint64 {
	if l.entries.len() >= l.max {
		for n := max(1, l.max/16); n > 0 && l.entries.len() > 0; n-- {
			old := l.entries.popFront()
			l.first++
			l.dropped++
			l.forget(old)
		}
	}
	e.Seq = l.first + uint64(l.entries.len())
	e.natural = 0
	l.entries.push(e)
	return e.Seq
}

// forget drops old, an entry leaving the log, from the pending
// messages: its echo will be appended as a new entry instead.
func (l *Log) forget(old Entry) {
	if old.State != Pending {
		return
	}
	for cid, seq := range l.pending {
		if seq == old.Seq {
			delete(l.pending, cid)
			return
		}
	}
}

// AppendPending adds an own message that was handed to the outbox under
// the client message id cid and has not been echoed yet.
func (l *Log) AppendPending(cid string, e Entry) uint64 {
	e.Own = true
	e.Kind = KindChat
	e.State = Pending
	seq := l.Append(e)
	if cid != "" {
		l.pending[cid] = seq
	}
	return seq
}

// Pending reports how many own messages wait for their echo.
func (l *Log) Pending() int { return len(l.pending) }

// Confirm marks the pending message with client id m.CID as delivered,
// taking the server's id, time and text. It returns the entry's position
// and whether its text changed; ok is false if no such message is pending
// (then the caller appends m as a new entry).
func (l *Log) Confirm(m wire.Msg) (i int, textChanged, ok bool) {
	seq, found := l.pending[m.CID]
	if !found || m.CID == "" {
		return 0, false, false
	}
	delete(l.pending, m.CID)
	i, ok = l.Index(seq)
	if !ok {
		return 0, false, false
	}
	e := l.entries.at(i)
	e.State = Delivered
	e.ID = m.ID
	if m.Time != 0 {
		e.Time = m.Time
	}
	if m.From != "" {
		e.From = m.From
	}
	if e.Text != m.Text {
		e.Text = m.Text
		e.natural = 0
		textChanged = true
	}
	return i, textChanged, true
}

// Fail marks the pending message with client id cid as refused by the
// server. It returns the entry's position, or false if it is not pending.
func (l *Log) Fail(cid string) (int, bool) {
	seq, found := l.pending[cid]
	if !found {
		return 0, false
	}
	delete(l.pending, cid)
	i, ok := l.Index(seq)
	if !ok {
		return 0, false
	}
	l.entries.at(i).State = Failed
	return i, true
}

// FailAll marks every pending message as not sent, for when the
// connection that would have sent them is gone, and returns how many.
func (l *Log) FailAll() int {
	n := 0
	for cid := range l.pending {
		if _, ok := l.Fail(cid); ok {
			n++
		}
	}
	clear(l.pending)
	return n
}

// ring is a double-ended queue of T: push at the back and pop at the front
// in amortised O(1), index in O(1). It grows by doubling and never shrinks.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) len() int { return r.n }

// at returns the i-th element from the front; i must be in [0, len).
func (r *ring[T]) at(i int) *T {
	if i < 0 || i >= r.n {
		panic("ui: ring index out of range")
	}
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return &r.buf[j]
}

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	j := r.head + r.n
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	r.buf[j] = v
	r.n++
}

func (r *ring[T]) grow() {
	size := 2 * len(r.buf)
	if size < 16 {
		size = 16
	}
	buf := make([]T, size)
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf = buf
	r.head = 0
}

// pushFront adds v before the front element.
func (r *ring[T]) pushFront(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.head--
	if r.head < 0 {
		r.head += len(r.buf)
	}
	r.buf[r.head] = v
	r.n++
}

// popFront removes and returns the front element; the ring must not be
// empty. Its slot is zeroed so that the strings it held can be collected.
func (r *ring[T]) popFront() T {
	if r.n == 0 {
		panic("ui: pop from empty ring")
	}
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
	return v
}

// popBack removes and returns the back element; the ring must not be empty.
func (r *ring[T]) popBack() T {
	if r.n == 0 {
		panic("ui: pop from empty ring")
	}
	var zero T
	p := r.at(r.n - 1)
	v := *p
	*p = zero
	r.n--
	return v
}

// clear empties the ring, keeping its buffer.
func (r *ring[T]) clear() {
	var zero T
	for i := range r.buf {
		r.buf[i] = zero
	}
	r.head, r.n = 0, 0
}
