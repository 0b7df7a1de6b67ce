package ui_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"parley/server/store"
	"parley/ui"
)

// hostAndSay hosts from u on a free loopback port, joins as alice, says
// text and waits until the server has taken it.
func hostAndSay(t *testing.T, u *ui.UI, p *ui.Pump, text string) {
	t.Helper()
	u.StartHosting(0, false, "Room", "alice")
	waitFor(t, "the host to join its own chat", u.Connected, p)
	say(t, u, p, text)
}

// say sends text from u and waits until the server has taken it and
// echoed it.
func say(t *testing.T, u *ui.UI, p *ui.Pump, text string) {
	t.Helper()
	typeAndSend(u, text)
	waitFor(t, "the message to be delivered", func() bool {
		return u.Count(": "+text) == 1 && u.Count("[pending]") == 0
	}, p)
}

// freePort returns a loopback port nothing listens on at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// noLocalLog turns the window's local log off, so that what a window
// shows of a chat comes from the server alone.
func noLocalLog(t *testing.T) fyne.App {
	a := rememberedApp(t)
	a.Preferences().SetBool("locallog", false)
	return a
}

// TestHostedHistorySurvives: a chat hosted from the window keeps its
// history in the data folder, so hosting again, in a new window on the
// same folder, shows what was said before.
func TestHostedHistorySurvives(t *testing.T) {
	noLocalLog(t)
	data := t.TempDir()
	u1, p1 := newUI(t, ui.Options{DataDir: data})
	hostAndSay(t, u1, p1, "remember me")
	u1.Close()
	if _, err := os.Stat(filepath.Join(data, ui.HostHistoryDir, store.FileName)); err != nil {
		t.Fatalf("no history on disk: %v", err)
	}

	u2, p2 := newUI(t, ui.Options{DataDir: data})
	u2.StartHosting(0, false, "Room", "alice")
	waitFor(t, "the earlier message, hosting again", func() bool {
		return u2.Connected() && u2.Count("chat alice: remember me") == 1
	}, p2)
	// Stopping and hosting again at once waits for the first server to
	// let go of the folder, rather than finding it in use.
	say(t, u2, p2, "second time")
	u2.StopHosting()
	u2.StartHosting(0, false, "Room", "alice")
	// The window keeps the first chat's lines: the new chat's welcome
	// says how many messages it brings back.
	waitFor(t, "both messages, hosting a third time", func() bool {
		return u2.Connected() && u2.Count("The last 2 messages from before you came follow") == 1 &&
			u2.Count("chat alice: remember me") == 2 && u2.Count("chat alice: second time") == 2
	}, p2)
	if u2.Count("cannot") != 0 {
		t.Errorf("hosting again right after stopping went wrong: %q", u2.Lines())
	}
}

// TestHostNoHistorySwitch: with the Host dialog's "Don't keep history"
// on, nothing is written to disk; the switch is remembered; turned off
// again, the chat keeps history and the earlier chat is not in it.
func TestHostNoHistorySwitch(t *testing.T) {
	noLocalLog(t).Preferences().SetBool("host.lan", false)
	data := t.TempDir()
	u1, p1 := newUI(t, ui.Options{DataDir: data})
	port, _, _, d := u1.HostForm()
	sw := u1.HostHistorySwitch()
	if sw == nil || sw.Checked || sw.Text != "Don't keep history" {
		t.Fatalf("history switch %+v: want one, off by default", sw)
	}
	test.Tap(sw)
	port.SetText(strconv.Itoa(freePort(t)))
	d.Submit()
	waitFor(t, "the host to join its own chat", u1.Connected, p1)
	say(t, u1, p1, "forget me")
	if u1.Count("History is off") != 1 {
		t.Errorf("the window does not say history is off: %q", u1.Lines())
	}
	u1.Close()
	if _, err := os.Stat(filepath.Join(data, ui.HostHistoryDir)); !os.IsNotExist(err) {
		t.Fatalf("history folder with history off: %v", err)
	}

	u2, p2 := newUI(t, ui.Options{DataDir: data})
	port, _, _, d = u2.HostForm()
	if sw := u2.HostHistorySwitch(); !sw.Checked {
		t.Fatal("the history switch was not remembered")
	}
	test.Tap(u2.HostHistorySwitch())
	port.SetText(strconv.Itoa(freePort(t)))
	d.Submit()
	waitFor(t, "the host to join its own chat", u2.Connected, p2)
	say(t, u2, p2, "keep me")
	if u2.Count("forget me") != 0 || u2.Count("History is off") != 0 {
		t.Errorf("history off came back: %q", u2.Lines())
	}
	if _, err := os.Stat(filepath.Join(data, ui.HostHistoryDir, store.FileName)); err != nil {
		t.Fatalf("no history on disk with the switch off again: %v", err)
	}
}

