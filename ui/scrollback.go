package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// Scrollback: the list asks the server for older pages when its first
// row comes into view, and prepends them without moving what the user
// reads. The log stays within its cap by keeping a window around the
// view: when an older page would overflow it, the newest entries drop out
// and the list is "cut" from the present. While cut, live events are not
// added (they would leave a hole); the jump button counts new messages
// and says "Back to the present", which empties the log and fetches the
// newest page again, as does sending a message. A search result's
// context (see search.go) is shown the same way: a cut log around it.

// historian is what scrollback and search need of a connection;
// *client.Client has it. The window's other code does not need it, so a
// chatClient without it simply offers neither.
type historian interface {
	History(before uint64, limit int) (string, error)
	Search(q string, before uint64, limit int) (string, error)
}

// pageSize is how many messages one scroll to the top asks for.
const pageSize = 100

// scrollback is a session's state for paging back. It belongs to the UI
// goroutine.
type scrollback struct {
	history, search bool   // the server lists the capability
	lastID          uint64 // newest message id seen live, in this epoch
	// fromSeq is the Seq of the session's first entry: entries before it
	// belong to an earlier chat, whose ids mean nothing here.
	fromSeq uint64
	ref     string // the History request in flight, "" none
	more    bool   // older messages may be kept
	started bool   // the first welcome was seen
	// focus is the id of a search result to highlight and scroll to when
	// the page in flight arrives (0: an ordinary older page).
	focus uint64
}

// prepend adds an older page before the first line, keeping the lines in
// view where they are. If the newest entries drop out, the list is cut
// from the present.
func (m *messageList) prepend(es []chatlog.Entry) {
	if len(es) == 0 {
		return
	}
	offset := m.list.GetScrollOffset()
	n := min(len(es), m.entries.Max())
	if m.entries.Prepend(es) > 0 {
		m.lines.DropFrom(m.entries.FirstSeq() + uint64(m.entries.Len()))
		m.setCut(true)
	}
	kept := m.lines.Len()
	m.lines.Prepend(m.entries, n)
	added := m.lines.Len() - kept
	// The lines in view were at offset in the list as last refreshed,
	// minus any dropped at the front since (see flush).
	offset += float32(added-m.dropped) * m.pitch()
	m.dropped = 0
	m.shown = m.lines.Len()
	m.gen++
	m.shownGen = m.gen
	m.list.Refresh()
	m.list.ScrollToOffset(max(0, offset))
}

// setCut marks whether the log has lost the present (its newest entries).
func (m *messageList) setCut(cut bool) {
	m.cut = cut
	if cut {
		m.showJump()
		return
	}
	m.missed = 0
}

// showJump updates the jump button's text and shows it.
func (m *messageList) showJump() {
	switch {
	case m.cut && m.missed > 0:
		m.jump.SetText("Back to the present (" + plural(m.missed, "new message", "new messages") + ")")
	case m.cut:
		m.jump.SetText("Back to the present")
	default:
		m.jump.SetText(plural(m.unseen, "new message", "new messages"))
	}
	m.jump.Show()
}

// empty removes every entry and line.
func (m *messageList) empty() {
	m.entries.Reset()
	m.lines.Clear()
	m.shown, m.dropped, m.added, m.unseen = 0, 0, 0, 0
	m.dirty = false
	m.gen++
	m.shownGen = m.gen
	m.list.Refresh()
}

// backToPresent empties a cut log and asks for the newest page again.
func (m *messageList) backToPresent() {
	m.empty()
	m.setCut(false)
	m.jump.Hide()
	if m.onPresent != nil {
		m.onPresent()
	}
}

// topShown is called when the list's first row is drawn: the user
// scrolled to the top, or the lines do not fill the view.
func (m *messageList) topShown() {
	if m.onTop != nil {
		m.onTop()
	}
}

// setLoading shows or hides the spinner over the top of the list.
func (m *messageList) setLoading(on bool) {
	if on {
		m.spinner.Show()
		m.spinner.Start()
		return
	}
	m.spinner.Stop()
	m.spinner.Hide()
}

// newSpinner is the list's "loading older messages" indicator.
func newSpinner() *widget.ProgressBarInfinite {
	p := widget.NewProgressBarInfinite()
	p.Stop()
	p.Hide()
	return p
}

// hist returns the session's connection as a historian, if it is one
// and connected in rich mode.
func (s *session) hist() (historian, bool) {
	h, ok := s.c.(historian)
	return h, ok && s.connected && !s.plain
}

// noteWelcome records what the server offers for history.
func (s *session) noteWelcome(w wire.Welcome, reset bool) {
	sb := &s.scroll
	sb.history, sb.search = false, false
	for _, c := range w.Caps {
		switch c {
		case wire.CapHistory:
			sb.history = true
		case wire.CapSearch:
			sb.search = true
		}
	}
	sb.ref = "" // an answer to a request on the old connection never comes
	s.u.msgs.setLoading(false)
	if reset {
		// A new epoch: the ids held are from the old one and mean nothing
		// to the server now.
		sb.more = false
		sb.lastID = w.LastID
		return
	}
	if !sb.started {
		sb.started, sb.more = true, true
	}
	sb.lastID = max(sb.lastID, w.LastID)
}

// seen records a live message's id.
func (s *session) seen(id uint64) {
	s.scroll.lastID = max(s.scroll.lastID, id)
}

