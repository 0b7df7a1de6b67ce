package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/gorilla/websocket"

	"parley/net/pin"
	"parley/net/wire"
	"parley/server"
	"parley/ui"
)

// startTLSServer runs a server with TLS from a new key and returns its
// address and key.
func startTLSServer(t *testing.T) (*testServer, string, pin.Fingerprint) {
	return startTLSServerAt(t, "127.0.0.1:0")
}

// startTLSServerAt is startTLSServer on a given address.
func startTLSServerAt(t *testing.T, addr string) (*testServer, string, pin.Fingerprint) {
	t.Helper()
	cert, err := server.LoadCertificate(t.TempDir(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := pin.CertFingerprint(cert)
	srv, addr := serveAt(t, addr, server.New(server.Config{Room: "Secret", Rate: -1, TLS: server.NewTLSConfig(cert)}))
	return srv, addr, fp
}

// TestPinWarning: joining a server whose key is not the pinned one shows
// the warning and connects nothing; Cancel leaves it so; trusting the new
// key joins and pins it.
func TestPinWarning(t *testing.T) {
	test.NewTempApp(t)
	srv, addr, fp := startTLSServer(t)
	u, p := newUI(t, ui.Options{DataDir: t.TempDir()})
	// The window met another key at this address before.
	old := pin.Fingerprint{1, 2, 3}
	u.Pins().Pin(addr, old)

	u.Dial(addr, "ann")
	waitFor(t, "the warning", func() bool { _, _, shown := u.PinWarning(); return shown }, p)
	if u.Connected() || srv.Stats().Conns != 0 {
		t.Fatal("connected despite the changed key")
	}
	if u.Count("Someone may be intercepting") != 1 {
		t.Errorf("the log does not name the risk: %q", u.Lines())
	}
	cancel, _, _ := u.PinWarning()
	test.Tap(cancel)
	settle(300*time.Millisecond, p)
	if _, _, shown := u.PinWarning(); shown {
		t.Error("Cancel left the warning open")
	}
	if u.Connected() || srv.Stats().Conns != 0 {
		t.Error("connected after Cancel")
	}
	if got, _ := u.Pins().Lookup(addr); got != old {
		t.Errorf("Cancel changed the pin to %s", got.Code())
	}

	// Again, and this time trust the new certificate.
	u.Dial(addr, "ann")
	waitFor(t, "the warning again", func() bool { _, _, shown := u.PinWarning(); return shown }, p)
	settle(200*time.Millisecond, p) // the decision is still pending: nothing connects meanwhile
	if u.Connected() || srv.Stats().Conns != 0 {
		t.Fatal("connected while the warning waited for a decision")
	}
	_, trust, _ := u.PinWarning()
	test.Tap(trust)
	waitFor(t, "the join after trusting", u.Connected, p)
	if got, _ := u.Pins().Lookup(addr); got != fp {
		t.Errorf("after trusting, the pin is %s, want %s", got.Code(), fp.Code())
	}
	if enc, got := u.Encrypted(); !enc || got != fp {
		t.Errorf("Encrypted() = %v, %s", enc, got.Code())
	}
}

// TestHostEncryptedByDefault: hosting from the window serves TLS; a
// second window joins by the bare address, encrypted, and pins the key;
// plain ws:// programs are refused unless the host allows them.
func TestHostEncryptedByDefault(t *testing.T) {
	rememberedApp(t)
	dir := t.TempDir()
	host, hp := newUI(t, ui.Options{DataDir: dir})
	if hint := host.HostCertHint(); !strings.Contains(hint, "Code to compare") {
		t.Errorf("Host dialog's encryption line = %q", hint)
	}
	host.StartHosting(0, false, "Lounge", "alice")
	waitFor(t, "the host to join its own chat", host.Connected, hp)
	fp := host.HostFingerprint()
	if fp.IsZero() {
		t.Fatal("hosting is not encrypted")
	}
	if !strings.Contains(host.HostCertHint(), fp.Code()) {
		t.Errorf("the Host dialog shows %q, not the code %s", host.HostCertHint(), fp.Code())
	}
	if enc, got := host.Encrypted(); !enc || got != fp {
		t.Errorf("the host's own connection: encrypted %v with %s", enc, got.Code())
	}

	guest, gp := newUI(t, ui.Options{DataDir: t.TempDir()})
	guest.Dial(host.HostAddr(), "bob")
	waitFor(t, "the guest to join", guest.Connected, hp, gp)
	if enc, got := guest.Encrypted(); !enc || got != fp {
		t.Errorf("the guest: encrypted %v with %s", enc, got.Code())
	}
	if guest.Count("This connection is encrypted. The host's code is "+fp.Code()) != 1 {
		t.Errorf("the guest's log does not show the code to compare: %q", guest.Lines())
	}

	// A plain-text program is told to use wss://.
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+host.HostAddr()+"/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain ws:// to the hosted chat: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "wss://") {
		t.Errorf("the refusal says %q", body)
	}
	host.StopHosting()
	hp.Run()

	// The same key next time: the certificate is kept.
	host.StartHostingPlain(0, false, "Lounge", "alice")
	waitFor(t, "the host to join again", host.Connected, hp)
	if host.HostFingerprint() != fp {
		t.Errorf("a new key on the second hosting: %s, was %s", host.HostFingerprint().Code(), fp.Code())
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+host.HostAddr()+"/", nil)
	if err != nil {
		t.Fatalf("plain ws:// with plain allowed: %v", err)
	}
	ws.Close()
}

// TestPinWarningOnReconnect: the host's server is replaced, on the same
// address, by one with another key while a guest is in the chat; the
// guest's reconnect stops at the warning instead of joining.
func TestPinWarningOnReconnect(t *testing.T) {
	test.NewTempApp(t)
	srv, addr, _ := startTLSServer(t)
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "ann")
	waitFor(t, "the first join", u.Connected, p)

	srv.Stop(t, wire.ByeShutdown)
	impostor, _, fp2 := startTLSServerAt(t, addr)
	waitFor(t, "the warning on reconnect", func() bool { _, _, shown := u.PinWarning(); return shown }, p)
	if u.Connected() || impostor.Stats().Rich != 0 {
		t.Fatal("the reconnect joined the server with the other key")
	}
	_, trust, _ := u.PinWarning()
	test.Tap(trust)
	waitFor(t, "the join after trusting", u.Connected, p)
	if enc, got := u.Encrypted(); !enc || got != fp2 {
		t.Errorf("Encrypted() = %v, %s; want %s", enc, got.Code(), fp2.Code())
	}
}

// TestNotEncryptedExplained: a pinned chat that answers in the clear is
// not joined, and the window says why in words that name the risk.
func TestNotEncryptedExplained(t *testing.T) {
	test.NewTempApp(t)
	_, addr := startServer(t, 0) // plain
	u, p := newUI(t, ui.Options{})
	u.Pins().Pin(addr, pin.Fingerprint{7})
	u.Dial(addr, "ann")
	waitFor(t, "the failure", func() bool { return u.Count("answered without encryption") == 1 }, p)
	if u.Connected() {
		t.Fatal("joined a pinned chat that answered in the clear")
	}
}
