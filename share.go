package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"parley/net/client"
	"parley/net/hosting"
	"parley/net/pin"
)

// shareInfo is what -server prints at start-up for people to join with:
// the window's Addresses dialog shows the same.
type shareInfo struct {
	Room  string
	Addrs []string        // HOST:PORT others can use; the first is the likeliest
	Local bool            // the server listens on loopback: only this computer can join
	FP    pin.Fingerprint // the server's key; zero when it is not encrypted
	Plain bool            // with a key, plain ws:// and http:// are served too
}

// shareAddrs is where others can reach a server listening on addr: the
// address itself when it names one, else (every interface) the addresses
// of this computer's network adapters, best first (net/hosting).
func shareAddrs(addr *net.TCPAddr) []string {
	if addr.IP.IsUnspecified() {
		return hosting.LocalShareAddrs(addr.Port)
	}
	return []string{net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port))}
}

// writeShare prints the addresses to share: for each, the join link a
// Parley app opens, the web address a browser opens, and the WebSocket
// address for other programs; then the key's code to compare.
func writeShare(w io.Writer, s shareInfo) {
	var b strings.Builder
	switch {
	case len(s.Addrs) == 0:
		fmt.Fprintf(&b, "This computer has no network address others could use to join %q.\n", s.Room)
	case s.Local:
		fmt.Fprintf(&b, "Only this computer can join %q (the server listens on loopback):\n", s.Room)
	default:
		fmt.Fprintf(&b, "Others join %q at:\n", s.Room)
	}
	enc := !s.FP.IsZero()
	for _, a := range s.Addrs {
		web := client.WebAddress(a)
		link := client.Link{Addr: a}
		ws := "ws://" + a + "/"
		if enc {
			link.Fingerprint = s.FP.String()
			web = "https" + strings.TrimPrefix(web, "http")
			ws = "wss://" + a + "/"
		}
		fmt.Fprintf(&b, "  %s\n", a)
		fmt.Fprintf(&b, "    Parley app: %s\n", link)
		fmt.Fprintf(&b, "    browser:    %s\n", web)
		fmt.Fprintf(&b, "    WebSocket:  %s\n", ws)
		if enc && s.Plain {
			fmt.Fprintf(&b, "    plain text: ws://%s/ and %s (not encrypted)\n", a, client.WebAddress(a))
		}
	}
	if enc {
		fmt.Fprintf(&b, "Encrypted. The key's code, for people to compare with what their app shows: %s (%s)\n",
			s.FP.Code(), strings.Join(s.FP.Words(), " "))
	} else {
		b.WriteString("Not encrypted (-tls encrypts): anyone on the network path can read the chat.\n")
	}
	io.WriteString(w, b.String())
}
