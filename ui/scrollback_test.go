package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"parley/server"
	"parley/server/store"
	"parley/ui"
)

// startStoredServer runs a real server on loopback with its history in
// SQLite in a temporary folder, and a backlog of backlog messages.
func startStoredServer(t *testing.T, backlog int) string {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(server.Config{Room: "Testroom", Rate: -1, Backlog: backlog, Store: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the server's stop: cleanups run last first
	_, addr := serveAt(t, "127.0.0.1:0", srv)
	return addr
}

// fill has a peer send texts, one after another, each after the echo of
// the one before, so that they get ids 1, 2, ... in order.
func fill(t *testing.T, addr string, texts []string) {
	t.Helper()
	alice := dialPeer(t, addr, "alice")
	for _, text := range texts {
		alice.Say(t, text)
		waitFor(t, "the echo of "+text, func() bool { return alice.Count(text) == 1 })
	}
}

func numbered(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		text := fmt.Sprintf("number %d", i)
		if i == 7 || i == 57 {
			text = fmt.Sprintf("seven-ish %d", i)
		}
		out = append(out, text)
	}
	return out
}

// Scrolling to the top fetches older pages without moving the view, the
// log never holds more than its cap (the newest entries drop out, the
// list is cut from the present), and the jump button brings the present
// back, with what came meanwhile.
func TestScrollBackBeyondBacklog(t *testing.T) {
	rememberedApp(t)
	addr := startStoredServer(t, 5)
	fill(t, addr, numbered(90))

	const maxMessages = 40
	u, p := newUI(t, ui.Options{MaxMessages: maxMessages})
	u.Dial(addr, "bob")
	waitFor(t, "the backlog", func() bool { return u.Count("chat alice: number 90") == 1 }, p)

	// Scroll to the top until the first message is held.
	for u.OldestID() != 1 {
		waitFor(t, "no page in flight", func() bool { return !u.Loading() }, p)
		oldest := u.OldestID()
		u.MessageList().ScrollToTop()
		top := u.TopSeq() // the page comes only when the pump runs
		if !u.Loading() {
			if oldest == 1 {
				break
			}
			t.Fatalf("scrolled to the top with message %d the oldest, but nothing is loading", oldest)
		}
		waitFor(t, "an older page", func() bool { return !u.Loading() }, p)
		if u.Log().Len() > maxMessages {
			t.Fatalf("the log holds %d entries, over its cap of %d", u.Log().Len(), maxMessages)
		}
		if got := u.OldestID(); got >= oldest {
			t.Fatalf("oldest id %d after a page, was %d", got, oldest)
		}
		if got := u.TopSeq(); got != top {
			t.Fatalf("the view jumped: entry %d at the top, was %d", got, top)
		}
	}
	if u.Count("This is the beginning of the history") != 1 {
		t.Errorf("no line saying the history begins:\n%s", strings.Join(u.Lines(), "\n"))
	}
	if u.Count("number 90") != 0 || !u.Cut() {
		t.Fatalf("the newest messages should have dropped out (cut %v)", u.Cut())
	}
	if !u.JumpVisible() || u.JumpText() != "Back to the present" {
		t.Fatalf("jump button %v %q", u.JumpVisible(), u.JumpText())
	}

	// A message while far back is counted, not added.
	carol := dialPeer(t, addr, "carol")
	carol.Say(t, "while you read")
	waitFor(t, "the jump button to count it", func() bool {
		return u.JumpText() == "Back to the present (1 new message)"
	}, p)
	if u.Count("while you read") != 0 {
		t.Fatal("a live message was added to a cut log")
	}

	u.TapJump()
	waitFor(t, "the present", func() bool {
		return !u.Loading() && u.Count("chat carol: while you read") == 1 && u.Count("chat alice: number 90") == 1
	}, p)
	if u.Cut() || u.JumpVisible() || u.Log().Len() > maxMessages {
		t.Fatalf("after returning: cut %v, jump %v, %d entries", u.Cut(), u.JumpVisible(), u.Log().Len())
	}
	// The messages are in order, each once.
	var ids []uint64
	for i := 0; i < u.Log().Len(); i++ {
		if e := u.Log().At(i); e.ID != 0 {
			ids = append(ids, e.ID)
		}
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("ids not consecutive after returning: %v", ids)
		}
	}
	if ids[len(ids)-1] != 91 {
		t.Fatalf("newest id %d, want 91", ids[len(ids)-1])
	}
}

// Ctrl+F searches the server's history; results show time, sender and
// text; choosing one shows it in its context, highlighted and in view.
func TestSearchShowsContext(t *testing.T) {
	rememberedApp(t)
	addr := startStoredServer(t, 5)
	fill(t, addr, numbered(90))

	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "bob")
	waitFor(t, "the backlog", func() bool { return u.Count("chat alice: number 90") == 1 }, p)

	u.ShowSearch()
	if !u.Searching() {
		t.Fatal("no search dialog")
	}
	u.SearchFor("SEVEN")
	var rows []string
	waitFor(t, "the results", func() bool {
		rows, _ = u.SearchRows()
		return len(rows) == 2
	}, p)
	_, status := u.SearchRows()
	if !strings.Contains(status, "2 messages") {
		t.Errorf("status %q", status)
	}
	for i, want := range []string{"seven-ish 57", "seven-ish 7"} {
		parts := strings.Split(rows[i], " | ")
		if len(parts) != 3 || parts[1] != "alice" || parts[2] != want || !strings.Contains(parts[0], ":") {
			t.Errorf("row %d = %q, want time | alice | %s", i, rows[i], want)
		}
	}

	u.SearchFor("nothingatall")
	waitFor(t, "no results", func() bool {
		_, st := u.SearchRows()
		return strings.Contains(st, "Nothing found")
	}, p)

	u.SearchFor("seven")
	waitFor(t, "the results again", func() bool {
		rows, _ = u.SearchRows()
		return len(rows) == 2
	}, p)
	u.ChooseResult(1) // message 7, far beyond the backlog
	if u.Searching() {
		t.Error("the dialog stayed open")
	}
	waitFor(t, "the context", func() bool {
		held, found := u.HasID(7)
		return held && found && !u.Loading()
	}, p)
	if !u.InView(7) {
		t.Error("the result is not in view")
	}
	if !u.Cut() || u.JumpText() != "Back to the present" {
		t.Errorf("cut %v, jump %q", u.Cut(), u.JumpText())
	}
	u.TapJump()
	waitFor(t, "the present", func() bool { return u.Count("chat alice: number 90") == 1 && !u.Cut() }, p)
}

// A server that keeps no searchable history gets a clear message rather
// than a search box.
func TestSearchNeedsServer(t *testing.T) {
	addr := plainServer(t)
	u, _ := joinedUI(t, addr, "hank")
	u.ShowSearch()
	if u.Searching() {
		t.Fatal("a search dialog opened for a plain server")
	}
	if got := u.OverlayText(); !strings.Contains(got, "This server cannot search its history") {
		t.Fatalf("dialog says %q", got)
	}
	// Scrolling to the top asks nothing of it.
	u.MessageList().ScrollToTop()
	if u.Loading() {
		t.Fatal("loading older messages from a plain server")
	}
}
