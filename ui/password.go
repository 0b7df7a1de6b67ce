package ui

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/password"
	"parley/ui/chatlog"
)

// The room password in the window (docs/PROTOCOL.md, "Room password").
//
// A password given for an address is kept in memory for as long as the
// window is open, so that joining the same chat again does not ask
// again. It is written nowhere else, unless the person asks to remember
// it and the system has a keyring (keyring.go); the dialog says which.

// passwordKey is the address a remembered password belongs to.
func passwordKey(addr string) string {
	if u, err := client.ParseAddr(addr); err == nil {
		return u.Host
	}
	return addr
}

// passwordFor returns the password given for addr in this run, or "".
func (u *UI) passwordFor(addr string) string { return u.passwords[passwordKey(addr)] }

// rememberPassword keeps pw for addr until the window closes.
func (u *UI) rememberPassword(addr, pw string) {
	if u.passwords == nil {
		u.passwords = make(map[string]string)
	}
	if pw == "" {
		delete(u.passwords, passwordKey(addr))
		return
	}
	u.passwords[passwordKey(addr)] = pw
}

// passwordEntry is a password field with a button that shows or hides
// what is typed.
type passwordEntry struct {
	*formEntry
	reveal *widget.Button
}

func newPasswordEntry() *passwordEntry {
	e := &passwordEntry{formEntry: newFormEntry()}
	e.Password = true
	e.reveal = widget.NewButtonWithIcon("", theme.VisibilityIcon(), e.toggle)
	e.reveal.Importance = widget.LowImportance
	e.ActionItem = e.reveal
	return e
}

// toggle shows the password if it is hidden, and hides it if shown.
func (e *passwordEntry) toggle() {
	e.Password = !e.Password
	if e.Password {
		e.reveal.SetIcon(theme.VisibilityIcon())
	} else {
		e.reveal.SetIcon(theme.VisibilityOffIcon())
	}
	e.Refresh()
}

// passwordDialog is the open password prompt, for tests.
type passwordDialog struct {
	entry *passwordEntry
	why   *widget.Label
	keep  *widget.Check // shown only when there is a keyring
	*formDialog
}

// askPassword asks for addr's password, then joins it as nick. why says
// what happened (none was given, the last was wrong).
func (u *UI) askPassword(addr, nick, why string) {
	pw := newPasswordEntry()
	pw.SetPlaceHolder("the password the host gave you")
	pw.Validator = func(s string) error {
		if s == "" {
			return errors.New("type the password")
		}
		return nil
	}
	label := widget.NewLabel(why)
	label.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{
		{Widget: label},
		{Text: "Password", Widget: pw},
	}
	keep := widget.NewCheck("Remember it in the system keyring", nil)
	kept := widget.NewLabel("Parley keeps it in memory until you close this window, and never on disk: " +
		"this computer has no system keyring Parley can use.")
	if u.keyring != nil {
		kept.SetText("Otherwise Parley keeps it in memory until you close this window, and never on disk.")
		items = append(items, &widget.FormItem{Widget: keep})
	}
	kept.Wrapping = fyne.TextWrapWord
	kept.TextStyle.Italic = true
	items = append(items, &widget.FormItem{Widget: kept})
	d := &passwordDialog{entry: pw, why: label, keep: keep}
	d.formDialog = newFormDialog(u, "This chat has a password", "Join", items, []formField{{pw, &pw.Entry}}, func() {
		u.rememberPassword(addr, pw.Text)
		if keep.Checked {
			u.keepPassword(addr, pw.Text)
		}
		u.dial(addr, nick)
	})
	d.dlg.SetOnClosed(func() {
		if u.pwPrompt == d {
			u.pwPrompt = nil
		}
	})
	u.pwPrompt = d
	d.show(440)
	// The wrapped labels measured their height at their narrowest: once
	// laid out at the dialog's width they need less.
	d.dlg.Resize(fyne.NewSize(440, 0))
	u.win.Canvas().Focus(pw)
}

// passwordFailed handles a join that failed for the password: it asks
// for it (again), or says how long the lock-out lasts. It reports whether
// err was the password's.
func (u *UI) passwordFailed(addr, nick string, err error) bool {
	var lo *client.LockedOutError
	switch {
	case errors.As(err, &lo):
		u.rememberPassword(addr, "")
		u.keepPassword(addr, "")
		text := fmt.Sprintf("Too many wrong passwords were tried from this computer's address at %s. "+
			"The chat will hear a password again in %s. Ask the host for the right one meanwhile.", addr, lockoutWait(lo.Retry))
		u.system(chatlog.KindError, text)
		u.msgs.flush()
		u.inform("Locked out of the chat", text, nil)
	case errors.Is(err, client.ErrPasswordWrong):
		u.rememberPassword(addr, "")
		u.keepPassword(addr, "")
		u.system(chatlog.KindError, "The password for "+addr+" was not right.")
		u.msgs.flush()
		u.askPassword(addr, nick, fmt.Sprintf("That password was not right for the chat at %s. Check it with the host and type it again: "+
			"after a few wrong ones, the chat stops listening for a while.", addr))
	case errors.Is(err, client.ErrPasswordNeeded):
		u.askPassword(addr, nick, fmt.Sprintf("The chat at %s needs a password to join.", addr))
	default:
		return false
	}
	return true
}

// lockoutWait says a lock-out's length for people.
func lockoutWait(d time.Duration) string {
	if d >= 2*time.Minute {
		return plural(int((d+time.Minute-1)/time.Minute), "minute", "minutes")
	}
	return plural(max(1, int((d+time.Second-1)/time.Second)), "second", "seconds")
}

// checkRoomPassword checks the host dialog's password field: empty (no
// password) or what a server can keep.
func checkRoomPassword(s string) error {
	if len(s) > password.MaxPassword {
		return fmt.Errorf("at most %d bytes", password.MaxPassword)
	}
	return nil
}

// needsPassword reports whether the address typed or picked is a chat
// known to have a password: a join link with pw=1, or a chat announced
// with the pw flag.
func (cd *connectDialog) needsPassword(text string) bool {
	if l, err := client.ParseLink(text); err == nil && l.NeedsPassword {
		return true
	}
	return cd.found != nil && cd.found.locked[text]
}
