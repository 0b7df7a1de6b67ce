package ui_test

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"parley/ui"
)

// The window keeps a local log of a chat it leaves; joining again shows
// it before the connection is up, and the backlog does not repeat it.
// The preference turns it off, and "Clear local logs" deletes it.
func TestLocalLog(t *testing.T) {
	rememberedApp(t)
	addr := startStoredServer(t, 50)
	fill(t, addr, []string{"first words", "second words", "third\nwords"})
	data := t.TempDir()

	u1, p1 := newUI(t, ui.Options{DataDir: data})
	u1.Dial(addr, "bob")
	waitFor(t, "the backlog", func() bool { return u1.Count("alice: third\nwords") == 1 }, p1)
	u1.Disconnect()
	p1.Run()

	dave := dialPeer(t, addr, "dave")
	dave.Say(t, "while bob was away")
	waitFor(t, "dave's echo", func() bool { return dave.Count("while bob was away") == 1 })
	u2, p2 := newUI(t, ui.Options{DataDir: data})
	u2.Dial(addr, "bob")
	// Before any network event is applied:
	if u2.Connected() || u2.Count("Your local log of Testroom") != 1 || u2.Count("chat alice: second words") != 1 {
		t.Fatalf("the local log is not shown before connecting:\n%s", strings.Join(u2.Lines(), "\n"))
	}
	waitFor(t, "the backlog", func() bool { return u2.Count("chat dave: while bob was away") == 1 }, p2)
	for _, text := range []string{"chat alice: first words", "chat alice: second words", "chat alice: third\nwords"} {
		if n := u2.Count(text); n != 1 {
			t.Errorf("%q shown %d times, want once:\n%s", text, n, strings.Join(u2.Lines(), "\n"))
		}
	}
	u2.Close()
	p2.Run()

	// Turned off: nothing is shown.
	u3, p3 := newUI(t, ui.Options{DataDir: data})
	u3.ToggleLocalLog()
	u3.Dial(addr, "bob")
	if u3.Count("Your local log") != 0 {
		t.Fatal("the local log is shown though turned off")
	}
	waitFor(t, "joining", u3.Connected, p3)
	u3.ToggleLocalLog() // on again

	// Cleared: the folder is gone.
	if _, err := os.Stat(u3.LocalLogDir()); err != nil {
		t.Fatalf("no local logs to clear: %v", err)
	}
	u3.ClearLocalLogs()
	del := findButton(u3.Window().Canvas().Overlays().Top(), "Delete")
	if del == nil {
		t.Fatal("no confirmation with a Delete button")
	}
	test.Tap(del)
	if _, err := os.Stat(u3.LocalLogDir()); !os.IsNotExist(err) {
		t.Fatalf("local logs still there after clearing: %v", err)
	}
}
