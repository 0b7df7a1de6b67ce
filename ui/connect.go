package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/nickname"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// dialTimeout bounds one attempt to join from the connect dialog.
const dialTimeout = 15 * time.Second

// connectWidth is the connect dialog's width: a chat found on the
// network is one line with its room, people and host.
const connectWidth = 600

// connectDialog is the "Join a chat" form while it is open.
type connectDialog struct {
	addr  *addrEntry
	nick  *formEntry
	found *foundList
	*formDialog
}

// showConnect opens the connect dialog with the remembered values.
func (u *UI) showConnect() {
	p := u.app.Preferences()
	u.showConnectWith(p.String(prefAddr), p.String(prefNick))
}

// showConnectWith opens the connect dialog filled in with addr and nick.
func (u *UI) showConnectWith(addr, nick string) {
	if u.hosting != nil {
		u.inform("You are hosting a chat",
			"Stop hosting before joining another chat: Chat ▸ Stop hosting…", nil)
		return
	}
	if u.connect != nil {
		u.connect.dlg.Hide()
	}
	recent := u.app.Preferences().StringList(prefRecent)
	a := newAddrEntry(recent)
	a.SetPlaceHolder("host:port or a parley:// link, for example 192.168.1.20:2000")
	a.SetText(addr)
	a.Validator = checkAddr
	n := newFormEntry()
	n.SetPlaceHolder("how others will see you")
	n.SetText(nick)
	n.Validator = checkNick
	items := []*widget.FormItem{
		{Text: "Server", Widget: a, HintText: "The address the host gave you"},
		{Text: "Nickname", Widget: n, HintText: fmt.Sprintf("Letters, digits and - _ . [ ] { } | ^ `; up to %d", wire.MaxNick)},
	}
	cur := u.sess
	if cur != nil && cur.stopped {
		cur = nil
	}
	if cur != nil {
		// Joining leaves the chat the window is in: say so where the
		// choice is made.
		note := widget.NewLabel(fmt.Sprintf("You are in the chat at %s. Joining another one leaves it.", cur.addr))
		note.Wrapping = fyne.TextWrapWord
		note.TextStyle.Italic = true
		items = append([]*widget.FormItem{{Widget: note}}, items...)
	}
	// Picking a recent server leads on to the nickname.
	a.OnPick = func(string) { u.win.Canvas().Focus(n) }
	cd := &connectDialog{addr: a, nick: n}
	// A chat picked from the list is joined at once if the nickname is
	// fine; otherwise the nickname is what is left to fill in.
	cd.found = newFoundList(recent, func(addr string) {
		a.SetText(addr)
		if checkNick(n.Text) != nil {
			u.win.Canvas().Focus(n)
			return
		}
		cd.Submit()
	})
	if u.opts.Browse != nil || len(recent) > 0 {
		items = append([]*widget.FormItem{{Text: "Chats", Widget: cd.found.view}}, items...)
	}
	cd.formDialog = newFormDialog(u, "Join a chat", "Connect", items, []formField{{a, &a.Entry}, entryField(n)}, func() {
		addr, nick := linkAddr(a.Text), strings.TrimSpace(n.Text)
		if s := u.sess; s != nil && s == cur && sameAddr(addr, s.addr) && wire.FoldNick(nick) == wire.FoldNick(s.c.Nick()) {
			// Joining again would only find the nickname taken, by the
			// user's own connection.
			u.system(chatlog.KindInfo, fmt.Sprintf("You are already in the chat at %s as %s.", s.addr, s.c.Nick()))
			u.msgs.flush()
			return
		}
		if cd.needsPassword(a.Text) && u.passwordFor(addr) == "" {
			// The link or the announcement says so: ask now, not after
			// a refusal.
			u.askPassword(addr, nick, fmt.Sprintf("The chat at %s has a password.", addr))
			return
		}
		u.dial(addr, nick)
	})
	cd.dlg.SetOnClosed(func() {
		cd.found.close()
		if u.connect == cd {
			u.connect = nil
		}
	})
	u.connect = cd
	cd.show(connectWidth)
	cd.found.resized = func() { cd.dlg.Resize(fyne.NewSize(connectWidth, cd.dlg.MinSize().Height)) }
	if u.opts.Browse != nil {
		cd.found.start(u, u.opts.Browse)
	}
	if addr != "" && checkAddr(addr) == nil && cur == nil {
		u.win.Canvas().Focus(n)
	} else {
		u.win.Canvas().Focus(a)
		// Selected, so that typing another address replaces it.
		a.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

// sameAddr reports whether two addresses the user typed name the same
// server.
func sameAddr(a, b string) bool {
	pa, errA := client.ParseAddr(a)
	pb, errB := client.ParseAddr(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return pa.String() == pb.String()
}

// linkAddr is the address typed, or the address of a join link pasted
// (parley://HOST:PORT).
func linkAddr(s string) string {
	s = strings.TrimSpace(s)
	if l, err := client.ParseLink(s); err == nil {
		return l.Addr
	}
	return s
}

// checkAddr validates the address field (an address or a join link) in
// the words ParseAddr uses, without its "bad address:" prefix.
func checkAddr(s string) error {
	var err error
	if client.IsLink(s) {
		_, err = client.ParseLink(s)
	} else {
		_, err = client.ParseAddr(s)
	}
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), client.ErrBadAddress.Error()+": ")
	return errors.New(msg)
}

func checkNick(s string) error {
	_, err := nickname.Check(s)
	return err
}

// dial joins addr as nick, with a progress dialog the user may cancel.
// On success the window switches to the new chat; on failure it says why
// and opens the connect dialog again.
func (u *UI) dial(addr, nick string) {
	if u.dialing != nil {
		u.dialing()
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	u.dialing = cancel
	u.dialGen++
	gen := u.dialGen
	bar := widget.NewProgressBarInfinite()
	progress := dialog.NewCustomWithoutButtons("Connecting",
		container.NewVBox(widget.NewLabel(fmt.Sprintf("Joining %s as %s…", addr, nick)), bar), u.win)
	progress.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", cancel)})
	u.showDialog(progress, nil, cancel)
	saved := u.showSaved(addr)
	cfg := client.Config{Addr: addr, Nick: nick, Logger: u.logger.With("part", "client"), Agent: "parley/" + u.opts.Version}
	u.secureDial(&cfg, addr)
	cfg.HostKey = u.hostKeyFor(addr)
	cfg.Password = u.passwordFor(addr)
	kr := u.keyring
	go func() {
		if cfg.Password == "" {
			cfg.Password = loadPassword(kr, addr)
		}
		c, err := client.Dial(ctx, cfg)
		u.do(func() {
			cancel()
			bar.Stop()
			progress.Hide()
			if gen != u.dialGen || u.closed {
				// Superseded by another attempt, or the window is closing.
				if c != nil {
					go c.Close()
				}
				return
			}
			u.dialing = nil
			if err != nil {
				u.dialFailed(addr, nick, err)
				return
			}
			u.joined(c, addr, nick)
			if saved.epoch != "" {
				u.sess.saved = saved
			}
		})
	}()
}

// joined switches the window to a new connection.
func (u *UI) joined(c chatClient, addr, nick string) {
	if old := u.sess; old != nil {
		u.leave(fmt.Sprintf("You left the chat at %s.", old.addr))
	}
	u.msgs.unseen = 0
	if u.msgs.cut {
		// The window shows old messages of the chat left: start afresh.
		u.msgs.empty()
		u.msgs.setCut(false)
	}
	u.social.reset()
	u.sess = newSession(u, c, addr)
	u.sess.scroll.fromSeq = u.msgs.entries.FirstSeq() + uint64(u.msgs.entries.Len())
	u.sess.saved.from = u.sess.scroll.fromSeq
	if u.hosting == nil {
		u.remember(addr, nick)
	} else {
		u.app.Preferences().SetString(prefNick, nick)
	}
	u.updateState()
	u.win.Canvas().Focus(u.entry)
}

// remember stores the address and nickname, and puts the address first
// in the recent servers.
func (u *UI) remember(addr, nick string) {
	p := u.app.Preferences()
	p.SetString(prefAddr, addr)
	p.SetString(prefNick, nick)
	recent := []string{addr}
	for _, r := range p.StringList(prefRecent) {
		if r != addr && len(recent) < maxRecent {
			recent = append(recent, r)
		}
	}
	p.SetStringList(prefRecent, recent)
}

// dialFailed explains a failed join and lets the user try again.
func (u *UI) dialFailed(addr, nick string, err error) {
	if errors.Is(err, context.Canceled) {
		u.system(chatlog.KindInfo, "Connecting to "+addr+" was cancelled.")
		u.msgs.flush()
		return
	}
	if u.pinChanged(addr, nick, err) || u.passwordFailed(addr, nick, err) {
		return
	}
	text := explain(err, addr, nick)
	u.logger.Info("join failed", "addr", addr, "err", err)
	if h := u.hosting; h != nil && addr == h.local {
		// The host could not join its own chat: there is no point in
		// keeping it up.
		u.hosting = nil
		go h.stop()
		text = "The chat was started, but this window could not join it, so it was stopped: " + text
		u.updateState()
	}
	u.system(chatlog.KindError, text)
	u.msgs.flush()
	u.inform("Could not join the chat", text, func() {
		if u.sess == nil && !u.closed {
			u.showConnectWith(addr, nick)
			if errors.Is(err, client.ErrNickTaken) || errors.Is(err, client.ErrNickInvalid) {
				if u.connect != nil {
					u.win.Canvas().Focus(u.connect.nick)
				}
			}
		}
	})
}

// explain says in plain words why joining addr as nick failed.
func explain(err error, addr, nick string) string {
	switch {
	case errors.Is(err, client.ErrBadAddress):
		return strings.TrimPrefix(err.Error(), client.ErrBadAddress.Error()+": ") + "."
	case errors.Is(err, client.ErrNotEncrypted):
		return notEncryptedText(addr)
	case errors.Is(err, client.ErrRefused):
		return fmt.Sprintf("Nobody is hosting a chat at %s: the computer answered, but no chat server is running on that port. Check the address and the port number, and that the host has started the chat.", addr)
	case errors.Is(err, client.ErrNickTaken):
		// A look-alike's refusal names whom it looks like ("dаve looks
		// like dave, who is here"): "already called dаve" would not be
		// true, and the reader could not see the difference.
		if se := (*client.ServerError)(nil); errors.As(err, &se) && strings.Contains(se.Frame.Text, " looks like ") {
			return fmt.Sprintf("The nickname %s cannot be told apart from someone's in that chat (the server says: %s). Choose another nickname.",
				nick, strings.TrimRight(se.Frame.Text, "."))
		}
		return fmt.Sprintf("Someone in that chat is already called %s. Choose another nickname.", nick)
	case errors.Is(err, client.ErrNickInvalid):
		return fmt.Sprintf("The server does not accept the nickname %s. Choose another one.", nick)
	case errors.Is(err, client.ErrNotChatServer):
		return fmt.Sprintf("Something answered at %s, but it is not a chat server. Check the address and the port number.", addr)
	case errors.Is(err, client.ErrTimeout):
		return fmt.Sprintf("%s did not answer in time. The computer may be switched off, asleep, on another network, or behind a firewall.", addr)
	case errors.Is(err, client.ErrUnreachable):
		return fmt.Sprintf("%s cannot be reached from this computer (%s). Check the address, and that both computers are on the same network.", addr, errText(err))
	case errors.Is(err, client.ErrBusy):
		return "The chat server is full or busy right now. Try again in a moment."
	case errors.Is(err, client.ErrVersion):
		return "The chat server runs a version of Parley this app cannot talk to. One of you needs to update."
	}
	return "Could not join " + addr + ": " + errText(err) + "."
}

// disconnect leaves the current chat (not while hosting: stop hosting
// does that).
func (u *UI) disconnect() {
	s := u.sess
	if s == nil || u.hosting != nil {
		return
	}
	u.leave(fmt.Sprintf("You left the chat at %s.", s.addr))
}

// failPending marks the messages still waiting to be sent as not sent,
// since the connection that would have sent them is gone, and says why:
// what happened before they reached the server.
func (u *UI) failPending(why string) {
	n := u.msgs.entries.FailAll()
	if n == 0 {
		return
	}
	u.msgs.changed(false)
	text := fmt.Sprintf("1 message was not sent: %s before it reached the server.", why)
	if n > 1 {
		text = fmt.Sprintf("%d messages were not sent: %s before they reached the server.", n, why)
	}
	u.system(chatlog.KindError, text)
}

// reconnect joins the chat that ended (or gave up) again, under the same
// nickname; while the client is still waiting to reconnect, it makes the
// attempt now.
func (u *UI) reconnect() {
	s := u.sess
	if s == nil || s.connected {
		return
	}
	if !s.stopped {
		// Still trying: cut the backoff wait short ("Retry now").
		s.c.Reconnect()
		return
	}
	addr, nick := s.addr, s.c.Nick()
	u.leave("")
	u.dial(addr, nick)
}

// leave closes the current connection, if any: the user list empties
// and text, if any, says so in the log. A chat that had already ended
// (the client gave up) is left without a word: the log said why then.
func (u *UI) leave(text string) {
	s := u.sess
	if s == nil {
		return
	}
	u.saveChat(s)
	u.sess = nil
	s.close()
	u.users.clear(usersNotInChat)
	u.users.flush()
	if text != "" && !s.stopped {
		u.system(chatlog.KindInfo, text)
	}
	u.failPending("you left")
	u.msgs.flush()
	u.menuAway.Checked = false // a new chat starts active
	u.updateState()
}
