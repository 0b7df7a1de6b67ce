package ui_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
	"parley/server"
	"parley/ui"
)

// waitFor runs the pumps (the test's stand-in for Fyne's main loop) until
// cond holds, failing after a deadline.
func waitFor(t *testing.T, what string, cond func() bool, pumps ...*ui.Pump) {
	t.Helper()
	chattest.WaitFor(t, what, 15*time.Second, func() bool {
		for _, p := range pumps {
			p.Run()
		}
		return cond()
	})
}

// settle runs the pumps for a while, for checks that something does not
// happen.
func settle(d time.Duration, pumps ...*ui.Pump) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for _, p := range pumps {
			p.Run()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeAndSend types text into the compose box as a user would and
// presses Enter.
func typeAndSend(u *ui.UI, text string) {
	e := u.Compose()
	test.Type(e, text)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// testServer is a real server on a loopback port.
type testServer struct {
	*server.Server
	*chattest.Loopback
}

// startServer runs a real server on a loopback port (0: any) until the
// test ends or Stop, and returns it with its address.
func startServer(t *testing.T, port int) (*testServer, string) {
	t.Helper()
	return serveAt(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), server.New(server.Config{Room: "Testroom", Rate: -1}))
}

// serveAt serves srv on addr until the test ends or Stop.
func serveAt(t *testing.T, addr string, srv *server.Server) (*testServer, string) {
	t.Helper()
	l := chattest.Serve(t, srv, chattest.Options{Addr: addr, Closed: server.ErrClosed})
	return &testServer{Server: srv, Loopback: l}, l.Addr
}

// dialPeer connects a headless client for the other side of a
// conversation.
func dialPeer(t *testing.T, addr, nick string) *chattest.Recorder {
	t.Helper()
	_, r := chattest.Dial(t, client.Config{Addr: addr, Nick: nick, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	return r
}

func newUI(t *testing.T, opts ui.Options) (*ui.UI, *ui.Pump) {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir() // the hosting certificate, not in the test app's /tmp
	}
	u, p := ui.NewTest(fyne.CurrentApp(), opts)
	u.Window().Resize(fyne.NewSize(800, 500))
	t.Cleanup(func() {
		u.Close()
		p.Run()
		u.Window().Close()
	})
	return u, p
}

// remembered makes the app remember a server, so that no connect dialog
// opens at start.
func remembered(a fyne.App) {
	a.Preferences().SetString("addr", "127.0.0.1:1")
	a.Preferences().SetString("nick", "someone")
}

// findButton finds the button labelled text among o and its descendants.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch o := o.(type) {
	case *widget.Button:
		if o.Text == text {
			return o
		}
	case *fyne.Container:
		for _, c := range o.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

func TestComposeKeys(t *testing.T) {
	e := focusedCompose(t)
	var sent []string
	e.OnSend = func(s string) {
		sent = append(sent, s)
		e.SetText("")
	}
	test.Type(e, "first line")
	e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if len(sent) != 0 {
		t.Fatalf("Shift+Enter sent %q", sent)
	}
	test.Type(e, "second line")
	if e.Text != "first line\nsecond line" {
		t.Fatalf("text after Shift+Enter = %q", e.Text)
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter}) // keypad Enter sends too
	if len(sent) != 1 || sent[0] != "first line\nsecond line" {
		t.Fatalf("Enter sent %q", sent)
	}
	if e.Text != "" {
		t.Errorf("box not cleared: %q", e.Text)
	}

	// A line too long to wrap quickly scrolls sideways instead, until it
	// is gone.
	clip := fyne.CurrentApp().Clipboard()
	clip.SetContent(strings.Repeat("y", 5000))
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	if len(e.Text) != 5000 || e.Wrapping != fyne.TextWrapOff {
		t.Errorf("after pasting 5000 bytes: %d bytes, wrapping %v", len(e.Text), e.Wrapping)
	}
	e.SetText("short")
	if e.Wrapping != fyne.TextWrapWord {
		t.Errorf("wrapping %v after the long line went", e.Wrapping)
	}

	// Up in an empty box recalls what was sent, Down goes forward again.
	for _, m := range []string{"first", "two\nlines"} {
		e.AddHistory(m)
	}
	e.SetText("")
	key := func(k fyne.KeyName) { e.TypedKey(&fyne.KeyEvent{Name: k}) }
	for _, step := range []struct {
		key  fyne.KeyName
		want string
	}{{fyne.KeyUp, "two\nlines"}, {fyne.KeyUp, "first"}, {fyne.KeyUp, "first"}, {fyne.KeyDown, "two\nlines"}, {fyne.KeyDown, ""}} {
		key(step.key)
		if e.Text != step.want {
			t.Fatalf("after %s: %q, want %q", step.key, e.Text, step.want)
		}
	}
	key(fyne.KeyUp)
	test.Type(e, "!") // typing goes on at the end
	if e.Text != "two\nlines!" {
		t.Errorf("typed after recalling: %q", e.Text)
	}
	key(fyne.KeyUp) // an edited text is the user's: Up moves the cursor
	if e.Text != "two\nlines!" {
		t.Errorf("Up replaced an edited text with %q", e.Text)
	}

	e.SetText("")
	e.Disable()
	test.Type(e, "x")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(sent) != 1 {
		t.Errorf("a disabled box sent %q", sent)
	}
}

// TestComposeCompletesNicks: Tab completes the word before the cursor
// to a nickname, cycling on, with a colon at the start of the message;
// it never inserts a tab character, and leaves an empty box to the focus
// chain.
func TestComposeCompletesNicks(t *testing.T) {
	e := focusedCompose(t)
	nicks := []string{"Helen", "henry", "Robert"}
	e.Complete = func(prefix string) []string {
		var out []string
		for _, n := range nicks {
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) {
				out = append(out, n)
			}
		}
		return out
	}
	tab := func() { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab}) }
	if e.AcceptsTab() {
		t.Error("an empty box keeps Tab from moving the focus")
	}
	test.Type(e, "he")
	if !e.AcceptsTab() {
		t.Fatal("a box with text lets Tab move the focus away")
	}
	for _, want := range []string{"Helen: ", "henry: ", "Helen: "} {
		tab()
		if e.Text != want {
			t.Fatalf("after Tab: %q, want %q", e.Text, want)
		}
	}
	test.Type(e, "ask ro")
	tab()
	if e.Text != "Helen: ask Robert " {
		t.Fatalf("completion in the middle: %q", e.Text)
	}
	test.Type(e, "zz")
	tab()
	if e.Text != "Helen: ask Robert zz" {
		t.Errorf("Tab with no match changed the text to %q", e.Text)
	}
	test.Type(e, " ")
	tab()
	if strings.Contains(e.Text, "\t") || e.Text != "Helen: ask Robert zz " {
		t.Errorf("Tab after a space: %q", e.Text)
	}
}

