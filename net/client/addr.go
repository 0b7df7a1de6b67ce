package client

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"parley/net/wire"
)

// ParseAddr turns what someone typed into a server's WebSocket URL. It
// accepts "host", "host:port", "[v6addr]:port", a bare IPv6 address,
// "host:port/path", and ws:// or wss:// URLs (http:// and https:// are taken
// to mean ws:// and wss://). A missing port is wire.DefaultPort for ws and 443
// for wss; a missing path is "/". Errors wrap ErrBadAddress and say what is
// wrong in words meant for the person who typed it.
func ParseAddr(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: the address is empty", ErrBadAddress)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return nil, fmt.Errorf("%w: %q contains spaces", ErrBadAddress, s)
	}
	scheme, rest := "ws", s
	if i := strings.Index(s, "://"); i >= 0 {
		switch strings.ToLower(s[:i]) {
		case "ws", "http":
			scheme = "ws"
		case "wss", "https":
			scheme = "wss"
		default:
			return nil, fmt.Errorf("%w: %q is not a chat address (use ws:// or wss://)", ErrBadAddress, s[:i+3])
		}
		rest = s[i+3:]
	} else if ip := net.ParseIP(unbracket(s)); ip != nil && strings.Contains(s, ":") {
		// A bare IPv6 address: its colons are not a port separator.
		return &url.URL{Scheme: "ws", Host: net.JoinHostPort(ip.String(), strconv.Itoa(wire.DefaultPort)), Path: "/"}, nil
	}

	hostport, path := rest, "/"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	u, err := url.Parse(scheme + "://" + hostport + path)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, s, unwrapURLError(err))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: %q has a user name, which chat addresses do not take", ErrBadAddress, s)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%w: %q has a #fragment", ErrBadAddress, s)
	}
	if u.Path == "" {
		u.Path = "/"
	}

	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, fmt.Errorf("%w: %q names no host", ErrBadAddress, s)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: %q has an empty port", ErrBadAddress, s)
	}
	if err := checkHost(host); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAddress, err)
	}
	if port == "" {
		port = strconv.Itoa(wire.DefaultPort)
		if scheme == "wss" {
			port = "443"
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("%w: port %q is not a number from 1 to 65535", ErrBadAddress, port)
	}
	u.Host = net.JoinHostPort(host, strconv.Itoa(n))
	return u, nil
}

// unbracket removes the brackets around an IPv6 address, if both are
// there.
func unbracket(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// checkHost accepts an IP address or a DNS name made of letters, digits,
// hyphens and underscores (mDNS and Windows names use them) in dot-separated
// labels.
func checkHost(host string) error {
	if net.ParseIP(host) != nil {
		return nil
	}
	if strings.Contains(host, ":") {
		return fmt.Errorf("%q is not a valid IPv6 address", host)
	}
	if len(host) > 253 {
		return fmt.Errorf("host name is longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" {
			return fmt.Errorf("host name %q has an empty part", host)
		}
		if len(label) > 63 {
			return fmt.Errorf("host name %q has a part longer than 63 characters", host)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host name %q has a part that starts or ends with '-'", host)
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return fmt.Errorf("host name %q contains %q", host, r)
			}
		}
	}
	return nil
}

// unwrapURLError drops url.Error's repetition of the whole input.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
