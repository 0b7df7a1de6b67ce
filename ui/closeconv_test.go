package ui_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"parley/net/client"
	"parley/ui"
)

// answerReason answers the reason dialog the people menu opened in u:
// types reason into its field (which has the focus) and taps button.
func answerReason(t *testing.T, u *ui.UI, reason, button string) {
	t.Helper()
	top := u.Window().Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog asks for a reason")
	}
	f, ok := u.Window().Canvas().Focused().(fyne.Focusable)
	if !ok || f == nil {
		t.Fatal("the reason field does not have the focus")
	}
	if reason != "" {
		test.Type(f, reason)
	}
	b := findButton(top, button)
	if b == nil {
		t.Fatalf("no %s button in the dialog", button)
	}
	test.Tap(b)
}

// A conversation's tab closes with its Close button; the tab bar goes
// when the last one does; a new message opens it again with its lines and
// an unread count that starts from that message; Message in the people
// menu opens it too.
func TestConversationCloses(t *testing.T) {
	a := test.NewTempApp(t)
	remembered(a)
	host, hp := newUI(t, ui.Options{})
	host.StartHosting(0, false, "Lounge", "alice")
	waitFor(t, "the host to join", host.Connected, hp)
	guest, gp := newUI(t, ui.Options{})
	guest.Dial(host.HostAddr(), "bob")
	waitFor(t, "the host to see bob", func() bool { return len(host.PeopleRows()) == 2 }, hp, gp)

	guest.PickPerson("alice", "Message")
	typeAndSend(guest, "one")
	waitFor(t, "the host's unread message", func() bool { return slices.Equal(host.Conversations(), []string{"bob (1)"}) }, hp, gp)

	closer := findButton(host.ConversationPane("bob"), "Close")
	if closer == nil {
		t.Fatal("no Close button in the conversation")
	}
	test.Tap(closer)
	if got := host.Conversations(); got != nil || host.RoomInTabs() {
		t.Fatalf("after closing the only conversation: tabs %q, room in tabs %v", got, host.RoomInTabs())
	}
	typeAndSend(host, "back in the room")
	waitFor(t, "the host's room line", func() bool { return guest.Count("back in the room") == 1 }, hp, gp)

	typeAndSend(guest, "two")
	typeAndSend(guest, "three")
	waitFor(t, "the conversation to open again", func() bool { return slices.Equal(host.Conversations(), []string{"bob (2)"}) }, hp, gp)
	lines := host.ConversationLines("bob")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "bob: one") || !strings.HasSuffix(lines[2], "bob: three") {
		t.Errorf("lines after reopening: %q, want one, two, three", lines)
	}
	host.ShowConversation("bob")
	if got := host.Conversations(); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("shown: %q", got)
	}

	test.Tap(findButton(host.ConversationPane("bob"), "Close"))
	host.PickPerson("bob", "Message")
	if got := host.Conversations(); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("Message from the people menu: %q", got)
	}
	typeAndSend(host, "hi bob")
	waitFor(t, "the guest to get the answer", func() bool {
		l := guest.ConversationLines("alice")
		return len(l) == 4 && strings.HasSuffix(l[3], "alice: hi bob")
	}, hp, gp)
}

// Kick and Ban in the people menu ask for an optional reason first:
// Cancel does nothing, a reason over the limit cannot be sent, and the
// reason given reaches the person removed.
func TestPeopleMenuAsksReason(t *testing.T) {
	a := test.NewTempApp(t)
	remembered(a)
	host, hp := newUI(t, ui.Options{})
	host.StartHosting(0, false, "Lounge", "alice")
	waitFor(t, "the host to join as the host", func() bool {
		return host.Connected() && slices.Contains(host.PeopleRows(), "alice (host) — you")
	}, hp)
	guest, gp := newUI(t, ui.Options{})
	guest.Dial(host.HostAddr(), "bob")
	carol := watch(t, host.HostAddr(), "carol")
	waitFor(t, "the host to see everyone", func() bool { return len(host.PeopleRows()) == 3 }, hp, gp)

	host.PickPerson("carol", "Ban for 1 hour…")
	top := host.Window().Canvas().Overlays().Top()
	if top == nil || findButton(top, "Ban") == nil {
		t.Fatal("Ban did not ask for a reason")
	}
	test.Tap(findButton(top, "Cancel"))
	settle(300*time.Millisecond, hp, gp)
	if carol.has(func(ev client.Event) bool { _, ok := ev.(client.Disconnected); return ok }) {
		t.Fatal("a cancelled ban banned")
	}
	if host.Window().Canvas().Overlays().Top() != nil {
		t.Error("the dialog is still open after Cancel")
	}

	host.PickPerson("bob", "Kick…")
	top = host.Window().Canvas().Overlays().Top()
	long := strings.Repeat("x", 121)
	test.Type(host.Window().Canvas().Focused(), long)
	if b := findButton(top, "Kick"); b == nil || !b.Disabled() {
		t.Errorf("Kick with a %d-character reason: %+v, want disabled", len(long), b)
	}
	e, ok := host.Window().Canvas().Focused().(interface{ SetText(string) })
	if !ok {
		t.Fatalf("the focused field %T takes no text", host.Window().Canvas().Focused())
	}
	e.SetText("")
	answerReason(t, host, "too loud", "Kick")
	waitFor(t, "bob's window to say why", func() bool {
		return guest.Count("You were removed from the chat. You were removed by alice: too loud.") == 1
	}, hp, gp)
	waitFor(t, "the room to be told why", func() bool { return host.Count("You removed bob (too loud)") == 1 }, hp, gp)
}
