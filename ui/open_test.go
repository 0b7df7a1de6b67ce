package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"parley/ui"
)

// rememberedApp returns a test app that remembers a server (remembered),
// so that a window opens without the connect dialog.
func rememberedApp(t *testing.T) fyne.App {
	t.Helper()
	return ui.RememberingApp(t, "127.0.0.1:1", "someone")
}

// joinedUI opens a window on an app that remembers a server (so no
// connect dialog opens), dials addr as nick and waits until it has
// joined: the opening most window tests share.
func joinedUI(t *testing.T, addr, nick string) (*ui.UI, *ui.Pump) {
	t.Helper()
	rememberedApp(t)
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, nick)
	waitFor(t, "joining "+addr+" as "+nick, u.Connected, p)
	return u, p
}

// hostingUI opens a window on an app that remembers a server and hosts
// room in it as nick (public: on every address, not only loopback),
// waiting until the host has joined its own chat.
func hostingUI(t *testing.T, public bool, room, nick string) (*ui.UI, *ui.Pump) {
	t.Helper()
	rememberedApp(t)
	u, p := newUI(t, ui.Options{})
	u.StartHosting(0, public, room, nick)
	waitFor(t, "hosting "+room+" as "+nick, u.Connected, p)
	return u, p
}

// focusedCompose returns a compose box alone in a 400×200 window, focused,
// for tests of its keys.
func focusedCompose(t *testing.T) *ui.ComposeEntry {
	t.Helper()
	test.NewTempApp(t)
	e := ui.NewComposeEntry()
	w := test.NewTempWindow(t, e)
	w.Resize(fyne.NewSize(400, 200))
	w.Canvas().Focus(e)
	return e
}