func TestConnectDialogValidates(t *testing.T) {
	test.NewTempApp(t)
	u, _ := newUI(t, ui.Options{})
	addr, nick, dlg := u.ConnectForm()
	if dlg == nil {
		t.Fatal("no connect dialog at start with nothing remembered")
	}
	connect := findButton(u.Window().Canvas().Overlays().Top(), "Connect")
	if connect == nil || !connect.Disabled() {
		t.Fatal("the Connect button is missing or enabled on an empty form")
	}
	// Typing a valid address leaves the untouched, empty nickname
	// invalid.
	test.Type(addr, "127.0.0.1:2000")
	if !connect.Disabled() {
		t.Fatal("Connect enabled with no nickname")
	}
	test.Type(nick, "alice")
	if connect.Disabled() {
		t.Fatal("Connect disabled on a valid form")
	}
	tests := []struct {
		addr, nick       string
		addrErr, nickErr string // substrings; "" means valid
	}{
		{"127.0.0.1:2000", "alice", "", ""},
		{"chat.example.org", "Zoë_2", "", ""},
		{"ws://[::1]:2000/", "bob", "", ""},
		{"", "alice", "empty", ""},
		{"host name", "alice", "spaces", ""},
		{"ftp://x.example", "alice", "not a chat address", ""},
		{"127.0.0.1:99999", "alice", "port", ""},
		{"127.0.0.1:2000", "", "", "empty"},
		{"127.0.0.1:2000", "two words", "", "only letters"},
		{"127.0.0.1:2000", "-dash", "", "start"},
		{"127.0.0.1:2000", strings.Repeat("n", 33), "", "longer"},
		{"127.0.0.1:2000", "alice\u034F", "", "invisible characters: U+034F"},
		{"127.0.0.1:2000", "\u3164", "", "invisible characters"},
		{"127.0.0.1:2000", "guest-7", "", "kept for the server"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"/"+tt.nick, func(t *testing.T) {
			addr.SetText(tt.addr)
			nick.SetText(tt.nick)
			check := func(field string, err error, want string) {
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: unexpected error %v", field, err)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("%s: error %v, want one mentioning %q", field, err, want)
				}
			}
			check("address", addr.Validate(), tt.addrErr)
			check("nickname", nick.Validate(), tt.nickErr)
			if tt.addrErr != "" || tt.nickErr != "" {
				dlg.Submit() // refused: the Connect button is disabled
				if _, _, d := u.ConnectForm(); d == nil {
					t.Fatal("an invalid form was submitted")
				}
			}
		})
	}
}

