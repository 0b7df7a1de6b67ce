package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"parley/net/client"
	nethost "parley/net/hosting"
)

// qrPixels is the side of a QR code image; qrSize the size it is shown at.
const (
	qrPixels = 256
	qrSize   = 150
	// checkTimeout bounds the connection check the dialog runs.
	checkTimeout = 5 * time.Second
)

// addressesDialog is the "Addresses to join" dialog while it is open.
type addressesDialog struct {
	link, web string        // the join link and web address shown; empty when local only
	qrLink    *canvas.Image // QR code of the join link
	qrWeb     *canvas.Image // QR code of the web address
	check     *widget.Label // the connection checker's findings
	done      bool          // the check finished
	dlg       dialog.Dialog
	copies    []*widget.Button // each row's Copy button, in order
}

// showAddresses lists where others can join, each with a copy button, the
// join link and the web address with a QR code each, and what the
// connection checker finds.
func (u *UI) showAddresses() {
	h := u.hosting
	if h == nil {
		return
	}
	ad := &addressesDialog{}
	rows := container.NewVBox()
	clip := u.app.Clipboard()
	addRow := func(label, text string) {
		l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		l.Selectable = true
		// A join link carries the key and is longer than the dialog is
		// wide: it breaks across lines rather than push the Copy button
		// out of the window (TestAddressesDialogFits).
		l.Wrapping = fyne.TextWrapBreak
		var copyBtn *widget.Button
		copyBtn = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
			clip.SetContent(text)
			copyBtn.SetText("Copied")
		})
		var left fyne.CanvasObject
		if label != "" {
			left = widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		}
		ad.copies = append(ad.copies, copyBtn)
		rows.Add(container.NewBorder(nil, nil, left, copyBtn, l))
	}
	var intro string
	first := h.local
	switch {
	case !h.lan:
		intro = "Only this computer can join this chat. Start Parley again and connect to:"
		addRow("", h.local)
	case len(h.addrs) == 0:
		intro = "This computer has no network address others could use: it seems not to be on a network. On this computer, connect to:"
		addRow("", h.local)
	default:
		intro = fmt.Sprintf("Others on your network can join “%s” with one of these addresses (the first one usually works):", h.room)
		for _, a := range h.addrs {
			addRow("", a)
		}
		first = h.addrs[0]
	}
	ad.web = client.WebAddress(first)
	var fp string
	if !h.fp.IsZero() {
		// Encrypted: the page is https, and the link carries the key,
		// so that a join from it is checked from the first connection.
		ad.web = "https" + strings.TrimPrefix(ad.web, "http")
		fp = h.fp.String()
	}
	var codes fyne.CanvasObject = container.NewVBox()
	if h.lan && len(h.addrs) > 0 {
		ad.link = client.Link{Addr: first, Fingerprint: fp}.String()
		addRow("Join link", ad.link)
		addRow("Web address", ad.web)
		ad.qrLink = qrImage(ad.link)
		ad.qrWeb = qrImage(ad.web)
		codes = container.NewGridWithColumns(2,
			container.NewBorder(nil, caption("Scan to join in Parley"), nil, nil, ad.qrLink),
			container.NewBorder(nil, caption("Scan to join from a browser"), nil, nil, ad.qrWeb))
	} else {
		addRow("Web address", ad.web)
	}
	note := widget.NewLabel(plainNote(h) + " The join link opens Parley and joins; a browser opens the web address.")
	note.Wrapping = fyne.TextWrapWord
	// Italic, not LowImportance: that draws in the theme's disabled
	// colour, which the light theme makes all but invisible.
	note.TextStyle.Italic = true
	top := widget.NewLabel(intro)
	top.Wrapping = fyne.TextWrapWord

	ad.check = widget.NewLabel("Checking the connection…")
	ad.check.Wrapping = fyne.TextWrapWord
	checkBox := container.NewBorder(widget.NewLabelWithStyle("Connection check", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, ad.check)
	body := container.NewVBox(top, rows, codes, note, u.fingerprintBox(h), checkBox)
	scroll := container.NewVScroll(body)
	scroll.SetMinSize(fyne.NewSize(560, 380))
	d := dialog.NewCustom("Addresses to join", "Close", scroll, u.win)
	ad.dlg = d
	u.addresses = ad
	d.SetOnClosed(func() {
		if u.addresses == ad {
			u.addresses = nil
		}
	})
	u.showDialog(d, d.Hide, d.Hide)
	if h.lan {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
			defer cancel()
			rep := nethost.Check(ctx, h.port)
			u.do(func() {
				ad.check.SetText(checkText(rep))
				ad.done = true
			})
		}()
	} else {
		ad.check.SetText("Only this computer can join, so there is nothing to check on the network.")
		ad.done = true
	}
}

// checkText is the checker's report in the dialog's words: the
// addresses that answered or not, then the advice, then the interfaces.
func checkText(r nethost.Report) string {
	var b strings.Builder
	if len(r.Share) > 0 {
		fmt.Fprintf(&b, "Address to share: %s\n", r.Share[0])
	}
	for _, res := range r.Results {
		if res.Err != nil {
			fmt.Fprintf(&b, "✗ %s does not answer: %s\n", res.Addr, errText(res.Err))
		} else {
			fmt.Fprintf(&b, "✓ %s answers\n", res.Addr)
		}
	}
	for _, a := range r.Advice {
		fmt.Fprintf(&b, "• %s\n", a)
	}
	var ifaces []string
	for _, i := range r.Ifaces {
		if i.Kind == nethost.Loopback || len(i.Addrs) == 0 {
			continue
		}
		var as []string
		for _, a := range i.Addrs {
			as = append(as, a.String())
		}
		kind := i.Kind.String()
		if i.LinkLocal() {
			kind += ", link-local only"
		}
		if !i.Up {
			kind += ", down"
		}
		ifaces = append(ifaces, fmt.Sprintf("%s (%s): %s", i.Name, kind, strings.Join(as, ", ")))
	}
	if len(ifaces) > 0 {
		b.WriteString("Interfaces: " + strings.Join(ifaces, "; ") + ".")
	}
	return strings.TrimSpace(b.String())
}

// qrImage draws text as a QR code.
func qrImage(text string) *canvas.Image {
	png, err := qrcode.Encode(text, qrcode.Medium, qrPixels)
	if err != nil {
		// Only text too long for a QR code fails; a link is short.
		return canvas.NewImageFromResource(theme.BrokenImageIcon())
	}
	img := canvas.NewImageFromResource(fyne.NewStaticResource("qr.png", png))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(qrSize, qrSize))
	return img
}

func caption(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
}
