package client_test

import (
	"errors"
	"testing"

	"parley/net/client"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means an error
	}{
		{"localhost", "ws://localhost:2000/"},
		{"  localhost:2001 ", "ws://localhost:2001/"},
		{"192.168.1.20", "ws://192.168.1.20:2000/"},
		{"192.168.1.20:8080", "ws://192.168.1.20:8080/"},
		{"[::1]:2000", "ws://[::1]:2000/"},
		{"[::1]", "ws://[::1]:2000/"},
		{"::1", "ws://[::1]:2000/"},
		{"fe80::1", "ws://[fe80::1]:2000/"},
		{"my-laptop.local", "ws://my-laptop.local:2000/"},
		{"DESKTOP_7", "ws://DESKTOP_7:2000/"},
		{"host:2000/ws", "ws://host:2000/ws"},
		{"ws://host:2000/ws", "ws://host:2000/ws"},
		{"ws://host", "ws://host:2000/"},
		{"WS://Host:9", "ws://Host:9/"},
		{"wss://chat.example.org", "wss://chat.example.org:443/"},
		{"wss://chat.example.org:8443/room?x=1", "wss://chat.example.org:8443/room?x=1"},
		{"http://host:3000", "ws://host:3000/"},
		{"https://host", "wss://host:443/"},
		{"ws://[::1]:2000/", "ws://[::1]:2000/"},
		{"host:02000", "ws://host:2000/"},

		{"", ""},
		{"   ", ""},
		{"host:", ""},
		{"host:0", ""},
		{"host:65536", ""},
		{"host:port", ""},
		{"host:-1", ""},
		{"ftp://host", ""},
		{"ws://", ""},
		{"ws://:2000", ""},
		{"ws://user:pw@host", ""},
		{"ws://host/#frag", ""},
		{"two words", ""},
		{"bad host!", ""},
		{"bad_host!:2000", ""},
		{"-leading.example", ""},
		{"a..b", ""},
		{"[::1", ""},
		{"[zz::1]:2000", ""},
		{"1.2.3.4:2000:5", ""},
		{"ws://h\x00st", ""},
		{"ünïcode.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := client.ParseAddr(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseAddr(%q) = %s, want an error", tc.in, u)
				}
				if !errors.Is(err, client.ErrBadAddress) {
					t.Errorf("error %v does not wrap ErrBadAddress", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddr(%q): %v", tc.in, err)
			}
			if u.String() != tc.want {
				t.Errorf("ParseAddr(%q) = %s, want %s", tc.in, u, tc.want)
			}
		})
	}
}

// What ParseAddr accepts, it accepts again in the form Client.Addr
// returns, with the same result: the UI stores that form.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"localhost", "[::1]:2000", "ws://h:1/p", "wss://x", "::1", "a:b:c", "host:2000/ws?x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := client.ParseAddr(s)
		if err != nil {
			if !errors.Is(err, client.ErrBadAddress) {
				t.Fatalf("ParseAddr(%q): %v does not wrap ErrBadAddress", s, err)
			}
			return
		}
		again, err := client.ParseAddr(u.String())
		if err != nil {
			t.Fatalf("ParseAddr(%q) = %s, which it then rejects: %v", s, u, err)
		}
		if again.String() != u.String() {
			t.Fatalf("ParseAddr(%q) = %s, but ParseAddr(%s) = %s", s, u, u, again)
		}
	})
}
