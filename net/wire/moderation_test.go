package wire_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
)

// socialFrames is one frame of each private-message and moderation type,
// with the members it uses filled in, and the frames whose members grew
// for them.
var socialFrames = []struct {
	name  string
	frame wire.Frame
	// client is what DecodeClient returns for the frame; nil when a client
	// may not send it.
	client wire.Frame
}{
	{"private_send", wire.Private{To: "bob", Text: "psst\nsecond line", CID: "p-1"}, wire.Private{To: "bob", Text: "psst\nsecond line", CID: "p-1"}},
	{"private", wire.Private{Time: 1764090000002, From: "alice", To: "bob", Text: "psst", CID: "p-1"}, wire.Private{To: "bob", Text: "psst", CID: "p-1"}},
	{"claim", wire.Claim{Key: "k3y"}, wire.Claim{Key: "k3y"}},
	{"mod_ban", wire.Mod{Ref: "m1", Action: wire.ActBan, Nick: "mallory", Secs: 3600, Reason: "spam"}, wire.Mod{Ref: "m1", Action: wire.ActBan, Nick: "mallory", Secs: 3600, Reason: "spam"}},
	{"mod_addr", wire.Mod{Action: wire.ActMute, Addr: "192.168.1.9", Secs: 600}, wire.Mod{Action: wire.ActMute, Addr: "192.168.1.9", Secs: 600}},
	{"mod_kick", wire.Mod{Action: wire.ActKick, Nick: "carol"}, wire.Mod{Action: wire.ActKick, Nick: "carol"}},
	{"moderation", wire.Moderation{Ref: "m1", Time: 5, Action: wire.ActBan, Nick: "mallory", Addr: "192.168.1.9", By: "alice", Reason: "spam", Until: 3600005}, nil},
	{"topic_set", wire.Topic{Text: "Friday demo at 3"}, wire.Topic{Text: "Friday demo at 3"}},
	{"topic", wire.Topic{Time: 6, By: "alice", Text: "Friday demo at 3"}, wire.Topic{Text: "Friday demo at 3"}},
	{"role", wire.RoleChange{Time: 7, Nick: "dave", Role: wire.RoleMod, By: "alice"}, nil},
	{"role_none", wire.RoleChange{Time: 8, Nick: "dave"}, nil},
	{"bye_banned", wire.Bye{Reason: wire.ByeBanned, Text: "banned for an hour: spam", Until: 1764093600000}, nil},
	{"join_role", wire.Join{Time: 1, Nick: "alice", Status: wire.Active, Role: wire.RoleHost}, nil},
	{"welcome_topic", wire.Welcome{V: 1, Nick: "bob", Session: "s", Epoch: "e", History: []wire.Msg{},
		Users: []wire.User{{Nick: "alice", Status: wire.Active, Role: wire.RoleHost}, {Nick: "bob", Status: wire.Active}},
		Caps:  []string{wire.CapPrivate, wire.CapModeration}, Topic: "Friday demo at 3"}, nil},
}

// checkGolden compares an encoding with testdata/NAME.json, which
// -update rewrites.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != strings.TrimSuffix(string(want), "\n") {
		t.Errorf("Encode(%s)\n got %s\nwant %s", name, got, want)
	}
}

func TestSocialGolden(t *testing.T) {
	for _, tc := range socialFrames {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.Encode(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, got)
			back, err := wire.Decode(got)
			if err != nil || !reflect.DeepEqual(back, tc.frame) {
				t.Errorf("Decode(%s) = %#v, %v; want %#v", got, back, err, tc.frame)
			}
			c, err := wire.DecodeClient(got)
			switch {
			case tc.client == nil && !errors.Is(err, wire.ErrServerFrame):
				t.Errorf("DecodeClient(%s) = %#v, %v; want ErrServerFrame", got, c, err)
			case tc.client != nil && (err != nil || !reflect.DeepEqual(c, tc.client)):
				t.Errorf("DecodeClient(%s) = %#v, %v; want %#v", got, c, err, tc.client)
			}
		})
	}
}

// A client's private message and topic carry only what a client may set:
// a forged sender or time is not read.
func TestDecodeClientDropsForgedMembers(t *testing.T) {
	for _, in := range []string{
		`{"type":"private","from":"alice","ts":1,"to":"bob","text":"hi"}`,
		`{"type":"topic","by":"alice","ts":1,"text":"hi"}`,
	} {
		f, err := wire.DecodeClient([]byte(in))
		if err != nil {
			t.Fatalf("DecodeClient(%s): %v", in, err)
		}
		switch f := f.(type) {
		case wire.Private:
			if f.From != "" || f.Time != 0 {
				t.Errorf("DecodeClient(%s) kept the server's members: %#v", in, f)
			}
		case wire.Topic:
			if f.By != "" || f.Time != 0 {
				t.Errorf("DecodeClient(%s) kept the server's members: %#v", in, f)
			}
		}
	}
}

func TestPlainPrivate(t *testing.T) {
	tests := []struct {
		from, to, text string
		echo           bool
		want           string
	}{
		{"alice", "bob", "hi", false, "* [private] alice: hi"},
		{"alice", "bob", "hi", true, "* [private] to bob: hi"},
		{"alice", "bob", "a\nbob: forged", false, "* [private] alice: a\n  " + strings.Repeat(" ", len("alice: ")) + "bob: forged"},
	}
	for _, tc := range tests {
		if got := wire.PlainPrivate(tc.from, tc.to, tc.text, tc.echo); got != tc.want {
			t.Errorf("PlainPrivate(%q, %q, %q, %v) = %q, want %q", tc.from, tc.to, tc.text, tc.echo, got, tc.want)
		}
	}
}

// FuzzDecodeSocial checks the private-message and moderation frames as
// FuzzDecode and FuzzDecodeClient check the others: no panic, only the
// documented errors, and what is accepted survives encoding again.
func FuzzDecodeSocial(f *testing.F) {
	for _, tc := range socialFrames {
		data, err := wire.Encode(tc.frame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"mod","secs":-1,"action":7}`))
	f.Add([]byte(`{"type":"private","to":"","text":"\u202e","from":"alice"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) (wire.Frame, error){wire.Decode, wire.DecodeClient} {
			fr, err := decode(data)
			if err != nil {
				if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrUnknownType) && !errors.Is(err, wire.ErrServerFrame) {
					t.Fatalf("error %v wraps no sentinel", err)
				}
				continue
			}
			again, err := wire.Encode(fr)
			if err != nil {
				t.Fatalf("Encode(decode(%q)): %v", data, err)
			}
			back, err := decode(again)
			if err != nil || !reflect.DeepEqual(back, fr) {
				t.Fatalf("decode(Encode(decode(%q))) = %#v, %v; want %#v", data, back, err, fr)
			}
		}
	})
}

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "10m": 10 * time.Minute,
		"1h30m": 90 * time.Minute, "2d": 48 * time.Hour, "45d": 45 * 24 * time.Hour} {
		if got, err := wire.ParseSpan(in); err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "0s", "500ms", "-1h", "0d", "1.5d", "d", "999999d"} {
		if _, err := wire.ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q) accepted", in)
		}
	}
}
