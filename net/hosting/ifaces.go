// Package hosting works out where a chat hosted on this computer can be
// reached: which network interfaces and addresses to share, which look
// like VPN, virtual or container adapters, and whether the port answers
// on each address. Both the window's Host dialog and the headless server
// use it, so it imports neither Fyne nor the server.
package hosting

import (
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Kind is what an interface looks like from its name and flags.
type Kind int

// The kinds of interface, in the order their addresses are worth sharing.
const (
	// LAN is an ordinary wired or wireless adapter: the one to share.
	LAN Kind = iota
	// VPN is a tunnel (tun, tap, wg, utun, ppp, or a point-to-point
	// link): only others on the same VPN can use its addresses, and
	// multicast (discovery) rarely crosses it.
	VPN
	// Virtual is a bridge or adapter of a container or virtual machine
	// (docker, br-, veth, virbr, vmnet, vboxnet): only those guests can
	// use its addresses.
	Virtual
	// Loopback reaches this computer alone.
	Loopback
)

// String names the kind in the words the checker shows.
func (k Kind) String() string {
	switch k {
	case LAN:
		return "network"
	case VPN:
		return "VPN"
	case Virtual:
		return "virtual/container"
	case Loopback:
		return "loopback"
	}
	return "unknown"
}

// vpnPrefixes and virtualPrefixes are interface name prefixes, the only
// hint the operating system gives (Linux, macOS and the BSDs name
// adapters by driver; Windows names are matched on words below).
var (
	vpnPrefixes     = []string{"tun", "tap", "wg", "utun", "ppp", "ipsec", "tailscale", "zt", "nordlynx", "proton"}
	virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lxc", "lxd", "cni", "flannel", "podman", "vnet", "kube"}
	// Windows adapter names (net.Interface.Name is the friendly name).
	vpnWords     = []string{"vpn", "wireguard", "tap-windows", "openvpn", "tailscale", "zerotier"}
	virtualWords = []string{"vethernet", "virtualbox", "vmware", "hyper-v", "docker", "wsl"}
)

// Classify says what kind of interface name and flags describe.
func Classify(name string, flags net.Flags) Kind {
	if flags&net.FlagLoopback != 0 {
		return Loopback
	}
	low := strings.ToLower(name)
	switch {
	case matchAny(low, virtualPrefixes, strings.HasPrefix):
		return Virtual
	case matchAny(low, vpnPrefixes, strings.HasPrefix):
		return VPN
	case matchAny(low, virtualWords, strings.Contains):
		return Virtual
	case matchAny(low, vpnWords, strings.Contains):
		return VPN
	}
	if flags&net.FlagPointToPoint != 0 {
		return VPN
	}
	return LAN
}

// matchAny reports whether match(s, p) holds for one of ps.
func matchAny(s string, ps []string, match func(s, p string) bool) bool {
	for _, p := range ps {
		if match(s, p) {
			return true
		}
	}
	return false
}

// Iface is one network interface as the checker sees it.
type Iface struct {
	Name      string
	Index     int
	Kind      Kind
	Up        bool // administratively up and running
	Multicast bool // can carry multicast DNS
	Addrs     []netip.Addr
}

// LinkLocal reports whether every address of the interface is link-local
// (169.254.x.x or fe80::): a sign that it got no address from a router.
func (i Iface) LinkLocal() bool {
	if len(i.Addrs) == 0 {
		return false
	}
	for _, a := range i.Addrs {
		if !a.IsLinkLocalUnicast() {
			return false
		}
	}
	return true
}

// Interfaces lists this computer's interfaces with their kinds.
func Interfaces() ([]Iface, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Iface, 0, len(ifaces))
	for _, ifc := range ifaces {
		out = append(out, describe(ifc))
	}
	return out, nil
}

func describe(ifc net.Interface) Iface {
	i := Iface{
		Name:      ifc.Name,
		Index:     ifc.Index,
		Kind:      Classify(ifc.Name, ifc.Flags),
		Up:        ifc.Flags&net.FlagUp != 0 && ifc.Flags&net.FlagRunning != 0,
		Multicast: ifc.Flags&net.FlagMulticast != 0,
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return i
	}
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		i.Addrs = append(i.Addrs, pfx.Addr().Unmap())
	}
	return i
}

// Shareable reports whether others could use addr to reach this computer:
// not loopback, unspecified or multicast, and not IPv6 link-local (to use
// one, the joining computer must name its own interface, a zone such as
// %eth0, which the host cannot know).
func Shareable(addr netip.Addr) bool {
	if addr.IsLoopback() || addr.IsUnspecified() || addr.IsMulticast() {
		return false
	}
	return !(addr.Is6() && addr.IsLinkLocalUnicast())
}

// ShareAddrs lists host:port addresses others may use to join a server on
// port, best first: ordinary network adapters before VPNs before virtual
// ones, IPv4 before IPv6, and link-local IPv4 (169.254.x.x) last within
// each kind. Interfaces that are down and loopback ones are left out.
func ShareAddrs(ifaces []Iface, port int) []string {
	type cand struct {
		rank int
		addr string
	}
	var cands []cand
	seen := map[string]bool{}
	p := strconv.Itoa(port)
	for _, ifc := range ifaces {
		if !ifc.Up || ifc.Kind == Loopback {
			continue
		}
		for _, ip := range ifc.Addrs {
			if !Shareable(ip) {
				continue
			}
			rank := int(ifc.Kind) * 4
			if ip.Is6() {
				rank += 2
			}
			if ip.IsLinkLocalUnicast() {
				rank++
			}
			a := net.JoinHostPort(ip.String(), p)
			if !seen[a] {
				seen[a] = true
				cands = append(cands, cand{rank, a})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].rank < cands[j].rank })
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.addr
	}
	return out
}

// LocalShareAddrs is ShareAddrs over this computer's interfaces.
func LocalShareAddrs(port int) []string {
	ifaces, err := Interfaces()
	if err != nil {
		return nil
	}
	return ShareAddrs(ifaces, port)
}

// AnnounceOn picks the interfaces a chat hosted for the network should
// be announced on (multicast DNS): ordinary network adapters that are up,
// carry multicast and have an address. The others are returned with the
// reason they were skipped, for the log.
func AnnounceOn(ifaces []Iface) (use []Iface, skipped map[string]string) {
	skipped = map[string]string{}
	for _, ifc := range ifaces {
		switch {
		case ifc.Kind == Loopback:
			skipped[ifc.Name] = "loopback: only this computer"
		case !ifc.Up:
			skipped[ifc.Name] = "down"
		case !ifc.Multicast:
			skipped[ifc.Name] = "no multicast"
		case ifc.Kind == Virtual:
			skipped[ifc.Name] = "virtual or container adapter: only its guests would see the chat"
		case ifc.Kind == VPN:
			skipped[ifc.Name] = "VPN: discovery does not cross it; share the address instead"
		case len(ifc.Addrs) == 0:
			skipped[ifc.Name] = "no address"
		default:
			use = append(use, ifc)
		}
	}
	return use, skipped
}
