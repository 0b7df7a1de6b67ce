// Package ui is Parley's desktop window, built with Fyne: the message
// list, the compose box, the user list, the connect and host dialogs and
// the menus. It joins a chat through net/client and hosts one by running
// the server package in-process.
//
// Network goroutines never touch widgets: each connection's events are
// drained by one goroutine into a queue, and at most once per frame the
// queue is applied on the UI goroutine (through fyne.Do) followed by one
// list refresh.
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"parley/assets"
	"parley/net/discovery"
	"parley/net/nickname"
	"parley/net/wire"
	"parley/ui/chatlog"
	_ "parley/ui/drawcache" // sets FYNE_CACHE before Fyne reads it
)

// Preference keys.
const (
	prefNick     = "nick"
	prefAddr     = "addr"
	prefRecent   = "recent"
	prefNotify   = "notify"
	prefHostPort = "host.port"
	prefHostLAN  = "host.lan"
	prefRoom     = "host.room"
	maxRecent    = 8
)

// Options configure a window. The zero value opens an idle window that
// asks where to connect (unless it remembers a server).
type Options struct {
	// Connect, if set, is the address to join at once (-connect), as Nick
	// (or the remembered nickname).
	Connect string
	// Nick is the nickname for Connect and Host.
	Nick string
	// Host starts hosting a chat at once (-host) on Port.
	Host bool
	// Port is the port to host on; zero means wire.DefaultPort.
	Port int
	// Local, with Host, lets only this computer join (listen on loopback).
	Local bool
	// Room is the hosted room's name; empty means "Parley".
	Room string
	// Logger receives the window's, the client's and the hosted server's
	// logs; nil discards them.
	Logger *slog.Logger
	// Version is the app's version, sent to servers as "parley/<Version>".
	Version string
	// MaxMessages bounds the messages kept in memory (chatlog.DefaultMaxMessages
	// when zero).
	MaxMessages int
	// Notify sends a desktop notification; nil uses the app's
	// SendNotification. Tests record notifications through it.
	Notify func(*fyne.Notification)
	// DataDir is the folder of the hosting certificate and of the hosted
	// chat's history (see hosthistory.go); empty means the app's storage
	// folder.
	DataDir string
	// NoHistory, with Host, keeps the hosted chat's history in memory
	// only (-no-history); otherwise the Host dialog's remembered choice
	// holds.
	NoHistory bool

	// Announce, if set, announces a chat hosted for the network (not one
	// for this computer only) on port, with the server's key fp
	// (pin.Fingerprint.String(); empty if not encrypted), reading the
	// people count from people; the function it returns ends the
	// announcement with a goodbye; pw says the room has a password (the
	// TXT record's pw flag). main passes net/discovery's; nil
	// announces nothing (tests, which must not send multicast on the
	// machine's network).
	Announce func(port int, room, fp string, pw bool, people func() int) (stop func(), err error)
	// Keyring, if set, is where the window may remember room passwords
	// (SystemKeyring in main); nil: it remembers them only while open.
	Keyring Keyring
	// Browse, if set, lists the chats announced on the network for the
	// connect dialog, calling onChange from its own goroutine with each
	// new listing, until ctx ends. main passes net/discovery's Browse.
	Browse func(ctx context.Context, onChange func([]discovery.Service)) error
}

