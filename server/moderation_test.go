package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

// Members who are neither the host nor moderators are refused every
// moderation, in both modes, and a wrong host key makes nobody the host.
func TestModerationNotAllowed(t *testing.T) {
	url, alice := modRoom(t)
	bob, _ := rich(t, url, "bob")
	guest := plain(t, url)

	for _, f := range []wire.Frame{
		wire.Mod{Ref: "1", Action: wire.ActKick, Nick: "alice"},
		wire.Mod{Ref: "2", Action: wire.ActBan, Nick: "guest-1", Secs: 60},
		wire.Mod{Ref: "3", Action: wire.ActMute, Addr: "127.0.0.9", Secs: 60},
		wire.Mod{Ref: "4", Action: wire.ActOp, Nick: "bob"},
		wire.Topic{Text: "mine now"},
		wire.Claim{Key: strings.Repeat("0", len(hostKey))},
	} {
		bob.send(f)
		if a := reply(bob); !refusedWith(a, wire.CodeNotAllowed) {
			t.Errorf("%#v from a member: %+v, want not_allowed", f, a)
		}
	}
	for _, cmd := range []string{"/kick bob", "/ban bob 1h", "/mute 127.0.0.9 10m", "/op guest-1", "/topic mine", "/host wrong"} {
		guest.say(cmd)
		if got := guest.text(); !strings.HasPrefix(got, "* not allowed") && !strings.HasPrefix(got, "* that is not the host key") {
			t.Errorf("%s from a plain member: %q", cmd, got)
		}
	}
	// Nothing happened: bob and the guest are still here, nobody has a role.
	for _, f := range upTo(alice, "all quiet") {
		switch f.(type) {
		case wire.Moderation, wire.RoleChange, wire.Topic, wire.Leave:
			t.Errorf("a refused moderation had an effect: %#v", f)
		}
	}
}

// Nobody can act against the host, moderators not against each other, and
// only the host names moderators.
func TestModerationRanks(t *testing.T) {
	url, alice := modRoom(t)
	dave, _ := rich(t, url, "dave")
	erin, _ := rich(t, url, "erin")
	for _, nick := range []string{"dave", "erin"} {
		alice.send(wire.Mod{Action: wire.ActOp, Nick: nick})
		if r := until[wire.RoleChange](alice); r.Nick != nick || r.Role != wire.RoleMod || r.By != "alice" {
			t.Fatalf("op %s: %+v", nick, r)
		}
	}
	for r := until[wire.Moderation](dave); r.Nick != "erin"; r = until[wire.Moderation](dave) {
	}
	for _, m := range []wire.Mod{
		{Action: wire.ActKick, Nick: "alice"},
		{Action: wire.ActBan, Nick: "ALICE", Secs: 60},
		{Action: wire.ActKick, Nick: "erin"},
		{Action: wire.ActDeop, Nick: "erin"},
		{Action: wire.ActBan, Addr: "127.0.0.1", Secs: 60}, // the host's address
	} {
		dave.send(m)
		for a := reply(dave); !refusedWith(a, wire.CodeNotAllowed); a = reply(dave) {
			if ev, ok := a.(wire.Moderation); !ok || ev.By == "dave" {
				t.Errorf("%+v by a moderator: %+v, want not_allowed", m, a)
				break
			}
		}
	}
	refuse(t, alice, wire.Mod{Action: wire.ActKick, Nick: "alice"}, wire.CodeBadMod, "the host kicking itself")
	// A newcomer sees the roles in the welcome.
	_, w := rich(t, url, "frank")
	roles := map[string]wire.Role{}
	for _, u := range w.Users {
		roles[u.Nick] = u.Role
	}
	if roles["alice"] != wire.RoleHost || roles["dave"] != wire.RoleMod || roles["frank"] != "" {
		t.Errorf("welcome roles = %v", roles)
	}
	// Taking moderation back takes its powers.
	alice.send(wire.Mod{Action: wire.ActDeop, Nick: "erin"})
	for r := until[wire.RoleChange](erin); r.Nick != "erin" || r.Role != ""; r = until[wire.RoleChange](erin) {
	}
	refuse(t, erin, wire.Mod{Action: wire.ActKick, Nick: "frank"}, wire.CodeNotAllowed, "a former moderator kicking")
}