// TestHostAndJoin is the main path: one window hosts, a second joins, and
// they talk by typing.
func TestHostAndJoin(t *testing.T) {
	host, hp := hostingUI(t, false, "Lounge", "alice")
	if !strings.Contains(host.HostSummary(), "Lounge") {
		t.Errorf("hosting bar = %q", host.HostSummary())
	}

	guest, gp := newUI(t, ui.Options{})
	guest.Dial(host.HostAddr(), "bob")
	waitFor(t, "the guest to join", guest.Connected, hp, gp)
	waitFor(t, "both to see each other", func() bool {
		return strings.Join(host.Users(), ",") == "alice,bob" && strings.Join(guest.Users(), ",") == "alice,bob"
	}, hp, gp)
	if title := guest.Window().Title(); !strings.Contains(title, "Lounge") || !strings.Contains(title, host.HostAddr()) || !strings.Contains(title, "connected") {
		t.Errorf("guest title = %q", title)
	}

	typeAndSend(host, "hello bob, see https://example.com/x")
	if host.Compose().Text != "" {
		t.Errorf("compose box not cleared after sending: %q", host.Compose().Text)
	}
	waitFor(t, "bob to get alice's message", func() bool {
		return guest.Count("chat alice: hello bob, see https://example.com/x") == 1
	}, hp, gp)
	waitFor(t, "alice's own message to be delivered", func() bool {
		return host.Count("chat alice: hello bob") == 1 && host.Count("[pending]") == 0
	}, hp, gp)

	typeAndSend(guest, "hi alice")
	waitFor(t, "alice to get bob's reply", func() bool { return host.Count("chat bob: hi alice") == 1 }, hp, gp)
	if host.Count("alice: hello bob") != 1 || guest.Count("bob: hi alice") != 1 {
		t.Errorf("messages duplicated:\nhost %q\nguest %q", host.Lines(), guest.Lines())
	}
	if host.Count("event : bob joined") != 1 {
		t.Errorf("host did not show bob joining: %q", host.Lines())
	}

	// Quitting while others are in the hosted chat asks first.
	ui.Quit(host)
	if !host.Hosting() || host.Window().Canvas().Overlays().Top() == nil {
		t.Error("Quit ended a hosted chat with a guest in it without asking")
	}
	if findButton(host.Window().Canvas().Overlays().Top(), "Quit") == nil {
		t.Error("no Quit button in the confirmation")
	}

	// Stopping asks nothing here (the test calls the action behind the
	// confirmation) and tells the guest the chat is over.
	hostAddr := host.HostAddr()
	host.StopHosting()
	waitFor(t, "the guest to hear the host ended the chat", func() bool {
		return guest.Count("The host ended the chat") == 1
	}, hp, gp)
	waitFor(t, "the guest to stop", func() bool { return strings.Contains(guest.Window().Title(), "disconnected") }, gp)
	if !guest.Compose().Disabled() {
		t.Error("the compose box stays enabled in a chat that ended")
	}
	if got := guest.People(); got != "People / Not in a chat." {
		t.Errorf("guest's user list after the chat ended = %q", got)
	}
	if got := guest.Status(); got != "The host ended the chat at "+hostAddr {
		t.Errorf("guest's status after the chat ended = %q", got)
	}
	if got := host.People(); got != "People / Not in a chat." {
		t.Errorf("host's user list after it stopped = %q", got)
	}
	// The guest is offered to join again; the host is gone, and that is
	// explained.
	if got := strings.Join(guest.Actions(), ","); got != "Reconnect,Connect…,Host a chat…" {
		t.Fatalf("guest's buttons after the chat ended: %s", got)
	}
	test.Tap(findButton(guest.Window().Content(), "Reconnect"))
	waitFor(t, "reconnecting to fail", func() bool {
		return guest.Count("Nobody is hosting a chat at "+hostAddr) == 1
	}, hp, gp)
}

func TestSendRefusals(t *testing.T) {
	_, addr := startServer(t, 0)
	u, p := joinedUI(t, addr, "carol")
	before := len(u.Lines())

	typeAndSend(u, "   \n  ")
	if len(u.Lines()) != before {
		t.Errorf("an empty message was sent: %q", u.Lines()[before:])
	}

	long := strings.Repeat("x", wire.DefaultMaxText+1)
	u.Compose().SetText(long)
	u.Compose().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h := u.Hint(); !strings.Contains(h, "too long") || !strings.Contains(h, "16 KB") {
		t.Errorf("hint for a long message = %q", h)
	}
	if u.Compose().Text != long {
		t.Error("a refused message was cleared from the box")
	}
	test.Type(u.Compose(), "!")
	if u.Hint() != "" {
		t.Errorf("hint stays after editing: %q", u.Hint())
	}
	u.Compose().SetText("/nosuch")
	u.Compose().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !strings.Contains(u.Hint(), "Unknown command") {
		t.Errorf("hint for an unknown command = %q", u.Hint())
	}
	u.Compose().SetText("//slash")
	test.Tap(u.SendButton())
	waitFor(t, "the //-escaped message", func() bool { return u.Count("chat carol: /slash") == 1 }, p)
	u.Compose().TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if u.Compose().Text != "//slash" {
		t.Errorf("Up recalled %q, want the message just sent", u.Compose().Text)
	}
}

func TestConnectFailuresExplained(t *testing.T) {
	rememberedApp(t)
	_, addr := startServer(t, 0)
	taker := dialPeer(t, addr, "dave")
	_ = taker

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	// An HTTP server that is not a chat server.
	web := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })}
	wl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go web.Serve(wl)
	t.Cleanup(func() { web.Close() })

	tests := []struct {
		name, addr, nick, want string
	}{
		{"refused", closed, "erin", "Nobody is hosting a chat at"},
		{"nick taken", addr, "Dave", "already called Dave"},
		{"nick looks like another", addr, "d\u0430ve", "cannot be told apart from someone's in that chat (the server says: d\u0430ve looks like dave, who is here)."},
		{"not a chat server", wl.Addr().String(), "erin", "not a chat server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p := newUI(t, ui.Options{})
			u.Dial(tt.addr, tt.nick)
			waitFor(t, "the failure to be explained", func() bool { return u.Count(tt.want) == 1 }, p)
			if u.Connected() {
				t.Error("connected anyway")
			}
			// The connect dialog opens again once the explanation is
			// dismissed; here the explanation is still up.
			if _, _, d := u.ConnectForm(); d != nil {
				t.Error("connect dialog shown over the explanation")
			}
		})
	}
}