// UI is a Parley window and everything it runs: at most one connection
// and at most one hosted server.
type UI struct {
	app  fyne.App
	win  fyne.Window
	opts Options
	// logger receives the window's diagnostics (Options.Logger), not
	// the chat: that is msgs.entries.
	logger *slog.Logger
	// do runs a function on the UI goroutine: fyne.Do, or in tests a
	// queue the test drains. Once ending is set it runs nothing.
	do func(func())
	// ending is set when Fyne's loop is about to end or has ended (End,
	// Close, ShowAndRun returning). From then on fyne.Do may run a
	// function on the calling goroutine instead of the UI one (it does
	// once the loop has stopped), and a window update made there calls
	// GLFW off its thread after it was terminated: a window quit by
	// SIGTERM while messages arrived hung there (e2e-discovery's carl).
	ending atomic.Bool
	now    func() time.Time

	msgs      *messageList
	entry     *composeEntry
	sendBtn   *widget.Button
	hint      *widget.Label
	status    *widget.Label
	actions   *fyne.Container
	users     *userList
	social    *social // private conversations, the topic, moderation (direct.go, moderation.go)
	hostBar   *fyne.Container
	hostLabel *widget.Label

	menuConnect, menuDisconnect, menuHost, menuStop, menuAddrs, menuNotify, menuAway, menuSearch, menuSaving *fyne.MenuItem

	sess    *session // the current connection, nil when none
	hosting *hosting // the hosted server, nil when none
	connect *connectDialog
	// addresses is the Addresses dialog while it is open.
	addresses *addressesDialog
	// dialogs are the open dialogs, newest last, with what Enter and
	// Escape do in them.
	dialogs []*keyedDialog
	// searching is the open search dialog, if any.
	searching *search
	// hostForm is the last host dialog (for tests).
	hostForm *formDialog
	pinWarn  *pinWarning        // the last warning about a changed key (for tests)
	dialing  context.CancelFunc // cancels a Dial in progress
	dialGen  int                // tells the current Dial from superseded ones

	// after runs f on the UI goroutine d from now; tests replace it.
	after func(d time.Duration, f func())
	// relax gives memory back after a flood, once the chat is quiet.
	relax *quiet
	// blink ends the cursor's blinking a while after the last input;
	// holdGen tells the current hold of the cursor from ended ones.
	blink   *quiet
	holdGen int

	// hostStopped is closed when the last hosted server has stopped and
	// closed its history (see stopHost); nil when none is stopping.
	hostStopped chan struct{}
	// hostNoHistory is the last host dialog's history switch (for tests).
	hostNoHistory *widget.Check

	focused  bool
	unread   int
	notifier *notifier
	lastDay  string
	closed   bool

	// The room password (password.go): the passwords given in this run,
	// by address, and the open prompt (for tests).
	passwords map[string]string
	pwPrompt  *passwordDialog
	keyring   Keyring // opts.Keyring once it was found to work (keyring.go)
}

// New builds the main window for a (test.NewApp() in tests) and starts
// what opts ask for. Show the window with u.Window().ShowAndRun().
func New(a fyne.App, opts Options) *UI {
	tuneMemory()
	return newUI(a, opts, fyne.Do)
}

func newUI(a fyne.App, opts Options, do func(func())) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	u := &UI{app: a, opts: opts, logger: opts.Logger, now: time.Now, focused: true}
	u.do = func(f func()) {
		do(func() {
			if !u.ending.Load() {
				f()
			}
		})
	}
	notify := opts.Notify
	if notify == nil {
		notify = a.SendNotification
	}
	u.notifier = newNotifier(notify, u.now, func(d time.Duration, f func()) {
		time.AfterFunc(d, func() { u.do(f) })
	})
	u.notifier.enabled = a.Preferences().BoolWithFallback(prefNotify, true)
	u.after = func(d time.Duration, f func()) { time.AfterFunc(d, func() { u.do(f) }) }
	after := func(d time.Duration, f func()) { u.after(d, f) }
	now := func() time.Time { return u.now() }
	u.relax = &quiet{wait: quietAfter, now: now, after: after, run: u.giveBack}
	u.blink = &quiet{wait: cursorBlinkFor, now: now, after: after, run: u.holdCursor}

	u.win = a.NewWindow("Parley")
	icon := fyne.NewStaticResource(assets.IconName, assets.Icon)
	u.win.SetIcon(icon)
	if a.Icon() == nil {
		a.SetIcon(icon)
	}
	u.build()
	u.win.SetMainMenu(u.menu())
	u.win.SetCloseIntercept(u.quit)
	u.win.Resize(fyne.NewSize(860, 560))
	a.Lifecycle().SetOnEnteredForeground(func() { u.setFocused(true) })
	a.Lifecycle().SetOnExitedForeground(func() { u.setFocused(false) })
	a.Settings().AddListener(func(fyne.Settings) { u.do(u.msgs.Refresh) })

	u.updateState()
	u.probeKeyring()
	u.start()
	return u
}

