package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// How the window shows its state: the title, the status bar and its buttons,
// the menus, and the focus that decides what counts as unread.

func (u *UI) toggleNotify() {
	u.notifier.enabled = !u.notifier.enabled
	u.app.Preferences().SetBool(prefNotify, u.notifier.enabled)
	u.menuNotify.Checked = u.notifier.enabled
	u.refreshMenu()
}

func (u *UI) refreshMenu() {
	if m := u.win.MainMenu(); m != nil {
		m.Refresh()
	}
}

// setFocused follows the window gaining and losing the focus: while it
// is away, new messages count as unread in the title and may notify.
func (u *UI) setFocused(f bool) {
	u.focused = f
	if f {
		u.social.focused()
		u.cursorActive()
		u.unread = 0
		u.notifier.reset()
	}
	u.updateTitle()
}

// updateState brings the title, status bar, buttons and menus in line
// with the connection and hosting state.
func (u *UI) updateState() {
	u.updateTitle()
	s := u.sess
	var buttons []fyne.CanvasObject
	switch {
	case s == nil:
		u.status.SetText("Not connected")
		buttons = append(buttons, widget.NewButton("Connect…", u.showConnect))
		if u.hosting == nil {
			buttons = append(buttons, widget.NewButton("Host a chat…", u.showHost))
		}
	case s.stopped:
		// The chat ended or the client gave up: offer the ways on.
		u.status.SetText(s.describe())
		buttons = append(buttons, widget.NewButton("Reconnect", u.reconnect),
			widget.NewButton("Connect…", u.showConnect))
		if u.hosting == nil {
			buttons = append(buttons, widget.NewButton("Host a chat…", u.showHost))
		}
	default:
		u.status.SetText(s.describe())
		if !s.connected && s.retry > 0 {
			buttons = append(buttons, widget.NewButton("Retry now", u.reconnect))
		}
		if u.hosting == nil {
			buttons = append(buttons, widget.NewButton("Disconnect", u.disconnect))
		}
	}
	u.actions.Objects = buttons
	u.actions.Refresh()

	connected := s != nil
	setDisabled(u.menuDisconnect, !connected || u.hosting != nil)
	setDisabled(u.menuHost, u.hosting != nil)
	setDisabled(u.menuStop, u.hosting == nil)
	setDisabled(u.menuAddrs, u.hosting == nil)
	setDisabled(u.menuAway, !connected || s.plain)
	if u.hosting != nil {
		u.hostLabel.SetText(u.hosting.summary())
		u.hostBar.Show()
	} else {
		u.hostBar.Hide()
	}
	if connected && !s.stopped {
		u.entry.Enable()
		u.sendBtn.Enable()
	} else {
		u.entry.Disable()
		u.sendBtn.Disable()
	}
	u.refreshMenu()
}

func setDisabled(m *fyne.MenuItem, off bool) {
	if m != nil {
		m.Disabled = off
	}
}

// updateTitle shows the room, the server and the connection state, with
// the unread count in front while the window is not focused.
func (u *UI) updateTitle() {
	title := "Parley"
	if s := u.sess; s != nil {
		title += " — " + s.room() + " @ " + s.addr + " — " + s.stateWord()
	} else {
		title += " — not connected"
	}
	if u.unread > 0 && !u.focused {
		title = fmt.Sprintf("(%d) %s", u.unread, title)
	}
	if u.win.Title() != title {
		u.win.SetTitle(title)
	}
}
