package server_test

// Nicknames that look like someone else's (net/nickname), over a real
// loopback server on Serve's accept path: every way a client names
// itself (a rich hello, a rich nick frame, a plain /nick) against a twin
// who joined rich or plain.

import (
	"strings"
	"testing"

	"parley/net/wire"
	"parley/server"
)

// nickWay is one way a client asks for a nickname.
type nickWay struct {
	name string
	rich bool
	// ask connects a new client and asks for nick. It returns the
	// nickname the client got, or the refusal's code (empty for a plain
	// client) and text, and the client, whatever the outcome.
	ask func(t *testing.T, url, nick string) (got string, code wire.Code, text string, c *client)
}

var nickWays = []nickWay{
	{"rich hello", true, func(t *testing.T, url, nick string) (string, wire.Code, string, *client) {
		c := dial(t, url, true)
		c.name = "rich hello " + nick
		c.send(wire.Hello{V: wire.Version, Nick: nick})
		switch f := c.frame().(type) {
		case wire.Welcome:
			return f.Nick, "", "", c
		case wire.Error:
			return "", f.Code, f.Text, c
		default:
			t.Fatalf("hello %+q: got %#v, want a welcome or an error", nick, f)
			return "", "", "", nil
		}
	}},
	{"rich nick", true, func(t *testing.T, url, nick string) (string, wire.Code, string, *client) {
		c, _ := rich(t, url, "mallory")
		c.send(wire.Nick{Nick: nick})
		for {
			switch f := c.frame().(type) {
			case wire.Rename:
				if f.Nick != "mallory" {
					continue // someone else's
				}
				return f.To, "", "", c
			case wire.Error:
				return "", f.Code, f.Text, c
			case wire.Join, wire.Leave, wire.Status:
			default:
				t.Fatalf("nick %+q: got %#v, want a rename or an error", nick, f)
			}
		}
	}},
	{"plain /nick", false, func(t *testing.T, url, nick string) (string, wire.Code, string, *client) {
		c := plain(t, url)
		c.name = "plain /nick " + nick
		c.say("/nick " + nick)
		got := c.text()
		if n, ok := strings.CutPrefix(got, "* you are now "); ok {
			return n, "", "", c
		}
		if text, ok := strings.CutPrefix(got, "* nickname not changed: "); ok {
			return "", "", text, c
		}
		t.Fatalf("/nick %+q: got %q, want a rename or a refusal", nick, got)
		return "", "", "", nil
	}},
}

// joinTwin puts someone in the room as nick: a rich client by its hello,
// a plain one by /nick.
func joinTwin(t *testing.T, url, nick string, richTwin bool) *client {
	t.Helper()
	if richTwin {
		c, w := rich(t, url, nick)
		if w.Nick != nick {
			t.Fatalf("twin joined as %+q, want %+q", w.Nick, nick)
		}
		return c
	}
	c := plain(t, url)
	c.name = "plain " + nick
	c.say("/nick " + nick)
	if got := c.text(); got != "* you are now "+nick {
		t.Fatalf("plain twin: %q", got)
	}
	return c
}

// nickServer serves a new room on Serve's own accept loop.
func nickServer(t *testing.T) string {
	_, url := serve(t, server.Config{Logger: quietLogger(t)})
	return url
}

// checkStillWelcome checks that a refused client lost nothing: a rich one
// can still join (or rename), a plain one still talks.
func checkStillWelcome(t *testing.T, way nickWay, c *client) {
	t.Helper()
	switch way.name {
	case "rich hello":
		c.send(wire.Hello{V: wire.Version, Nick: "someone-else"})
		if w := c.welcome(); w.Nick != "someone-else" {
			t.Fatalf("after the refusal: welcome as %+q", w.Nick)
		}
	case "rich nick":
		c.send(wire.Send{Text: "still here", CID: "c1"})
		if m := next[wire.Msg](c); m.From != "mallory" || m.Text != "still here" {
			t.Fatalf("after the refusal: %+v", m)
		}
	default:
		c.say("still here")
		if got := c.text(); !strings.HasPrefix(got, "guest-") || !strings.HasSuffix(got, ": still here") {
			t.Fatalf("after the refusal: %q", got)
		}
	}
}

