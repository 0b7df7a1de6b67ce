package ui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// Private conversations, the topic and moderation in the window.
//
// The room and each direct conversation are tabs above the message area;
// the compose box sends to the tab shown. A private message that arrives
// while its tab is not shown, or while the window is not focused, counts
// as unread in the tab's title and is announced by a notification. The
// people list opens a menu on each person: Message, and for the host and
// moderators, Kick, Mute, Ban and (host only) Make moderator.

// moderator is what the window needs of a connection for private
// messages and moderation; *client.Client has it.
type moderator interface {
	Role() wire.Role
	SendPrivate(to, text string) (string, error)
	Kick(nick, reason string) (string, error)
	Ban(target string, d time.Duration, reason string) (string, error)
	Mute(target string, d time.Duration, reason string) (string, error)
	Unban(target string) (string, error)
	Unmute(target string) (string, error)
	Op(nick string) (string, error)
	Deop(nick string) (string, error)
	SetTopic(text string) error
	ClaimHost(key string) error
}

// The times the people menu offers.
const (
	menuMute = 10 * time.Minute
	menuBan  = time.Hour
)

// composePlaceHolder is the compose box's hint while the room is shown.
const composePlaceHolder = "Write a message. Enter sends, Shift+Enter starts a new line."

// maxDirectLines bounds the lines kept per direct conversation.
const maxDirectLines = 500

// social is the window's private conversations and topic bar. It lives
// on the UI goroutine.
type social struct {
	u     *UI
	split *sideSplit // holds the message list, or the tabs once there are any
	// tabs holds the room and the conversations; nil until the first
	// conversation, so that a window without any has no tab bar.
	tabs   *container.AppTabs
	room   *container.TabItem
	byFold map[string]*direct
	sent   map[string]*direct // cid of a private message in flight → its conversation

	topic    *widget.Label
	topicBar fyne.CanvasObject
}

// direct is one private conversation.
type direct struct {
	nick   string // the other person, as last seen
	item   *container.TabItem
	lines  *fyne.Container
	scroll *container.Scroll
	unread int
	// open is true while its tab is in the tabs; a closed conversation
	// keeps its lines, and its tab comes back with the next message
	// (closeconv.go).
	open bool
}

// newSocial builds the topic bar; the tabs come with the first
// conversation, in split's place of the message list.
func newSocial(u *UI, split *sideSplit) *social {
	s := &social{u: u, split: split, byFold: make(map[string]*direct), sent: make(map[string]*direct)}
	s.topic = widget.NewLabel("")
	s.topic.Truncation = fyne.TextTruncateEllipsis
	s.topic.TextStyle.Italic = true
	s.topicBar = s.topic
	s.topic.Hide()
	return s
}

// current returns the conversation shown, or nil for the room.
func (s *social) current() *direct {
	if s.tabs == nil {
		return nil
	}
	sel := s.tabs.Selected()
	for _, d := range s.byFold {
		if d.item == sel {
			return d
		}
	}
	return nil
}

// open shows the conversation with nick, making it if need be.
func (s *social) open(nick string) *direct {
	d := s.conv(nick)
	s.tabs.Select(d.item)
	s.shown()
	s.u.win.Canvas().Focus(s.u.entry)
	return d
}

// conv returns the conversation with nick, making its tab, or opening it
// again, if need be.
func (s *social) conv(nick string) *direct {
	key := wire.FoldNick(nick)
	d := s.byFold[key]
	if d != nil && d.open {
		return d
	}
	if d == nil {
		d = s.newDirect(nick)
		s.byFold[key] = d
	}
	d.open = true
	if s.tabs == nil {
		s.room = container.NewTabItem("Room", s.u.msgs)
		s.tabs = container.NewAppTabs(s.room)
		s.tabs.OnSelected = func(*container.TabItem) { s.shown() }
		s.split.split.Leading = s.tabs
		s.split.split.Refresh()
	}
	s.tabs.Append(d.item)
	return d
}

// add appends a line to d.
func (d *direct) add(text string, bold bool) {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.TextStyle.Bold = bold
	d.lines.Add(l)
	if over := len(d.lines.Objects) - maxDirectLines; over > 0 {
		d.lines.Objects = append(d.lines.Objects[:0], d.lines.Objects[over:]...)
		d.lines.Refresh()
	}
	d.scroll.ScrollToBottom()
}

