package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Handles on scrollback and search, for the external tests.

// TopSeq returns the Seq of the entry whose line is at the top of the
// message list's view.
func (u *UI) TopSeq() uint64 {
	m := u.msgs
	i := int(m.list.GetScrollOffset()/m.pitch() + 0.5)
	if i >= m.lines.Len() {
		return 0
	}
	return m.lines.At(i).Seq
}

// Cut reports whether the log has lost the present.
func (u *UI) Cut() bool { return u.msgs.cut }

// Loading reports whether the spinner for an older page shows.
func (u *UI) Loading() bool { return u.msgs.spinner.Visible() }

// OldestID is the id of the oldest message the log holds (0: none).
func (u *UI) OldestID() uint64 {
	id, _ := u.msgs.entries.OldestID(0)
	return id
}

// HasID reports whether the log holds message id, and whether it is
// marked as the found one.
func (u *UI) HasID(id uint64) (held, found bool) {
	l := u.msgs.entries
	for i := 0; i < l.Len(); i++ {
		if e := l.At(i); e.ID == id {
			return true, e.Found
		}
	}
	return false, false
}

// InView reports whether message id has a line in the list's view.
func (u *UI) InView(id uint64) bool {
	m := u.msgs
	top := int(m.list.GetScrollOffset() / m.pitch())
	rows := int(m.list.Size().Height / m.pitch())
	for k := max(0, top); k < min(m.lines.Len(), top+rows); k++ {
		if i, ok := m.entries.Index(m.lines.At(k).Seq); ok && m.entries.At(i).ID == id {
			return true
		}
	}
	return false
}

// ShowSearch is the Search menu item (Ctrl+F).
func (u *UI) ShowSearch() { u.showSearch() }

// SearchFor types q into the open search dialog and presses Enter.
func (u *UI) SearchFor(q string) {
	f := u.searching
	f.query.SetText("")
	test.Type(f.query, q)
	f.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// SearchRows returns the search dialog's result rows as "time | sender |
// text", as drawn, and its status line.
func (u *UI) SearchRows() (rows []string, status string) {
	f := u.searching
	if f == nil {
		return nil, ""
	}
	for i := range f.hits {
		o := f.list.CreateItem()
		f.list.UpdateItem(i, o)
		c := o.(*fyne.Container)
		left := c.Objects[1].(*fyne.Container)
		rows = append(rows, strings.Join([]string{
			left.Objects[0].(*widget.Label).Text,
			left.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).Text,
			c.Objects[0].(*widget.Label).Text}, " | "))
	}
	return rows, f.status.Text
}

// ChooseResult selects the i-th result, as a click would.
func (u *UI) ChooseResult(i int) { u.searching.list.Select(i) }

// Searching reports whether the search dialog is open.
func (u *UI) Searching() bool { return u.searching != nil }

// OverlayText returns the texts of the labels on the window's top
// overlay (an open dialog), joined by newlines.
func (u *UI) OverlayText() string {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o.Text)
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(o)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	return strings.Join(out, "\n")
}

// ExportTo writes the chat as the save dialog's choice of name would.
func (u *UI) ExportTo(w interface {
	Write([]byte) (int, error)
	Close() error
}, name string) error {
	return u.exportTo(w, name)
}

// ToggleLocalLog is the "Keep a local log" menu item.
func (u *UI) ToggleLocalLog() { u.toggleSaving() }

// ClearLocalLogs is the "Clear local logs…" menu item.
func (u *UI) ClearLocalLogs() { u.clearSaved() }

// LocalLogDir is the folder of the local logs.
func (u *UI) LocalLogDir() string { return u.savedDir() }
