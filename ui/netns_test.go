package ui_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"parley/internal/netnstest"
	"parley/net/discovery"
	"parley/ui"
)

// TestMain runs the parts of TestConnectDialogRealDiscovery that play in
// network namespaces (see netnstest.Main).
func TestMain(m *testing.M) {
	netnstest.Main(m, map[string]func() int{"host": uiRoleHost, "window": uiRoleWindow})
}

// uiRoleHost serves a chat and announces it until stdin closes (see
// netnstest.Host).
func uiRoleHost() int { return netnstest.Host(nil, nil) }

// uiRoleWindow opens the connect dialog with the real browser, waits for
// PARLEY_ROOM to be listed, taps it, and prints "JOINED addr" once in.
func uiRoleWindow() int {
	test.NewApp()
	a := fyne.CurrentApp()
	a.Preferences().SetString("nick", "bob")
	u, p := ui.NewTest(a, ui.Options{Browse: func(ctx context.Context, f func([]discovery.Service)) error {
		return discovery.Browse(ctx, nil, f)
	}})
	defer u.Close()
	room := os.Getenv("PARLEY_ROOM")
	deadline := time.Now().Add(20 * time.Second)
	tapped := false
	for time.Now().Before(deadline) {
		p.Run()
		if u.Connected() {
			fmt.Println("JOINED", u.SessionAddr())
			return 0
		}
		if rows := u.FoundRows(); !tapped && len(rows) > 0 && strings.HasPrefix(rows[0].Text, room+" · ") {
			fmt.Println("LISTED", rows[0].Text)
			test.Tap(rows[0])
			tapped = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "not joined: rows %q, status %q, lines %q\n", rowTexts(u), u.FoundStatus(), u.Lines())
	return 1
}

// TestConnectDialogRealDiscovery runs parts of itself in two network
// namespaces (the test binary again, inside one): a chat announced in one
// is listed by the connect dialog, with the real net/discovery browser, in
// the other, and a tap on its row joins it.
func TestConnectDialogRealDiscovery(t *testing.T) {
	p := netnstest.NewPair(t)
	room := "Real " + p.A[3:]
	env := []string{"PARLEY_ROOM=" + room, "LANG=en_US.UTF-8"}
	host := netnstest.StartRole(t, p.A, "host", env)
	port := host.Expect(`^HOSTING (\d+)`, 15*time.Second)[1]
	win := netnstest.StartRole(t, p.B, "window", env)
	listed := win.Expect(`^LISTED (.*)$`, 20*time.Second)[1]
	if want := room + " · 0 people"; !strings.HasPrefix(listed, want) || !strings.Contains(listed, "found on your network ("+p.IfB+")") {
		t.Errorf("row %q, want %q… found on your network (%s)", listed, want, p.IfB)
	}
	joined := win.Expect(`^JOINED (.*)$`, 20*time.Second)[1]
	if want := net.JoinHostPort(p.AddrA, port); joined != want {
		t.Errorf("joined %s, want %s", joined, want)
	}
	win.Stop(10 * time.Second)
	host.Stop(10 * time.Second)
}
