package server

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/gorilla/websocket"
)

// The rules a WebSocket handshake request must meet before gorilla looks
// at it (method, Upgrade and Connection tokens, version, key, origin).
//
// Serve's accept loop reads request heads with http.ReadRequest, which
// leaves to the server what net/http's own server checks before calling
// a handler: the HTTP version and the Host header. Without them Serve's
// own path upgraded what the other path refused (no Host, HTTP/0.9, HTTP/9.9)
// and both paths upgraded what RFC 6455 forbids (HTTP/1.0, an empty Host).
// upgradeStatus is the one decision: ServeHTTP answers by it, and the
// accept loop upgrades a request itself only when it says so, handing
// every other one to the HTTP server and so to ServeHTTP.

// upgradeStatus decides what the server does with request r:
//
//   - 0: r is not a WebSocket handshake for this server (another path, no
//     Upgrade: websocket, or HTTP/1.0, whose Upgrade header RFC 9110 §7.8
//     says a server must ignore): it gets the page, as any GET does.
//   - http.StatusSwitchingProtocols: r may be upgraded; gorilla checks the
//     rest of the handshake.
//   - another status, with why: the handshake is refused. RFC 6455 §4.1
//     requires HTTP/1.1 or a later 1.x (net/http reads any HTTP/1.x as
//     1.1) and a Host of the form host[:port].
func upgradeStatus(r *http.Request) (status int, why string) {
	if r.URL.Path != "/" && r.URL.Path != "/ws" || !websocket.IsWebSocketUpgrade(r) {
		return 0, ""
	}
	switch {
	case r.ProtoMajor != 1:
		return http.StatusHTTPVersionNotSupported, "unsupported protocol version"
	case r.ProtoMinor < 1:
		return 0, ""
	case !validHost(r.Host):
		return http.StatusBadRequest, "missing or malformed Host header"
	}
	return http.StatusSwitchingProtocols, ""
}

// validHost reports whether h is an authority without user information,
// host[:port] as RFC 3986 §3.2.2 and §3.2.3 define them: a registered
// name (letters, digits, "-._~", sub-delims and percent escapes, which
// covers IPv4 addresses) or an IPv6 address in brackets; the port is
// digits. Every Host net/http's server refuses, this refuses too.
func validHost(h string) bool {
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		host, port = h[1:end], h[end+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
	} else {
		if i := strings.LastIndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i:]
		}
		if host == "" {
			return false
		}
		for i := 0; i < len(host); i++ {
			c := host[i]
			switch {
			case isAlnum(c), strings.IndexByte("-._~!$&'()*+,;=", c) >= 0:
			case c == '%' && i+2 < len(host) && isHex(host[i+1]) && isHex(host[i+2]):
				i += 2
			default:
				return false
			}
		}
	}
	if port == "" {
		return true
	}
	if port[0] != ':' {
		return false
	}
	for i := 1; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