// TestServerRestart drops the server in the middle of a conversation,
// sends while it is down, and checks that after the restart every message
// is there exactly once.
func TestServerRestart(t *testing.T) {
	rememberedApp(t)
	srv, addr := startServer(t, 0)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)

	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "frank")
	waitFor(t, "joining", u.Connected, p)
	bob := dialPeer(t, addr, "bob")
	bob.Say(t, "before the restart")
	typeAndSend(u, "frank before")
	waitFor(t, "the first messages", func() bool {
		return u.Count("bob: before the restart") == 1 && u.Count("frank: frank before") == 1 && u.Count("[pending]") == 0
	}, p)

	srv.Stop(t, wire.ByeShutdown)
	waitFor(t, "the drop to show", func() bool {
		return u.Count("You were disconnected") == 1 && strings.Contains(u.Window().Title(), "reconnecting")
	}, p)
	if u.Compose().Disabled() {
		t.Fatal("compose box disabled while reconnecting")
	}
	if got := u.People(); !strings.HasPrefix(got, "People / Reconnecting") {
		t.Errorf("user list while reconnecting = %q", got)
	}
	if got := strings.Join(u.Actions(), ","); !strings.Contains(got, "Retry now") {
		t.Errorf("status bar buttons while reconnecting = %q, want Retry now among them", got)
	}
	typeAndSend(u, "sent while the server was down")
	waitFor(t, "the message to wait as pending", func() bool {
		return u.Count("frank: sent while the server was down [pending]") == 1
	}, p)

	startServer(t, port)

	u.TapAction("Retry now") // may already be back: then there is no button
	waitFor(t, "the reconnect", func() bool {
		return u.Connected() && u.Count("The server restarted") == 1
	}, p)
	if got := strings.Join(u.Actions(), ","); strings.Contains(got, "Retry now") {
		t.Errorf("status bar buttons once connected = %q", got)
	}
	waitFor(t, "the pending message to be delivered", func() bool {
		return u.Count("frank: sent while the server was down") == 1 && u.Count("[pending]") == 0
	}, p)
	waitFor(t, "bob to get it once", func() bool { return bob.Count("sent while the server was down") == 1 }, p)
	bob.Say(t, "after the restart")
	waitFor(t, "bob's new message", func() bool { return u.Count("bob: after the restart") == 1 }, p)
	settle(200*time.Millisecond, p)
	for _, text := range []string{"bob: before the restart", "frank: frank before", "frank: sent while the server was down", "bob: after the restart"} {
		if n := u.Count(text); n != 1 {
			t.Errorf("%q shown %d times:\n%s", text, n, strings.Join(u.Lines(), "\n"))
		}
	}
	if bob.Count("sent while the server was down") != 1 {
		t.Errorf("bob got the outbox message %d times", bob.Count("sent while the server was down"))
	}
	waitFor(t, "the user list to come back", func() bool {
		return strings.Join(u.Users(), ",") == "bob,frank"
	}, p)
}

func TestUnreadAndNotifications(t *testing.T) {
	a := rememberedApp(t)
	_, addr := startServer(t, 0)
	var mu sync.Mutex
	var notes []*fyne.Notification
	u, p := newUI(t, ui.Options{Notify: func(n *fyne.Notification) {
		mu.Lock()
		notes = append(notes, n)
		mu.Unlock()
	}})
	noted := func() []*fyne.Notification {
		mu.Lock()
		defer mu.Unlock()
		return append([]*fyne.Notification(nil), notes...)
	}
	u.SetNotifyEvery(300 * time.Millisecond)
	u.Dial(addr, "gina")
	waitFor(t, "joining", u.Connected, p)
	bob := dialPeer(t, addr, "bob")

	// Focused: nothing counts as unread.
	bob.Say(t, "seen at once")
	waitFor(t, "the first message", func() bool { return u.Count("seen at once") == 1 }, p)
	if u.Unread() != 0 || len(noted()) != 0 {
		t.Fatalf("focused window: unread %d, notifications %d", u.Unread(), len(noted()))
	}

	u.SetFocused(false)
	for i := 1; i <= 3; i++ {
		bob.Say(t, fmt.Sprintf("unseen %d, gina", i))
	}
	waitFor(t, "three unread", func() bool { return u.Unread() == 3 }, p)
	if title := u.Window().Title(); !strings.HasPrefix(title, "(3) Parley") {
		t.Errorf("title = %q", title)
	}
	waitFor(t, "the held messages to be announced together", func() bool { return len(noted()) == 2 }, p)
	n := noted()
	if n[0].Title != "bob in Testroom" || n[0].Content != "unseen 1, gina" {
		t.Errorf("first notification = %+v", *n[0])
	}
	if n[1].Title != "Testroom" || n[1].Content != "2 new messages, the latest from bob" {
		t.Errorf("second notification = %+v", *n[1])
	}
	typeAndSend(u, "own messages do not count")
	settle(400*time.Millisecond, p)
	if u.Unread() != 3 || len(noted()) != 2 {
		t.Errorf("own message: unread %d, notifications %d", u.Unread(), len(noted()))
	}
	// The mention was marked.
	l := u.Log()
	if e := l.At(l.Len() - 2); !e.Mention {
		t.Errorf("message naming gina not marked as a mention: %+v", *e)
	}

	u.SetFocused(true)
	if u.Unread() != 0 || strings.HasPrefix(u.Window().Title(), "(") {
		t.Errorf("after focus: unread %d, title %q", u.Unread(), u.Window().Title())
	}

	// Turned off in preferences: counted, not announced.
	ui.ToggleNotifications(u)
	if a.Preferences().Bool("notify") {
		t.Error("the notification setting was not saved")
	}
	u.SetFocused(false)
	bob.Say(t, "quiet")
	waitFor(t, "the quiet message", func() bool { return u.Unread() == 1 }, p)
	settle(400*time.Millisecond, p)
	if len(noted()) != 2 {
		t.Errorf("notifications while turned off: %d", len(noted()))
	}
}

