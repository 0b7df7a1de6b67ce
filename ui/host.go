package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2/widget"

	nethost "parley/net/hosting"
	"parley/net/password"
	"parley/net/pin"
	"parley/net/wire"
	"parley/server"
	"parley/server/store"
	"parley/ui/chatlog"
)

// stopTimeout bounds telling everyone the chat ended when hosting stops.
const stopTimeout = 3 * time.Second

// maxRoom is the longest room name the host dialog accepts, in characters.
const maxRoom = 40

// hostSettings are the choices of the host dialog.
type hostSettings struct {
	Port int  // 0 picks a free port (tests)
	LAN  bool // others on the network may join; else only this computer
	Room string
	Nick string
	// Plain lets plain-text programs join without encryption (ws://).
	Plain bool
	// NoHistory keeps the history in memory only (see hosthistory.go).
	NoHistory bool
	// troubled: the history could not be opened and the user chose to
	// host without it.
	troubled bool
	// Password, if set, is the room password (password.go).
	Password string
}

// hosting is a chat server running in this process.
type hosting struct {
	srv   *server.Server
	port  int
	lan   bool
	room  string
	local string   // the address the host's own client joins
	addrs []string // the addresses others can use
	done  chan struct{}

	key   string          // the host key, which the window's own client presents
	fp    pin.Fingerprint // the server's key; zero if not encrypted
	plain bool            // plain ws:// clients may join too
	pw    bool            // the room has a password
	// unannounce ends the announcement on the network; nil when the
	// chat is not announced.
	unannounce func()
	// db is the chat's history on disk, closed once the server has shut
	// down; nil when the history is kept in memory only.
	db *store.DB
}

// summary is the hosting bar's text. The address others need comes
// first: a narrow window cuts the end of the line off.
func (h *hosting) summary() string {
	if !h.lan {
		return fmt.Sprintf("Only this computer can join, at %s. Hosting “%s”.", h.local, h.room)
	}
	switch len(h.addrs) {
	case 0:
		return fmt.Sprintf("Hosting “%s” on port %d, but this computer has no network address others could use.", h.room, h.port)
	case 1:
		return fmt.Sprintf("Others join at %s. Hosting “%s”.", h.addrs[0], h.room)
	}
	return fmt.Sprintf("Others join at %s (or %s). Hosting “%s”.", h.addrs[0],
		plural(len(h.addrs)-1, "other address", "other addresses"), h.room)
}

// stop tells everyone the host ended the chat and closes the server.
func (h *hosting) stop() {
	// The goodbye first, so that nobody finds the chat while it ends.
	if h.unannounce != nil {
		h.unannounce()
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	h.srv.Shutdown(ctx, wire.ByeEnded, "The host ended the chat")
	if h.db != nil {
		h.db.Close()
	}
}

// showHost opens the "Host a chat" dialog.
func (u *UI) showHost() {
	if u.hosting != nil {
		u.showAddresses()
		return
	}
	p := u.app.Preferences()
	port := newFormEntry()
	port.SetText(strconv.Itoa(p.IntWithFallback(prefHostPort, wire.DefaultPort)))
	port.Validator = func(s string) error {
		_, err := parsePort(s)
		return err
	}
	const (
		optLAN   = "Let others on the network join"
		optLocal = "Only this computer"
	)
	who := widget.NewRadioGroup([]string{optLAN, optLocal}, nil)
	who.Required = true
	who.SetSelected(optLAN)
	if !p.BoolWithFallback(prefHostLAN, true) {
		who.SetSelected(optLocal)
	}
	room := newFormEntry()
	room.SetText(p.StringWithFallback(prefRoom, server.DefaultRoom))
	room.Validator = checkRoom
	nick := newFormEntry()
	nick.SetText(p.String(prefNick))
	if nick.Text == "" {
		nick.SetText(userNick(user.Current))
	}
	nick.Validator = checkNick
	plain := widget.NewCheck("Also let plain-text programs join, without encryption", nil)
	plain.SetChecked(p.Bool(prefHostPlain))
	noHistory := widget.NewCheck("Don't keep history", nil)
	noHistory.SetChecked(p.Bool(prefHostNoHistory))
	items := []*widget.FormItem{
		{Text: "Port", Widget: port, HintText: "Others need this number to join; 2000 is usual"},
		{Text: "Who may join", Widget: who},
		{Text: "Room name", Widget: room},
		{Text: "Your nickname", Widget: nick},
		{Text: "Encryption", Widget: plain, HintText: u.hostCertHint()},
		{Text: "History", Widget: noHistory, HintText: "Kept on this computer, so that hosting again shows what was said"},
	}
	// The room password: never kept in the preferences.
	pw := newPasswordEntry()
	pw.SetPlaceHolder("none: anyone who has the address may join")
	pw.Validator = checkRoomPassword
	items = append(items, &widget.FormItem{Text: "Password", Widget: pw, HintText: "Optional: a word or a PIN people must give to join"})
	d := newFormDialog(u, "Host a chat", "Start", items, []formField{entryField(port), entryField(room), entryField(nick), {pw, &pw.Entry}}, func() {
		n, _ := parsePort(port.Text)
		hs := hostSettings{Port: n, LAN: who.Selected != optLocal, Room: strings.TrimSpace(room.Text), Nick: strings.TrimSpace(nick.Text), Plain: plain.Checked, NoHistory: noHistory.Checked}
		hs.Password = pw.Text
		p.SetBool(prefHostPlain, hs.Plain)
		p.SetBool(prefHostNoHistory, hs.NoHistory)
		p.SetInt(prefHostPort, n)
		p.SetBool(prefHostLAN, hs.LAN)
		p.SetString(prefRoom, hs.Room)
		u.startHosting(hs, true)
	})
	u.hostForm = d
	u.hostNoHistory = noHistory
	d.show(480)
	// The first field to fill in has the focus, so that Enter alone
	// starts a chat with the remembered settings.
	if nick.Text == "" {
		u.win.Canvas().Focus(nick)
	} else {
		u.win.Canvas().Focus(port)
	}
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New("a port is a number from 1 to 65535")
	}
	return n, nil
}

