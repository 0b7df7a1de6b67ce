package ui

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/pin"
	"parley/server"
	"parley/ui/chatlog"
)

// Encryption in the window: hosting serves TLS with the app's own
// self-signed certificate (made once, kept in the app's folder), and
// joining checks servers' keys against pins kept in the preferences. The
// warning when a key changes is here too.

// Preference keys of this file.
const (
	// prefPins holds the pinned keys, one "host:port fingerprint" a line.
	prefPins = "tls.pins"
	// prefHostPlain remembers "also let plain-text programs join".
	prefHostPlain = "host.plain"
)

// prefPinStore is the window's known hosts, kept in the app's
// preferences. Fyne's preferences are safe for concurrent use; pinsMu
// makes each read-modify-write of the list whole, since clients pin from
// their own goroutines.
type prefPinStore struct{ p fyne.Preferences }

var pinsMu sync.Mutex

// Lookup implements pin.Store.
func (s prefPinStore) Lookup(hostport string) (pin.Fingerprint, bool) {
	pinsMu.Lock()
	defer pinsMu.Unlock()
	key := pin.Key(hostport)
	for _, line := range s.p.StringList(prefPins) {
		h, fp, ok := strings.Cut(line, " ")
		if ok && h == key {
			f, err := pin.Parse(fp)
			return f, err == nil
		}
	}
	return pin.Fingerprint{}, false
}

// Pin implements pin.Store.
func (s prefPinStore) Pin(hostport string, fp pin.Fingerprint) error {
	pinsMu.Lock()
	defer pinsMu.Unlock()
	key := pin.Key(hostport)
	lines := []string{key + " " + fp.String()}
	for _, line := range s.p.StringList(prefPins) {
		if h, _, _ := strings.Cut(line, " "); h != key {
			lines = append(lines, line)
		}
	}
	s.p.SetStringList(prefPins, lines)
	return nil
}

// pins returns the window's pin store.
func (u *UI) pins() pin.Store { return prefPinStore{u.app.Preferences()} }

// certDir is the folder of the hosting certificate: Options.DataDir, or
// the app's storage folder, under server.TLSDir.
func (u *UI) certDir() string { return filepath.Join(u.dataDir(), server.TLSDir) }

// dataDir is the window's data folder: Options.DataDir, or the app's
// storage folder.
func (u *UI) dataDir() string {
	if u.opts.DataDir != "" {
		return u.opts.DataDir
	}
	return u.app.Storage().RootURI().Path()
}

// hostCert returns the certificate the window hosts with, made on first
// use, and its fingerprint.
func (u *UI) hostCert() (tls.Certificate, pin.Fingerprint, error) {
	cert, err := pin.LoadOrCreate(u.certDir())
	if err != nil {
		return cert, pin.Fingerprint{}, err
	}
	fp, err := pin.CertFingerprint(cert)
	return cert, fp, err
}

// secureHost sets the hosted server's TLS from the window's certificate.
// plain lets plain-text programs (ws://) join too.
func (u *UI) secureHost(cfg *server.Config, plain bool) (pin.Fingerprint, error) {
	cert, fp, err := u.hostCert()
	if err != nil {
		return fp, fmt.Errorf("the chat's certificate could not be made or read in %s: %w", u.certDir(), err)
	}
	cfg.TLS = server.NewTLSConfig(cert)
	cfg.AllowPlain = plain
	return fp, nil
}

// secureDial gives a connection the pin store, and for the chat this
// window hosts, the key it knows its server has.
func (u *UI) secureDial(cfg *client.Config, addr string) {
	cfg.Pins = u.pins()
	if h := u.hosting; h != nil && addr == h.local && !h.fp.IsZero() {
		cfg.Fingerprint = h.fp
	}
}

// fingerprintText is how the window shows a key: the code, then the
// words.
func fingerprintText(fp pin.Fingerprint) string {
	return fp.Code() + "\n" + strings.Join(fp.Words(), " ")
}

