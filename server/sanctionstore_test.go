package server_test

import (
	"strings"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server"
)

// Bans and mutes made on a server with a data folder hold after it is
// restarted on that folder: a banned person is refused with the reason
// and the same end, by nickname, by session and by address; a muted one
// stays muted; a lifted ban stays lifted; and a ban still ends on time.
func TestSanctionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := server.Config{HostKey: hostKey}
	db := openDB(t, dir)
	first := open(t, cfg, db)
	alice := host(t, first.url, "alice")
	mal, mw := richFrom(t, first.url, "127.0.0.2", "mallory")
	richFrom(t, first.url, "127.0.0.3", "bob")

	act := func(m wire.Mod) wire.Moderation {
		t.Helper()
		alice.send(m)
		r := until[wire.Moderation](alice)
		if r.Ref != m.Ref {
			t.Fatalf("%+v: answered %+v", m, r)
		}
		return r
	}
	ban := act(wire.Mod{Ref: "1", Action: wire.ActBan, Nick: "mallory", Secs: banTime, Reason: "spam"})
	until[wire.Bye](mal)
	act(wire.Mod{Ref: "2", Action: wire.ActMute, Nick: "bob", Secs: banTime, Reason: "calm down"})
	act(wire.Mod{Ref: "3", Action: wire.ActBan, Nick: "eve", Secs: banTime})
	act(wire.Mod{Ref: "4", Action: wire.ActUnban, Nick: "eve"})
	const short = 3 // seconds: long enough to outlast the restart
	brief := act(wire.Mod{Ref: "5", Action: wire.ActBan, Addr: "127.0.0.4", Secs: short, Reason: "brief"})
	first.stop()
	db.Close()

	second := open(t, cfg, openDB(t, dir))
	refused := func(h wire.Hello, local string, want wire.Moderation, reason string) {
		t.Helper()
		c := dialAt(t, second.url, local, true)
		c.send(h)
		b, ok := reply(c).(wire.Bye)
		if !ok || b.Reason != wire.ByeBanned || b.Until != want.Until || !strings.Contains(b.Text, reason) {
			t.Fatalf("hello %+v from %s after the restart: %+v, want bye banned until %d (%s)",
				h, local, b, want.Until, reason)
		}
	}
	refused(wire.Hello{V: wire.Version, Nick: "Mallory"}, "127.0.0.5", ban, "spam")
	refused(wire.Hello{V: wire.Version, Nick: "someone-else", Session: mw.Session}, "127.0.0.6", ban, "spam")
	refused(wire.Hello{V: wire.Version, Nick: "newcomer"}, "127.0.0.4", brief, "brief")

	bob, _ := richFrom(t, second.url, "127.0.0.3", "bob")
	bob.send(wire.Send{CID: "b1", Text: "am I heard?"})
	if e := until[wire.Error](bob); e.Code != wire.CodeMuted || e.CID != "b1" || !strings.Contains(e.Text, "calm down") {
		t.Errorf("bob's send after the restart: %+v, want muted", e)
	}
	richFrom(t, second.url, "127.0.0.7", "eve") // unbanned before the restart

	// The short ban ends on time, restart or not.
	if time.Until(time.UnixMilli(brief.Until)) > short*time.Second {
		t.Fatalf("short ban until %d", brief.Until)
	}
	waitFor(t, "the short ban to end", func() bool {
		c := dialAt(t, second.url, "127.0.0.4", true)
		c.send(wire.Hello{V: wire.Version, Nick: "newcomer"})
		_, ok := c.frame().(wire.Welcome)
		c.ws.Close()
		return ok
	})
}