// title is the tab's title: the nickname and the unread count.
func (d *direct) title() string {
	if d.unread > 0 {
		return fmt.Sprintf("%s (%d)", d.nick, d.unread)
	}
	return d.nick
}

// shown clears the unread count of the conversation now shown, and says
// in the compose box to whom it writes.
func (s *social) shown() {
	d := s.current()
	if d == nil {
		s.u.entry.SetPlaceHolder(composePlaceHolder)
	} else {
		s.u.entry.SetPlaceHolder("Write to " + d.nick + " privately. Enter sends, Shift+Enter starts a new line.")
	}
	if d != nil && d.unread > 0 && s.u.focused {
		d.unread = 0
		d.item.Text = d.title()
		s.tabs.Refresh()
	}
}

// focused is told when the window gains the focus.
func (s *social) focused() { s.shown() }

// receive shows a private message, received or the echo of one sent.
func (s *social) receive(p client.Private) {
	other := p.From
	if p.Own {
		other = p.To
	}
	d := s.conv(other)
	d.nick = other
	if p.Own {
		delete(s.sent, p.CID)
	}
	stamp := time.UnixMilli(orNow(p.Time, s.u.now().UnixMilli())).Format("15:04")
	d.add(stamp+"  "+p.From+": "+p.Text, false)
	if p.Own {
		d.item.Text = d.title()
		s.tabs.Refresh()
		return
	}
	if s.current() == d && s.u.focused {
		return
	}
	d.unread++
	d.item.Text = d.title()
	s.tabs.Refresh()
	if s.u.notifier.enabled {
		s.u.notifier.send(fyne.NewNotification("Private message from "+p.From, preview(p.Text, 140)))
	}
}

// send sends text to the conversation d.
func (s *social) send(d *direct, text string) error {
	m, ok := s.moderator()
	if !ok {
		return errors.New("this chat has no private messages")
	}
	cid, err := m.SendPrivate(d.nick, text)
	if err != nil {
		return err
	}
	s.sent[cid] = d
	return nil
}

// reset closes every conversation and hides the topic, as the window
// joins another chat: its people are other people.
func (s *social) reset() {
	if s.tabs != nil {
		s.tabs = nil
		s.room = nil
		s.split.split.Leading = s.u.msgs
		s.split.split.Refresh()
	}
	clear(s.byFold)
	clear(s.sent)
	s.setTopic("")
	s.u.entry.SetPlaceHolder(composePlaceHolder)
}

// submit sends text typed in the compose box to the conversation shown,
// and reports false when the room is shown (the caller sends it there).
func (s *social) submit(text, typed string) bool {
	d := s.current()
	if d == nil {
		return false
	}
	u := s.u
	if err := s.send(d, text); err != nil {
		u.setHint("Not sent: " + errText(err) + ".")
		return true
	}
	u.entry.AddHistory(typed)
	u.entry.SetText("")
	u.setHint("")
	return true
}

// failed shows a refused private message or moderation, and reports
// whether ev was one.
func (s *social) failed(ev client.Failed) bool {
	if d := s.sent[ev.CID]; ev.CID != "" && d != nil {
		delete(s.sent, ev.CID)
		d.add("Not sent: "+errText(ev.Err)+".", true)
		return true
	}
	if strings.HasPrefix(ev.Ref, "m") {
		s.u.system(chatlog.KindError, "Not done: "+errText(ev.Err)+".")
		return true
	}
	return false
}

// moderator returns the current connection's moderation side.
func (s *social) moderator() (moderator, bool) {
	if s.u.sess == nil {
		return nil, false
	}
	m, ok := s.u.sess.c.(moderator)
	return m, ok
}

// setTopic shows the room's topic ("" hides the bar).
func (s *social) setTopic(text string) {
	if text == "" {
		s.topic.Hide()
		return
	}
	s.topic.SetText("Topic: " + text)
	s.topic.Show()
}