// older asks for the page before the oldest message held, unless one is
// in flight or the server has no more.
func (s *session) older() {
	sb := &s.scroll
	h, ok := s.hist()
	if !ok || !sb.history || !sb.more || sb.ref != "" {
		return
	}
	before := sb.lastID + 1
	if id, ok := s.u.msgs.entries.OldestID(sb.fromSeq); ok {
		before = id
	}
	if before <= 1 {
		sb.more = false
		return
	}
	s.ask(h, before, min(pageSize, max(1, s.u.msgs.entries.Max()/2)), 0)
}

// ask sends a History request and shows the spinner until it is answered.
func (s *session) ask(h historian, before uint64, limit int, focus uint64) {
	ref, err := h.History(before, limit)
	if err != nil {
		s.u.logger.Debug("history request", "err", err)
		return
	}
	s.scroll.ref, s.scroll.focus = ref, focus
	s.u.msgs.setLoading(true)
}

// present fetches the newest page after the log was emptied to return
// to the present.
func (s *session) present() {
	s.scroll.fromSeq = s.u.msgs.entries.FirstSeq()
	s.scroll.ref = ""
	s.scroll.more = true
	s.older()
}

// context shows the messages around id, a search result: the log is
// emptied and cut from the present, and the page around id asked for.
func (s *session) context(id uint64) {
	h, ok := s.hist()
	if !ok || !s.scroll.history {
		return
	}
	m := s.u.msgs
	m.empty()
	m.setCut(true)
	s.scroll.fromSeq = m.entries.FirstSeq()
	const around = 20
	s.scroll.more = true
	s.scroll.ref = ""
	s.ask(h, id+around+1, 2*around+1, id)
}

// page applies an answer to a History request.
func (s *session) page(p client.Page) {
	sb := &s.scroll
	if p.Ref != sb.ref || sb.ref == "" {
		return // an answer nobody waits for any more
	}
	sb.ref = ""
	m := s.u.msgs
	m.setLoading(false)
	sb.more = p.More
	oldest, held := m.entries.OldestID(sb.fromSeq)
	nick := wire.FoldNick(s.c.Nick())
	es := make([]chatlog.Entry, 0, len(p.Msgs)+8)
	dayOf := func(ms int64) string { return time.UnixMilli(ms).Format("2006-01-02") }
	dayLine := func(ms int64) chatlog.Entry {
		return chatlog.Entry{Kind: chatlog.KindEvent, Time: ms, Text: time.UnixMilli(ms).Format("Monday 2 January 2006")}
	}
	// A day line goes before the first message of each day: within the
	// page, and between the page and the messages held if the day changes
	// there. The line before the page's first message comes with the
	// page before it, or with the beginning of the history.
	day := ""
	for _, msg := range p.Msgs {
		if held && msg.ID >= oldest {
			break // already shown (oldest first: the rest too)
		}
		d := dayOf(msg.Time)
		if day == "" && !p.More {
			es = append(es, chatlog.Entry{Kind: chatlog.KindInfo, Time: msg.Time, Text: "This is the beginning of the history the server keeps."})
			es = append(es, dayLine(msg.Time))
		} else if day != "" && d != day {
			es = append(es, dayLine(msg.Time))
		}
		day = d
		e := chatlog.Entry{Kind: chatlog.KindChat, Time: msg.Time, ID: msg.ID, From: msg.From, Text: expandTabs(msg.Text)}
		e.Own = wire.FoldNick(msg.From) == nick
		if !e.Own {
			e.Mention = mentions(e.Text, s.c.Nick())
		}
		e.Found = sb.focus != 0 && msg.ID == sb.focus
		es = append(es, e)
	}
	if day != "" && held {
		if t, ok := m.entries.OldestTime(sb.fromSeq); ok && dayOf(t) != day && !m.entries.HasLine(sb.fromSeq, dayLine(t).Text) {
			es = append(es, dayLine(t))
		}
	}
	if len(es) == 0 && !p.More {
		es = append(es, chatlog.Entry{Kind: chatlog.KindInfo, Time: s.u.now().UnixMilli(), Text: "This is the beginning of the history the server keeps."})
	}
	focus := sb.focus
	sb.focus = 0
	if m.entries.FirstSeq() < sb.fromSeq {
		// The log begins with the chat the user was in before this one:
		// the older page goes in its place.
		before := m.lines.Len()
		m.entries.DropBefore(sb.fromSeq)
		m.lines.DropBefore(sb.fromSeq)
		m.dropped += before - m.lines.Len()
	}
	m.prepend(es)
	sb.fromSeq = m.entries.FirstSeq()
	if focus != 0 {
		m.scrollToID(focus)
	}
}

// scrollToID brings the message with server id into the middle of the
// view.
func (m *messageList) scrollToID(id uint64) {
	for i := 0; i < m.entries.Len(); i++ {
		e := m.entries.At(i)
		if e.ID != id {
			continue
		}
		if k, ok := m.lines.Find(e.Seq); ok {
			off := float32(k)*m.pitch() - m.list.Size().Height/2
			m.list.ScrollToOffset(max(0, off))
		}
		return
	}
}

// expandTabs shows a tab as four spaces, as live messages are.
func expandTabs(s string) string {
	return strings.ReplaceAll(s, "\t", "    ")
}
