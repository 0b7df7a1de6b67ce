package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// A conversation's tab closes with the button in its header. The
// conversation keeps its lines: a new private message from that person,
// or Message in the people menu, opens the tab again where it was left,
// with the unread count starting from the message that reopened it.
// Closing the last conversation takes the tab bar away, so the window
// looks as it did before any.

// newDirect builds the conversation with nick: a header that says what
// it is, with its close button, above its lines.
func (s *social) newDirect(nick string) *direct {
	d := &direct{nick: nick, lines: container.NewVBox()}
	d.scroll = container.NewVScroll(d.lines)
	intro := widget.NewLabel(fmt.Sprintf("Private conversation with %s. Only the two of you see it; it is not kept in the room's history.", nick))
	intro.Wrapping = fyne.TextWrapWord
	intro.TextStyle.Italic = true
	closer := widget.NewButtonWithIcon("Close", theme.CancelIcon(), func() { s.close(d) })
	closer.Importance = widget.LowImportance
	header := container.NewBorder(nil, nil, nil, container.NewCenter(closer), intro)
	d.item = container.NewTabItem(nick, container.NewBorder(header, nil, nil, nil, d.scroll))
	return d
}

// close closes d's tab. Its unread count goes with it: the person saw
// the tab and closed it.
func (s *social) close(d *direct) {
	if !d.open || s.tabs == nil {
		return
	}
	d.open = false
	d.unread = 0
	d.item.Text = d.title()
	s.tabs.Remove(d.item)
	if len(s.tabs.Items) <= 1 {
		// Only the room is left: the message list goes back in the
		// tabs' place.
		s.tabs = nil
		s.room = nil
		s.split.split.Leading = s.u.msgs
		s.split.split.Refresh()
	}
	s.shown()
	s.u.win.Canvas().Focus(s.u.entry)
}
