package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// frame is the shortest time between two applications of queued network
// events: one display frame at 60 Hz. A burst of messages is drawn with
// one list refresh per frame, however many arrive in it.
const frame = 17 * time.Millisecond

// floodFrame replaces frame while messages flood in (a batch of more than
// floodBatch events): nobody reads 1,000 messages a second, and every
// list refresh repaints the window, which without a GPU costs the UI
// goroutine more than the messages do. Drawing at 10 Hz leaves it free
// to answer the user, and each frame of a flood shows new lines, each a
// new text texture that Fyne keeps for its cache duration: at 20 Hz the
// window used 60 % of a core and peaked at 318 MiB, at 10 Hz 37 % and
// 252 MiB (docs/PERFORMANCE.md, "A light window").
const (
	floodFrame = 100 * time.Millisecond
	floodBatch = 16
)

// maxBatch bounds the events one flush applies (a few milliseconds of
// work), for when the window falls far behind, say after a stall.
const maxBatch = 2000

// chatClient is what the window needs of a connection; *client.Client
// has it.
type chatClient interface {
	Events() <-chan client.Event
	Send(text string) (string, error)
	SetNick(nick string) error
	SetStatus(p wire.Presence) error
	Reconnect()
	Nick() string
	Plain() bool
	Limits() wire.Limits
	Close() error
}

// session is one joined chat: a client and the goroutine that drains its
// events. Events are queued by that goroutine and applied on the UI
// goroutine by flush, at most once per frame.
type session struct {
	u    *UI
	c    chatClient
	addr string

	// Set on the UI goroutine only.
	welcome   wire.Welcome
	plain     bool
	connected bool
	stopped   bool          // the client gave up reconnecting
	ended     string        // why, for the status bar, once stopped
	retry     time.Duration // next attempt in, while disconnected
	retryAt   time.Time     // when the next attempt starts
	ticking   bool          // a countdown tick is scheduled
	dropped   bool          // a drop was reported since the last connect
	backlog   int           // backlog messages still to come
	away      bool          // the server confirmed the user as away
	security  string        // what noteSecurity last said
	scroll    scrollback    // paging back and search (scrollback.go)
	local     shownLocal    // the local log shown before connecting (locallog.go)

	mu        sync.Mutex
	queue     []client.Event
	scheduled bool
	last      time.Time
	due       time.Time     // when the scheduled flush should run
	interval  time.Duration // frame, or floodFrame during a flood
	done      chan struct{}

	// load measures the UI goroutine under the flow of events; see
	// loadStats.
	load loadStats
}

// loadStats measures, over a few seconds, how the UI goroutine keeps up
// with the events: how many flushes and events, the longest flush (the
// widget work of one batch), and the longest delay between when a flush
// was due and when it ran, which is what a user sees as a stall (it
// includes the frames Fyne draws meanwhile). It is logged at debug level.
type loadStats struct {
	flushes, events   int
	maxWork, maxDelay time.Duration
}

// loadEvery is how often loadStats are logged while events flow.
const loadEvery = 5 * time.Second

// newSession starts draining c's events into the window.
func newSession(u *UI, c chatClient, addr string) *session {
	s := &session{u: u, c: c, addr: addr, interval: frame, done: make(chan struct{})}
	go s.pump()
	return s
}

// pump is the one goroutine reading the client's events. It never touches
// the UI: it queues and asks for a flush.
func (s *session) pump() {
	defer close(s.done)
	for ev := range s.c.Events() {
		s.mu.Lock()
		s.queue = append(s.queue, ev)
		schedule := !s.scheduled
		s.scheduled = true
		wait := max(s.interval-time.Since(s.last), 0)
		if schedule {
			s.due = time.Now().Add(wait)
		}
		s.mu.Unlock()
		if !schedule {
			continue
		}
		if wait <= 0 {
			s.u.do(s.flush)
		} else {
			time.AfterFunc(wait, func() { s.u.do(s.flush) })
		}
	}
}