// TestNickLookalikes: a nickname that looks like someone's in the room,
// or is theirs in another form, is refused with nick_taken and a text
// that names whom it looks like; with the twin absent it is accepted, as
// the room shows it, and then the twin is the one refused.
func TestNickLookalikes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		twin  string
		look  string // what the client asks for
		shown string // the nickname the room shows for look
		same  bool   // look is twin but for case or normalisation: "is taken"
	}{
		{"Cyrillic a", "alice", "аlice", "аlice", false},
		{"capital I for l", "alice", "aIice", "aIice", false},
		{"Greek capitals", "BOB", "ΒΟΒ", "ΒΟΒ", false},
		{"zero for o", "bob", "b0b", "b0b", false},
		{"Cyrillic o, other case", "Bob", "bоb", "bоb", false},
		{"rn for m", "mary", "rnary", "rnary", false},
		{"NFD against NFC", "Jos\u00e9", "Jose\u0301", "Jos\u00e9", true},
		{"fullwidth", "alice", "ａｌｉｃｅ", "alice", true},
		{"case", "alice", "ALICE", "ALICE", true},
	} {
		for _, way := range nickWays {
			for _, twinRich := range []bool{true, false} {
				twinMode := map[bool]string{true: "rich", false: "plain"}[twinRich]
				t.Run(tc.name+"/"+way.name+"/twin "+twinMode+"/present", func(t *testing.T) {
					url := nickServer(t)
					joinTwin(t, url, tc.twin, twinRich)
					got, code, text, c := way.ask(t, url, tc.look)
					want := tc.shown + " looks like " + tc.twin + ", who is here"
					if tc.same {
						want = "the nickname " + tc.shown + " is taken"
					}
					if got != "" || text != want || (way.rich && code != wire.CodeNickTaken) {
						t.Fatalf("%+q next to %+q: got %+q, refusal %q %q; want refusal %s %q",
							tc.look, tc.twin, got, code, text, wire.CodeNickTaken, want)
					}
					checkStillWelcome(t, way, c)
				})
				t.Run(tc.name+"/"+way.name+"/twin "+twinMode+"/absent", func(t *testing.T) {
					url := nickServer(t)
					got, code, text, _ := way.ask(t, url, tc.look)
					if got != tc.shown {
						t.Fatalf("%+q alone: got %+q, refusal %q %q; want it as %+q", tc.look, got, code, text, tc.shown)
					}
					// Now the twin is the look-alike.
					twinWay := nickWays[0] // rich hello
					if !twinRich {
						twinWay = nickWays[2] // plain /nick
					}
					got, code, text, _ = twinWay.ask(t, url, tc.twin)
					want := tc.twin + " looks like " + tc.shown + ", who is here"
					if tc.same {
						want = "the nickname " + tc.twin + " is taken"
					}
					if got != "" || text != want || (twinRich && code != wire.CodeNickTaken) {
						t.Fatalf("twin %+q after %+q: got %+q, refusal %q %q; want refusal %s %q",
							tc.twin, tc.shown, got, code, text, wire.CodeNickTaken, want)
					}
				})
			}
		}
	}
}

// TestNickNormalised: the room shows and compares nicknames in NFKC, in
// every way a client names itself.
func TestNickNormalised(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Jose\u0301", "Jos\u00e9"},
		{"Zoe\u0308", "Zo\u00eb"},
		{"ａｌｉｃｅ", "alice"},
		{"ﬁona", "fiona"},
	} {
		for _, way := range nickWays {
			t.Run(tc.want+"/"+way.name, func(t *testing.T) {
				url := nickServer(t)
				watcher, _ := rich(t, url, "watcher")
				got, code, text, _ := way.ask(t, url, tc.in)
				if got != tc.want {
					t.Fatalf("%+q: given as %+q (refusal %q %q), want %+q", tc.in, got, code, text, tc.want)
				}
				// Others see the same form.
				for {
					switch f := watcher.frame().(type) {
					case wire.Join:
						if f.Nick == tc.want {
							return
						}
						if way.name != "rich hello" {
							continue // mallory or a guest, renamed next
						}
						t.Fatalf("watcher saw %+q join, want %+q", f.Nick, tc.want)
					case wire.Rename:
						if f.To != tc.want {
							t.Fatalf("watcher saw a rename to %+q, want %+q", f.To, tc.want)
						}
						return
					default:
						t.Fatalf("watcher got %#v", f)
					}
				}
			})
		}
	}
}