// Window returns the main window.
func (u *UI) Window() fyne.Window { return u.win }

// ShowAndRun shows the window and runs the app until it quits. The window
// is created under the plain title "Parley" and gets its full title once
// the app runs: on X11 the window's class (WM_CLASS), by which a desktop
// matches it to its launcher entry, is taken from the title at creation.
func (u *UI) ShowAndRun() {
	u.win.SetTitle("Parley")
	u.app.Lifecycle().SetOnStarted(u.updateTitle)
	u.win.ShowAndRun()
	u.End()
}

// End tells the window that Fyne's loop is about to end: what arrives
// from the connection, the hosted server or the timers after it is
// dropped rather than shown. Call it before the driver's Quit on a
// signal; Close and ShowAndRun's return call it too.
func (u *UI) End() { u.ending.Store(true) }

// build lays out the window's content.
func (u *UI) build() {
	u.msgs = newMessageList(chatlog.NewLog(u.opts.MaxMessages))
	u.msgs.after = func(d time.Duration, f func()) { u.after(d, f) }
	u.msgs.shownNew = func() { u.relax.touch() } // scrolling through history draws new lines too
	u.msgs.onTop = func() {
		if u.sess != nil {
			u.sess.older()
		}
	}
	u.msgs.onPresent = func() {
		if u.sess != nil {
			u.sess.present()
		}
	}

	u.entry = newComposeEntry()
	u.entry.SetPlaceHolder(composePlaceHolder)
	u.entry.OnSend = u.submit
	u.entry.Complete = func(prefix string) []string { return u.users.complete(prefix) }
	u.entry.OnEdit = func(string) { u.setHint("") }
	u.entry.OnActive = u.cursorActive
	u.sendBtn = widget.NewButton("Send", func() { u.submit(u.entry.Text) })
	u.sendBtn.Importance = widget.HighImportance
	u.hint = widget.NewLabel("")
	u.hint.Importance = widget.DangerImportance
	u.hint.Wrapping = fyne.TextWrapWord
	u.hint.Hide()
	compose := container.NewBorder(nil, u.hint, nil, u.sendBtn, u.entry)

	u.users = newUserList()

	u.status = widget.NewLabel("")
	u.status.Truncation = fyne.TextTruncateEllipsis
	u.actions = container.NewHBox()
	top := container.NewBorder(nil, nil, nil, u.actions, u.status)

	u.hostLabel = widget.NewLabel("")
	u.hostLabel.Truncation = fyne.TextTruncateEllipsis
	u.hostBar = container.NewBorder(nil, nil, nil, container.NewHBox(
		widget.NewButton("Addresses…", u.showAddresses),
		widget.NewButton("Stop hosting", u.confirmStopHosting),
	), u.hostLabel)
	u.hostBar.Hide()

	split := newSideSplit(u.msgs, u.users.panel)
	u.social = newSocial(u, split)
	u.users.onPick = u.social.pick
	u.win.SetContent(container.NewBorder(
		container.NewVBox(top, u.hostBar, u.social.topicBar, widget.NewSeparator()),
		compose, nil, nil, split))
	u.win.Canvas().SetOnTypedKey(u.typedKey)
	u.win.Canvas().SetOnTypedRune(u.typedRune)
	u.win.Canvas().Focus(u.entry)
}

// typedRune takes a character typed while nothing has the focus (after a
// click in the message list, say) to the compose box, as chat programs
// do, unless a dialog is open.
func (u *UI) typedRune(r rune) {
	if len(u.dialogs) > 0 || u.win.Canvas().Overlays().Top() != nil || u.entry.Disabled() {
		return
	}
	u.win.Canvas().Focus(u.entry)
	u.entry.TypedRune(r)
}