// fingerprintBox shows the hosted chat's key for people to compare, and
// what plain-text programs should connect to.
func (u *UI) fingerprintBox(h *hosting) fyne.CanvasObject {
	if h.fp.IsZero() {
		return widget.NewLabel("This chat is not encrypted.")
	}
	intro := widget.NewLabel("The chat is encrypted. People joining can check that they reached your computer, and not an impostor, by comparing this code (or these words) with the one their Parley shows:")
	intro.Wrapping = fyne.TextWrapWord
	code := widget.NewLabelWithStyle(fingerprintText(h.fp), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	code.Selectable = true
	return container.NewVBox(intro, code)
}

// plainNote tells people using other WebSocket programs what to connect
// to.
func plainNote(h *hosting) string {
	switch {
	case h.fp.IsZero():
		return "In Parley, type the address as shown. Other WebSocket programs (websocat, a browser console) use ws://ADDRESS/ and get the plain-text chat."
	case h.plain:
		return "In Parley, type the address as shown. Other WebSocket programs use wss://ADDRESS/ (encrypted, with a self-signed certificate) or ws://ADDRESS/ (not encrypted), and get the plain-text chat."
	}
	return "In Parley, type the address as shown. Other WebSocket programs use wss://ADDRESS/ (a self-signed certificate: tell them not to verify it by authority, or to check the code) and get the plain-text chat."
}

// pinChanged shows the warning for a changed key, if err is one, and
// reports whether it was. Nothing connects until the person decides: Cancel
// leaves things as they are; trusting pins the key the server presented
// now (only that one: a third key warns again) and joins addr as nick.
func (u *UI) pinChanged(addr, nick string, err error) bool {
	var pm *client.PinMismatchError
	if !errors.As(err, &pm) {
		return false
	}
	u.logger.Warn("server key changed", "addr", addr, "host", pm.Host, "want", pm.Want.Code(), "got", pm.Got.Code())
	expected := "the one this computer saw there before"
	if pm.FromLink {
		expected = "the one in the link or code you joined with"
	}
	u.system(chatlog.KindError, fmt.Sprintf("Did not join %s: its certificate is not %s. Someone may be intercepting the connection.", addr, expected))
	u.msgs.flush()

	title := widget.NewLabelWithStyle("The chat's certificate has changed", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text := widget.NewLabel(fmt.Sprintf("The computer answering at %s presented a certificate other than %s. "+
		"Someone on this network may be pretending to be the chat, to read or change what is said. "+
		"It can also mean that the host started Parley afresh (a new computer, or its settings were deleted).\n\n"+
		"Ask the host, in person or by phone, to read out the code in their “Addresses to join” window, "+
		"and compare it with the new one below. If you cannot ask, cancel.", pm.Host, expected))
	text.Wrapping = fyne.TextWrapWord
	codes := widget.NewForm(
		widget.NewFormItem("Expected", monospace(fingerprintText(pm.Want))),
		widget.NewFormItem("Presented now", monospace(fingerprintText(pm.Got))),
	)
	var d *dialog.CustomDialog
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	cancel.Importance = widget.HighImportance
	trust := widget.NewButton("Trust the new certificate", func() {
		d.Hide()
		if err := u.pins().Pin(pm.Host, pm.Got); err != nil {
			u.logger.Warn("could not pin", "err", err)
		}
		u.logger.Info("new key trusted", "host", pm.Host, "fingerprint", pm.Got.Code())
		u.dial(withoutFingerprint(addr), nick)
	})
	trust.Importance = widget.DangerImportance
	d = dialog.NewCustomWithoutButtons("Warning", container.NewVBox(title, text, codes), u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, trust})
	d.Resize(fyne.NewSize(520, 0))
	u.pinWarn = &pinWarning{d: d, cancel: cancel, trust: trust}
	// Enter and Escape both cancel: trusting takes a deliberate click.
	u.showDialog(d, d.Hide, d.Hide)
	return true
}

// pinWarning is the open warning about a changed key, for tests.
type pinWarning struct {
	d             *dialog.CustomDialog
	cancel, trust *widget.Button
}

func monospace(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	return l
}

// withoutFingerprint removes the fp parameter from an address, for a
// join after the person trusted a key other than the link's.
func withoutFingerprint(addr string) string {
	base, query, ok := strings.Cut(addr, "?")
	if !ok {
		return addr
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return addr
	}
	q.Del(pin.Param)
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// hostCertHint is the Host dialog's line under the encryption switch:
// the code people will compare, made now if this is the first time.
func (u *UI) hostCertHint() string {
	_, fp, err := u.hostCert()
	if err != nil {
		return "Encrypted; the certificate could not be read: " + errText(err)
	}
	return "Encrypted. Code to compare: " + fp.Code()
}

// noteSecurity says in the log whether the connection is encrypted, and
// with which key, when that is news: on the first connection, and if it
// changes on a reconnect. The code is what the person compares with the
// host's.
func (s *session) noteSecurity() {
	c, ok := s.c.(interface {
		Security() (bool, pin.Fingerprint)
	})
	if !ok {
		return
	}
	enc, fp := c.Security()
	kind, text := chatlog.KindWarn, "This connection is not encrypted: others on the network could read the chat."
	if enc {
		kind = chatlog.KindInfo
		text = fmt.Sprintf("This connection is encrypted. The host's code is %s (%s); ask the host if in doubt that theirs is the same.",
			fp.Code(), strings.Join(fp.Words(), " "))
	}
	if text == s.security {
		return
	}
	s.security = text
	s.u.system(kind, text)
}

// notEncryptedText explains a known-encrypted chat that answered in the
// clear.
func notEncryptedText(addr string) string {
	return fmt.Sprintf("The chat at %s is known to be encrypted (you joined it before, or your link carries its code), "+
		"but this time it answered without encryption, so Parley did not connect. "+
		"Someone on the network may be trying to read the chat; or the host turned encryption off. Ask the host.", addr)
}