// A kicked client gets a bye with the reason and a 1008 close (a plain one
// a last line), and the room a leave "kicked" and the moderation.
func TestKick(t *testing.T) {
	url, alice := modRoom(t)
	bob, _ := rich(t, url, "bob")
	carol, _ := rich(t, url, "carol")
	guest := plain(t, url)

	alice.send(wire.Mod{Ref: "k1", Action: wire.ActKick, Nick: "bob", Reason: "too loud"})
	if m := until[wire.Moderation](alice); m.Ref != "k1" || m.Nick != "bob" || m.Action != wire.ActKick {
		t.Fatalf("alice's answer: %+v", m)
	}
	bye := until[wire.Bye](bob)
	if bye.Reason != wire.ByeKicked || !strings.Contains(bye.Text, "alice") || !strings.Contains(bye.Text, "too loud") {
		t.Fatalf("bob's bye: %+v", bye)
	}
	closedForPolicy(t, bob, "bob")
	if m := until[wire.Moderation](carol); m.Nick != "bob" || m.By != "alice" || m.Reason != "too loud" || m.Ref != "" {
		t.Errorf("carol saw %+v", m)
	}
	if l := until[wire.Leave](carol); l.Nick != "bob" || l.Reason != "kicked" {
		t.Errorf("carol saw %+v, want bob's leave kicked", l)
	}

	alice.send(wire.Mod{Action: wire.ActKick, Nick: "guest-1"})
	if got := guest.text(); got != "* disconnected: you were removed by alice" {
		t.Errorf("plain kicked line %q", got)
	}
	closedForPolicy(t, guest, "the plain client")
	if e := refuse(t, alice, wire.Mod{Ref: "k2", Action: wire.ActKick, Nick: "nobody"}, wire.CodeNoSuchNick, "kicking nobody"); e.Ref != "k2" {
		t.Errorf("kicking nobody: ref %q, want k2", e.Ref)
	}
}

// A ban by nickname puts the person out and keeps them out while it
// lasts: the same session under another nickname, the nickname in
// another case, a rename to it; it ends with unban.
func TestBanByNick(t *testing.T) {
	url, alice := modRoom(t)
	mal, mw := richFrom(t, url, "127.0.0.2", "mallory")

	before := time.Now()
	alice.send(wire.Mod{Ref: "b", Action: wire.ActBan, Nick: "mallory", Secs: banTime, Reason: "spam"})
	m := until[wire.Moderation](alice)
	if m.Until < before.Add(time.Hour).UnixMilli() || m.Until > time.Now().Add(time.Hour).UnixMilli() {
		t.Fatalf("ban until %d, want an hour from now", m.Until)
	}
	bye := until[wire.Bye](mal)
	if bye.Reason != wire.ByeBanned || bye.Until != m.Until || !strings.Contains(bye.Text, "spam") {
		t.Fatalf("mallory's bye %+v", bye)
	}
	mal.closed()

	refused := func(h wire.Hello, local string) {
		t.Helper()
		c := dialAt(t, url, local, true)
		c.send(h)
		if b, ok := reply(c).(wire.Bye); !ok || b.Reason != wire.ByeBanned || b.Until != m.Until {
			t.Fatalf("hello %+v from %s: %+v, want bye banned", h, local, b)
		}
		if code, text := c.closed(); code != websocket.ClosePolicyViolation || !strings.Contains(text, "banned") {
			t.Errorf("close %d %q, want 1008 banned", code, text)
		}
	}
	refused(wire.Hello{V: 1, Nick: "someone-else", Session: mw.Session}, "127.0.0.3")
	refused(wire.Hello{V: 1, Nick: "MALLORY"}, "127.0.0.4")

	guest := plain(t, url)
	guest.say("/nick Mallory")
	if got := guest.text(); !strings.Contains(got, "banned until") {
		t.Errorf("rename to a banned nickname: %q", got)
	}

	alice.send(wire.Mod{Ref: "u", Action: wire.ActUnban, Nick: "mallory"})
	if m := until[wire.Moderation](alice); m.Action != wire.ActUnban {
		t.Fatalf("unban: %+v", m)
	}
	richFrom(t, url, "127.0.0.2", "mallory")
}