// TestNickInvisible: default-ignorable code points and variation
// selectors are refused with nick_invalid, naming the code point, even
// when the name without them is free; names of Hangul fillers only,
// which render blank, too.
func TestNickInvisible(t *testing.T) {
	for _, tc := range []struct{ name, nick, code string }{
		{"combining grapheme joiner", "alice\u034F", "U+034F"},
		{"variation selector 16", "alice\uFE0F", "U+FE0F"},
		{"variation selector 1", "alice\uFE00", "U+FE00"},
		{"Mongolian variation selector", "alice\u180B", "U+180B"},
		{"zero width joiner", "al\u200Dice", "U+200D"},
		{"Hangul filler", "\u3164", "U+1160"}, // NFKC makes the compatibility fillers U+1160
		{"halfwidth Hangul filler", "\uFFA0", "U+1160"},
		{"Hangul choseong filler", "\u115F", "U+115F"},
		{"Hangul jungseong fillers", "\u1160\u1160", "U+1160"},
	} {
		for _, way := range nickWays {
			t.Run(tc.name+"/"+way.name, func(t *testing.T) {
				url := nickServer(t)
				twin := joinTwin(t, url, "alice", true)
				got, code, text, c := way.ask(t, url, tc.nick)
				want := "nickname may not contain invisible characters: " + tc.code
				if got != "" || text != want || (way.rich && code != wire.CodeNickInvalid) {
					t.Fatalf("%+q: got %+q, refusal %q %q; want refusal %s %q",
						tc.nick, got, code, text, wire.CodeNickInvalid, want)
				}
				checkStillWelcome(t, way, c)
				twin.send(wire.Send{Text: "unaffected", CID: "t1"})
				for m := next[wire.Msg](twin); m.Text != "unaffected"; m = next[wire.Msg](twin) {
				}
			})
		}
	}
}

// TestNickReserved: guest-N, and what looks like one, is for the server
// to give plain clients; no client may take one.
func TestNickReserved(t *testing.T) {
	for _, nick := range []string{"guest-7", "guest-1", "GUEST-7", "guеst-7", "guest-l", "guest-７", "GUΕST-7"} {
		for _, way := range nickWays {
			t.Run(nick+"/"+way.name, func(t *testing.T) {
				url := nickServer(t)
				got, code, text, c := way.ask(t, url, nick)
				want := "nicknames like guest-N are kept for the server to give plain clients"
				if got != "" || text != want || (way.rich && code != wire.CodeNickInvalid) {
					t.Fatalf("%+q: got %+q, refusal %q %q; want refusal %s %q",
						nick, got, code, text, wire.CodeNickInvalid, want)
				}
				checkStillWelcome(t, way, c)
			})
		}
	}
	// The server still hands them out.
	url := nickServer(t)
	p := plain(t, url)
	p.say("hello")
	if got := p.text(); got != "guest-1: hello" {
		t.Fatalf("plain client: %q", got)
	}
}

// TestNickLookalikeOfAnother: a rename that keeps one's own fold (a
// change of case) is still refused when the new form looks like someone
// else: "ALlCE" is here, so "alice" may not become "ALICE".
func TestNickLookalikeOfAnother(t *testing.T) {
	url := nickServer(t)
	a, _ := rich(t, url, "alice")
	joinTwin(t, url, "ALlCE", true)
	if j := next[wire.Join](a); j.Nick != "ALlCE" {
		t.Fatalf("alice saw %+v join", j)
	}
	a.send(wire.Nick{Nick: "ALICE"})
	want := "ALICE looks like ALlCE, who is here"
	if f := a.frame(); f != (wire.Error{Code: wire.CodeNickTaken, Text: want}) {
		t.Fatalf("alice renaming herself ALICE next to ALlCE: got %#v, want error %s %q", f, wire.CodeNickTaken, want)
	}
	a.send(wire.Nick{Nick: "Alice"}) // her own fold, nobody's skeleton
	if r := next[wire.Rename](a); r.Nick != "alice" || r.To != "Alice" {
		t.Fatalf("rename to Alice: %+v", r)
	}
}
