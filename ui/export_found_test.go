package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// FoundRows returns the rows of the open connect dialog's list of chats
// (found on the network, then recent), or nil.
func (u *UI) FoundRows() []*widget.Button {
	if u.connect == nil {
		return nil
	}
	var out []*widget.Button
	for _, o := range u.connect.found.box.Objects {
		if b, ok := o.(*widget.Button); ok {
			out = append(out, b)
		}
	}
	return out
}

// FoundStatus is the line above the list of chats found on the network.
func (u *UI) FoundStatus() string {
	if u.connect == nil {
		return ""
	}
	return u.connect.found.status.Text
}

// ConnectOpen reports whether the connect dialog is open.
func (u *UI) ConnectOpen() bool { return u.connect != nil }

// SessionAddr is the address of the chat the window is in, or "".
func (u *UI) SessionAddr() string {
	if u.sess == nil {
		return ""
	}
	return u.sess.addr
}

// UserNick exposes userNick.
var UserNick = userNick

// AddressesShown returns the open Addresses dialog's join link, web
// address, QR code images' bytes and the checker's text (once done, else
// "").
func (u *UI) AddressesShown() (link, web string, qrLink, qrWeb []byte, check string) {
	ad := u.addresses
	if ad == nil {
		return
	}
	if ad.qrLink != nil {
		qrLink, qrWeb = ad.qrLink.Resource.Content(), ad.qrWeb.Resource.Content()
	}
	if ad.done {
		check = ad.check.Text
	}
	return ad.link, ad.web, qrLink, qrWeb, check
}

// AddressesCopyOutside lists the open Addresses dialog's Copy buttons
// that do not lie wholly inside the window, as "row N at X..Y of W".
func (u *UI) AddressesCopyOutside() []string {
	ad := u.addresses
	if ad == nil {
		return []string{"no Addresses dialog"}
	}
	w := u.win.Canvas().Size().Width
	var out []string
	for i, b := range ad.copies {
		x := fyne.CurrentApp().Driver().AbsolutePositionForObject(b).X
		if x < 0 || x+b.Size().Width > w || b.Size().Width == 0 {
			out = append(out, fmt.Sprintf("row %d at %.0f..%.0f of %.0f", i+1, x, x+b.Size().Width, w))
		}
	}
	return out
}

// ShowAddresses opens the Addresses dialog.
func (u *UI) ShowAddresses() { u.showAddresses() }