// flush applies the queued events on the UI goroutine, then refreshes
// the list and the window state once.
func (s *session) flush() {
	start := time.Now()
	s.mu.Lock()
	batch := s.queue
	s.queue = nil
	if len(batch) > maxBatch {
		// Far behind: take a bounded bite now, the rest a frame later, so
		// that no flush holds the UI goroutine for long.
		s.queue = append([]client.Event(nil), batch[maxBatch:]...)
		batch = batch[:maxBatch]
	}
	s.last = start
	delay := start.Sub(s.due)
	s.interval = frame
	if len(batch) > floodBatch {
		s.interval = floodFrame
	}
	s.scheduled = len(s.queue) > 0
	if s.scheduled {
		s.due = start.Add(s.interval)
		time.AfterFunc(s.interval, func() { s.u.do(s.flush) })
	}
	s.mu.Unlock()
	if s.u.sess != s {
		return // a session the user already left
	}
	defer s.measure(start, delay, len(batch))
	stateChanged := false
	for _, ev := range batch {
		if s.apply(ev) {
			stateChanged = true
		}
	}
	s.u.msgs.flush()
	s.u.users.flush()
	if len(batch) > 0 {
		s.u.relax.touch()
	}
	if stateChanged {
		s.u.updateState()
	} else {
		s.u.updateTitle()
	}
}

// measure records one flush in the load statistics. The first flush of a
// period schedules their logging loadEvery later.
func (s *session) measure(start time.Time, delay time.Duration, events int) {
	l := &s.load
	if l.flushes == 0 {
		time.AfterFunc(loadEvery, func() { s.u.do(s.logLoad) })
	}
	l.flushes++
	l.events += events
	l.maxWork = max(l.maxWork, time.Since(start))
	l.maxDelay = max(l.maxDelay, delay)
}

// logLoad logs and resets the load statistics.
func (s *session) logLoad() {
	l := s.load
	s.load = loadStats{}
	if !s.u.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	mem := readMemory()
	s.u.log.Debug("ui load", "flushes", l.flushes, "events", l.events,
		"max_flush", l.maxWork.Round(time.Microsecond), "max_delay", l.maxDelay.Round(time.Microsecond),
		"messages", s.u.msgs.log.Len(), "lines", s.u.msgs.lay.Len(),
		"heap_mib", mem.goHeap>>20, "gc", mem.gcs,
		"rss_mib", mem.rss>>20, "go_held_mib", mem.goHeld>>20, "c_used_mib", mem.cUsed>>20)
}

// close ends the connection; the pump ends with the events channel.
func (s *session) close() {
	done := s.done
	go func() {
		s.c.Close()
		<-done
	}()
}

func (s *session) room() string {
	if s.welcome.Room != "" {
		return s.welcome.Room
	}
	if s.plain {
		return "plain chat"
	}
	return "Parley"
}

// stateWord is the connection state for the title.
func (s *session) stateWord() string {
	switch {
	case s.stopped:
		return "disconnected"
	case s.connected:
		return "connected"
	case s.retry > 0:
		return "reconnecting…"
	}
	return "connecting…"
}

// describe is the connection state for the status bar.
func (s *session) describe() string {
	nick := s.c.Nick()
	switch {
	case s.stopped && s.ended != "":
		return s.ended
	case s.stopped:
		return "Disconnected from " + s.addr
	case s.connected && s.plain:
		return fmt.Sprintf("Connected to %s (plain-text server) as %s", s.addr, nick)
	case s.connected:
		return fmt.Sprintf("In %s at %s as %s", s.room(), s.addr, nick)
	case s.retry > 0:
		if left := s.retryAt.Sub(s.u.now()); left >= 500*time.Millisecond {
			return fmt.Sprintf("Connection lost. Reconnecting to %s in %s…", s.addr, roundDur(left))
		}
		return fmt.Sprintf("Connection lost. Trying to reach %s…", s.addr)
	}
	return "Connecting to " + s.addr + "…"
}

func roundDur(d time.Duration) string {
	if d < time.Second {
		return "less than a second"
	}
	secs := int(d.Round(time.Second) / time.Second)
	if secs == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", secs)
}

// tick counts the wait for the next reconnect attempt down in the status
// bar, once a second until the connection is back or given up: a wait
// of 20 seconds that never changes looks like a hang.
func (s *session) tick() {
	if s.ticking {
		return
	}
	s.ticking = true
	time.AfterFunc(time.Second, func() {
		s.u.do(func() {
			s.ticking = false
			if s.u.sess != s || s.connected || s.stopped || s.retry == 0 {
				return
			}
			s.u.status.SetText(s.describe())
			s.tick()
		})
	})
}

