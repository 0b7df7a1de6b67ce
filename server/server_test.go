package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

func TestPlainGreetingAndOwnEcho(t *testing.T) {
	_, url := start(t, server.Config{})
	a := plain(t, url)
	a.say("hello, world")
	if got, want := a.text(), "guest-1: hello, world"; got != want {
		t.Fatalf("sender got %q, want %q", got, want)
	}
	a.say("line one\nline two")
	if got, want := a.text(), "guest-1: line one\n         line two"; got != want {
		t.Fatalf("multi-line: got %q, want %q", got, want)
	}
}

// Every pair of modes chats both ways in one room.
func TestModesChat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		aRich  bool
		bRich  bool
		aNick  string
		bNick  string
		expect func(from, text string) string
	}{
		{name: "plain-plain", aNick: "guest-1", bNick: "guest-2"},
		{name: "plain-rich", bRich: true, aNick: "guest-1", bNick: "bob"},
		{name: "rich-plain", aRich: true, aNick: "alice", bNick: "guest-1"},
		{name: "rich-rich", aRich: true, bRich: true, aNick: "alice", bNick: "bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := start(t, server.Config{})
			connect := func(isRich bool, nick string) *client {
				if isRich {
					c, _ := rich(t, url, nick)
					return c
				}
				c := plain(t, url)
				c.name = nick
				return c
			}
			a := connect(tc.aRich, tc.aNick)
			b := connect(tc.bRich, tc.bNick)
			// expect reads the next chat message at c, in c's mode.
			expect := func(c *client, isRich bool, from, text string) {
				t.Helper()
				if !isRich {
					if got, want := c.text(), wire.PlainLine(from, text); got != want {
						t.Fatalf("%s got %q, want %q", c.name, got, want)
					}
					return
				}
				m := next[wire.Msg](c)
				if m.From != from || m.Text != text || m.ID == 0 || m.Time == 0 {
					t.Fatalf("%s got %+v, want %s: %s", c.name, m, from, text)
				}
			}
			sendAs := func(c *client, isRich bool, text string) {
				if isRich {
					c.send(wire.Send{CID: "c-" + text, Text: text})
				} else {
					c.say(text)
				}
			}
			sendAs(a, tc.aRich, "hi from a")
			expect(a, tc.aRich, tc.aNick, "hi from a")
			expect(b, tc.bRich, tc.aNick, "hi from a")
			sendAs(b, tc.bRich, "hi from b")
			expect(a, tc.aRich, tc.bNick, "hi from b")
			expect(b, tc.bRich, tc.bNick, "hi from b")
		})
	}
}

func TestRichMessageFields(t *testing.T) {
	_, url := start(t, server.Config{Room: "Lobby", Version: "1.2.3"})
	a, w := rich(t, url, "alice")
	if w.Nick != "alice" || w.Room != "Lobby" || w.Server != "parley/1.2.3" || w.V != wire.Version {
		t.Fatalf("welcome = %+v", w)
	}
	if len(w.Session) != 32 || len(w.Epoch) == 0 || w.LastID != 0 || len(w.History) != 0 {
		t.Fatalf("welcome session/epoch/history = %+v", w)
	}
	if len(w.Users) != 1 || w.Users[0].Nick != "alice" || w.Users[0].Status != wire.Active {
		t.Fatalf("welcome users = %+v", w.Users)
	}
	if w.Limits.MaxText != wire.DefaultMaxText || w.Limits.MaxFrame != wire.DefaultMaxFrame ||
		w.Limits.Rate != server.DefaultRate || w.Limits.Burst != server.DefaultBurst {
		t.Fatalf("welcome limits = %+v", w.Limits)
	}
	before := time.Now().UnixMilli()
	// Control characters and escapes are cleaned before anyone sees them.
	a.send(wire.Send{CID: "x1", Text: "  hi \x1b[31mthere\r\n "})
	m := next[wire.Msg](a)
	if m.ID != 1 || m.From != "alice" || m.Text != "hi [31mthere" || m.CID != "x1" || m.Time < before-1000 {
		t.Fatalf("msg = %+v", m)
	}
	a.send(wire.Send{CID: "x2", Text: "two"})
	if m := next[wire.Msg](a); m.ID != 2 {
		t.Fatalf("second msg id = %d, want 2", m.ID)
	}
}

func TestJoinAndLeave(t *testing.T) {
	_, url := start(t, server.Config{})
	a, _ := rich(t, url, "alice")

	b := plain(t, url)
	if j, ok := a.frame().(wire.Join); !ok || j.Nick != "guest-1" || !j.Plain {
		t.Fatalf("alice got %#v, want join of plain guest-1", j)
	}
	c, w := rich(t, url, "carol")
	if j, ok := a.frame().(wire.Join); !ok || j.Nick != "carol" || j.Plain || j.Status != wire.Active {
		t.Fatalf("alice got %#v, want join of carol", j)
	}
	var nicks []string
	for _, u := range w.Users {
		nicks = append(nicks, u.Nick)
	}
	if !slices.Equal(nicks, []string{"alice", "carol", "guest-1"}) {
		t.Fatalf("carol's welcome lists %v", nicks)
	}

	// The plain client saw no join lines: its next frame is its own echo.
	b.say("still here")
	if got := b.text(); got != "guest-1: still here" {
		t.Fatalf("plain client got %q", got)
	}
	if m := next[wire.Msg](a); m.Text != "still here" {
		t.Fatalf("alice got %+v", m)
	}

	// carol says goodbye properly; the plain client just drops.
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(wait))
	if l, ok := a.frame().(wire.Leave); !ok || l.Nick != "carol" || l.Reason != "quit" {
		t.Fatalf("alice got %#v, want carol to leave (quit)", l)
	}
	b.ws.UnderlyingConn().Close()
	if l, ok := a.frame().(wire.Leave); !ok || l.Nick != "guest-1" || l.Reason != "lost" {
		t.Fatalf("alice got %#v, want guest-1 to leave (lost)", l)
	}
}

