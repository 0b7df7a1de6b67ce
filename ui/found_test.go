package ui_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"

	"parley/net/discovery"
	"parley/ui"
)

// fakeBrowse stands in for discovery.Browse: the test hands the connect
// dialog listings as the network would.
type fakeBrowse struct {
	mu       sync.Mutex
	onChange func([]discovery.Service)
	ctx      context.Context
	calls    int
}

func (f *fakeBrowse) browse(ctx context.Context, onChange func([]discovery.Service)) error {
	f.mu.Lock()
	f.onChange, f.ctx = onChange, ctx
	f.calls++
	f.mu.Unlock()
	<-ctx.Done()
	return nil
}

func (f *fakeBrowse) running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctx != nil && f.ctx.Err() == nil
}

func (f *fakeBrowse) stopped() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctx != nil && f.ctx.Err() != nil
}

// send delivers a listing from another goroutine, as Browse does.
func (f *fakeBrowse) send(list ...discovery.Service) {
	f.mu.Lock()
	cb := f.onChange
	f.mu.Unlock()
	done := make(chan struct{})
	go func() { cb(list); close(done) }()
	<-done
}

// found is a listing of the server at addr.
func found(t *testing.T, addr, room string, people int) discovery.Service {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return discovery.Service{Instance: room + " on box", Host: "box", Port: p,
		Addrs: []netip.Addr{netip.MustParseAddr(host)}, Iface: "eth9",
		Info: discovery.Info{Room: room, Version: 1, People: people}}
}

func rowTexts(u *ui.UI) []string {
	var out []string
	for _, b := range u.FoundRows() {
		out = append(out, b.Text)
	}
	return out
}

// TestConnectListsFoundChats: the connect dialog lists the chats found
// on the network, live, says how each was found, and one click joins.
func TestConnectListsFoundChats(t *testing.T) {
	a := rememberedApp(t)
	a.Preferences().SetStringList("recent", []string{"192.0.2.7:2000"})
	_, addr := startServer(t, 0)
	fb := &fakeBrowse{}
	u, p := newUI(t, ui.Options{Browse: fb.browse})
	u.ShowConnect()
	waitFor(t, "the dialog to search the network", fb.running, p)
	if s := u.FoundStatus(); !strings.Contains(s, "none found yet") {
		t.Errorf("status before anything is found: %q", s)
	}
	if rows := rowTexts(u); len(rows) != 1 || rows[0] != "192.0.2.7:2000 · recent: you joined it before" {
		t.Fatalf("rows before anything is found: %q", rows)
	}

	fb.send(found(t, addr, "Testroom", 2))
	p.Run()
	want := "Testroom · 2 people · on box · found on your network (eth9)"
	if rows := rowTexts(u); len(rows) != 2 || rows[0] != want || !strings.HasSuffix(rows[1], "recent: you joined it before") {
		t.Fatalf("rows = %q, want %q then the recent server", rows, want)
	}
	if s := u.FoundStatus(); !strings.Contains(s, "1 chat on your network") {
		t.Errorf("status: %q", s)
	}

	// Live: the count changes, a password lock appears, another chat
	// comes and goes.
	s := found(t, addr, "Testroom", 3)
	s.Info.Password = true
	other := found(t, "192.0.2.9:2000", "Another", 1)
	other.Host = ""
	fb.send(other, s)
	p.Run()
	rows := rowTexts(u)
	if len(rows) != 3 || rows[0] != "Another · 1 person · found on your network (eth9)" ||
		rows[1] != "🔒 Testroom · 3 people · on box · found on your network (eth9)" {
		t.Fatalf("rows after the update = %q", rows)
	}
	s.Info.Password = false // the host took the password off: a click joins at once
	fb.send(s)
	p.Run()
	if rows := rowTexts(u); len(rows) != 2 {
		t.Fatalf("rows after Another left = %q", rows)
	}

	// One click joins, with the remembered nickname.
	test.Tap(u.FoundRows()[0])
	waitFor(t, "joining the chat clicked", u.Connected, p)
	if got := u.SessionAddr(); got != addr {
		t.Errorf("joined %q, want %q", got, addr)
	}
	waitFor(t, "the search to stop with the dialog", fb.stopped, p)
	if u.ConnectOpen() {
		t.Error("the connect dialog is still open after joining")
	}
}

// TestFoundChatNeedsNick: without a nickname, a click fills in the
// server and leads to the nickname instead of joining.
func TestFoundChatNeedsNick(t *testing.T) {
	test.NewTempApp(t)
	_, addr := startServer(t, 0)
	fb := &fakeBrowse{}
	u, p := newUI(t, ui.Options{Browse: fb.browse})
	waitFor(t, "the connect dialog at start", fb.running, p)
	fb.send(found(t, addr, "Testroom", 1))
	p.Run()
	rows := u.FoundRows()
	if len(rows) != 1 {
		t.Fatalf("rows = %q", rowTexts(u))
	}
	test.Tap(rows[0])
	p.Run()
	server, nick, _ := u.ConnectForm()
	if server.Text != addr {
		t.Errorf("server field = %q, want %q", server.Text, addr)
	}
	if u.Window().Canvas().Focused() != nick {
		t.Errorf("focus on %T, want the nickname", u.Window().Canvas().Focused())
	}
	if u.Connected() || !u.ConnectOpen() {
		t.Error("joined without a nickname, or closed the dialog")
	}
}