// A ban by address survives a new nickname and a new session, covers
// plain clients, leaves other addresses alone, and cannot cover the
// host's own address.
func TestBanByAddress(t *testing.T) {
	url, alice := modRoom(t)
	mal, _ := richFrom(t, url, "127.0.0.2", "mallory")
	guest := dialAt(t, url, "127.0.0.2", false)
	if g := guest.text(); g != wire.Greeting {
		t.Fatalf("greeting %q", g)
	}
	bystander, _ := richFrom(t, url, "127.0.0.3", "bystander")

	alice.send(wire.Mod{Ref: "a", Action: wire.ActBan, Addr: "127.0.0.2", Secs: 1800, Reason: "flood"})
	if m := until[wire.Moderation](alice); m.Addr != "127.0.0.2" || m.Ref != "a" {
		t.Fatalf("alice's answer %+v", m)
	}
	if b := until[wire.Bye](mal); b.Reason != wire.ByeBanned {
		t.Fatalf("mallory: %+v", b)
	}
	if got := guest.text(); !strings.HasPrefix(got, "* disconnected: you are banned until ") || !strings.HasSuffix(got, ": flood") {
		t.Errorf("plain banned line %q", got)
	}
	guest.closed()
	// The room was told nothing of the address.
	for _, f := range upTo(bystander, "still here") {
		if m, ok := f.(wire.Moderation); ok {
			t.Errorf("an address ban was announced to the room: %+v", m)
		}
	}

	c := dialAt(t, url, "127.0.0.2", true)
	c.send(wire.Hello{V: 1, Nick: "totally-new"})
	if b := until[wire.Bye](c); b.Reason != wire.ByeBanned || !strings.Contains(b.Text, "flood") {
		t.Errorf("new nickname from a banned address: %+v", b)
	}
	p := dialAt(t, url, "127.0.0.2", false)
	if got := p.text(); !strings.HasPrefix(got, "* disconnected: you are banned until ") {
		t.Errorf("plain from a banned address: %q", got)
	}
	closedForPolicy(t, p, "plain from a banned address")
	richFrom(t, url, "127.0.0.3", "newcomer")

	refuse(t, alice, wire.Mod{Action: wire.ActBan, Addr: "127.0.0.1", Secs: 60}, wire.CodeNotAllowed, "banning the host's address")
}

// A ban ends when its time is up.
func TestBanExpires(t *testing.T) {
	url, alice := modRoom(t)
	mal, _ := richFrom(t, url, "127.0.0.2", "mallory")
	alice.send(wire.Mod{Action: wire.ActBan, Nick: "mallory", Secs: 1})
	until[wire.Bye](mal)
	waitFor(t, "the ban to end", func() bool {
		c := dialAt(t, url, "127.0.0.2", true)
		c.send(wire.Hello{V: 1, Nick: "mallory"})
		_, ok := c.frame().(wire.Welcome)
		c.ws.Close()
		return ok
	})
}

// A muted member's messages and private messages are refused with the
// time it ends, in both modes, whatever nickname it takes; unmute lifts it.
func TestMute(t *testing.T) {
	url, alice := modRoom(t)
	bob, _ := rich(t, url, "bob")
	guest := dialAt(t, url, "127.0.0.2", false)
	guest.text()

	alice.send(wire.Mod{Action: wire.ActMute, Nick: "bob", Secs: banTime, Reason: "calm down"})
	if m := until[wire.Moderation](bob); m.Action != wire.ActMute || m.Nick != "bob" {
		t.Fatalf("bob saw %+v", m)
	}
	bob.send(wire.Nick{Nick: "robert"})
	until[wire.Rename](bob)
	for _, f := range []wire.Frame{wire.Send{CID: "m1", Text: "hello?"}, wire.Private{To: "alice", Text: "hello?", CID: "m2"}} {
		bob.send(f)
		e, ok := bob.frame().(wire.Error)
		if !ok || e.Code != wire.CodeMuted || e.RetryMS < 3_000_000 || e.CID == "" || !strings.Contains(e.Text, "calm down") {
			t.Fatalf("muted member's %T: answer %+v, want error muted: a muted member was heard", f, e)
		}
	}

	alice.send(wire.Mod{Action: wire.ActMute, Addr: "127.0.0.2", Secs: 600})
	if got := guest.text(); !strings.HasPrefix(got, "* you are muted until ") {
		t.Errorf("plain mute notice %q", got)
	}
	guest.say("anyone?")
	if got := guest.text(); !strings.HasPrefix(got, "* not sent: you are muted until ") {
		t.Errorf("plain muted send: %q", got)
	}
	for _, f := range upTo(alice, "marker") {
		if m, ok := f.(wire.Msg); ok {
			t.Errorf("a muted member's message went out: %+v", m)
		}
	}

	alice.send(wire.Mod{Action: wire.ActUnmute, Nick: "bob"})
	until[wire.Moderation](alice)
	bob.send(wire.Send{CID: "m3", Text: "thanks"})
	for m := until[wire.Msg](bob); m.From != "robert"; m = until[wire.Msg](bob) {
	}
}

// The topic: set by the host or a moderator, announced, in the welcome,
// and readable by anyone with /topic.
func TestTopic(t *testing.T) {
	url, alice := modRoom(t)
	bob, _ := rich(t, url, "bob")
	alice.send(wire.Topic{Text: "Demo at 3\npm"})
	for _, c := range []*client{alice, bob} {
		if tp := until[wire.Topic](c); tp.Text != "Demo at 3 pm" || tp.By != "alice" || tp.Time == 0 {
			t.Errorf("%s saw %+v", c.name, tp)
		}
	}
	if _, w := rich(t, url, "carol"); w.Topic != "Demo at 3 pm" {
		t.Errorf("welcome topic %q", w.Topic)
	}
	guest := plain(t, url)
	guest.say("/topic")
	if got := guest.text(); got != "* topic: Demo at 3 pm (set by alice)" {
		t.Errorf("/topic: %q", got)
	}
	refuse(t, alice, wire.Topic{Text: strings.Repeat("x", wire.MaxTopic+1)}, wire.CodeTooLong, "long topic")
}

