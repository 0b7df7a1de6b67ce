package client_test

import (
	"errors"
	"net/url"
	"testing"

	"parley/net/client"
)

func TestParseLink(t *testing.T) {
	tests := []struct {
		in   string
		want client.Link
	}{
		{"parley://192.168.1.20:2000", client.Link{Addr: "192.168.1.20:2000"}},
		{"  PARLEY://host.lan  ", client.Link{Addr: "host.lan:2000"}},
		{"parley://[fd00::5]:2001/", client.Link{Addr: "[fd00::5]:2001"}},
		{"parley://h:1?fp=ab12&pw=1", client.Link{Addr: "h:1", Fingerprint: "ab12", NeedsPassword: true}},
		{"parley://h:1?pw=s%20cret", client.Link{Addr: "h:1", NeedsPassword: true}}, // a password in a link is never kept
		{"parley://h:1?pw=0", client.Link{Addr: "h:1"}},
		{"parley://h:1?v=2&fp=x", client.Link{Addr: "h:1", Fingerprint: "x", Extra: url.Values{"v": {"2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := client.ParseLink(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.want.Addr || got.Fingerprint != tt.want.Fingerprint || got.NeedsPassword != tt.want.NeedsPassword ||
				got.Extra.Encode() != tt.want.Extra.Encode() {
				t.Fatalf("ParseLink(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			// Written and read again, it is the same link.
			again, err := client.ParseLink(got.String())
			if err != nil || again.String() != got.String() {
				t.Fatalf("round trip of %q: %q, %v", got.String(), again.String(), err)
			}
		})
	}
}

func TestParseLinkRefuses(t *testing.T) {
	for _, in := range []string{
		"", "192.168.1.20:2000", "ws://h:1", "parley:h:1", "parley://", "parley://u@h:1",
		"parley://h:1/room", "parley://h:99999", "parley://h:1?%zz", "parley://h h:1",
	} {
		if l, err := client.ParseLink(in); !errors.Is(err, client.ErrBadAddress) {
			t.Errorf("ParseLink(%q) = %+v, %v; want ErrBadAddress", in, l, err)
		}
	}
}

func TestLinkString(t *testing.T) {
	if got := (client.Link{Addr: "[fd00::5]:2000"}).String(); got != "parley://[fd00::5]:2000" {
		t.Errorf("String = %q", got)
	}
	if got := (client.Link{Addr: "h:1", NeedsPassword: true, Fingerprint: "f"}).String(); got != "parley://h:1?fp=f&pw=1" {
		t.Errorf("String = %q", got)
	}
	if got := client.WebAddress("[fd00::5]:2000"); got != "http://[fd00::5]:2000/" {
		t.Errorf("WebAddress = %q", got)
	}
}

// FuzzParseLink: any input gives a link or ErrBadAddress, never a panic,
// and a link written and read again is the same link.
func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"parley://h:1", "parley://[::1]:2?fp=a&x=1&x=2", "parley://h?pw=%00", "PARLEY://h:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := client.ParseLink(s)
		if err != nil {
			if !errors.Is(err, client.ErrBadAddress) {
				t.Fatalf("ParseLink(%q): %v does not wrap ErrBadAddress", s, err)
			}
			return
		}
		again, err := client.ParseLink(l.String())
		if err != nil || again.String() != l.String() {
			t.Fatalf("ParseLink(%q) = %q, read again %q, %v", s, l.String(), again.String(), err)
		}
	})
}