// apply shows one event and reports whether the connection state changed.
func (s *session) apply(ev client.Event) bool {
	u := s.u
	m := u.msgs
	now := u.now().UnixMilli()
	switch ev := ev.(type) {
	case client.Connected:
		u.log.Info("connected", "addr", s.addr, "plain", ev.Plain, "resumed", ev.Resumed, "reset", ev.Reset, "gap", ev.Gap)
		s.connected, s.retry, s.plain = true, 0, ev.Plain
		s.backlog = ev.Backlog
		s.noteSecurity()
		if ev.Plain {
			u.system(chatlog.KindWarn, fmt.Sprintf("Connected to %s, a plain-text chat server. It has no user list, no history and no away status; messages show as the server sends them.", s.addr))
			if ev.Greeting != "" {
				u.system(chatlog.KindInfo, "Server: "+ev.Greeting)
			}
			u.users.setPlain()
			s.dropped = false
			return true
		}
		s.welcome = ev.Welcome
		u.social.setTopic(ev.Welcome.Topic)
		s.noteWelcome(ev.Welcome, ev.Reset)
		u.users.set(ev.Welcome.Users, ev.Welcome.Nick)
		switch {
		case ev.Reset:
			u.system(chatlog.KindWarn, fmt.Sprintf("Reconnected to %s. The server restarted: messages sent while it was down may be missing.", s.addr))
		case ev.Resumed && ev.Gap:
			u.system(chatlog.KindWarn, "Reconnected, but some messages from while you were away are no longer kept by the server.")
		case ev.Resumed && ev.Backlog > 0:
			u.system(chatlog.KindInfo, fmt.Sprintf("Reconnected. %s arrived while you were away.", plural(ev.Backlog, "message", "messages")))
		case ev.Resumed || s.dropped:
			u.system(chatlog.KindInfo, "Reconnected. Nothing was missed.")
		default:
			// The backlog comes after this line with its own times, older
			// than the line's: say what it is.
			text := fmt.Sprintf("You joined %s at %s as %s. %s here.", s.room(), s.addr, ev.Welcome.Nick,
				plural(len(ev.Welcome.Users), "person is", "people are"))
			switch {
			case ev.Backlog == 1:
				text += " The last message from before you came follows."
			case ev.Backlog > 1:
				text += fmt.Sprintf(" The last %d messages from before you came follow.", ev.Backlog)
			}
			u.system(chatlog.KindInfo, text)
		}
		if ev.Renamed {
			u.system(chatlog.KindWarn, fmt.Sprintf("Your nickname was taken, so you are %s now.", ev.Welcome.Nick))
		}
		s.dropped = false
		return true

	case client.Disconnected:
		u.log.Info("disconnected", "addr", s.addr, "err", ev.Err, "retry", ev.Retry)
		wasConnected := s.connected
		s.connected = false
		s.retry = ev.Retry
		s.retryAt = u.now().Add(ev.Retry)
		if ev.Retry == 0 {
			s.stopped = true
			u.users.clear(usersNotInChat)
			text := "You were disconnected: " + errText(ev.Err) + "."
			s.ended = "Disconnected from " + s.addr
			if errors.Is(ev.Err, client.ErrEnded) {
				text = "The host ended the chat."
				if ev.Bye != nil && ev.Bye.Text != "" && ev.Bye.Text != "The host ended the chat" {
					text += " " + ev.Bye.Text
				}
				s.ended = fmt.Sprintf("The host ended the chat at %s", s.addr)
			}
			if t, ended, ok := removedText(ev, s.addr); ok {
				text, s.ended = t, ended
			}
			u.system(chatlog.KindError, text)
			u.failPending("the connection ended")
			u.pinChanged(s.addr, s.c.Nick(), ev.Err)
			return true
		}
		s.tick()
		if wasConnected || !s.dropped {
			s.dropped = true
			u.users.clear(usersReconnecting)
			u.system(chatlog.KindWarn, fmt.Sprintf("You were disconnected (%s). Reconnecting…", errText(ev.Err)))
		}
		return true

	case client.Message:
		s.seen(ev.Msg.ID)
		s.message(ev)

	case client.Page:
		s.page(ev)

	case client.Results:
		s.results(ev)

	case client.Joined:
		u.users.join(wire.User{Nick: ev.Nick, Status: ev.Status, Plain: ev.Plain, Role: ev.Role})
		note := ""
		if ev.Plain {
			note = " (plain-text client)"
		}
		m.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ev.Time, now), Text: ev.Nick + " joined" + note})

	case client.Left:
		u.users.leave(ev.Nick)
		text := ev.Nick + " left"
		if ev.Reason != "" {
			text += " (" + ev.Reason + ")"
		}
		m.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ev.Time, now), Text: text})

	case client.Renamed:
		u.users.rename(ev.Nick, ev.To, ev.Self)
		text := ev.Nick + " is now known as " + ev.To
		if ev.Self {
			text = "You are now known as " + ev.To
			u.app.Preferences().SetString(prefNick, ev.To)
		}
		m.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ev.Time, now), Text: text})
		return ev.Self

	case client.StatusChanged:
		u.users.status(ev.Nick, ev.Status.Status)
		if wire.FoldNick(ev.Nick) == wire.FoldNick(s.c.Nick()) {
			// The server confirms the user's own status (also when the
			// client sets it again after a reconnect): say so once, and
			// keep the Away menu item in step.
			away := ev.Status.Status == wire.Away
			if away != u.menuAway.Checked {
				u.setAwayMenu(away)
			}
			if away != s.away {
				s.away = away
				text := "You are back."
				if away {
					text = "You are marked as away. Type /back when you return."
				}
				m.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ev.Time, now), Text: text})
			}
		}

	case client.Private, client.Topic, client.RoleChanged, client.Moderated:
		u.social.apply(ev)

	case client.Failed:
		if u.social.failed(ev) {
			return false
		}
		if ev.Ref != "" {
			s.refused(ev)
			return false
		}
		if ev.CID != "" {
			m.log.Fail(ev.CID)
			m.changed(false)
			u.system(chatlog.KindError, "Not sent: "+errText(ev.Err)+".")
		} else {
			u.system(chatlog.KindError, "The server refused: "+errText(ev.Err)+".")
		}

	case client.Notice:
		u.system(chatlog.KindInfo, ev.Text)
	}
	return false
}

