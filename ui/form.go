package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// formDialog is a dialog with a form, Cancel, and a confirm button that is
// enabled exactly while every field's own check passes. Fyne's form dialog
// decides that from validation events, and counts a field that starts
// invalid and was never edited as valid once another field turns valid
// (it would offer Connect with an empty nickname); here the checks are
// simply run again on every change.
type formDialog struct {
	dlg     *dialog.CustomDialog
	confirm *widget.Button
	fields  []*widget.Entry
	onOK    func()
}

// newFormDialog builds the dialog; fields are the entries whose
// Validator must pass (a SelectEntry is given as &s.Entry). Enter in any
// field submits.
func newFormDialog(title, confirm string, items []*widget.FormItem, fields []*widget.Entry, onOK func(), win fyne.Window) *formDialog {
	f := &formDialog{fields: fields, onOK: onOK}
	f.dlg = dialog.NewCustomWithoutButtons(title, widget.NewForm(items...), win)
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.dlg.Hide)
	f.confirm = widget.NewButtonWithIcon(confirm, theme.ConfirmIcon(), f.Submit)
	f.confirm.Importance = widget.HighImportance
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.confirm})
	for _, e := range fields {
		prev := e.OnChanged
		e.OnChanged = func(s string) {
			if prev != nil {
				prev(s)
			}
			f.update()
		}
		e.OnSubmitted = func(string) { f.Submit() }
	}
	f.update()
	return f
}

// valid reports whether every field passes its check.
func (f *formDialog) valid() bool {
	for _, e := range f.fields {
		if e.Validator != nil && e.Validator(e.Text) != nil {
			return false
		}
	}
	return true
}

func (f *formDialog) update() {
	if f.valid() {
		f.confirm.Enable()
	} else {
		f.confirm.Disable()
	}
}

// Submit confirms the dialog if every field is valid.
func (f *formDialog) Submit() {
	if !f.valid() {
		return
	}
	f.dlg.Hide()
	f.onOK()
}

// show sizes the dialog to width and shows it.
func (f *formDialog) show(width float32) {
	f.dlg.Resize(fyne.NewSize(width, f.dlg.MinSize().Height))
	f.dlg.Show()
}
