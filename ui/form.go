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
	fields  []formField
	onOK    func()
	u       *UI
}

// formField is a field of a form dialog: the widget that takes the
// focus, and the Entry in it whose Validator must pass (the same widget
// unless the Entry is embedded in a widget of its own).
type formField struct {
	focus fyne.Focusable
	entry *widget.Entry
}

// entryField is a formEntry as a form field.
func entryField(e *formEntry) formField { return formField{e, &e.Entry} }

// newFormDialog builds the dialog around items; fields are those whose
// Validator must pass, in order. Enter in a field submits the form if it
// is complete, and otherwise moves on to the next field to fill in, so
// that typing the address and pressing Enter leads to the nickname.
func newFormDialog(u *UI, title, confirm string, items []*widget.FormItem, fields []formField, onOK func()) *formDialog {
	f := &formDialog{fields: fields, onOK: onOK, u: u}
	f.dlg = dialog.NewCustomWithoutButtons(title, widget.NewForm(items...), u.win)
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.dlg.Hide)
	f.confirm = widget.NewButtonWithIcon(confirm, theme.ConfirmIcon(), f.Submit)
	f.confirm.Importance = widget.HighImportance
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.confirm})
	for i, fd := range fields {
		e := fd.entry
		prev := e.OnChanged
		e.OnChanged = func(s string) {
			if prev != nil {
				prev(s)
			}
			f.update()
		}
		e.OnSubmitted = func(string) { f.enter(i) }
		if esc, ok := fd.focus.(interface{ setOnEscape(func()) }); ok {
			esc.setOnEscape(f.dlg.Hide)
		}
	}
	f.update()
	return f
}

// valid reports whether every field passes its check.
func (f *formDialog) valid() bool {
	for i := range f.fields {
		if !f.fieldValid(i) {
			return false
		}
	}
	return true
}

func (f *formDialog) fieldValid(i int) bool {
	e := f.fields[i].entry
	return e.Validator == nil || e.Validator(e.Text) == nil
}

// enter is Enter pressed in field i: submit a complete form; else, if
// field i is fine, go to the next field that is not (the Form shows why
// a field is wrong once it was edited, so field i stays focused if it is
// the one).
func (f *formDialog) enter(i int) {
	if f.valid() {
		f.Submit()
		return
	}
	if !f.fieldValid(i) {
		return
	}
	for k := 1; k < len(f.fields); k++ {
		j := (i + k) % len(f.fields)
		if !f.fieldValid(j) {
			f.u.win.Canvas().Focus(f.fields[j].focus)
			return
		}
	}
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

// show sizes the dialog to width and shows it. With no field focused,
// Enter submits and Escape cancels.
func (f *formDialog) show(width float32) {
	f.dlg.Resize(fyne.NewSize(width, f.dlg.MinSize().Height))
	f.u.showDialog(f.dlg, f.Submit, f.dlg.Hide)
}
