package hosting

import (
	"net"
	"net/netip"
	"slices"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		flags net.Flags
		want  Kind
	}{
		{"eth0", net.FlagUp | net.FlagMulticast, LAN},
		{"wlp2s0", net.FlagUp, LAN},
		{"en0", net.FlagUp, LAN},
		{"lo", net.FlagUp | net.FlagLoopback, Loopback},
		{"docker0", net.FlagUp, Virtual},
		{"br-1a2b3c", net.FlagUp, Virtual},
		{"veth12ab", net.FlagUp, Virtual},
		{"virbr0", net.FlagUp, Virtual},
		{"vmnet8", net.FlagUp, Virtual},
		{"vboxnet0", net.FlagUp, Virtual},
		{"vEthernet (WSL)", net.FlagUp, Virtual},
		{"tun0", net.FlagUp, VPN},
		{"tap1", net.FlagUp, VPN},
		{"wg0", net.FlagUp, VPN},
		{"utun3", net.FlagUp, VPN},
		{"ppp0", net.FlagUp, VPN},
		{"OpenVPN TAP-Windows6", net.FlagUp, VPN},
		{"weird0", net.FlagUp | net.FlagPointToPoint, VPN},
	}
	for _, tt := range tests {
		if got := Classify(tt.name, tt.flags); got != tt.want {
			t.Errorf("Classify(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestShareAddrsOrder(t *testing.T) {
	ifaces := []Iface{
		{Name: "lo", Kind: Loopback, Up: true, Addrs: addrs("127.0.0.1", "::1")},
		{Name: "docker0", Kind: Virtual, Up: true, Addrs: addrs("172.17.0.1")},
		{Name: "wg0", Kind: VPN, Up: true, Addrs: addrs("10.8.0.2")},
		{Name: "eth0", Kind: LAN, Up: true, Addrs: addrs("fe80::1", "2001:db8::5", "169.254.3.4", "192.168.1.20")},
		{Name: "eth1", Kind: LAN, Up: false, Addrs: addrs("192.168.9.9")},
	}
	got := ShareAddrs(ifaces, 2000)
	want := []string{"192.168.1.20:2000", "169.254.3.4:2000", "[2001:db8::5]:2000", "10.8.0.2:2000", "172.17.0.1:2000"}
	if !slices.Equal(got, want) {
		t.Fatalf("ShareAddrs = %v, want %v", got, want)
	}
}

func TestAnnounceOn(t *testing.T) {
	ifaces := []Iface{
		{Name: "lo", Kind: Loopback, Up: true, Multicast: false, Addrs: addrs("127.0.0.1")},
		{Name: "eth0", Kind: LAN, Up: true, Multicast: true, Addrs: addrs("192.168.1.20")},
		{Name: "docker0", Kind: Virtual, Up: true, Multicast: true, Addrs: addrs("172.17.0.1")},
		{Name: "wg0", Kind: VPN, Up: true, Multicast: true, Addrs: addrs("10.8.0.2")},
		{Name: "eth1", Kind: LAN, Up: false, Multicast: true, Addrs: addrs("192.168.9.9")},
		{Name: "eth2", Kind: LAN, Up: true, Multicast: true},
	}
	use, skipped := AnnounceOn(ifaces)
	if len(use) != 1 || use[0].Name != "eth0" {
		t.Fatalf("AnnounceOn uses %v, want eth0 alone", use)
	}
	for _, name := range []string{"lo", "docker0", "wg0", "eth1", "eth2"} {
		if skipped[name] == "" {
			t.Errorf("%s skipped without a reason: %v", name, skipped)
		}
	}
}

func TestLinkLocal(t *testing.T) {
	if !(Iface{Addrs: addrs("169.254.1.1", "fe80::2")}).LinkLocal() {
		t.Error("169.254.1.1 and fe80::2 are link-local only")
	}
	if (Iface{Addrs: addrs("169.254.1.1", "192.168.1.2")}).LinkLocal() {
		t.Error("an interface with 192.168.1.2 is not link-local only")
	}
}
