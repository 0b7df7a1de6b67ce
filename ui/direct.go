package ui

import (
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

// Private conversations and the topic in the window.
//
// The room and each direct conversation are tabs above the message area;
// the compose box sends to the tab shown. A private message that arrives
// while its tab is not shown, or while the window is not focused, counts
// as unread in the tab's title and is announced by a notification. The
// rest of social is in its neighbours: the people menu (peoplemenu.go),
// the commands (socialcmd.go), moderation (moderation.go) and closing a
// conversation (closeconv.go).

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

// setTopic shows the room's topic ("" hides the bar).
func (s *social) setTopic(text string) {
	if text == "" {
		s.topic.Hide()
		return
	}
	s.topic.SetText("Topic: " + text)
	s.topic.Show()
}
