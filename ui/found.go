package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"parley/net/discovery"
	"parley/net/pin"
)

// maxFound bounds the rows of chats found on the network the dialog
// shows, and maxRecentRows those of recent servers (the server field's
// menu has them all): a network with more is unusual.
const (
	maxFound      = 8
	maxRecentRows = 3
	// maxListHeight is the tallest the list grows before it scrolls, so
	// that the dialog fits the window.
	maxListHeight = 200
)

// foundList is the connect dialog's list of chats to pick: those found on
// the network, updated live while the dialog is open, then the recent
// servers. Each row says how it was found; tapping one joins it.
type foundList struct {
	view   fyne.CanvasObject // what the dialog shows: status over the rows
	box    *fyne.Container   // the rows
	scroll *container.Scroll // box, scrolled when taller than maxListHeight
	status *widget.Label     // what the search found so far
	recent []string
	found  []discovery.Service
	pick   func(addr string)
	locked map[string]bool // addresses of found chats announced with a password
	browse bool            // a search of the network runs
	stop   context.CancelFunc
	// resized, if set, is called after the rows changed, so that the
	// dialog grows or shrinks with them.
	resized func()
	u       *UI // set by start
}

// placeDelay is how long after a listing changed the rows' places are
// logged: once the dialog has been laid out again.
const placeDelay = 300 * time.Millisecond

// newFoundList builds the list; pick is called with the address of the
// row tapped.
func newFoundList(recent []string, pick func(addr string)) *foundList {
	if len(recent) > maxRecentRows {
		recent = recent[:maxRecentRows]
	}
	f := &foundList{box: container.NewVBox(), status: widget.NewLabel(""), recent: recent, pick: pick}
	f.status.Wrapping = fyne.TextWrapWord
	f.status.TextStyle.Italic = true
	f.status.Hide()
	f.scroll = container.NewVScroll(f.box)
	f.view = container.NewBorder(f.status, nil, nil, nil, f.scroll)
	f.rebuild()
	return f
}

// start searches the network with browse until the dialog closes (stop).
// Listings arrive on browse's goroutine and are shown through u.do.
func (f *foundList) start(u *UI, browse func(context.Context, func([]discovery.Service)) error) {
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	f.browse = true
	f.u = u
	f.rebuild()
	go func() {
		err := browse(ctx, func(list []discovery.Service) {
			u.do(func() {
				if ctx.Err() == nil {
					f.set(list)
					f.logPlaces(ctx)
				}
			})
		})
		if err != nil && ctx.Err() == nil {
			u.logger.Warn("cannot search the network for chats", "err", err)
			u.do(func() {
				if ctx.Err() == nil {
					f.browse = false
					f.status.SetText("Cannot search the network for chats: " + errText(err) + ".")
				}
			})
		}
	}()
}

// close ends the search.
func (f *foundList) close() {
	if f.stop != nil {
		f.stop()
	}
}

// set shows a new listing of the chats found on the network.
func (f *foundList) set(list []discovery.Service) {
	f.found = list
	f.rebuild()
}

// rows are the texts and addresses of the rows, found chats first.
func (f *foundList) rows() (texts, addrs []string, found int) {
	clear(f.locked)
	for _, s := range f.found {
		addr := s.Addr()
		if addr == "" || len(texts) == maxFound {
			continue
		}
		if s.Info.Fingerprint != "" {
			// Joined with the key it announced: checked from the first
			// connection, never plain.
			addr += "?" + pin.Param + "=" + url.QueryEscape(s.Info.Fingerprint)
		}
		if s.Info.Password {
			if f.locked == nil {
				f.locked = make(map[string]bool)
			}
			f.locked[addr] = true
		}
		texts = append(texts, foundText(s))
		addrs = append(addrs, addr)
	}
	found = len(texts)
	for _, r := range f.recent {
		texts = append(texts, fmt.Sprintf("%s · recent: you joined it before", r))
		addrs = append(addrs, r)
	}
	return texts, addrs, found
}

// foundText describes a chat found on the network in one line.
func foundText(s discovery.Service) string {
	room := s.Info.Room
	if room == "" {
		room = s.Instance
	}
	var b strings.Builder
	if s.Info.Password {
		b.WriteString("🔒 ")
	}
	fmt.Fprintf(&b, "%s · %s", room, plural(s.Info.People, "person", "people"))
	if s.Host != "" {
		fmt.Fprintf(&b, " · on %s", s.Host)
	}
	if s.Info.Fingerprint != "" {
		b.WriteString(" · encrypted")
	}
	b.WriteString(" · found on your network")
	if s.Iface != "" {
		fmt.Fprintf(&b, " (%s)", s.Iface)
	}
	return b.String()
}

func (f *foundList) rebuild() {
	texts, addrs, found := f.rows()
	if f.browse {
		if found == 0 {
			f.status.SetText("Looking for chats on your network… none found yet. You can also type the address the host gave you.")
		} else {
			f.status.SetText(fmt.Sprintf("%s on your network: click one to join.", plural(found, "chat", "chats")))
		}
		f.status.Show()
	}
	objs := make([]fyne.CanvasObject, 0, len(texts))
	for i, text := range texts {
		addr := addrs[i]
		icon := theme.HistoryIcon()
		if i < found {
			icon = theme.ComputerIcon()
		}
		b := widget.NewButtonWithIcon(text, icon, func() { f.pick(addr) })
		b.Alignment = widget.ButtonAlignLeading
		objs = append(objs, b)
	}
	f.box.Objects = objs
	f.box.Refresh()
	f.scroll.SetMinSize(fyne.NewSize(0, min(f.box.MinSize().Height, maxListHeight)))
	if f.resized != nil {
		f.resized()
	}
}

// logPlaces logs, at debug level, each chat found and where its row is
// drawn in the window: what a person sees, for the log and for the
// end-to-end script that clicks a row as a person would.
func (f *foundList) logPlaces(ctx context.Context) {
	u := f.u
	found := len(f.found)
	u.logger.Debug("chats found on the network", "n", found)
	time.AfterFunc(placeDelay, func() {
		u.do(func() {
			if ctx.Err() != nil {
				return
			}
			_, addrs, n := f.rows()
			for i, o := range f.box.Objects {
				b, ok := o.(*widget.Button)
				if !ok || i >= n {
					continue
				}
				pos := u.app.Driver().AbsolutePositionForObject(b)
				size := b.Size()
				u.logger.Debug("chat listed", "text", b.Text, "addr", addrs[i],
					"x", int(pos.X), "y", int(pos.Y), "w", int(size.Width), "h", int(size.Height))
			}
		})
	})
}
