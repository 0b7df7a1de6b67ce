package ui

import (
	"fmt"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// maxReasonChars is the longest reason the dialog takes: the server keeps
// 120 characters of a reason and cuts the rest.
const maxReasonChars = 120

// askReason asks for an optional reason before a kick, mute or ban of
// nick from the people menu: what reads "Kick bob" with a Kick button,
// so that a slip of the mouse does not remove anyone, and the person
// removed is told why. do gets the reason ("" for none).
func (s *social) askReason(title, confirm, what string, do func(reason string)) {
	u := s.u
	text := widget.NewLabel(what)
	text.Wrapping = fyne.TextWrapWord
	reason := newFormEntry()
	reason.SetPlaceHolder("Optional: told to them and to the room")
	reason.Validator = func(s string) error {
		if n := utf8.RuneCountInString(s); n > maxReasonChars {
			return fmt.Errorf("at most %d characters (%d now)", maxReasonChars, n)
		}
		return nil
	}
	items := []*widget.FormItem{{Widget: text}, {Text: "Reason", Widget: reason}}
	f := newFormDialog(u, title, confirm, items, []formField{entryField(reason)}, func() {
		do(reason.Text)
	})
	f.show(420)
	f.dlg.Resize(fyne.NewSize(420, 0))
	u.win.Canvas().Focus(reason)
}
