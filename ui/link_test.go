package ui_test

import (
	"testing"

	"parley/ui"
)

// TestConnectTakesJoinLink: a join link pasted in the server field joins
// the chat it names; a broken one is refused with the reason.
func TestConnectTakesJoinLink(t *testing.T) {
	rememberedApp(t)
	_, addr := startServer(t, 0)
	u, p := newUI(t, ui.Options{})
	u.ShowConnect()
	server, _, d := u.ConnectForm()
	server.SetText("parley://host:99999")
	if err := server.Validate(); err == nil {
		t.Fatal("a link with a bad port passes the check")
	}
	server.SetText("parley://" + addr + "?fp=future")
	if err := server.Validate(); err != nil {
		t.Fatalf("a join link is refused: %v", err)
	}
	d.Submit()
	waitFor(t, "joining from the link", u.Connected, p)
	if got := u.SessionAddr(); got != addr {
		t.Errorf("joined %q, want %q", got, addr)
	}
}