func TestNicknames(t *testing.T) {
	_, url := start(t, server.Config{})
	a, _ := rich(t, url, "alice")

	b := dial(t, url, true)
	b.name = "b"
	for _, tc := range []struct {
		nick string
		code wire.Code
	}{
		{"ALICE", wire.CodeNickTaken},
		{" alice ", wire.CodeNickTaken},
		{"two words", wire.CodeNickInvalid},
		{"", wire.CodeNickInvalid},
		{"evil\x1b[2J", wire.CodeNickInvalid},
		{strings.Repeat("x", wire.MaxNick+1), wire.CodeNickInvalid},
	} {
		b.send(wire.Hello{V: wire.Version, Nick: tc.nick})
		if e := next[wire.Error](b); e.Code != tc.code {
			t.Fatalf("hello %q: error %+v, want %s", tc.nick, e, tc.code)
		}
	}
	// The connection waited; a good hello joins.
	b.send(wire.Hello{V: wire.Version, Nick: "bob"})
	if w := b.welcome(); w.Nick != "bob" {
		t.Fatalf("welcome nick %q", w.Nick)
	}
	b.send(wire.Hello{V: wire.Version, Nick: "bob"})
	if e := next[wire.Error](b); e.Code != wire.CodeAlreadyJoined {
		t.Fatalf("second hello: %+v", e)
	}

	// Renames: taken, invalid, then fine; everyone sees the rename.
	b.send(wire.Nick{Nick: "Alice"})
	if e := next[wire.Error](b); e.Code != wire.CodeNickTaken {
		t.Fatalf("rename to Alice: %+v", e)
	}
	b.send(wire.Nick{Nick: "b b"})
	if e := next[wire.Error](b); e.Code != wire.CodeNickInvalid {
		t.Fatalf("rename to 'b b': %+v", e)
	}
	next[wire.Join](a) // bob
	b.send(wire.Nick{Nick: "robert"})
	for _, c := range []*client{a, b} {
		if r, ok := c.frame().(wire.Rename); !ok || r.Nick != "bob" || r.To != "robert" {
			t.Fatalf("%s got %#v, want rename bob to robert", c.name, r)
		}
	}
	// A case change of one's own nickname is allowed.
	a.send(wire.Nick{Nick: "Alice"})
	if r := next[wire.Rename](b); r.Nick != "alice" || r.To != "Alice" {
		t.Fatalf("rename: %+v", r)
	}
	// The old nickname is free again.
	c, _ := rich(t, url, "bob")
	c.send(wire.Send{Text: "I am bob now"})
	if m := next[wire.Msg](a); m.From != "bob" {
		t.Fatalf("msg from %q", m.From)
	}

	// Plain clients rename with /nick, under the same rules.
	p := plain(t, url)
	p.say("/nick robert")
	if got := p.text(); !strings.HasPrefix(got, "* nickname not changed: ") {
		t.Fatalf("plain /nick taken: %q", got)
	}
	p.say("/nick dave")
	if got := p.text(); got != "* you are now dave" {
		t.Fatalf("plain /nick: %q", got)
	}
	if r := next[wire.Rename](a); r.To != "dave" || !strings.HasPrefix(r.Nick, "guest-") {
		t.Fatalf("rename of plain client: %+v", r)
	}
	p.say("hi")
	if got := p.text(); got != "dave: hi" {
		t.Fatalf("plain after rename: %q", got)
	}
}

func TestPlainCommands(t *testing.T) {
	_, url := start(t, server.Config{})
	a, _ := rich(t, url, "alice")
	a.send(wire.Status{Status: wire.Away})
	// The status is applied once alice hears it back: /who must see it.
	if st := next[wire.Status](a); st.Nick != "alice" || st.Status != wire.Away {
		t.Fatalf("alice got %+v, want her own away status", st)
	}
	p := plain(t, url)
	for _, tc := range []struct{ send, want string }{
		{"/who", "* 2 here: alice (away), guest-1"},
		{"/WHO   ", "* 2 here: alice (away), guest-1"},
		{"//etc/passwd is a file", "guest-1: /etc/passwd is a file"},
		{"/frobnicate now", "* unknown command /frobnicate; type /help for the commands, or start with // to send a line that begins with /"},
		{"/nick", "* usage: /nick NAME"},
	} {
		p.say(tc.send)
		if got := p.text(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.send, got, tc.want)
		}
	}
	p.say("/help")
	if got := p.text(); !strings.HasPrefix(got, "* ") || !strings.Contains(got, "/nick NAME") || !strings.Contains(got, "/who") {
		t.Fatalf("/help: %q", got)
	}
	// Only the literal line was broadcast.
	if m := next[wire.Msg](a); m.Text != "/etc/passwd is a file" || m.From != "guest-1" {
		t.Fatalf("alice got %+v", m)
	}
}