// plainServer is the teaching chat server in miniature: it greets, then
// sends every text message to every client, sender included.
func plainServer(t *testing.T) string {
	t.Helper()
	var mu sync.Mutex
	conns := map[*websocket.Conn]bool{}
	up := websocket.Upgrader{}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		c.WriteMessage(websocket.TextMessage, []byte(wire.Greeting))
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			mu.Lock()
			for o := range conns {
				o.WriteMessage(websocket.TextMessage, data)
			}
			mu.Unlock()
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestPlainServer(t *testing.T) {
	addr := plainServer(t)
	u, p := joinedUI(t, addr, "hank")
	if !u.Plain() || u.Count("plain-text chat server") != 1 || u.Count("Server: "+wire.Greeting) != 1 {
		t.Fatalf("plain mode not explained:\n%s", strings.Join(u.Lines(), "\n"))
	}
	typeAndSend(u, "hello plain world")
	waitFor(t, "the echo to confirm the message", func() bool {
		return u.Count("chat hank: hello plain world") == 1 && u.Count("[pending]") == 0
	}, p)

	// Someone else on the plain server: a raw WebSocket client.
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte("ivy: hi from a plain client"))
	ws.WriteMessage(websocket.TextMessage, []byte("a line with no sender"))
	waitFor(t, "the plain lines", func() bool {
		return u.Count("chat ivy: hi from a plain client") == 1 && u.Count("chat : a line with no sender") == 1
	}, p)
	if !strings.Contains(u.Status(), "plain-text server") {
		t.Errorf("status = %q", u.Status())
	}
}

func TestHostDialogValidates(t *testing.T) {
	a := rememberedApp(t)
	a.Preferences().SetString("nick", "")
	u, p := newUI(t, ui.Options{})
	port, room, nick, d := u.HostForm()
	// The dialog offers the user's name (TestHostDialogNickDefault).
	nick.SetText("")
	start := findButton(u.Window().Canvas().Overlays().Top(), "Start")
	if start == nil || !start.Disabled() {
		t.Fatal("Start missing, or enabled without a nickname")
	}
	if port.Text != "2000" || room.Text != "Parley" {
		t.Errorf("defaults: port %q room %q", port.Text, room.Text)
	}
	test.Type(nick, "olga")
	if start.Disabled() {
		t.Fatal("Start disabled on a valid form")
	}
	for _, bad := range []string{"0", "65536", "two thousand", ""} {
		port.SetText(bad)
		if !start.Disabled() {
			t.Errorf("Start enabled with port %q", bad)
		}
	}
	port.SetText("0") // invalid: Submit does nothing
	d.Submit()
	p.Run()
	if u.Hosting() {
		t.Fatal("hosting started from an invalid form")
	}
	port.SetText("2000")
	room.SetText("")
	if !start.Disabled() {
		t.Error("Start enabled without a room name")
	}
}

func TestHostPortInUse(t *testing.T) {
	rememberedApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	u, p := newUI(t, ui.Options{})
	u.StartHosting(port, false, "Room", "ken")
	p.Run()
	if u.Hosting() || u.Count(fmt.Sprintf("Port %d is already in use", port)) != 1 {
		t.Errorf("port in use not explained:\n%s", strings.Join(u.Lines(), "\n"))
	}
}

func TestHostOnNetworkAddresses(t *testing.T) {
	u, _ := hostingUI(t, true, "Room", "lea")
	for _, addr := range u.HostAddrs() {
		if _, err := client.ParseAddr(addr); err != nil {
			t.Errorf("shared address %q does not parse: %v", addr, err)
		}
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(strings.Split(host, "%")[0]); ip == nil || ip.IsLoopback() {
			t.Errorf("shared address %q is loopback or not an IP", addr)
		}
	}
	t.Logf("addresses: %q; bar: %q", u.HostAddrs(), u.HostSummary())
}

func TestDisconnect(t *testing.T) {
	a := rememberedApp(t)
	_, addr := startServer(t, 0)
	bob := dialPeer(t, addr, "bob")
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "mia")
	waitFor(t, "joining", u.Connected, p)
	waitFor(t, "both in the list", func() bool { return u.People() == "People — 2" }, p)
	u.Disconnect()
	if u.Connected() || !strings.Contains(u.Window().Title(), "not connected") || len(u.Users()) != 0 {
		t.Errorf("after Disconnect: title %q users %q", u.Window().Title(), u.Users())
	}
	if got := u.People(); got != "People / Not in a chat." {
		t.Errorf("user list after Disconnect = %q", got)
	}
	if u.Count("info : You left the chat at "+addr+".") != 1 {
		t.Errorf("no line saying the chat was left:\n%s", strings.Join(u.Lines(), "\n"))
	}
	bob.Say(t, "after mia left")
	settle(200*time.Millisecond, p)
	if u.Count("after mia left") != 0 {
		t.Error("a message arrived after Disconnect")
	}
	if a.Preferences().String("addr") != addr || a.Preferences().StringList("recent")[0] != addr {
		t.Errorf("address not remembered: %q %q", a.Preferences().String("addr"), a.Preferences().StringList("recent"))
	}

	// Joining again brings the recent messages, announced as such.
	u.Dial(addr, "mia")
	waitFor(t, "the recent messages", func() bool { return u.Count("chat bob: after mia left") == 1 }, p)
	if u.Count("The last message from before you came follows.") != 1 {
		t.Errorf("the backlog is not announced:\n%s", strings.Join(u.Lines(), "\n"))
	}
}

func TestCommandLineConnect(t *testing.T) {
	test.NewTempApp(t)
	_, addr := startServer(t, 0)
	u, p := newUI(t, ui.Options{Connect: addr, Nick: "nora"})
	waitFor(t, "joining from the command line", u.Connected, p)
	if _, _, d := u.ConnectForm(); d != nil {
		t.Error("connect dialog shown although -connect was given")
	}
}

// typeFocused types text into whatever has the keyboard focus, as the
// driver does with keys (the test canvas has no handler of its own).
func typeFocused(c fyne.Canvas, text string) {
	for _, r := range text {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		}
	}
}

