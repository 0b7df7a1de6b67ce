// Package chatlog is the chat a window shows, without the window: a
// bounded log of entries (messages and system lines), the visual lines
// they wrap to at a given width, and the links found in their text. It
// does not import Fyne, so that it can be tested and benchmarked on its
// own; package ui draws it. Nothing here is safe for concurrent use: the
// UI goroutine owns it all.
package chatlog

import (
	"parley/net/wire"
)

// DefaultMaxMessages is how many entries a Log keeps when NewLog is given
// no maximum (as a window is, unless told otherwise). Older entries are
// dropped first.
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
	// (zero: not measured yet). See Lines.
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

// Prepend adds es, oldest first, before the log's oldest entry, and
// returns how many of the newest entries dropped out to stay within Max.
// If es alone is longer than Max, only its newest Max entries are kept.
func (l *Log) Prepend(es []Entry) (dropped int) {
	if len(es) > l.max {
		es = es[len(es)-l.max:]
	}
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		l.first--
		e.Seq = l.first
		e.natural = 0
		l.entries.pushFront(e)
	}
	for l.entries.len() > l.max {
		l.forget(l.entries.popBack())
		dropped++
	}
	return dropped
}

// OldestID returns the server id of the oldest message in the log with
// Seq from or above, or false if it holds none.
func (l *Log) OldestID(from uint64) (uint64, bool) {
	start := 0
	if from > l.first {
		start = int(min(from-l.first, uint64(l.entries.len())))
	}
	for i := start; i < l.entries.len(); i++ {
		if id := l.entries.at(i).ID; id != 0 {
			return id, true
		}
	}
	return 0, false
}

// OldestTime returns the time of the oldest message (with a server id) of
// Seq from or above.
func (l *Log) OldestTime(from uint64) (int64, bool) {
	id, ok := l.OldestID(from)
	if !ok {
		return 0, false
	}
	for i := 0; i < l.entries.len(); i++ {
		if e := l.entries.at(i); e.ID == id {
			return e.Time, true
		}
	}
	return 0, false
}

// HasLine reports whether a system line with text comes before the
// first message of Seq from or above.
func (l *Log) HasLine(from uint64, text string) bool {
	start := 0
	if from > l.first {
		start = int(min(from-l.first, uint64(l.entries.len())))
	}
	for i := start; i < l.entries.len(); i++ {
		e := l.entries.at(i)
		if e.ID != 0 {
			return false
		}
		if e.Kind != KindChat && e.Text == text {
			return true
		}
	}
	return false
}

// DropBefore removes the entries older than seq.
func (l *Log) DropBefore(seq uint64) {
	for l.entries.len() > 0 && l.first < seq {
		l.forget(l.entries.popFront())
		l.first++
	}
}

// Reset empties the log. Seq goes on from where it was, so that no Seq
// names two entries.
func (l *Log) Reset() {
	l.first += uint64(l.entries.len())
	l.entries.clear()
	clear(l.pending)
}