func TestBacklogOnJoin(t *testing.T) {
	for _, tc := range []struct {
		backlog int
		sent    int
		first   uint64
	}{
		{backlog: 0, sent: 5, first: 1}, // default 500
		{backlog: 3, sent: 5, first: 3},
		{backlog: 5, sent: 5, first: 1},
	} {
		t.Run(fmt.Sprint(tc.backlog), func(t *testing.T) {
			_, url := start(t, server.Config{Backlog: tc.backlog})
			p := plain(t, url)
			for i := 1; i <= tc.sent; i++ {
				p.say(fmt.Sprint("message ", i))
				p.text()
			}
			_, w := rich(t, url, "late")
			if w.LastID != uint64(tc.sent) || w.Resumed || w.Gap {
				t.Fatalf("welcome last_id=%d resumed=%v gap=%v", w.LastID, w.Resumed, w.Gap)
			}
			want := uint64(tc.sent) - tc.first + 1
			if uint64(len(w.History)) != want {
				t.Fatalf("history has %d messages, want %d", len(w.History), want)
			}
			for i, m := range w.History {
				id := tc.first + uint64(i)
				if m.ID != id || m.Text != fmt.Sprint("message ", id) || m.From != "guest-1" {
					t.Fatalf("history[%d] = %+v", i, m)
				}
			}
		})
	}
}

// A client that reconnects with the epoch and the last id it saw gets
// exactly the messages it missed, then the live ones: no gap, no
// duplicate.
func TestResume(t *testing.T) {
	_, url := start(t, server.Config{})
	p := plain(t, url)
	a, w := rich(t, url, "alice")
	for i := 1; i <= 3; i++ {
		p.say(fmt.Sprint("m", i))
	}
	var last uint64
	for i := 1; i <= 3; i++ {
		last = next[wire.Msg](a).ID
	}
	a.ws.Close()
	for i := 4; i <= 6; i++ {
		p.say(fmt.Sprint("m", i))
	}
	for i := 1; i <= 6; i++ {
		p.text()
	}

	b := dial(t, url, true)
	b.name = "alice again"
	b.send(wire.Hello{V: wire.Version, Nick: "alice", Session: w.Session, Epoch: w.Epoch, After: &last})
	w2 := b.welcome()
	if !w2.Resumed || w2.Gap || w2.Session != w.Session || w2.LastID != 6 {
		t.Fatalf("resume welcome: resumed=%v gap=%v session same=%v last=%d",
			w2.Resumed, w2.Gap, w2.Session == w.Session, w2.LastID)
	}
	var got []string
	for _, m := range w2.History {
		got = append(got, fmt.Sprintf("%d:%s", m.ID, m.Text))
	}
	if want := []string{"4:m4", "5:m5", "6:m6"}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	p.say("m7")
	if m := next[wire.Msg](b); m.ID != 7 || m.Text != "m7" {
		t.Fatalf("live after resume: %+v", m)
	}

	// Resuming at the newest id: nothing to catch up on.
	c := dial(t, url, true)
	c.name = "c"
	seven := uint64(7)
	c.send(wire.Hello{V: wire.Version, Nick: "carol", Epoch: w.Epoch, After: &seven})
	if w3 := c.welcome(); !w3.Resumed || w3.Gap || len(w3.History) != 0 {
		t.Fatalf("resume at newest: %+v", w3)
	}
}

func TestResumeGapAndEpoch(t *testing.T) {
	_, url := start(t, server.Config{Backlog: 3})
	p := plain(t, url)
	for i := 1; i <= 8; i++ {
		p.say(fmt.Sprint("m", i))
		p.text()
	}
	_, w := rich(t, url, "first")
	one := uint64(1)
	for _, tc := range []struct {
		name    string
		epoch   string
		resumed bool
		gap     bool
		ids     []uint64
	}{
		{"older than the backlog", w.Epoch, true, true, []uint64{6, 7, 8}},
		{"another epoch", "0123456789abcdef", false, false, []uint64{6, 7, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, url, true)
			c.name = tc.name
			c.send(wire.Hello{V: wire.Version, Nick: "n" + fmt.Sprint(len(tc.name)), Epoch: tc.epoch, After: &one})
			w := c.welcome()
			var ids []uint64
			for _, m := range w.History {
				ids = append(ids, m.ID)
			}
			if w.Resumed != tc.resumed || w.Gap != tc.gap || !slices.Equal(ids, tc.ids) {
				t.Fatalf("resumed=%v gap=%v ids=%v, want %v %v %v", w.Resumed, w.Gap, ids, tc.resumed, tc.gap, tc.ids)
			}
		})
	}
}