// A plain host: /host KEY, then the commands, with their answers.
func TestPlainModeration(t *testing.T) {
	_, url := start(t, server.Config{HostKey: hostKey})
	boss := plain(t, url)
	bob, _ := rich(t, url, "bob")
	mal := dialAt(t, url, "127.0.0.2", false)
	mal.text()

	boss.say("/host " + hostKey)
	if got := boss.text(); !strings.HasPrefix(got, "* you are the host") {
		t.Fatalf("/host: %q", got)
	}
	if r := until[wire.RoleChange](bob); r.Nick != "guest-1" || r.Role != wire.RoleHost {
		t.Errorf("bob saw %+v", r)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"/ban bob", "* usage: /ban NICK|ADDRESS TIME [reason]"},
		{"/ban bob soon", "* not done: \"soon\" is not a time"},
		{"/mute bob 45d", "* a mute lasts from 1 second to 30 days"},
		{"/op bob", "* op bob: done"},
		{"/deop bob", "* deop bob: done"},
		{"/mute bob 10m shh", "* mute bob: done, until "},
		{"/unmute bob", "* unmute bob: done"},
		{"/topic hello all", "* topic set"},
		{"/ban 127.0.0.2 30m", "* ban 127.0.0.2: done, until "},
	} {
		boss.say(tc.cmd)
		if got := boss.text(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q…", tc.cmd, got, tc.want)
		}
	}
	if got := mal.text(); !strings.HasPrefix(got, "* disconnected: you are banned") {
		t.Errorf("banned plain client: %q", got)
	}
	boss.say("/kick bob bye now")
	if got := boss.text(); got != "* kick bob: done" {
		t.Errorf("/kick: %q", got)
	}
	if b := until[wire.Bye](bob); b.Reason != wire.ByeKicked {
		t.Errorf("bob: %+v", b)
	}
}

// A host that reconnects with its session is the host again without
// presenting the key, and the room sees its role in its join.
func TestRoleOutlivesReconnect(t *testing.T) {
	_, url := start(t, server.Config{HostKey: hostKey})
	bob, _ := rich(t, url, "bob")
	a := dial(t, url, true)
	a.name = "alice"
	a.send(wire.Hello{V: 1, Nick: "alice"})
	w := a.welcome()
	a.send(wire.Claim{Key: hostKey})
	until[wire.RoleChange](a)
	a.ws.Close()
	until[wire.Leave](bob)

	again := dial(t, url, true)
	again.name = "alice"
	again.send(wire.Hello{V: 1, Nick: "alice", Session: w.Session})
	again.welcome()
	if j := until[wire.Join](bob); j.Nick != "alice" || j.Role != wire.RoleHost {
		t.Errorf("bob saw %+v, want alice joining as host", j)
	}
	again.send(wire.Mod{Action: wire.ActKick, Nick: "bob"})
	if b := until[wire.Bye](bob); b.Reason != wire.ByeKicked {
		t.Errorf("bob: %+v", b)
	}
}

// A moderation naming no nickname (overlong) or too many bans is refused
// with bad_mod, and the room is told nothing.
func TestModerationBounds(t *testing.T) {
	_, alice := modRoom(t)
	alice.send(wire.Mod{Ref: "x", Action: wire.ActBan, Nick: strings.Repeat("n", wire.MaxNick+1), Secs: 60})
	if a := reply(alice); !refusedWith(a, wire.CodeBadMod) {
		t.Errorf("an overlong nickname: %+v, want bad_mod", a)
	}
	for _, m := range []wire.Mod{
		{Action: wire.ActBan, Nick: "x", Addr: "10.0.0.1", Secs: 60},
		{Action: wire.ActBan, Secs: 60},
		{Action: wire.ActBan, Addr: "10.0.0.300", Secs: 60},
		{Action: wire.ActBan, Nick: "x", Secs: wire.MaxSanction + 1},
		{Action: wire.ActMute, Nick: "x"},
		{Action: "shout", Nick: "x"},
		{Action: wire.ActOp, Addr: "10.0.0.1"},
		{Action: wire.ActUnban, Nick: "never-banned"},
	} {
		alice.send(m)
		if a := reply(alice); !refusedWith(a, wire.CodeBadMod) {
			t.Errorf("%+v: %+v, want bad_mod", m, a)
		}
	}
}