// TestHostHistoryTrouble: a history folder that cannot be used is left
// as it is, the window says why, and hosting goes ahead without history
// only if the user agrees.
func TestHostHistoryTrouble(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  string
	}{
		{"in use", func(t *testing.T, dir string) {
			db, err := store.Open(dir, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}, "Another Parley is using"},
		{"damaged", func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, store.FileName), bytes.Repeat([]byte("not a database "), 100), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is damaged"},
		{"read-only", func(t *testing.T, dir string) {
			db, err := store.Open(dir, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			readOnlyDir(t, dir)
		}, "cannot be written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLocalLog(t)
			data := t.TempDir()
			u, p := newUI(t, ui.Options{DataDir: data})
			dir := u.HistoryDir()
			tc.spoil(t, dir)
			before := snapshot(t, dir)

			u.StartHosting(0, false, "Room", "alice")
			p.Run()
			if u.Hosting() {
				t.Fatal("hosting started without asking")
			}
			if u.Count(tc.want) != 1 {
				t.Fatalf("the window does not say %q: %q", tc.want, u.Lines())
			}
			top := u.Window().Canvas().Overlays().Top()
			if top == nil || findButton(top, "Don't host") == nil {
				t.Fatal("no question whether to host without history")
			}
			b := findButton(top, "Host without history")
			if b == nil {
				t.Fatal("no Host without history button")
			}
			test.Tap(b)
			waitFor(t, "the host to join its own chat", u.Connected, p)
			say(t, u, p, "said anyway")
			if u.Count("keeps no history") != 1 {
				t.Errorf("the window does not say the chat keeps no history: %q", u.Lines())
			}
			u.Close()
			if after := snapshot(t, dir); after != before {
				t.Errorf("the history folder changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot describes the database file in dir: its size and a hash of
// its bytes, or that there is none.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if os.IsNotExist(err) {
		return "none"
	}
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
}

// readOnlyDir makes dir read-only for this process: bound read-only
// onto itself when running as root (whom permissions do not stop),
// chmod otherwise.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("mount", "-o", "bind,ro", dir, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o bind,ro %s: %v: %s", dir, err, out)
	}
	// Lazily: a test that failed may still have the database open.
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); err == nil {
		t.Fatal("the read-only mount can be written")
	}
}

// TestHostFlagNoHistory: parley -host -no-history hosts at once without
// history, whatever the Host dialog last chose; without -no-history, the
// dialog's remembered choice holds.
func TestHostFlagNoHistory(t *testing.T) {
	for _, tc := range []struct {
		name       string
		flag, pref bool
		kept       bool
	}{
		{"default", false, false, true},
		{"-no-history", true, false, false},
		{"remembered switch", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLocalLog(t).Preferences().SetBool("host.nohistory", tc.pref)
			data := t.TempDir()
			u, p := newUI(t, ui.Options{DataDir: data, Host: true, Local: true, Port: freePort(t), Nick: "alice", NoHistory: tc.flag})
			waitFor(t, "the host to join its own chat", u.Connected, p)
			say(t, u, p, "hello")
			u.Close()
			_, err := os.Stat(filepath.Join(data, ui.HostHistoryDir, store.FileName))
			if kept := err == nil; kept != tc.kept {
				t.Fatalf("history kept on disk: %v (%v), want %v", kept, err, tc.kept)
			}
		})
	}
}