// message shows a chat message, confirming an own pending one.
func (s *session) message(ev client.Message) {
	u := s.u
	m := u.msgs
	msg := ev.Msg
	// The text stays out of the logs; its size is enough to match a
	// message in tests.
	u.log.Debug("message received", "id", msg.ID, "from", msg.From, "own", ev.Own, "raw", ev.Raw, "bytes", len(msg.Text))
	if ev.Backlog && s.local.epoch != "" && s.local.epoch == s.welcome.Epoch && msg.ID <= s.local.last {
		// Shown from the local log before the connection was up.
		if s.backlog > 0 {
			s.backlog--
		}
		return
	}
	if ev.Own && msg.CID != "" {
		if _, textChanged, ok := m.log.Confirm(msg); ok {
			m.changed(textChanged)
			return
		}
	}
	e := chatlog.Entry{Kind: chatlog.KindChat, Time: msg.Time, ID: msg.ID, From: msg.From, Text: msg.Text, Own: ev.Own}
	if ev.Raw {
		e.From, e.Text = splitPlain(msg.Text)
		if ev.Own {
			e.From = s.c.Nick()
		}
	}
	if e.Time == 0 {
		e.Time = u.now().UnixMilli()
	}
	e.Text = strings.ReplaceAll(e.Text, "\t", "    ")
	if !e.Own {
		e.Mention = mentions(e.Text, s.c.Nick())
	}
	u.dayLine(e.Time)
	m.append(e)
	if ev.Backlog {
		if s.backlog > 0 {
			s.backlog--
		}
		return
	}
	if !e.Own && !u.focused {
		u.unread++
		u.notifier.message(s.room(), e.From, e.Text)
	}
}

// dayLine adds a line naming the day before the first message of a new
// day.
func (u *UI) dayLine(ms int64) {
	t := time.UnixMilli(ms)
	day := t.Format("2006-01-02")
	if day == u.lastDay {
		return
	}
	first := u.lastDay == ""
	u.lastDay = day
	if first && day == u.now().Format("2006-01-02") {
		return
	}
	u.msgs.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: ms, Text: t.Format("Monday 2 January 2006")})
}

// splitPlain takes a plain server's "nick: text" line apart when it looks
// like one; otherwise the whole line is the text.
func splitPlain(line string) (from, text string) {
	if i := strings.Index(line, ": "); i > 0 && i <= 4*wire.MaxNick {
		if nick, err := wire.CheckNick(line[:i]); err == nil && nick == line[:i] {
			return nick, line[i+2:]
		}
	}
	return "", line
}

// mentions reports whether text names nick as a word, in any case.
func mentions(text, nick string) bool {
	if nick == "" {
		return false
	}
	lt, ln := strings.ToLower(text), strings.ToLower(nick)
	for off := 0; ; {
		i := strings.Index(lt[off:], ln)
		if i < 0 {
			return false
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(lt[:i])
		after, _ := utf8.DecodeRuneInString(lt[i+len(ln):])
		if !isNickRune(before) && !isNickRune(after) {
			return true
		}
		off = i + len(ln)
	}
}

func isNickRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

func orNow(ms, now int64) int64 {
	if ms == 0 {
		return now
	}
	return ms
}

// errText is an error's message for people: sentence case, no trailing
// full stop (the caller adds one).
func errText(err error) string {
	if err == nil {
		return "connection closed"
	}
	return strings.TrimRight(err.Error(), ".")
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