// TestConnectDialogKeyboard walks the connect dialog with the keyboard:
// Tab goes from the server to the nickname and on to the buttons (the
// recent-servers arrow is no stop), Enter in a complete field moves to
// the one still to fill in, Down opens the recent servers, and Enter on
// a complete form connects.
func TestConnectDialogKeyboard(t *testing.T) {
	a := test.NewTempApp(t)
	_, addr := startServer(t, 0)
	a.Preferences().SetStringList("recent", []string{addr, "192.0.2.7:2000"})
	u, p := newUI(t, ui.Options{})
	server, nick, dlg := u.ConnectForm()
	if dlg == nil {
		t.Fatal("no connect dialog at start with nothing remembered")
	}
	c := u.Window().Canvas()
	if c.Focused() != server {
		t.Fatalf("focus at start on %T, want the server field", c.Focused())
	}
	focusedButton := func() string {
		if b, ok := c.Focused().(*widget.Button); ok {
			return b.Text
		}
		return fmt.Sprintf("%T", c.Focused())
	}

	test.Type(server, "192.0.2.1:2000")
	test.FocusNext(c)
	if c.Focused() != nick {
		t.Fatalf("Tab from the server field went to %s, want the nickname", focusedButton())
	}
	typeFocused(c, "olga")
	if nick.Text != "olga" {
		t.Fatalf("nickname typed after Tab = %q", nick.Text)
	}
	test.FocusNext(c)
	if got := focusedButton(); got != "Cancel" {
		t.Errorf("Tab from the nickname went to %s, want Cancel", got)
	}
	test.FocusNext(c)
	if got := focusedButton(); got != "Connect" {
		t.Errorf("Tab from Cancel went to %s, want Connect", got)
	}
	// Then through the chats to pick (recent servers here), if any, back
	// to the server field.
	test.FocusNext(c)
	for i := 0; i < 10 && strings.Contains(focusedButton(), " · "); i++ {
		test.FocusNext(c)
	}
	if c.Focused() != server {
		t.Errorf("Tab from Connect and the chats went to %s, want the server field again", focusedButton())
	}

	// Enter in a valid server field with no nickname goes to the
	// nickname; Enter in an invalid one stays.
	nick.SetText("")
	server.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.Focused() != nick {
		t.Fatalf("Enter in the server field went to %s, want the nickname", focusedButton())
	}
	c.Focus(server)
	server.SetText("not an address")
	server.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.Focused() != server {
		t.Errorf("Enter in an invalid server field moved to %s", focusedButton())
	}

	// Down opens the recent servers; choosing one fills the field and
	// leads on to the nickname.
	server.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	menu := server.RecentMenu()
	if menu == nil || !menu.Visible() {
		t.Fatal("Down did not open the recent servers")
	}
	menu.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	menu.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if server.Text != addr || c.Focused() != nick {
		t.Fatalf("after choosing the first recent server: field %q, focus on %s", server.Text, focusedButton())
	}

	// With both fields filled in, Enter in the server field connects.
	typeFocused(c, "olga")
	c.Focus(server)
	server.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, "Enter to connect", u.Connected, p)
	if _, _, d := u.ConnectForm(); d != nil {
		t.Error("the connect dialog stayed open after connecting")
	}
}

// TestHostWhileInChat hosts from a window that is in someone else's chat:
// it asks first, stays in that chat if the port is taken, and leaves it
// only once its own chat is up.
func TestHostWhileInChat(t *testing.T) {
	a := rememberedApp(t)
	a.Preferences().SetBool("host.lan", false)
	_, addr := startServer(t, 0)
	_, taken, _ := net.SplitHostPort(addr)
	dialPeer(t, addr, "bob")
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "pia")
	waitFor(t, "joining", func() bool { return u.Connected() && len(u.Users()) == 2 }, p)
	top := func() fyne.CanvasObject { return u.Window().Canvas().Overlays().Top() }
	host := func(port string) {
		t.Helper()
		portField, _, _, d := u.HostForm()
		portField.SetText(port)
		d.Submit()
		if top() == nil || findButton(top(), "Leave and host") == nil {
			t.Fatal("no confirmation before leaving the chat to host")
		}
		if !strings.Contains(test.RenderObjectToMarkup(top()), "Hosting will leave the chat at "+addr) {
			t.Errorf("the confirmation does not name the chat:\n%s", test.RenderObjectToMarkup(top()))
		}
	}

	host(taken)
	test.Tap(findButton(top(), "Stay"))
	p.Run()
	if u.Hosting() || !u.Connected() {
		t.Fatalf("after Stay: hosting %v, connected %v", u.Hosting(), u.Connected())
	}

	// The port is taken: the user is still in the chat, list and all.
	host(taken)
	test.Tap(findButton(top(), "Leave and host"))
	p.Run()
	if u.Hosting() || !u.Connected() {
		t.Fatalf("port in use: hosting %v, connected %v:\n%s", u.Hosting(), u.Connected(), strings.Join(u.Lines(), "\n"))
	}
	if u.Count("already in use") != 1 || u.Count("You are still in the chat at "+addr) != 1 {
		t.Errorf("port in use not explained:\n%s", strings.Join(u.Lines(), "\n"))
	}
	if got := strings.Join(u.Users(), ","); got != "bob,pia" || u.People() != "People — 2" {
		t.Errorf("user list after the failed start: %q, %q", got, u.People())
	}
	test.Tap(findButton(top(), "OK"))

	// A free port: the new chat starts, and then the old one is left.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	host(free)
	test.Tap(findButton(top(), "Leave and host"))
	waitFor(t, "hosting and joining the own chat", func() bool {
		return u.Hosting() && u.Connected() && strings.Join(u.Users(), ",") == "pia"
	}, p)
	if !strings.HasSuffix(u.HostAddr(), ":"+free) {
		t.Errorf("hosting at %s, want port %s", u.HostAddr(), free)
	}
	if u.Count("You left the chat at "+addr+" to host your own.") != 1 {
		t.Errorf("leaving the old chat not shown:\n%s", strings.Join(u.Lines(), "\n"))
	}
}

