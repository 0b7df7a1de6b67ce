package ui_test

import (
	"bytes"
	"errors"
	"os/user"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	qrcode "github.com/skip2/go-qrcode"

	"parley/net/wire"
	"parley/ui"
)

// TestAddressesDialogLinkAndQR: hosting for the network, the Addresses
// dialog gives the join link and the web address of the first address,
// each with its QR code, and the checker finds the port answering there.
func TestAddressesDialogLinkAndQR(t *testing.T) {
	u, p := hostingUI(t, true, "Room", "lea")
	addrs := u.HostAddrs()
	if len(addrs) == 0 {
		t.Fatal("this machine has no network address to test the dialog with")
	}
	u.ShowAddresses()
	link, web, qrLink, qrWeb, _ := u.AddressesShown()
	// Hosting is encrypted by default: the link carries the key, and the
	// web address is https.
	fp := u.HostFingerprint()
	if fp.IsZero() {
		t.Fatal("the chat hosted by default is not encrypted")
	}
	if link != "parley://"+addrs[0]+"?fp="+fp.String() || web != "https://"+addrs[0]+"/" {
		t.Fatalf("link %q, web %q; want those of %s with key %s", link, web, addrs[0], fp)
	}
	for _, c := range []struct {
		text string
		got  []byte
	}{{link, qrLink}, {web, qrWeb}} {
		want, err := qrcode.Encode(c.text, qrcode.Medium, 256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.got, want) {
			t.Errorf("the QR code shown is not that of %q", c.text)
		}
	}
	var check string
	waitFor(t, "the connection check", func() bool {
		_, _, _, _, check = u.AddressesShown()
		return check != ""
	}, p)
	if !strings.Contains(check, "Address to share: "+addrs[0]) || !strings.Contains(check, "✓ "+addrs[0]+" answers") || !strings.Contains(check, "Interfaces: ") {
		t.Errorf("check says:\n%s", check)
	}
}

// TestAddressesDialogLocalOnly: hosting for this computer only, there is
// no join link or QR code to share, only the local web address.
func TestAddressesDialogLocalOnly(t *testing.T) {
	u, _ := hostingUI(t, false, "Room", "lea")
	u.ShowAddresses()
	link, web, qrLink, _, check := u.AddressesShown()
	if link != "" || qrLink != nil || web != "https://"+u.HostAddr()+"/" || !strings.Contains(check, "Only this computer") {
		t.Fatalf("link %q, web %q, QR %v, check %q", link, web, qrLink != nil, check)
	}
}

func TestUserNick(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"olga", "olga"},
		{`CORP\olga`, "olga"},
		{"Olga Smith", "Olga_Smith"},
		{"-dash", "dash"},
		{"a@b!c", "abc"},
		{"@@@", ""},
		{strings.Repeat("x", 60), strings.Repeat("x", wire.MaxNick)},
	}
	for _, tt := range tests {
		got := ui.UserNick(func() (*user.User, error) { return &user.User{Username: tt.name}, nil })
		if got != tt.want {
			t.Errorf("userNick(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := ui.UserNick(func() (*user.User, error) { return nil, errors.New("no user") }); got != "" {
		t.Errorf("userNick with no user = %q", got)
	}
}

// TestHostDialogNickDefault: the host dialog offers the last nickname
// used, or else the name of the user logged in.
func TestHostDialogNickDefault(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString("addr", "127.0.0.1:1")
	u, _ := newUI(t, ui.Options{})
	_, _, nick, _ := u.HostForm()
	want := ui.UserNick(user.Current)
	if want == "" {
		t.Fatal("the test's user name gives no nickname")
	}
	if nick.Text != want {
		t.Errorf("nickname offered = %q, want the user's %q", nick.Text, want)
	}

	a2 := test.NewTempApp(t)
	remembered(a2)
	u2, _ := newUI(t, ui.Options{})
	_, _, nick2, _ := u2.HostForm()
	if nick2.Text != "someone" {
		t.Errorf("nickname offered = %q, want the last one used", nick2.Text)
	}
}

// TestAddressesDialogFits: in a window of the default size, the join
// link (long: it carries the key) does not push the Copy buttons out of
// the window; it wraps instead.
func TestAddressesDialogFits(t *testing.T) {
	u, p := hostingUI(t, true, "Room", "lea")
	if len(u.HostAddrs()) == 0 {
		t.Fatal("this machine has no network address to test the dialog with")
	}
	u.Window().Resize(fyne.NewSize(860, 560))
	u.ShowAddresses()
	p.Run()
	if out := u.AddressesCopyOutside(); len(out) > 0 {
		t.Errorf("Copy buttons outside the window: %v", out)
	}
}