func (u *UI) menu() *fyne.MainMenu {
	mod := fyne.KeyModifierShortcutDefault
	u.menuConnect = fyne.NewMenuItem("Connect…", u.showConnect)
	u.menuConnect.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: mod}
	u.menuDisconnect = fyne.NewMenuItem("Disconnect", u.disconnect)
	u.menuHost = fyne.NewMenuItem("Host a chat…", u.showHost)
	u.menuHost.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: mod | fyne.KeyModifierShift}
	u.menuStop = fyne.NewMenuItem("Stop hosting…", u.confirmStopHosting)
	u.menuAddrs = fyne.NewMenuItem("Addresses to join…", u.showAddresses)
	u.menuSearch = fyne.NewMenuItem("Search the history…", u.showSearch)
	u.menuSearch.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: mod}
	export := fyne.NewMenuItem("Export the chat…", u.showExport)
	saving := u.savedMenu()
	u.menuAway = fyne.NewMenuItem("Away", u.toggleAway)
	u.menuNotify = fyne.NewMenuItem("Notifications", u.toggleNotify)
	u.menuNotify.Checked = u.notifier.enabled
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	quit.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: mod}
	chat := fyne.NewMenu("Chat", u.menuConnect, u.menuDisconnect, fyne.NewMenuItemSeparator(),
		u.menuHost, u.menuAddrs, u.menuStop, fyne.NewMenuItemSeparator(),
		u.menuSearch, export, saving[0], saving[1], fyne.NewMenuItemSeparator(),
		u.menuAway, u.menuNotify, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMainMenu(chat)
}

// start does what the options ask for at launch.
func (u *UI) start() {
	prefs := u.app.Preferences()
	nick := u.opts.Nick
	if nick == "" {
		nick = prefs.String(prefNick)
	}
	switch {
	case u.opts.Host:
		port := u.opts.Port
		if port == 0 {
			port = wire.DefaultPort
		}
		if nick == "" {
			nick = "host"
		}
		u.startHosting(hostSettings{Port: port, LAN: !u.opts.Local, Room: u.opts.Room, Nick: nick,
			NoHistory: u.opts.NoHistory || prefs.Bool(prefHostNoHistory)}, false)
	case u.opts.Connect != "":
		if _, err := nickname.Check(nick); err != nil {
			u.showConnectWith(u.opts.Connect, nick)
			return
		}
		u.dial(u.opts.Connect, nick)
	case prefs.String(prefAddr) == "" || prefs.String(prefNick) == "":
		u.system(chatlog.KindInfo, "Welcome to Parley. Join a chat with Chat ▸ Connect… (Ctrl+K), or start one with Chat ▸ Host a chat….")
		u.showConnectWith(prefs.String(prefAddr), nick)
	default:
		u.system(chatlog.KindInfo, fmt.Sprintf("Not connected. Press Ctrl+K to join %s again, or host a chat from the Chat menu.", prefs.String(prefAddr)))
	}
	u.msgs.flush()
}

// system appends a system line.
func (u *UI) system(kind chatlog.Kind, text string) {
	u.msgs.append(chatlog.Entry{Kind: kind, Time: u.now().UnixMilli(), Text: text})
}

// Close leaves the chat and stops hosting, waiting (a few seconds at
// most) for the connections to close cleanly. It is what Quit does
// before the app exits; main may call it on a signal.
func (u *UI) Close() {
	if u.closed {
		return
	}
	u.closed = true
	u.End()
	u.dialGen++
	if u.dialing != nil {
		u.dialing()
	}
	var wg sync.WaitGroup
	if s := u.sess; s != nil {
		u.saveChat(s)
		u.sess = nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.c.Close()
			<-s.done
		}()
	}
	if h := u.hosting; h != nil {
		u.hosting = nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.stop()
		}()
	}
	if done := u.hostStopped; done != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-done
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopTimeout + time.Second):
		u.logger.Warn("connections did not close in time")
	}
}

// quit is the Quit menu item and the window's close button. While
// hosting a chat that others are in, it asks first: quitting ends it for
// them.
func (u *UI) quit() {
	if h := u.hosting; h != nil {
		st := h.srv.Stats()
		if others := st.Rich + st.Plain - 1; others > 0 {
			u.confirm("Quit and end the chat?",
				fmt.Sprintf("You are hosting this chat. If you quit, it ends for %s.", plural(others, "other person", "other people")),
				"Quit", "Keep hosting", true, func() {
					u.Close()
					u.app.Quit()
				})
			return
		}
	}
	u.Close()
	u.app.Quit()
}
