package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Fyne's dialogs take no keys of their own: Escape does not close them,
// Enter does not confirm a message's OK, and a keyboard user is left
// reaching for the mouse. Every dialog the window shows goes through
// showDialog, which remembers what Enter and Escape do in it; the
// canvas hands them the keys nothing focused takes (typedKey), and the
// fields of form dialogs pass Escape on (formEntry).

// keyedDialog is an open dialog and what Enter and Escape do in it.
type keyedDialog struct {
	enter, escape func() // nil: the key does nothing
}

// showDialog shows d with what Enter and Escape do while it is the
// newest open dialog. Dialogs the window shows later are drawn over
// earlier ones, so the newest open one is the one on top.
func (u *UI) showDialog(d dialog.Dialog, enter, escape func()) {
	k := &keyedDialog{enter: enter, escape: escape}
	u.dialogs = append(u.dialogs, k)
	d.SetOnClosed(func() {
		u.dialogs = slices.DeleteFunc(u.dialogs, func(o *keyedDialog) bool { return o == k })
	})
	d.Show()
}

// typedKey is the canvas's handler for keys that no focused widget
// takes: it answers the dialog on top.
func (u *UI) typedKey(ev *fyne.KeyEvent) {
	if len(u.dialogs) == 0 {
		return
	}
	k := u.dialogs[len(u.dialogs)-1]
	var f func()
	switch ev.Name {
	case fyne.KeyEscape:
		f = k.escape
	case fyne.KeyReturn, fyne.KeyEnter:
		f = k.enter
	}
	if f != nil {
		f()
	}
}

// inform shows a message with an OK button; Enter and Escape close it
// too. onClosed, if not nil, runs when it closes.
func (u *UI) inform(title, text string, onClosed func()) {
	d := dialog.NewInformation(title, text, u.win)
	if onClosed != nil {
		d.SetOnClosed(onClosed)
	}
	u.showDialog(d, d.Hide, d.Hide)
}

// confirm asks a question. Escape answers no; Enter does nothing, since
// what is asked ends something (a chat, hosting) and deserves a look.
func (u *UI) confirm(title, text, yes, no string, danger bool, onYes func()) {
	u.logger.Debug("asking", "title", title, "text", text)
	d := dialog.NewConfirm(title, text, func(ok bool) {
		if ok {
			onYes()
		}
	}, u.win)
	d.SetConfirmText(yes)
	d.SetDismissText(no)
	if danger {
		d.SetConfirmImportance(widget.DangerImportance)
	}
	u.showDialog(d, nil, d.Hide)
}

// formEntry is a field of a form dialog: an Entry that passes Escape on
// to close the dialog (Fyne's Entry ignores it).
type formEntry struct {
	widget.Entry
	onEscape func()
}

var _ fyne.Focusable = (*formEntry)(nil)

func newFormEntry() *formEntry {
	e := &formEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey closes the dialog on Escape.
func (e *formEntry) TypedKey(key *fyne.KeyEvent) {
	if key.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(key)
}

func (e *formEntry) setOnEscape(f func()) { e.onEscape = f }