// TestHostDialogKeyboard: the host dialog opens with the port focused,
// Tab visits each field once in order, and Enter starts the chat.
func TestHostDialogKeyboard(t *testing.T) {
	a := rememberedApp(t)
	a.Preferences().SetBool("host.lan", false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a.Preferences().SetInt("host.port", free)
	u, p := newUI(t, ui.Options{})
	port, room, nick, _ := u.HostForm()
	c := u.Window().Canvas()
	if c.Focused() != port {
		t.Fatalf("focus at start on %T, want the port", c.Focused())
	}
	var order []string
	for range 11 {
		test.FocusNext(c)
		switch f := c.Focused().(type) {
		case *ui.FormEntry:
			order = append(order, map[*ui.FormEntry]string{port: "port", room: "room", nick: "nick"}[f])
		case *widget.Button:
			order = append(order, f.Text)
		default:
			order = append(order, fmt.Sprintf("%T", f))
		}
	}
	// The two choices of "who may join" are radio items, one stop each;
	// the check boxes are the encryption and history switches; then the
	// password and its show/hide button (no text, an icon).
	want := "*widget.radioItem,*widget.radioItem,room,nick,*widget.Check,*widget.Check,*ui.passwordEntry,,Cancel,Start,port"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("Tab order %s, want %s", got, want)
	}
	port.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, "Enter to start the chat", func() bool { return u.Hosting() && u.Connected() }, p)
}

// TestAwayAndNick: /away and /back are confirmed in the log and the Away
// menu item follows them; /nick renames the user in the list and the
// log, on both sides.
func TestAwayAndNick(t *testing.T) {
	_, addr := startServer(t, 0)
	u, p := joinedUI(t, addr, "quinn")
	other, op := newUI(t, ui.Options{})
	other.Dial(addr, "ruth")
	waitFor(t, "both in", func() bool { return len(u.Users()) == 2 && len(other.Users()) == 2 }, p, op)

	typeAndSend(u, "/away")
	waitFor(t, "away to be confirmed", func() bool {
		return u.Count("You are marked as away") == 1 && ui.AwayChecked(u)
	}, p)
	waitFor(t, "ruth to see quinn away", func() bool { return other.UserRow("quinn") == "quinn (away)" }, op)
	if got := u.UserRow("quinn"); got != "quinn (away) — you" {
		t.Errorf("own row while away = %q", got)
	}
	ui.ToggleAway(u) // the menu item: back
	waitFor(t, "back to be confirmed", func() bool { return u.Count("You are back.") == 1 && !ui.AwayChecked(u) }, p)
	waitFor(t, "ruth to see quinn back", func() bool { return other.UserRow("quinn") == "quinn" }, op)

	typeAndSend(u, "/nick quincy")
	waitFor(t, "the rename on both sides", func() bool {
		return u.Count("You are now known as quincy") == 1 && other.Count("quinn is now known as quincy") == 1 &&
			u.UserRow("quincy") == "quincy — you" && other.UserRow("quincy") == "quincy"
	}, p, op)
	if got := strings.Join(other.Users(), ","); got != "quincy,ruth" {
		t.Errorf("ruth's list after the rename = %s", got)
	}
	// Tab completes from the user list, but not the user's own name.
	test.Type(u.Compose(), "r")
	u.Compose().TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
	if u.Compose().Text != "ruth: " {
		t.Errorf("Tab completed r to %q", u.Compose().Text)
	}
	u.Compose().SetText("")
	test.Type(u.Compose(), "qu")
	u.Compose().TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
	if u.Compose().Text != "qu" {
		t.Errorf("Tab completed the own name: %q", u.Compose().Text)
	}
	u.Compose().SetText("")
	typeAndSend(u, "after the rename")
	waitFor(t, "a message under the new name", func() bool { return other.Count("chat quincy: after the rename") == 1 }, p, op)
}

// TestSidePanelKeepsWidth: the user list keeps its width when the window
// grows, and gives way in a narrow one.
func TestSidePanelKeepsWidth(t *testing.T) {
	rememberedApp(t)
	u, _ := newUI(t, ui.Options{})
	w := u.Window()
	w.Resize(fyne.NewSize(860, 560))
	normal := u.SideWidth()
	if normal < 150 || normal > 230 {
		t.Fatalf("user list %.0f px wide in an 860 px window", normal)
	}
	w.Resize(fyne.NewSize(1700, 700))
	if wide := u.SideWidth(); wide < normal-10 || wide > normal+10 {
		t.Errorf("user list %.0f px wide in a 1700 px window, %.0f px at 860", wide, normal)
	}
	w.Resize(fyne.NewSize(500, 560))
	if narrow := u.SideWidth(); narrow > 0.34*500 || narrow < 90 {
		t.Errorf("user list %.0f px wide in a 500 px window", narrow)
	}
	w.Resize(fyne.NewSize(860, 560))
	if back := u.SideWidth(); back < normal-10 || back > normal+10 {
		t.Errorf("user list %.0f px wide back at 860 px, was %.0f", back, normal)
	}
}