// apply shows the events of private messages and moderation.
func (s *social) apply(ev client.Event) {
	u := s.u
	now := u.now().UnixMilli()
	event := func(ms int64, text string) {
		u.msgs.append(chatlog.Entry{Kind: chatlog.KindEvent, Time: orNow(ms, now), Text: text})
	}
	switch ev := ev.(type) {
	case client.Private:
		s.receive(ev)
	case client.Topic:
		s.setTopic(ev.Text)
		if ev.Text == "" {
			event(ev.Time, ev.By+" cleared the topic")
		} else {
			event(ev.Time, ev.By+" set the topic: "+ev.Text)
		}
	case client.RoleChanged:
		u.users.role(ev.Nick, ev.Role)
		who := ev.Nick + " is"
		if ev.Self {
			who = "You are"
		}
		switch {
		case ev.Role == wire.RoleHost:
			event(ev.Time, who+" the host")
		case ev.Role == wire.RoleMod:
			event(ev.Time, who+" now a moderator, named by "+ev.By)
		default:
			event(ev.Time, who+" no longer a moderator")
		}
	case client.Moderated:
		event(ev.Time, moderationText(ev.Moderation, u.sess != nil && ev.By == u.sess.c.Nick()))
	}
}

// moderationText says what a moderation did, for the room's log.
func moderationText(m wire.Moderation, mine bool) string {
	target := m.Nick
	if target == "" {
		target = m.Addr
	}
	by := m.By
	if mine {
		by = "you"
	}
	var text string
	switch m.Action {
	case wire.ActKick:
		text = fmt.Sprintf("%s removed %s", by, target)
	case wire.ActBan:
		text = fmt.Sprintf("%s banned %s until %s", by, target, time.UnixMilli(m.Until).Format("15:04"))
	case wire.ActMute:
		text = fmt.Sprintf("%s muted %s until %s", by, target, time.UnixMilli(m.Until).Format("15:04"))
	case wire.ActUnban:
		text = fmt.Sprintf("%s lifted the ban on %s", by, target)
	case wire.ActUnmute:
		text = fmt.Sprintf("%s lifted the mute on %s", by, target)
	case wire.ActOp:
		text = fmt.Sprintf("%s made %s a moderator", by, target)
	case wire.ActDeop:
		text = fmt.Sprintf("%s took moderation back from %s", by, target)
	default:
		text = fmt.Sprintf("%s: %s %s", by, m.Action, target)
	}
	if m.Reason != "" {
		text += " (" + m.Reason + ")"
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	return text
}

// menuItems is the people menu of a person: what this user may do to
// them. Empty for oneself, and outside a chat.
func (s *social) menuItems(who wire.User) []*fyne.MenuItem {
	m, ok := s.moderator()
	if !ok || s.u.sess.plain || wire.FoldNick(who.Nick) == wire.FoldNick(s.u.sess.c.Nick()) {
		return nil
	}
	nick := who.Nick
	items := []*fyne.MenuItem{fyne.NewMenuItem("Message", func() { s.open(nick) })}
	mine := m.Role()
	if mine == "" || who.Role == wire.RoleHost || (who.Role == wire.RoleMod && mine != wire.RoleHost) {
		return items
	}
	act := func(label string, do func() (string, error)) *fyne.MenuItem {
		return fyne.NewMenuItem(label, func() {
			if _, err := do(); err != nil {
				s.u.system(chatlog.KindError, "Not done: "+errText(err)+".")
				s.u.msgs.flush()
			}
		})
	}
	// Kick, mute and ban ask for a reason first (reason.go).
	asked := func(label, title, confirm, what string, do func(reason string) (string, error)) *fyne.MenuItem {
		return act(label, func() (string, error) {
			s.askReason(title, confirm, what, func(reason string) {
				if _, err := do(reason); err != nil {
					s.u.system(chatlog.KindError, "Not done: "+errText(err)+".")
					s.u.msgs.flush()
				}
			})
			return "", nil
		})
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		asked("Kick…", "Kick "+nick, "Kick", "Remove "+nick+" from the chat. They can come back.",
			func(r string) (string, error) { return m.Kick(nick, r) }),
		asked("Mute for 10 minutes…", "Mute "+nick, "Mute", nick+" will not be able to write for 10 minutes.",
			func(r string) (string, error) { return m.Mute(nick, menuMute, r) }),
		asked("Ban for 1 hour…", "Ban "+nick, "Ban", "Remove "+nick+" and keep them out for 1 hour, under any nickname from the same session.",
			func(r string) (string, error) { return m.Ban(nick, menuBan, r) }))
	if mine == wire.RoleHost {
		if who.Role == wire.RoleMod {
			items = append(items, act("Remove moderator", func() (string, error) { return m.Deop(nick) }))
		} else {
			items = append(items, act("Make moderator", func() (string, error) { return m.Op(nick) }))
		}
	}
	return items
}

// pick opens the people menu of who, under the row at y in the list.
func (s *social) pick(who wire.User, at fyne.Position, from fyne.CanvasObject) {
	items := s.menuItems(who)
	if len(items) == 0 {
		return
	}
	menu := fyne.NewMenu(who.Nick, items...)
	widget.ShowPopUpMenuAtRelativePosition(menu, s.u.win.Canvas(), at, from)
}

// command runs the window's commands of private messages and moderation:
// /msg NICK text, /topic text, /kick NICK, /ban and /mute NICK TIME,
// /unban, /unmute, /op, /deop. It reports whether the line was done (the
// compose box is then cleared).
func (s *social) command(name, arg string) bool {
	u := s.u
	m, ok := s.moderator()
	if !ok || u.sess.plain {
		u.setHint("You are not in a chat that has private messages and moderation.")
		return false
	}
	fields := strings.Fields(arg)
	target := ""
	if len(fields) > 0 {
		target = fields[0]
	}
	rest := func(from int) string {
		if len(fields) <= from {
			return ""
		}
		return strings.Join(fields[from:], " ")
	}
	var err error
	switch name {
	case "/msg":
		text := rest(1)
		if target == "" || text == "" {
			u.setHint("Usage: /msg NICK text")
			return false
		}
		err = s.send(s.open(target), text)
	case "/topic":
		err = m.SetTopic(arg)
	case "/host":
		if arg == "" {
			u.setHint("Usage: /host KEY, with the key from the server's host.key file")
			return false
		}
		err = m.ClaimHost(arg)
	case "/kick":
		_, err = m.Kick(target, rest(1))
	case "/ban", "/mute":
		var d time.Duration
		if len(fields) >= 2 {
			d, err = wire.ParseSpan(fields[1])
		}
		if len(fields) < 2 || err != nil {
			u.setHint("Usage: " + name + " NICK|ADDRESS TIME [reason], with TIME like 10m, 1h or 2d")
			return false
		}
		if name == "/ban" {
			_, err = m.Ban(target, d, rest(2))
		} else {
			_, err = m.Mute(target, d, rest(2))
		}
	case "/unban":
		_, err = m.Unban(target)
	case "/unmute":
		_, err = m.Unmute(target)
	case "/op":
		_, err = m.Op(target)
	case "/deop":
		_, err = m.Deop(target)
	default:
		return false
	}
	if err != nil {
		u.setHint("Not done: " + errText(err) + ".")
		return false
	}
	u.setHint("")
	return true
}

// newHostKey makes the key a hosted chat's own client presents to be its
// host: 128 random bits, never shown.
func newHostKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hostKeyFor is the host key to present when joining addr: the hosted
// chat's, when addr is where the window's own client joins it.
func (u *UI) hostKeyFor(addr string) string {
	if h := u.hosting; h != nil && addr == h.local {
		return h.key
	}
	return ""
}

// removedText says why a moderator put this user out, for the room's log
// and the status bar; ok is false for any other end.
func removedText(ev client.Disconnected, addr string) (text, ended string, ok bool) {
	why := ""
	if ev.Bye != nil && ev.Bye.Text != "" {
		why = " " + ev.Bye.Text
	}
	switch {
	case errors.Is(ev.Err, client.ErrKicked):
		return "You were removed from the chat." + why + " You can join again.",
			"Removed from the chat at " + addr, true
	case errors.Is(ev.Err, client.ErrBanned):
		text = "You are banned from this chat." + why
		ended = "Banned from the chat at " + addr
		if ev.Bye != nil && ev.Bye.Until != 0 {
			ended += " until " + time.UnixMilli(ev.Bye.Until).Format("15:04")
		}
		return text, ended, true
	}
	return "", "", false
}