func checkRoom(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return errors.New("the room needs a name")
	case utf8.RuneCountInString(s) > maxRoom:
		return fmt.Errorf("at most %d characters", maxRoom)
	case wire.CleanText(s) != s || strings.Contains(s, "\n"):
		return errors.New("no control characters")
	}
	return nil
}

// startHosting runs a chat server in this process and joins it. From the
// host dialog (interactive), it then shows the addresses to share; from
// the command line the hosting bar names the first one.
//
// Hosting leaves the chat the window is in, so it asks first; and it
// leaves only once the new chat's port is open: if the port is taken,
// the user is still where they were.
func (u *UI) startHosting(hs hostSettings, interactive bool) {
	if u.hosting != nil {
		return
	}
	if hs.Room == "" {
		hs.Room = server.DefaultRoom
	}
	if s := u.sess; s != nil && !s.stopped && interactive {
		u.confirm("Leave this chat?", fmt.Sprintf("Hosting will leave the chat at %s. Continue?", s.addr),
			"Leave and host", "Stay", false, func() {
				if u.sess == s && !u.closed {
					u.host(hs, interactive)
				}
			})
		return
	}
	u.host(hs, interactive)
}

// host is startHosting once the user agreed to leave the current chat.
func (u *UI) host(hs hostSettings, interactive bool) {
	if u.hosting != nil {
		return
	}
	cfg := server.Config{Room: hs.Room, Version: u.opts.Version, Logger: u.logger.With("part", "server"), HostKey: newHostKey()}
	fp, err := u.secureHost(&cfg, hs.Plain)
	if err == nil && hs.Password != "" {
		cfg.Password, err = password.New(hs.Password, password.Params{})
	}
	if err != nil {
		u.logger.Error("cannot host", "err", err)
		u.system(chatlog.KindError, "Could not start the chat: "+errText(err)+".")
		u.msgs.flush()
		u.inform("Could not start the chat", errText(err)+".", nil)
		return
	}
	u.waitHostStopped()
	var db *store.DB
	if !hs.NoHistory {
		if db, err = u.openHostHistory(); err != nil {
			u.historyTrouble(hs, interactive, err)
			return
		}
	}
	lns, err := listen(hs.Port, hs.LAN)
	if err != nil {
		if db != nil {
			db.Close()
		}
		text := explainListen(err, hs.Port)
		u.logger.Warn("cannot host", "port", hs.Port, "err", err)
		if s := u.sess; s != nil && !s.stopped {
			text += fmt.Sprintf(" You are still in the chat at %s.", s.addr)
		}
		u.system(chatlog.KindError, text)
		u.msgs.flush()
		u.updateState()
		u.inform("Could not start the chat", text, nil)
		return
	}
	port := lns[0].Addr().(*net.TCPAddr).Port
	cfg.Addr = lns[0].Addr().String()
	var srv *server.Server
	if db == nil {
		srv = server.New(cfg)
	} else {
		cfg.Store = db
		if srv, err = server.Open(cfg); err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			db.Close()
			u.historyTrouble(hs, interactive, err)
			return
		}
	}
	// Only now that the chat can start: if it cannot, the user is
	// still where they were.
	if s := u.sess; s != nil {
		u.leave(fmt.Sprintf("You left the chat at %s to host your own.", s.addr))
	}
	h := &hosting{srv: srv, port: port, lan: hs.LAN, room: hs.Room, fp: fp, plain: hs.Plain, db: db, key: cfg.HostKey, done: make(chan struct{})}
	h.pw = hs.Password != ""
	h.local = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if lns[0].Addr().(*net.TCPAddr).IP.To4() == nil && !hs.LAN {
		h.local = net.JoinHostPort("::1", strconv.Itoa(port))
	}
	if hs.LAN {
		h.addrs = nethost.LocalShareAddrs(port)
		if u.opts.Announce != nil {
			var fp string
			if !h.fp.IsZero() {
				fp = h.fp.String()
			}
			stop, err := u.opts.Announce(port, hs.Room, fp, h.pw, srv.People)
			if err != nil {
				u.logger.Warn("not announcing the chat on the network", "err", err)
				u.system(chatlog.KindInfo, fmt.Sprintf("Others will not see this chat in their list of chats on the network (%s); they can still join with the address.", errText(err)))
			} else {
				h.unannounce = stop
			}
		}
	}
	for _, ln := range lns {
		go func(ln net.Listener) {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, server.ErrClosed) {
				u.logger.Error("hosted server stopped", "addr", ln.Addr(), "err", err)
			}
		}(ln)
	}
	u.hosting = h
	u.logger.Info("hosting", "port", port, "lan", hs.LAN, "room", hs.Room, "history", db != nil)
	if hs.LAN {
		u.system(chatlog.KindInfo, fmt.Sprintf("You are hosting “%s” on port %d. Others on your network can join with one of the addresses in Chat ▸ Addresses to join….", hs.Room, port))
	} else {
		u.system(chatlog.KindInfo, fmt.Sprintf("You are hosting “%s” on port %d. Only this computer can join (%s).", hs.Room, port, h.local))
	}
	u.noteHostHistory(hs, db)
	u.msgs.flush()
	u.updateState()
	u.rememberPassword(h.local, hs.Password) // the host's own client joins with it
	u.dial(h.local, hs.Nick)
	if interactive && hs.LAN && len(h.addrs) > 0 {
		u.showAddresses()
	}
}

