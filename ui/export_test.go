package ui

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"parley/ui/chatlog"
)

// This file gives the external tests (package ui_test) handles on the
// window's parts. It is compiled only with the tests.

// Pump stands in for Fyne's main loop in tests: functions the window's
// goroutines hand to fyne.Do are queued here, and the test goroutine runs
// them, so widgets are only ever touched by the test goroutine.
type Pump struct {
	mu sync.Mutex
	q  []func()
}

func (p *Pump) do(f func()) {
	p.mu.Lock()
	p.q = append(p.q, f)
	p.mu.Unlock()
}

// Run runs the queued functions, and those they queue, and returns how
// many ran.
func (p *Pump) Run() int {
	n := 0
	for {
		p.mu.Lock()
		q := p.q
		p.q = nil
		p.mu.Unlock()
		if len(q) == 0 {
			return n
		}
		for _, f := range q {
			f()
			n++
		}
	}
}

// NewTest builds a window whose UI work runs through the returned pump.
func NewTest(a fyne.App, opts Options) (*UI, *Pump) {
	p := &Pump{}
	return newUI(a, opts, p.do), p
}

// ComposeEntry exposes the compose box's type.
type ComposeEntry = composeEntry

// NewComposeEntry exposes the compose box's constructor.
var NewComposeEntry = newComposeEntry

func (u *UI) Compose() *ComposeEntry     { return u.entry }
func (u *UI) SendButton() *widget.Button { return u.sendBtn }
func (u *UI) Hint() string               { return map[bool]string{true: u.hint.Text}[u.hint.Visible()] }
func (u *UI) Users() []string            { return u.users.names() }
func (u *UI) Actions() []string {
	var out []string
	for _, o := range u.actions.Objects {
		out = append(out, o.(*widget.Button).Text)
	}
	return out
}

// TapAction taps the status bar's button labelled text and reports
// whether there was one.
func (u *UI) TapAction(text string) bool {
	for _, o := range u.actions.Objects {
		if b := o.(*widget.Button); b.Text == text {
			test.Tap(b)
			return true
		}
	}
	return false
}
func (u *UI) SetFocused(f bool)         { u.setFocused(f) }
func (u *UI) ShowConnect()              { u.showConnect() }
func (u *UI) Dial(addr, nick string)    { u.dial(addr, nick) }
func (u *UI) Disconnect()               { u.disconnect() }
func (u *UI) StopHosting()              { u.stopHosting() }
func (u *UI) Unread() int               { return u.unread }
func (u *UI) Log() *chatlog.Log         { return u.msgs.entries }
func (u *UI) Status() string            { return u.status.Text }
func (u *UI) ListLength() int           { return u.msgs.list.Length() }
func (u *UI) JumpVisible() bool         { return u.msgs.jump.Visible() }
func (u *UI) JumpText() string          { return u.msgs.jump.Text }
func (u *UI) TapJump()                  { u.msgs.jump.OnTapped() }
func (u *UI) MessageList() *widget.List { return u.msgs.list }
func (u *UI) HostAddr() string          { return u.hosting.local }
func (u *UI) HostAddrs() []string       { return u.hosting.addrs }
func (u *UI) Hosting() bool             { return u.hosting != nil }
func (u *UI) Connected() bool           { return u.sess != nil && u.sess.connected }
func (u *UI) Plain() bool               { return u.sess != nil && u.sess.plain }
func (u *UI) SideWidth() float32        { return u.users.panel.Size().Width }
func (u *UI) HostSummary() string       { return u.hostLabel.Text }
func (u *UI) StartHosting(port int, lan bool, room, nick string) {
	u.startHosting(hostSettings{Port: port, LAN: lan, Room: room, Nick: nick}, false)
}

// FormEntry is a field of a form dialog.
type FormEntry = formEntry

// AddrEntry is the connect dialog's server field.
type AddrEntry = addrEntry

// RecentMenu returns the open menu of recent servers, or nil.
func (e *AddrEntry) RecentMenu() *widget.PopUpMenu { return e.menu }

// People returns the user list's header, and the note in place of the
// list when one shows.
func (u *UI) People() string {
	if u.users.note.Visible() {
		return u.users.header.Text + " / " + u.users.note.Text
	}
	return u.users.header.Text
}

// Submitter is a dialog that can be confirmed.
type Submitter interface{ Submit() }

// ConnectForm returns the open connect dialog's fields, and the dialog.
func (u *UI) ConnectForm() (*AddrEntry, *FormEntry, Submitter) {
	if u.connect == nil {
		return nil, nil, nil
	}
	return u.connect.addr, u.connect.nick, u.connect
}

// Lines returns the log as "kind from: text [state]" strings.
func (u *UI) Lines() []string {
	l := u.msgs.entries
	out := make([]string, 0, l.Len())
	for i := 0; i < l.Len(); i++ {
		e := l.At(i)
		s := fmt.Sprintf("%s %s: %s", kindNames[e.Kind], e.From, e.Text)
		if e.State == chatlog.Pending {
			s += " [pending]"
		} else if e.State == chatlog.Failed {
			s += " [failed]"
		}
		out = append(out, s)
	}
	return out
}

// Count returns how many log lines contain sub.
func (u *UI) Count(sub string) int {
	n := 0
	for _, s := range u.Lines() {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

var kindNames = map[chatlog.Kind]string{chatlog.KindChat: "chat", chatlog.KindEvent: "event", chatlog.KindInfo: "info", chatlog.KindWarn: "warn", chatlog.KindError: "error"}

// SetNotifyEvery changes the notification rate limit.
func (u *UI) SetNotifyEvery(d time.Duration) { u.notifier.every = d }

// ToggleNotifications is the Notifications menu item.
func ToggleNotifications(u *UI) { u.toggleNotify() }

// AwayChecked reports whether the Away menu item is checked.
func AwayChecked(u *UI) bool { return u.menuAway.Checked }

// ToggleAway is the Away menu item.
func ToggleAway(u *UI) { u.toggleAway() }

// UserRow returns the text the user list shows for nick, or "".
func (u *UI) UserRow(nick string) string {
	for i, usr := range u.users.sorted {
		if usr.Nick == nick {
			return u.users.rowText(i)
		}
	}
	return ""
}

// Quit is the Quit menu item.
func Quit(u *UI) { u.quit() }

// HostForm opens the host dialog and returns its port, room and nickname
// fields, and the dialog.
func (u *UI) HostForm() (port, room, nick *FormEntry, d Submitter) {
	u.showHost()
	f := u.hostForm
	return f.fields[0].focus.(*formEntry), f.fields[1].focus.(*formEntry), f.fields[2].focus.(*formEntry), f
}