// fakeAnnounce records what the window announces.
type fakeAnnounce struct {
	mu      sync.Mutex
	port    int
	room    string
	people  func() int
	stopped int
	calls   int
}

func (f *fakeAnnounce) announce(port int, room, fp string, pw bool, people func() int) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.port, f.room, f.people = port, room, people
	f.calls++
	return func() {
		f.mu.Lock()
		f.stopped++
		f.mu.Unlock()
	}, nil
}

func (f *fakeAnnounce) get() (calls, stopped int, people func() int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.stopped, f.people
}

// TestHostAnnounces: a chat hosted for the network is announced, with the
// live people count, and the announcement ends when hosting stops; one
// hosted for this computer only is not announced.
func TestHostAnnounces(t *testing.T) {
	rememberedApp(t)
	fa := &fakeAnnounce{}
	u, p := newUI(t, ui.Options{Announce: fa.announce})
	u.StartHosting(0, false, "Local", "lea")
	waitFor(t, "hosting locally", u.Connected, p)
	if calls, _, _ := fa.get(); calls != 0 {
		t.Fatalf("a local-only chat was announced")
	}
	u.StopHosting()
	waitFor(t, "not hosting", func() bool { return !u.Hosting() }, p)

	u.StartHosting(0, true, "Room", "lea")
	waitFor(t, "hosting", u.Connected, p)
	calls, _, people := fa.get()
	if calls != 1 || fa.room != "Room" || fa.port == 0 || !strings.HasSuffix(u.HostAddr(), ":"+strconv.Itoa(fa.port)) {
		t.Fatalf("announced %d times, room %q port %d; hosting at %s", calls, fa.room, fa.port, u.HostAddr())
	}
	waitFor(t, "lea counted", func() bool { return people() == 1 }, p)
	dialPeer(t, u.HostAddr(), "max")
	waitFor(t, "max counted", func() bool { return people() == 2 }, p)
	u.StopHosting()
	waitFor(t, "the announcement to end", func() bool { _, s, _ := fa.get(); return s == 1 }, p)

	// Quitting the app ends the announcement too.
	u.StartHosting(0, true, "Room", "lea")
	waitFor(t, "hosting again", u.Connected, p)
	u.Close()
	if calls, stopped, _ := fa.get(); calls != 2 || stopped != 2 {
		t.Fatalf("after quitting: announced %d times, ended %d, want 2 and 2", calls, stopped)
	}
}

// TestHostAnnounceFails: when the chat cannot be announced, hosting goes
// on and the window says others will not find it listed.
func TestHostAnnounceFails(t *testing.T) {
	rememberedApp(t)
	u, p := newUI(t, ui.Options{Announce: func(int, string, string, bool, func() int) (func(), error) {
		return nil, discovery.ErrNoInterface
	}})
	u.StartHosting(0, true, "Room", "lea")
	waitFor(t, "hosting", u.Connected, p)
	if u.Count("will not see this chat in their list") != 1 {
		t.Errorf("no word of the failed announcement: %q", u.Lines())
	}
	u.StopHosting()
}

// TestJoinFoundEncrypted: a chat announced with its key is listed as
// encrypted, and one click joins it over TLS checked against that key,
// from the first connection.
func TestJoinFoundEncrypted(t *testing.T) {
	rememberedApp(t)
	_, addr, fp := startTLSServer(t)
	fb := &fakeBrowse{}
	u, p := newUI(t, ui.Options{Browse: fb.browse})
	u.ShowConnect()
	waitFor(t, "the dialog to search the network", fb.running, p)
	s := found(t, addr, "Secret", 1)
	s.Info.Fingerprint = fp.String()
	fb.send(s)
	p.Run()
	if rows := rowTexts(u); len(rows) == 0 || rows[0] != "Secret · 1 person · on box · encrypted · found on your network (eth9)" {
		t.Fatalf("rows = %q", rows)
	}
	test.Tap(u.FoundRows()[0])
	waitFor(t, "joining the chat clicked", u.Connected, p)
	if enc, got := u.Encrypted(); !enc || got != fp {
		t.Fatalf("joined encrypted=%v with key %s, want the announced %s", enc, got, fp)
	}
}

// TestHostAnnouncesKey: a chat hosted from the window, encrypted by
// default, is announced with its key.
func TestHostAnnouncesKey(t *testing.T) {
	rememberedApp(t)
	var mu sync.Mutex
	var announced string
	u, p := newUI(t, ui.Options{Announce: func(_ int, _, fp string, _ bool, _ func() int) (func(), error) {
		mu.Lock()
		announced = fp
		mu.Unlock()
		return func() {}, nil
	}})
	u.StartHosting(0, true, "Room", "lea")
	waitFor(t, "hosting", u.Connected, p)
	mu.Lock()
	defer mu.Unlock()
	if fp := u.HostFingerprint(); fp.IsZero() || announced != fp.String() {
		t.Fatalf("announced key %q, want the hosted chat's %s", announced, fp)
	}
}
