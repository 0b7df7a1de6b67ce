package ui_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"parley/net/client"
	"parley/net/password"
	"parley/server"
	"parley/ui"
)

// startPasswordServer serves a chat with a password on loopback.
func startPasswordServer(t *testing.T, pw string) string {
	addr, _ := servePassword(t, "127.0.0.1:0", pw)
	return addr
}

// servePassword serves a chat with password pw at addr; stop shuts it
// down as a restart would (the test's end does too).
func servePassword(t *testing.T, addr, pw string) (string, func()) {
	t.Helper()
	v, err := password.New(pw, password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Room: "Secret", Rate: -1, Password: v})
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx, "shutdown", "restarting")
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// The host dialog's password: hidden, shown and hidden again with its
// button; the host's own window joins with it, and others need it.
func TestHostWithPassword(t *testing.T) {
	a := rememberedApp(t)
	u, p := newUI(t, ui.Options{})
	port, _, nick, d := u.HostForm()
	port.SetText(strconv.Itoa(freePort(t)))
	nick.SetText("lea")
	pw, reveal := u.HostPassword()
	if !pw.Password {
		t.Fatal("the password field shows what is typed before its button is pressed")
	}
	test.Type(pw, "4711")
	test.Tap(reveal)
	if pw.Password {
		t.Fatal("the show button did not show the password")
	}
	test.Tap(reveal)
	if !pw.Password {
		t.Fatal("the hide button did not hide the password")
	}
	d.Submit()
	waitFor(t, "the host's own window joined its chat with the password", u.Connected, p)

	addr := u.HostAddr()
	for _, tc := range []struct {
		pw   string
		want error
	}{{"", client.ErrPasswordNeeded}, {"4712", client.ErrPasswordWrong}, {"4711", nil}} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := client.Dial(ctx, client.Config{Addr: addr, Nick: "max", Password: tc.pw})
		cancel()
		if c != nil {
			c.Close()
		}
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Fatalf("a guest with password %q: %v, want %v", tc.pw, err, tc.want)
		}
	}
	if v := a.Preferences().String("password"); v != "" {
		t.Fatalf("the password went to the preferences: %q", v)
	}
}

// Joining a chat that has a password asks for it; a wrong one asks
// again, saying so; the right one joins.
func TestJoinAsksPassword(t *testing.T) {
	addr := startPasswordServer(t, "open sesame")
	rememberedApp(t)
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "lea")
	var (
		entry *ui.FormEntry
		why   string
		d     ui.Submitter
	)
	waitFor(t, "the password prompt", func() bool { entry, _, why, d = u.PasswordPrompt(); return d != nil }, p)
	if !strings.Contains(why, "needs a password") || !entry.Password {
		t.Fatalf("prompt %q (hidden %v)", why, entry.Password)
	}
	test.Type(entry, "open sesame!")
	d.Submit()
	waitFor(t, "the prompt again, for a wrong password", func() bool {
		entry, _, why, d = u.PasswordPrompt()
		return d != nil && strings.Contains(why, "not right")
	}, p)
	if entry.Text != "" {
		t.Fatalf("the wrong password is still in the field: %q", entry.Text)
	}
	test.Type(entry, "open sesame")
	d.Submit()
	waitFor(t, "joined with the right password", u.Connected, p)
}

// A join link that says the chat has a password (pw=1) asks for it
// before connecting, and carries no password itself.
func TestJoinLinkAsksFirst(t *testing.T) {
	addr := startPasswordServer(t, "1234")
	a := test.NewTempApp(t)
	u, p := newUI(t, ui.Options{})
	u.ShowConnect()
	at, nick, d := u.ConnectForm()
	at.SetText("parley://" + addr + "?pw=1")
	nick.SetText("lea")
	d.Submit()
	p.Run()
	entry, _, why, pd := u.PasswordPrompt()
	if pd == nil || !strings.Contains(why, "has a password") {
		t.Fatalf("no prompt before connecting (prompt %q); log:\n%s", why, strings.Join(u.Lines(), "\n"))
	}
	for _, l := range u.Lines() {
		if strings.Contains(l, "password") {
			t.Fatalf("a connection was tried before asking: %q", l)
		}
	}
	test.Type(entry, "1234")
	pd.Submit()
	waitFor(t, "joined", u.Connected, p)
	_ = a
}

