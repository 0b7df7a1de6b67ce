package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/pin"
)

// Handles on the encryption parts of the window, for the external tests.

// PinWarning returns the buttons of the warning about a changed key, and
// whether it is showing (on the window's overlays).
func (u *UI) PinWarning() (cancel, trust *widget.Button, shown bool) {
	w := u.pinWarn
	if w == nil {
		return nil, nil, false
	}
	for _, o := range u.win.Canvas().Overlays().List() {
		if contains(o, w.trust) {
			return w.cancel, w.trust, true
		}
	}
	return w.cancel, w.trust, false
}

// contains reports whether target is o or among its descendants.
func contains(o, target fyne.CanvasObject) bool {
	if o == target {
		return true
	}
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			if contains(c, target) {
				return true
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			if contains(c, target) {
				return true
			}
		}
	}
	return false
}

// HostFingerprint is the hosted chat's key, zero if not encrypted.
func (u *UI) HostFingerprint() pin.Fingerprint { return u.hosting.fp }

// StartHostingPlain hosts with plain ws:// clients allowed too.
func (u *UI) StartHostingPlain(port int, lan bool, room, nick string) {
	u.startHosting(hostSettings{Port: port, LAN: lan, Room: room, Nick: nick, Plain: true}, false)
}

// Encrypted reports whether the current connection is TLS, and its key.
func (u *UI) Encrypted() (bool, pin.Fingerprint) {
	if u.sess == nil {
		return false, pin.Fingerprint{}
	}
	c, ok := u.sess.c.(*client.Client)
	if !ok {
		return false, pin.Fingerprint{}
	}
	return c.Security()
}

// Pins is the window's pin store.
func (u *UI) Pins() pin.Store { return u.pins() }

// HostCertHint is the Host dialog's line under the encryption switch.
func (u *UI) HostCertHint() string { return u.hostCertHint() }