// The same session connecting again takes over its nickname; the old
// connection is told it was replaced, and nobody sees a leave and a join.
func TestSessionTakeover(t *testing.T) {
	_, url := start(t, server.Config{})
	obs, _ := rich(t, url, "observer")
	a, w := rich(t, url, "alice")
	if j := next[wire.Join](obs); j.Nick != "alice" {
		t.Fatalf("join %+v", j)
	}
	a.send(wire.Status{Status: wire.Away})
	if s := next[wire.Status](obs); s.Status != wire.Away {
		t.Fatalf("status %+v", s)
	}

	// Someone else cannot: the nickname is taken.
	x := dial(t, url, true)
	x.name = "impostor"
	x.send(wire.Hello{V: wire.Version, Nick: "alice", Session: "00000000000000000000000000000000"})
	if e := next[wire.Error](x); e.Code != wire.CodeNickTaken {
		t.Fatalf("impostor: %+v", e)
	}

	b := dial(t, url, true)
	b.name = "alice's new connection"
	b.send(wire.Hello{V: wire.Version, Nick: "alice", Session: w.Session})
	w2 := b.welcome()
	if w2.Nick != "alice" || w2.Session != w.Session {
		t.Fatalf("takeover welcome %+v", w2)
	}
	for _, u := range w2.Users {
		if u.Nick == "alice" && u.Status != wire.Away {
			t.Fatalf("status not carried over: %+v", u)
		}
	}
	frames := a.expectClose(websocket.CloseNormalClosure)
	if len(frames) == 0 || !strings.Contains(frames[len(frames)-1], `"reason":"replaced"`) {
		t.Fatalf("old connection got %q before its close", frames)
	}
	b.send(wire.Send{Text: "back"})
	f := obs.frame()
	if m, ok := f.(wire.Msg); !ok || m.From != "alice" || m.Text != "back" {
		t.Fatalf("observer got %#v, want only alice's message", f)
	}
}

// A send repeated with the same cid (a client retrying after a drop) is
// not broadcast twice, even on a new connection of the same session.
func TestRepeatedCID(t *testing.T) {
	_, url := start(t, server.Config{})
	obs, _ := rich(t, url, "observer")
	a, w := rich(t, url, "alice")
	a.send(wire.Send{CID: "c1", Text: "once"})
	first := next[wire.Msg](a)
	a.send(wire.Send{CID: "c1", Text: "once"})
	again := next[wire.Msg](a)
	if again != first {
		t.Fatalf("repeat answered with %+v, want the original %+v", again, first)
	}
	a.ws.Close()

	b := dial(t, url, true)
	b.name = "alice again"
	b.send(wire.Hello{V: wire.Version, Nick: "alice", Session: w.Session, Epoch: w.Epoch, After: &first.ID})
	b.welcome()
	b.send(wire.Send{CID: "c1", Text: "once"})
	if m := next[wire.Msg](b); m != first {
		t.Fatalf("repeat after reconnect answered with %+v", m)
	}
	b.send(wire.Send{CID: "c2", Text: "twice"})
	var seen []string
	for len(seen) < 2 {
		seen = append(seen, next[wire.Msg](obs).Text)
	}
	if !slices.Equal(seen, []string{"once", "twice"}) {
		t.Fatalf("observer saw %q", seen)
	}
}

func TestSendErrors(t *testing.T) {
	_, url := start(t, server.Config{MaxText: 10})
	a, _ := rich(t, url, "alice")
	for _, tc := range []struct {
		send wire.Send
		code wire.Code
	}{
		{wire.Send{CID: "long", Text: "12345678901"}, wire.CodeTooLong},
		{wire.Send{CID: "empty", Text: " \r\n\x1b "}, wire.CodeEmpty},
		{wire.Send{CID: strings.Repeat("c", wire.MaxClientID+1), Text: "x"}, wire.CodeBadCID},
	} {
		a.send(tc.send)
		e := next[wire.Error](a)
		if e.Code != tc.code {
			t.Fatalf("%+v: %+v, want %s", tc.send, e, tc.code)
		}
		if tc.code != wire.CodeBadCID && e.CID != tc.send.CID {
			t.Fatalf("error cid %q, want %q", e.CID, tc.send.CID)
		}
	}
	a.send(wire.Status{Status: "busy"})
	if e := next[wire.Error](a); e.Code != wire.CodeBadStatus {
		t.Fatalf("bad status: %+v", e)
	}
	p := plain(t, url)
	p.say("12345678901")
	if got := p.text(); !strings.HasPrefix(got, "* not sent: message is too long") {
		t.Fatalf("plain too long: %q", got)
	}
}

func TestHelloRules(t *testing.T) {
	_, url := start(t, server.Config{HelloTimeout: 300 * time.Millisecond})
	c := dial(t, url, true)
	c.name = "c"
	c.send(wire.Send{Text: "too early"})
	if e := next[wire.Error](c); e.Code != wire.CodeNotJoined {
		t.Fatalf("send before hello: %+v", e)
	}
	c.send(wire.Hello{V: 2, Nick: "future"})
	if e := next[wire.Error](c); e.Code != wire.CodeVersion {
		t.Fatalf("hello v2: %+v", e)
	}
	// No valid hello in time: bye policy, close 1008.
	frames := c.expectClose(websocket.ClosePolicyViolation)
	if len(frames) != 1 || !strings.Contains(frames[0], `"type":"bye"`) || !strings.Contains(frames[0], `"reason":"policy"`) {
		t.Fatalf("before close: %q", frames)
	}
}

