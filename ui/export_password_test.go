package ui

import "fyne.io/fyne/v2/widget"

// PasswordPrompt returns the open password prompt's field, its show/hide
// button, its explanation, and the dialog; nils when none is open.
func (u *UI) PasswordPrompt() (*FormEntry, *widget.Button, string, Submitter) {
	d := u.pwPrompt
	if d == nil {
		return nil, nil, "", nil
	}
	return d.entry.formEntry, d.entry.reveal, d.why.Text, d
}

// HostPassword returns the open host dialog's password field and its
// show/hide button.
func (u *UI) HostPassword() (*FormEntry, *widget.Button) {
	pw := u.hostForm.fields[3].focus.(*passwordEntry)
	return pw.formEntry, pw.reveal
}

// KeyringReady reports whether the window found its keyring usable.
func (u *UI) KeyringReady() bool { return u.keyring != nil }

// PasswordKeep returns the open prompt's "remember" box, nil if it does
// not offer one.
func (u *UI) PasswordKeep() *widget.Check {
	if d := u.pwPrompt; d != nil && u.keyring != nil {
		return d.keep
	}
	return nil
}
