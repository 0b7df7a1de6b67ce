package client_test

import (
	"errors"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
	"parley/server"
)

const testHostKey = "0123456789abcdef0123456789abcdef"

// The host's client presents its key after every welcome, so it is the
// host again after a reconnect; it names a moderator, sets the topic and
// sends a private message; the events say so on every side.
func TestHostModeratesAndTalksPrivately(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", server.Config{HostKey: testHostKey})
	hcfg := fastConfig(t, ts.Addr, "alice")
	hcfg.HostKey = testHostKey
	alice, ar := chattest.Dial(t, hcfg)
	chattest.Next(t, ar, func(e client.RoleChanged) bool { return e.Self && e.Role == wire.RoleHost })
	if alice.Role() != wire.RoleHost {
		t.Fatalf("alice's role %q after her claim", alice.Role())
	}
	bob, br := chattest.Dial(t, fastConfig(t, ts.Addr, "bob"))
	chattest.Next(t, ar, func(e client.Joined) bool { return e.Nick == "bob" })

	ref, err := alice.Op("bob")
	if err != nil {
		t.Fatal(err)
	}
	if m := chattest.Next(t, ar, func(e client.Moderated) bool { return e.Ref == ref }); m.Action != wire.ActOp {
		t.Errorf("op answer %+v", m)
	}
	chattest.Next(t, br, func(e client.RoleChanged) bool { return e.Self && e.Role == wire.RoleMod })
	if bob.Role() != wire.RoleMod {
		t.Errorf("bob's role %q", bob.Role())
	}
	if err := bob.SetTopic("ship it"); err != nil {
		t.Fatal(err)
	}
	if tp := chattest.Next(t, ar, func(e client.Topic) bool { return true }); tp.Text != "ship it" || tp.By != "bob" {
		t.Errorf("topic %+v", tp)
	}

	cid, err := alice.SendPrivate("bob", "between us")
	if err != nil {
		t.Fatal(err)
	}
	if p := chattest.Next(t, ar, func(e client.Private) bool { return e.Own }); p.CID != cid || p.To != "bob" {
		t.Errorf("alice's echo %+v, want cid %s", p, cid)
	}
	if p := chattest.Next(t, br, func(e client.Private) bool { return true }); p.Own || p.From != "alice" || p.Text != "between us" {
		t.Errorf("bob got %+v", p)
	}

	cid, err = bob.SendPrivate("nobody", "hello?")
	if err != nil {
		t.Fatal(err)
	}
	f := chattest.Next(t, br, func(e client.Failed) bool { return e.CID == cid })
	if !errors.Is(f.Err, client.ErrNoSuchNick) {
		t.Errorf("to nobody: %v, want ErrNoSuchNick", f.Err)
	}
	ref, err = bob.Kick("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if f := chattest.Next(t, br, func(e client.Failed) bool { return e.Ref == ref }); !errors.Is(f.Err, client.ErrNotAllowed) {
		t.Errorf("kicking the host: %v, want ErrNotAllowed", f.Err)
	}
}

// A kicked client stops with ErrKicked; a banned one with ErrBanned and
// the ban's end, and a new Dial is refused the same way while it lasts.
func TestKickedAndBannedStop(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", server.Config{HostKey: testHostKey})
	hcfg := fastConfig(t, ts.Addr, "alice")
	hcfg.HostKey = testHostKey
	alice, ar := chattest.Dial(t, hcfg)
	chattest.Next(t, ar, func(e client.RoleChanged) bool { return e.Self })

	_, br := chattest.Dial(t, fastConfig(t, ts.Addr, "bob"))
	if _, err := alice.Kick("bob", "out"); err != nil {
		t.Fatal(err)
	}
	d := chattest.Next(t, br, func(e client.Disconnected) bool { return true })
	if !errors.Is(d.Err, client.ErrKicked) || d.Retry != 0 {
		t.Errorf("kicked: %+v, want ErrKicked and no retry", d)
	}

	_, mr := chattest.Dial(t, fastConfig(t, ts.Addr, "mallory"))
	if _, err := alice.Ban("mallory", time.Hour, "spam"); err != nil {
		t.Fatal(err)
	}
	d = chattest.Next(t, mr, func(e client.Disconnected) bool { return true })
	if !errors.Is(d.Err, client.ErrBanned) || d.Retry != 0 || d.Bye == nil || d.Bye.Until == 0 {
		t.Errorf("banned: %+v, want ErrBanned, no retry, the ban's end", d)
	}
	ctx := t.Context()
	c, err := client.Dial(ctx, fastConfig(t, ts.Addr, "mallory"))
	if err == nil {
		c.Close()
		t.Fatal("a banned nickname joined again")
	}
	if !errors.Is(err, client.ErrBanned) {
		t.Errorf("Dial while banned: %v, want ErrBanned", err)
	}
}