// listen opens the hosting sockets: every interface (one dual-stack
// socket), or only the loopback addresses.
func listen(port int, lan bool) ([]net.Listener, error) {
	if lan {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			return nil, err
		}
		return []net.Listener{ln}, nil
	}
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	port = v4.Addr().(*net.TCPAddr).Port
	lns := []net.Listener{v4}
	// IPv6 loopback is optional: some machines have IPv6 turned off.
	if v6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
		lns = append(lns, v6)
	}
	return lns, nil
}

// explainListen says in words why a port could not be opened.
func explainListen(err error, port int) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("Port %d is already in use: another program, perhaps another Parley, is listening on it. Choose another port, or close that program first.", port)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Sprintf("This computer allows only administrators to use port %d. Choose a port above 1023, such as %d.", port, wire.DefaultPort)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "This computer has no loopback network address to host on."
	}
	return fmt.Sprintf("The chat could not start on port %d: %s.", port, errText(err))
}

// confirmStopHosting asks before ending the chat for everyone.
func (u *UI) confirmStopHosting() {
	if u.hosting == nil {
		return
	}
	text := "Nobody else is in the chat. Others will no longer be able to join."
	st := u.hosting.srv.Stats()
	if others := st.Rich + st.Plain - 1; others > 0 {
		text = fmt.Sprintf("%s in the chat. Everyone will be disconnected and told that the host ended it.",
			plural(others, "other person is", "other people are"))
	}
	u.confirm("Stop hosting?", text, "Stop hosting", "Keep hosting", true, u.stopHosting)
}

// stopHosting leaves the chat and shuts the server down, telling every
// client that the host ended the chat.
func (u *UI) stopHosting() {
	h := u.hosting
	if h == nil {
		return
	}
	u.hosting = nil
	u.leave("")
	u.stopHost(h)
	u.users.clear(usersNotInChat)
	u.users.flush()
	u.system(chatlog.KindInfo, "You stopped hosting. Everyone in the chat was told that it ended.")
	u.msgs.flush()
	u.updateState()
}

// userNick makes a nickname of the name of the user logged in to the
// computer ("DOMAIN\olga" on Windows gives "olga"; "Olga Smith" gives
// "Olga_Smith"), for the host dialog when no nickname was used before.
// It is empty if nothing usable is left.
func userNick(current func() (*user.User, error)) string {
	u, err := current()
	if err != nil || u == nil {
		return ""
	}
	name := u.Username
	if i := strings.LastIndexAny(name, `\/`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Join(strings.Fields(name), "_")
	var b strings.Builder
	for _, r := range name {
		if _, err := wire.CheckNick("a" + string(r)); err == nil {
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(b.String(), "-.'")
	for utf8.RuneCountInString(name) > wire.MaxNick {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if _, err := wire.CheckNick(name); err != nil {
		return ""
	}
	return name
}