// fakeKeyring is a keyring in memory; broken, it fails every call.
type fakeKeyring struct {
	mu     sync.Mutex
	m      map[string]string
	broken bool
}

func (k *fakeKeyring) Load(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.broken {
		return "", errors.New("no Secret Service")
	}
	return k.m[key], nil
}

func (k *fakeKeyring) Store(key, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[key] = secret
	return nil
}

func (k *fakeKeyring) Forget(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func (k *fakeKeyring) get(key string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[key]
}

// With a keyring, the prompt offers to remember the password there, and
// a later window joins with it without asking; without one, the prompt
// offers nothing and says where the password stays.
func TestPasswordKeyring(t *testing.T) {
	addr := startPasswordServer(t, "open sesame")
	kr := &fakeKeyring{}
	a := test.NewTempApp(t)
	u, p := newUI(t, ui.Options{Keyring: kr})
	waitFor(t, "the keyring probed", u.KeyringReady, p)
	u.Dial(addr, "lea")
	waitFor(t, "the prompt", func() bool { _, _, _, d := u.PasswordPrompt(); return d != nil }, p)
	keep := u.PasswordKeep()
	if keep == nil || keep.Checked {
		t.Fatalf("remember box %v: want one, not ticked", keep)
	}
	entry, _, _, d := u.PasswordPrompt()
	test.Type(entry, "open sesame")
	test.Tap(keep)
	d.Submit()
	waitFor(t, "joined", u.Connected, p)
	waitFor(t, "the password in the keyring", func() bool { return kr.get(addr) == "open sesame" }, p)
	u.Close()

	u2, p2 := newUI(t, ui.Options{Keyring: kr})
	waitFor(t, "the keyring probed", u2.KeyringReady, p2)
	u2.Dial(addr, "max")
	waitFor(t, "a second window joined with the kept password", u2.Connected, p2)
	if _, _, _, d := u2.PasswordPrompt(); d != nil {
		t.Fatal("the second window asked for the password")
	}
	u2.Close()

	u3, p3 := newUI(t, ui.Options{Keyring: &fakeKeyring{broken: true}})
	u3.Dial(addr, "ida")
	waitFor(t, "the prompt", func() bool { _, _, _, d := u3.PasswordPrompt(); return d != nil }, p3)
	if u3.KeyringReady() || u3.PasswordKeep() != nil {
		t.Fatal("a broken keyring is offered")
	}
	_ = a
}

// The host restarts the chat with another password: the window's
// reconnect is refused, it stops retrying, and asks for the new one.
func TestPasswordChangedWhileIn(t *testing.T) {
	addr, stop := servePassword(t, "127.0.0.1:0", "first")
	a := test.NewTempApp(t)
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "lea")
	waitFor(t, "the prompt", func() bool { _, _, _, d := u.PasswordPrompt(); return d != nil }, p)
	entry, _, _, d := u.PasswordPrompt()
	test.Type(entry, "first")
	d.Submit()
	waitFor(t, "joined", u.Connected, p)
	stop()
	servePassword(t, addr, "second")
	var why string
	waitFor(t, "a prompt for the new password", func() bool {
		_, _, why, d = u.PasswordPrompt()
		return d != nil && strings.Contains(why, "not right")
	}, p)
	entry, _, _, d = u.PasswordPrompt()
	test.Type(entry, "second")
	d.Submit()
	waitFor(t, "joined with the new password", u.Connected, p)
	_ = a
}