// pressKey sends a key as the driver does: to the focused widget, or to
// the canvas when nothing has the focus.
func pressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// TestDialogKeys: Escape closes the dialogs, from a field or with nothing
// focused; Enter closes a message; Enter does not answer a question that
// ends something; characters typed with nothing focused go to the
// compose box.
func TestDialogKeys(t *testing.T) {
	a := test.NewTempApp(t)
	_, addr := startServer(t, 0)
	u, p := newUI(t, ui.Options{})
	c := u.Window().Canvas()
	open := func() bool { return c.Overlays().Top() != nil }

	if got := u.People(); got != "People / Not in a chat." {
		t.Errorf("user list at start = %q", got)
	}
	server, _, _ := u.ConnectForm()
	if server == nil || c.Focused() != server {
		t.Fatal("no connect dialog with the server field focused at start")
	}
	pressKey(c, fyne.KeyEscape)
	if _, _, d := u.ConnectForm(); d != nil || open() {
		t.Fatal("Escape in the server field did not close the connect dialog")
	}
	u.ShowConnect()
	_, nick, _ := u.ConnectForm()
	c.Focus(nick)
	pressKey(c, fyne.KeyEscape)
	if open() {
		t.Fatal("Escape in the nickname field did not close the connect dialog")
	}
	u.ShowConnect()
	c.Unfocus()
	pressKey(c, fyne.KeyEscape)
	if open() {
		t.Fatal("Escape with nothing focused did not close the connect dialog")
	}

	// A failure is explained in a message; Enter closes it, and the
	// connect dialog comes back.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	u.Dial(refused, "sam")
	waitFor(t, "the failure", func() bool { return u.Count("Nobody is hosting") == 1 && open() }, p)
	if findButton(c.Overlays().Top(), "OK") == nil {
		t.Fatal("no message with an OK button")
	}
	pressKey(c, fyne.KeyReturn)
	if _, _, d := u.ConnectForm(); d == nil {
		t.Fatal("Enter did not close the message (the connect dialog follows it)")
	}
	pressKey(c, fyne.KeyEscape)
	if open() {
		t.Fatal("the connect dialog stayed open after Escape")
	}

	// Hosting from a chat asks; Enter does not answer, Escape says no.
	a.Preferences().SetBool("host.lan", false)
	u.Dial(addr, "sam")
	waitFor(t, "joining", u.Connected, p)
	port, _, _, d := u.HostForm()
	port.SetText("1") // never reached: the question comes first
	d.Submit()
	if findButton(c.Overlays().Top(), "Leave and host") == nil {
		t.Fatal("no question before leaving the chat")
	}
	pressKey(c, fyne.KeyReturn)
	if !open() || u.Hosting() {
		t.Fatal("Enter answered the question")
	}
	pressKey(c, fyne.KeyEscape)
	if open() || u.Hosting() || !u.Connected() {
		t.Fatalf("after Escape: dialog open %v, hosting %v, connected %v", open(), u.Hosting(), u.Connected())
	}

	// Typing with nothing focused goes to the compose box.
	c.Unfocus()
	for _, r := range "hi" {
		c.OnTypedRune()(r)
	}
	if u.Compose().Text != "hi" || c.Focused() != u.Compose() {
		t.Errorf("typed with nothing focused: compose box %q, focus on %T", u.Compose().Text, c.Focused())
	}
}

// TestPendingFailOnLeave: messages typed while the server is down wait as
// pending; leaving the chat then marks them as not sent, and says so.
func TestPendingFailOnLeave(t *testing.T) {
	srv, addr := startServer(t, 0)
	u, p := joinedUI(t, addr, "tess")
	srv.Stop(t, wire.ByeShutdown)
	waitFor(t, "the drop", func() bool { return !u.Connected() }, p)
	typeAndSend(u, "one")
	typeAndSend(u, "two")
	if n := u.Count("[pending]"); n != 2 {
		t.Fatalf("%d pending messages, want 2:\n%s", n, strings.Join(u.Lines(), "\n"))
	}
	u.Disconnect()
	if u.Count("tess: one [failed]") != 1 || u.Count("tess: two [failed]") != 1 || u.Count("[pending]") != 0 {
		t.Errorf("pending messages after leaving:\n%s", strings.Join(u.Lines(), "\n"))
	}
	if u.Count("2 messages were not sent: you left before they reached the server.") != 1 {
		t.Errorf("not said that they were not sent:\n%s", strings.Join(u.Lines(), "\n"))
	}
}

// TestConnectWhileInChat: the connect dialog says that joining leaves the
// current chat, and joining the same chat as the same person again does
// nothing but say so.
func TestConnectWhileInChat(t *testing.T) {
	_, addr := startServer(t, 0)
	u, p := joinedUI(t, addr, "uma")
	u.ShowConnect()
	server, nick, d := u.ConnectForm()
	if d == nil {
		t.Fatal("no connect dialog")
	}
	if markup := test.RenderObjectToMarkup(u.Window().Canvas().Overlays().Top()); !strings.Contains(markup, "You are in the chat at "+addr+". Joining another one leaves it.") {
		t.Errorf("the dialog does not say that joining leaves the chat:\n%s", markup)
	}
	if u.Window().Canvas().Focused() != server {
		t.Error("the server field is not focused while in a chat")
	}
	if server.Text != addr || nick.Text != "uma" {
		t.Fatalf("dialog filled with %q, %q", server.Text, nick.Text)
	}
	if server.SelectedText() != addr {
		t.Errorf("the address is not selected for typing over: %q", server.SelectedText())
	}
	d.Submit()
	p.Run()
	if !u.Connected() || u.Count("You are already in the chat at "+addr+" as uma.") != 1 {
		t.Errorf("joining the same chat again:\n%s", strings.Join(u.Lines(), "\n"))
	}
	if u.Window().Canvas().Overlays().Top() != nil {
		t.Error("a dialog is open after joining the same chat again")
	}
}
