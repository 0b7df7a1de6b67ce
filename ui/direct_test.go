package ui_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"parley/net/client"
	"parley/server"
	"parley/ui"
)

// watcher is a headless client that keeps every event, for checking
// what a third person in the room receives.
type watcher struct {
	c   *client.Client
	mu  sync.Mutex
	evs []client.Event
}

func watch(t *testing.T, addr, nick string) *watcher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{Addr: addr, Nick: nick, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("%s: %v", nick, err)
	}
	w := &watcher{c: c}
	go func() {
		for ev := range c.Events() {
			w.mu.Lock()
			w.evs = append(w.evs, ev)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close() })
	return w
}

// has reports whether the watcher received an event that match accepts.
func (w *watcher) has(match func(client.Event) bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.ContainsFunc(w.evs, match)
}

// The window's private conversations and moderation, against a real
// hosted server: a guest messages the host from the people list; the host
// sees an unread count and a notification, answers, makes the guest a
// moderator and sets the topic; the new moderator bans a third person
// from the people list. The third person never sees the private messages.
func TestPrivateConversationAndModeration(t *testing.T) {
	a := test.NewTempApp(t)
	remembered(a)
	var mu sync.Mutex
	var notes []*fyne.Notification
	host, hp := newUI(t, ui.Options{Notify: func(n *fyne.Notification) {
		mu.Lock()
		notes = append(notes, n)
		mu.Unlock()
	}})
	host.StartHosting(0, false, "Lounge", "alice")
	waitFor(t, "the host to join as the host", func() bool {
		return host.Connected() && slices.Contains(host.PeopleRows(), "alice (host) — you")
	}, hp)

	guest, gp := newUI(t, ui.Options{})
	guest.Dial(host.HostAddr(), "bob")
	carol := watch(t, host.HostAddr(), "carol")
	waitFor(t, "everyone to see everyone", func() bool {
		return strings.Join(guest.PeopleRows(), ",") == "alice (host),bob — you,carol" && len(host.PeopleRows()) == 3
	}, hp, gp)

	if got := strings.Join(guest.PeopleRows(), ","); got != "alice (host),bob — you,carol" {
		t.Errorf("guest's people = %s", got)
	}
	if got := guest.PeopleMenu("alice"); !slices.Equal(got, []string{"Message"}) {
		t.Errorf("a member's menu on the host = %q, want only Message", got)
	}
	if got := guest.PeopleMenu("bob"); got != nil {
		t.Errorf("a menu on oneself: %q", got)
	}
	if !guest.PickPerson("alice", "Message") {
		t.Fatal("no Message in the menu")
	}
	typeAndSend(guest, "psst, alice")
	waitFor(t, "the host to see an unread private message", func() bool {
		return slices.Equal(host.Conversations(), []string{"bob (1)"})
	}, hp, gp)
	waitFor(t, "the guest's echo", func() bool {
		return len(guest.ConversationLines("alice")) == 1
	}, hp, gp)
	if l := guest.ConversationLines("alice")[0]; !strings.HasSuffix(l, "bob: psst, alice") {
		t.Errorf("guest's line %q", l)
	}
	mu.Lock()
	if len(notes) != 1 || notes[0].Title != "Private message from bob" || notes[0].Content != "psst, alice" {
		t.Errorf("notifications %v", notes)
	}
	mu.Unlock()
	if host.Count("psst") != 0 {
		t.Errorf("the private message is in the room's log: %q", host.Lines())
	}

	host.ShowConversation("bob")
	if got := host.Conversations(); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("after showing it: %q", got)
	}
	typeAndSend(host, "hi bob")
	waitFor(t, "the guest to get the answer", func() bool {
		lines := guest.ConversationLines("alice")
		return len(lines) == 2 && strings.HasSuffix(lines[1], "alice: hi bob")
	}, hp, gp)
	if got := guest.Conversations(); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("guest's tabs with the conversation shown: %q (no unread while shown)", got)
	}

	host.ShowRoom()
	want := []string{"Message", "", "Kick…", "Mute for 10 minutes…", "Ban for 1 hour…", "Make moderator"}
	if got := host.PeopleMenu("bob"); !slices.Equal(got, want) {
		t.Errorf("the host's menu on bob = %q, want %q", got, want)
	}
	host.PickPerson("bob", "Make moderator")
	waitFor(t, "bob to be a moderator", func() bool {
		return slices.Contains(guest.PeopleRows(), "bob (moderator) — you") && slices.Contains(host.PeopleRows(), "bob (moderator)")
	}, hp, gp)
	typeAndSend(host, "/topic Demo at noon")
	waitFor(t, "the topic to show", func() bool { return guest.Topic() == "Topic: Demo at noon" }, hp, gp)

	if got := guest.PeopleMenu("alice"); !slices.Equal(got, []string{"Message"}) {
		t.Errorf("a moderator's menu on the host = %q", got)
	}
	if got := guest.PeopleMenu("carol"); !slices.Equal(got, want[:5]) {
		t.Errorf("a moderator's menu on carol = %q, want %q", got, want[:5])
	}
	guest.PickPerson("carol", "Ban for 1 hour…")
	answerReason(t, guest, "", "Ban")
	waitFor(t, "carol to be banned", func() bool {
		return carol.has(func(ev client.Event) bool {
			d, ok := ev.(client.Disconnected)
			return ok && errors.Is(d.Err, client.ErrBanned) && d.Retry == 0
		})
	}, hp, gp)
	waitFor(t, "the room to be told", func() bool { return host.Count("Bob banned carol until") == 1 }, hp, gp)
	if carol.has(func(ev client.Event) bool { _, ok := ev.(client.Private); return ok }) {
		t.Error("a third person received a private message")
	}

	// The host takes moderation back, then removes bob: his window says
	// so and does not reconnect by itself.
	host.PickPerson("bob", "Remove moderator")
	waitFor(t, "bob to be a member again", func() bool { return slices.Contains(guest.PeopleRows(), "bob — you") }, hp, gp)
	host.PickPerson("bob", "Kick…")
	answerReason(t, host, "", "Kick")
	waitFor(t, "bob's window to say he was removed", func() bool {
		return guest.Count("You were removed from the chat. You were removed by alice.") == 1
	}, hp, gp)
	if got := guest.Status(); got != "Removed from the chat at "+host.HostAddr() {
		t.Errorf("bob's status = %q", got)
	}
	settle(300*time.Millisecond, hp, gp)
	if guest.Connected() {
		t.Error("a kicked window reconnected by itself")
	}
}

// A headless server's host key typed in the window's compose box makes
// the window the host; a wrong one is refused and said so.
func TestHostKeyTyped(t *testing.T) {
	a := test.NewTempApp(t)
	remembered(a)
	const key = "0123456789abcdef0123456789abcdef"
	_, addr := serveAt(t, "127.0.0.1:0", server.New(server.Config{Room: "Testroom", HostKey: key}))

	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "gina")
	waitFor(t, "joining", u.Connected, p)
	typeAndSend(u, "/host wrong-key")
	waitFor(t, "the refusal", func() bool { return u.Count("that is not the host key") == 1 }, p)
	typeAndSend(u, "/host "+key)
	waitFor(t, "gina to be the host", func() bool { return slices.Contains(u.PeopleRows(), "gina (host) — you") }, p)
	if u.Count("You are the host") != 1 {
		t.Errorf("no line says so: %q", u.Lines())
	}
}