func TestBadFrames(t *testing.T) {
	_, url := start(t, server.Config{})
	a, _ := rich(t, url, "alice")
	a.say("{not json")
	if e := next[wire.Error](a); e.Code != wire.CodeBadRequest {
		t.Fatalf("malformed: %+v", e)
	}
	a.say(`{"type":"teleport"}`)
	if e := next[wire.Error](a); e.Code != wire.CodeUnsupported {
		t.Fatalf("unknown type: %+v", e)
	}
	a.send(wire.Welcome{Nick: "x"})
	if e := next[wire.Error](a); e.Code != wire.CodeUnsupported {
		t.Fatalf("server frame from client: %+v", e)
	}
	a.write(websocket.BinaryMessage, []byte{1, 2, 3})
	if e := next[wire.Error](a); e.Code != wire.CodeUnsupported {
		t.Fatalf("binary: %+v", e)
	}
	// A good frame takes one off the count: the four bad frames and the
	// good one leave three, so the seventh bad one in a row closes.
	a.send(wire.Send{Text: "fine"})
	next[wire.Msg](a)
	for i := 0; i < 7; i++ {
		a.say(`["not an object"]`)
	}
	frames := a.expectClose(websocket.ClosePolicyViolation)
	if len(frames) != 7 || !strings.Contains(frames[6], `"reason":"policy"`) {
		t.Fatalf("got %d frames before the close: %q", len(frames), frames)
	}
}

// Good frames among bad ones do not hide them: nine bad frames and a good
// one, over and over, are closed all the same.
func TestBadFramesAmongGood(t *testing.T) {
	_, url := start(t, server.Config{Rate: -1})
	a, _ := rich(t, url, "mallory")
	for round := 0; round < 10; round++ {
		for i := 0; i < 9; i++ {
			a.say(`["not an object"]`)
		}
		a.send(wire.Send{Text: "cover"})
	}
	frames := a.expectClose(websocket.ClosePolicyViolation)
	if n := len(frames); n == 0 || !strings.Contains(frames[n-1], `"reason":"policy"`) || n > 2*10 {
		t.Fatalf("got %d frames, the last %.80q: want a bye policy within the first two rounds", n, frames[max(0, n-1):])
	}
}

func TestCloseCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		rich bool
		typ  int
		data []byte
		code int
	}{
		{"plain invalid utf-8", false, websocket.TextMessage, []byte("bad \xff\xfe"), websocket.CloseInvalidFramePayloadData},
		{"rich invalid utf-8", true, websocket.TextMessage, []byte("{\"type\":\"send\",\"text\":\"\xc3\x28\"}"), websocket.CloseInvalidFramePayloadData},
		{"plain binary", false, websocket.BinaryMessage, []byte("hi"), websocket.CloseUnsupportedData},
		{"plain oversized", false, websocket.TextMessage, make([]byte, 2000), websocket.CloseMessageTooBig},
		{"rich oversized", true, websocket.TextMessage, make([]byte, 2000), websocket.CloseMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := start(t, server.Config{MaxFrame: 1024})
			obs, _ := rich(t, url, "observer")
			var c *client
			if tc.rich {
				c, _ = rich(t, url, "offender")
			} else {
				c = plain(t, url)
			}
			c.write(tc.typ, tc.data)
			c.expectClose(tc.code)
			// The observer saw the offender come and go, and nothing else.
			for {
				f := obs.frame()
				if _, ok := f.(wire.Join); ok {
					continue
				}
				if l, ok := f.(wire.Leave); !ok || l.Reason != "policy" {
					t.Fatalf("observer got %#v, want the offender to leave (policy)", f)
				}
				break
			}
			obs.send(wire.Send{Text: "after"})
			if m := obs.frame().(wire.Msg); m.Text != "after" || m.ID != 1 {
				t.Fatalf("observer got %+v", m)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	_, url := start(t, server.Config{Rate: 5, Burst: 5})
	obs, _ := rich(t, url, "observer")
	a, w := rich(t, url, "alice")
	if w.Limits.Rate != 5 || w.Limits.Burst != 5 {
		t.Fatalf("limits %+v", w.Limits)
	}
	next[wire.Join](obs)
	// The hello took one token of the burst of 5.
	for i := 0; i < 5; i++ {
		a.send(wire.Send{CID: fmt.Sprint(i), Text: "burst"})
	}
	for i := 0; i < 4; i++ {
		next[wire.Msg](a)
	}
	e := next[wire.Error](a)
	if e.Code != wire.CodeRateLimited || e.RetryMS <= 0 || e.RetryMS > 1000 || e.CID != "4" {
		t.Fatalf("fifth message: %+v", e)
	}
	// A sustained flood is disconnected; the observer is unaffected.
	for i := 0; i < 100; i++ {
		a.ws.SetWriteDeadline(time.Now().Add(wait))
		if err := a.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"send","text":"flood"}`)); err != nil {
			break
		}
	}
	frames := a.expectClose(websocket.ClosePolicyViolation)
	if !strings.Contains(frames[len(frames)-1], `"reason":"policy"`) {
		t.Fatalf("last frame before close: %q", frames[len(frames)-1])
	}
	got := 0
	for {
		f := obs.frame()
		if l, ok := f.(wire.Leave); ok {
			if l.Nick != "alice" || l.Reason != "policy" {
				t.Fatalf("leave %+v", l)
			}
			break
		}
		if _, ok := f.(wire.Msg); !ok {
			t.Fatalf("observer got %#v", f)
		}
		got++
	}
	if got != 4 {
		t.Fatalf("observer got %d of alice's messages, want the 4 within the burst", got)
	}

	p := plain(t, url)
	for i := 0; i < 6; i++ {
		p.say("x")
	}
	for i := 0; i < 5; i++ {
		p.text()
	}
	if got := p.text(); got != "* too many messages: slow down" {
		t.Fatalf("plain over the rate: %q", got)
	}
}

func TestOriginPolicy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		origin  string // {host} is replaced by the server's host:port
		ok      bool
	}{
		{"no origin", nil, "", true},
		{"same origin", nil, "http://{host}", true},
		{"other origin", nil, "http://evil.example", false},
		{"null origin", nil, "null", false},
		{"listed", []string{"https://chat.example"}, "https://chat.example", true},
		{"listed host", []string{"chat.example"}, "https://chat.example", true},
		{"not listed", []string{"https://chat.example"}, "https://chat.example.evil", false},
		{"same origin with a list", []string{"https://chat.example"}, "http://{host}", true},
		{"star", []string{"*"}, "http://evil.example", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := start(t, server.Config{AllowedOrigins: tc.allowed})
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", strings.ReplaceAll(tc.origin, "{host}", strings.TrimPrefix(url, "ws://")))
			}
			c, resp, err := tryDial(url, false, h)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				c.ws.Close()
				return
			}
			if err == nil {
				c.ws.Close()
				t.Fatal("allowed")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("refusal %v, want HTTP 403", resp)
			}
		})
	}
}

func TestConnectionLimits(t *testing.T) {
	status := func(t *testing.T, url string) int {
		c, resp, err := tryDial(url, false, nil)
		if err == nil {
			t.Cleanup(func() { c.ws.Close() })
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return resp.StatusCode
	}
	t.Run("total", func(t *testing.T) {
		srv, url := start(t, server.Config{MaxConns: 2})
		for i, want := range []int{101, 101, 503} {
			if got := status(t, url); got != want {
				t.Fatalf("connection %d: HTTP %d, want %d", i+1, got, want)
			}
		}
		if srv.Stats().Refused != 1 {
			t.Fatalf("stats %+v", srv.Stats())
		}
	})
	t.Run("per address", func(t *testing.T) {
		_, url := start(t, server.Config{MaxConnsPerIP: 2, LimitLoopback: true})
		for i, want := range []int{101, 101, 429} {
			if got := status(t, url); got != want {
				t.Fatalf("connection %d: HTTP %d, want %d", i+1, got, want)
			}
		}
	})
	t.Run("loopback exempt", func(t *testing.T) {
		_, url := start(t, server.Config{MaxConnsPerIP: 1})
		for i := 0; i < 3; i++ {
			if got := status(t, url); got != 101 {
				t.Fatalf("connection %d: HTTP %d", i+1, got)
			}
		}
	})
	t.Run("a slot frees up", func(t *testing.T) {
		srv, url := start(t, server.Config{MaxConns: 1})
		c := plain(t, url)
		if got := status(t, url); got != 503 {
			t.Fatalf("second: HTTP %d", got)
		}
		c.ws.Close()
		waitFor(t, "the first connection to go", func() bool { return srv.Stats().Conns == 0 })
		if got := status(t, url); got != 101 {
			t.Fatalf("after the first left: HTTP %d", got)
		}
	})
}

func TestPage(t *testing.T) {
	_, url := start(t, server.Config{Room: "<Lobby>"})
	base := "http" + strings.TrimPrefix(url, "ws")
	// Its own transport, whose kept-alive connections go with the test:
	// on Serve's path each counts against the server's limits until it
	// closes.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/", 200, "Parley"},
		{"/", 200, "&lt;Lobby&gt;"},
		{"/parley.js", 200, "new WebSocket"},
		{"/ws", 426, "Parley chat server"},
		{"/nope", 404, "not found"},
	} {
		resp, err := hc.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}

// Graceful shutdown says goodbye to every client in its mode and closes
// each with 1001.
func TestShutdown(t *testing.T) {
	srv, url := start(t, server.Config{})
	var plains, riches []*client
	for i := 0; i < 3; i++ {
		plains = append(plains, plain(t, url))
		c, _ := rich(t, url, fmt.Sprint("r", i))
		riches = append(riches, c)
	}
	waiting := dial(t, url, true) // connected, no hello yet
	waiting.name = "waiting"

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx, wire.ByeEnded, "The host ended the chat.") }()

	for _, c := range plains {
		frames := c.expectClose(websocket.CloseGoingAway)
		if len(frames) == 0 || frames[len(frames)-1] != "* The host ended the chat." {
			t.Fatalf("plain client got %q", frames)
		}
	}
	for _, c := range append(riches, waiting) {
		frames := c.expectClose(websocket.CloseGoingAway)
		if len(frames) == 0 || frames[len(frames)-1] != `{"type":"bye","reason":"ended","text":"The host ended the chat."}` {
			t.Fatalf("%s got %q", c.name, frames)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := srv.Stats(); st.Conns != 0 {
		t.Fatalf("after shutdown: %+v", st)
	}
	// Serve closes its listener; an http.Server still running the
	// handler answers 503.
	_, resp, err := tryDial(url, false, nil)
	refused := errors.Is(err, syscall.ECONNREFUSED)
	if err == nil || !refused && (resp == nil || resp.StatusCode != 503) {
		t.Fatalf("dial after shutdown: %v (%+v), want refused or HTTP 503", err, resp)
	}
}

// A client that stops reading is dropped once its queue overflows, while
// the others receive every message; it is told why if it reads again.
func TestStuckClient(t *testing.T) {
	// The queue holds 256 of the test's messages: enough for the bursts a
	// busy 2-core machine under -race makes, small next to the 10 MB sent.
	const queueBytes = 1 << 20
	srv, url := start(t, server.Config{QueueFrames: 256, QueueBytes: queueBytes, Rate: -1})
	stuck := dialStuck(t, url)
	// The stuck client reads nothing, so its welcome cannot say it joined;
	// wait for it to, so that it is guest-1 and the sender guest-3.
	waitFor(t, "the stuck client's join", func() bool { return srv.Stats().Plain == 1 })
	obs, _ := rich(t, url, "observer")
	good := plain(t, url)
	sender := plain(t, url)
	sender.name = "sender"
	next[wire.Join](obs) // good
	next[wire.Join](obs) // sender

	const total = 2500
	text := strings.Repeat("x", 4000)
	goodLines := collect(good, total)
	senderLines := collect(sender, total)
	obsLines := collect(obs, total+1) // and the stuck client's leave

	// The stuck client starts reading as soon as it is dropped, within the
	// grace period, so it gets the farewell and the close frame.
	var stuckLines *sink
	maxQueued := 0
	for i := 0; i < total; i++ {
		sender.ws.SetWriteDeadline(time.Now().Add(wait))
		if err := sender.ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("%04d %s", i, text))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i%50 != 0 {
			continue
		}
		st := srv.Stats()
		maxQueued = max(maxQueued, st.QueuedBytes)
		if st.Evictions > 0 && stuckLines == nil {
			stuckLines = collect(stuck, 2*total)
		}
		// Keep the well-behaved clients within reach: the sender waits
		// for its own echo to be at most 50 messages behind.
		waitFor(t, "the sender's echo", func() bool {
			senderLines.mu.Lock()
			defer senderLines.mu.Unlock()
			return len(senderLines.lines) >= i-50 || senderLines.err != nil
		})
	}
	if stuckLines == nil {
		waitFor(t, "the stuck client's eviction", func() bool { return srv.Stats().Evictions > 0 })
		stuckLines = collect(stuck, 2*total)
	}
	frames := stuckLines.wait(t)
	var ce *websocket.CloseError
	if !errors.As(stuckLines.err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != "slow consumer" {
		t.Fatalf("stuck client: %v after %d frames, want close 1008", stuckLines.err, len(frames))
	}
	if last := frames[len(frames)-1]; last != "* disconnected: you did not read messages fast enough" {
		t.Fatalf("stuck client's last frame %.40q", last)
	}
	if len(frames) > total*3/4 {
		t.Fatalf("stuck client received %d of %d messages; it was not stuck for long", len(frames), total)
	}
	if st := srv.Stats(); st.Evictions != 1 {
		t.Fatalf("%d evictions, want 1", st.Evictions)
	}

	for name, s := range map[string]*sink{"good": goodLines, "sender": senderLines} {
		lines := s.wait(t)
		if len(lines) != total {
			t.Fatalf("%s got %d of %d messages (err %v)", name, len(lines), total, s.err)
		}
		for i, l := range lines {
			if !strings.HasPrefix(l, fmt.Sprintf("guest-3: %04d ", i)) {
				t.Fatalf("%s message %d is %.20q", name, i, l)
			}
		}
	}
	lines := obsLines.wait(t)
	msgs, leaves := 0, 0
	for _, l := range lines {
		switch f, _ := wire.Decode([]byte(l)); f := f.(type) {
		case wire.Msg:
			if f.ID != uint64(msgs+1) {
				t.Fatalf("observer: message %d has id %d", msgs+1, f.ID)
			}
			msgs++
		case wire.Leave:
			if f.Nick != "guest-1" || f.Reason != "slow" {
				t.Fatalf("leave %+v", f)
			}
			leaves++
		}
	}
	if msgs != total || leaves != 1 {
		t.Fatalf("observer got %d messages and %d leaves", msgs, leaves)
	}
	if maxQueued > 4*queueBytes+64<<10 {
		t.Fatalf("queued bytes reached %d with a %d-byte queue per client", maxQueued, queueBytes)
	}
}

// A peer that answers no pings is dropped after the pong timeout.
func TestDeadPeer(t *testing.T) {
	// The pong timeout leaves a busy machine under -race room to schedule
	// the observer's pongs; the zombie's silence still ends it quickly.
	const pong = time.Second
	_, url := start(t, server.Config{PingInterval: 100 * time.Millisecond, PongTimeout: pong})
	obs, _ := rich(t, url, "observer")
	// The observer reads all the time, so gorilla answers its pings.
	dead := dial(t, url, true)
	dead.send(wire.Hello{V: wire.Version, Nick: "zombie"})
	dead.ws.SetPingHandler(func(string) error { return nil }) // never pong
	started := time.Now()
	if j := next[wire.Join](obs); j.Nick != "zombie" {
		t.Fatalf("join %+v", j)
	}
	l := next[wire.Leave](obs)
	if l.Nick != "zombie" || l.Reason != "timeout" {
		t.Fatalf("leave %+v", l)
	}
	if d := time.Since(started); d < pong || d > pong+4*time.Second {
		t.Fatalf("dead peer dropped after %v, want after the pong timeout of %v and soon after it", d, pong)
	}
	obs.send(wire.Send{Text: "still alive"})
	if m := next[wire.Msg](obs); m.Text != "still alive" {
		t.Fatalf("observer got %+v", m)
	}
}

// An idle connection costs no writer goroutine, and on Linux, where idle
// peers are parked, no reader either; elsewhere one reader.
func TestIdleConnectionGoroutines(t *testing.T) {
	srv, url := start(t, server.Config{})
	const n = 200
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			plain(t, url)
		} else {
			rich(t, url, fmt.Sprint("idle", i))
		}
	}
	waitFor(t, "all connections", func() bool { return srv.Stats().Conns == n })
	wantReaders := n
	if runtime.GOOS == "linux" {
		wantReaders = 0
	}
	var readers, writers int
	waitFor(t, fmt.Sprintf("%d readers and no writer", wantReaders), func() bool {
		readers, writers = serverGoroutines()
		return readers == wantReaders && writers == 0
	})
}

// serverGoroutines counts the goroutines running a peer's reader and a
// peer's flusher.
func serverGoroutines() (readers, writers int) {
	buf := make([]byte, 8<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(stacks, "\n\n") {
		switch {
		case strings.Contains(g, "parley/server.(*peer).read("):
			readers++
		case strings.Contains(g, "parley/server.(*peer).flush("):
			writers++
		}
	}
	return readers, writers
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, addrs := captureAddr(t)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, server.Config{Addr: "127.0.0.1:0", Logger: log}) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(wait):
		t.Fatal("Run did not log its address")
	}
	url := "ws://" + addr + "/ws"
	p := plain(t, url)
	r, _ := rich(t, url, "r")
	cancel()
	if frames := p.expectClose(websocket.CloseGoingAway); frames[len(frames)-1] != "* The server is shutting down." {
		t.Fatalf("plain got %q", frames)
	}
	if frames := r.expectClose(websocket.CloseGoingAway); !strings.Contains(frames[len(frames)-1], `"reason":"shutdown"`) {
		t.Fatalf("rich got %q", frames)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
}

// Serve takes several listeners at once; Shutdown closes them all and
// Serve returns ErrClosed.
func TestServeListeners(t *testing.T) {
	srv := server.New(server.Config{Logger: testLogger(t)})
	var lns []net.Listener
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("no %s here: %v", addr, err)
			continue
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		t.Fatal("no loopback listener")
	}
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { served <- srv.Serve(ln) }()
	}
	var clients []*client
	for _, ln := range lns {
		c := plain(t, "ws://"+ln.Addr().String()+"/")
		clients = append(clients, c)
	}
	clients[0].say("across listeners")
	for _, c := range clients {
		if got := c.text(); got != "guest-1: across listeners" {
			t.Fatalf("got %q", got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx, wire.ByeShutdown, "") }()
	for _, c := range clients {
		c.expectClose(websocket.CloseGoingAway)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range lns {
		select {
		case err := <-served:
			if !errors.Is(err, server.ErrClosed) {
				t.Fatalf("Serve returned %v, want ErrClosed", err)
			}
		case <-time.After(wait):
			t.Fatal("Serve did not return")
		}
	}
}

// A client that never finishes its HTTP request is cut after the
// handshake timeout, and others get in meanwhile.
func TestSlowHandshake(t *testing.T) {
	const timeout = 300 * time.Millisecond
	_, addr := serveOwn(t, server.Config{HandshakeTimeout: timeout, Logger: testLogger(t)})
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n", addr) // and never the rest
	started := time.Now()

	c := plain(t, "ws://"+addr+"/")
	c.say("in anyway")
	if got := c.text(); got != "guest-1: in anyway" {
		t.Fatalf("got %q", got)
	}

	slow.SetReadDeadline(time.Now().Add(wait))
	_, err = io.ReadAll(slow)
	if err != nil {
		t.Fatalf("the half-open connection was not closed: %v", err)
	}
	if d := time.Since(started); d > timeout+2*time.Second {
		t.Fatalf("closed after %v, with a %v timeout", d, timeout)
	}
}
