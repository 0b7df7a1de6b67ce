package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// A session's events, one method each: what the window shows and does
// when the client reports it. apply dispatches them, in order, on the UI
// goroutine (see applyBatch).

// apply shows one event and reports whether the connection state changed
// (then the status bar, buttons and menus follow).
func (s *session) apply(ev client.Event) bool {
	switch ev := ev.(type) {
	case client.Connected:
		s.connectionUp(ev)
		return true
	case client.Disconnected:
		s.connectionDown(ev)
		return true
	case client.Message:
		s.seen(ev.Msg.ID)
		s.message(ev)
	case client.Page:
		s.page(ev)
	case client.Results:
		s.results(ev)
	case client.Joined:
		s.joined(ev)
	case client.Left:
		s.left(ev)
	case client.Renamed:
		s.renamed(ev)
		return ev.Self
	case client.StatusChanged:
		s.statusChanged(ev)
	case client.Private, client.Topic, client.RoleChanged, client.Moderated:
		s.u.social.apply(ev)
	case client.Failed:
		if !s.u.social.failed(ev) {
			s.failed(ev)
		}
	case client.Notice:
		s.u.system(chatlog.KindInfo, ev.Text)
	}
	return false
}

// connectionUp follows the connection coming up, first or again, and says
// what the user may have missed.
func (s *session) connectionUp(ev client.Connected) {
	u := s.u
	u.logger.Info("connected", "addr", s.addr, "plain", ev.Plain, "resumed", ev.Resumed, "reset", ev.Reset, "gap", ev.Gap)
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
		return
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
}

// connectionDown follows the connection dropping: a countdown to the next
// attempt, or the end of the chat when the client gives up.
func (s *session) connectionDown(ev client.Disconnected) {
	u := s.u
	u.logger.Info("disconnected", "addr", s.addr, "err", ev.Err, "retry", ev.Retry)
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
		if !u.pinChanged(s.addr, s.c.Nick(), ev.Err) {
			u.passwordFailed(s.addr, s.c.Nick(), ev.Err) // the host changed it
		}
		return
	}
	s.tick()
	if wasConnected || !s.dropped {
		s.dropped = true
		u.users.clear(usersReconnecting)
		u.system(chatlog.KindWarn, fmt.Sprintf("You were disconnected (%s). Reconnecting…", errText(ev.Err)))
	}
}

// event adds a line about the room's life at ms (now if zero).
func (s *session) event(ms int64, text string) {
	s.u.msgs.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ms, s.u.now().UnixMilli()), Text: text})
}

func (s *session) joined(ev client.Joined) {
	s.u.users.join(wire.User{Nick: ev.Nick, Status: ev.Status, Plain: ev.Plain, Role: ev.Role})
	note := ""
	if ev.Plain {
		note = " (plain-text client)"
	}
	s.event(ev.Time, ev.Nick+" joined"+note)
}

func (s *session) left(ev client.Left) {
	s.u.users.leave(ev.Nick)
	text := ev.Nick + " left"
	if ev.Reason != "" {
		text += " (" + ev.Reason + ")"
	}
	s.event(ev.Time, text)
}

// renamed follows someone's new nickname, the user's own included, which
// is remembered for next time.
func (s *session) renamed(ev client.Renamed) {
	s.u.users.rename(ev.Nick, ev.To, ev.Self)
	text := ev.Nick + " is now known as " + ev.To
	if ev.Self {
		text = "You are now known as " + ev.To
		s.u.app.Preferences().SetString(prefNick, ev.To)
	}
	s.event(ev.Time, text)
}

func (s *session) statusChanged(ev client.StatusChanged) {
	u := s.u
	u.users.status(ev.Nick, ev.Status.Status)
	if wire.FoldNick(ev.Nick) != wire.FoldNick(s.c.Nick()) {
		return
	}
	// The server confirms the user's own status (also when the client
	// sets it again after a reconnect): say so once, and keep the Away
	// menu item in step.
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
		s.event(ev.Time, text)
	}
}

// failed shows a refusal: of a history or search request, of a message
// the user sent, or of anything else.
func (s *session) failed(ev client.Failed) {
	u := s.u
	switch {
	case ev.Ref != "":
		s.refused(ev)
	case ev.CID != "":
		u.msgs.entries.Fail(ev.CID)
		u.msgs.changed(false)
		u.system(chatlog.KindError, "Not sent: "+errText(ev.Err)+".")
	default:
		u.system(chatlog.KindError, "The server refused: "+errText(ev.Err)+".")
	}
}

// message shows a chat message, confirming an own pending one.
func (s *session) message(ev client.Message) {
	u := s.u
	m := u.msgs
	msg := ev.Msg
	// The text stays out of the logs; its size is enough to match a
	// message in tests.
	u.logger.Debug("message received", "id", msg.ID, "from", msg.From, "own", ev.Own, "raw", ev.Raw, "bytes", len(msg.Text))
	if ev.Backlog && s.saved.epoch != "" && s.saved.epoch == s.welcome.Epoch && msg.ID <= s.saved.last {
		// Shown from the saved chat before the connection was up.
		if s.backlog > 0 {
			s.backlog--
		}
		return
	}
	if ev.Own && msg.CID != "" {
		if _, textChanged, ok := m.entries.Confirm(msg); ok {
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
