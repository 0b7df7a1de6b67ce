package client

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// LinkScheme is the URL scheme of join links: parley://HOST:PORT.
const LinkScheme = "parley"

// Query parameters of a join link that this version knows.
const (
	linkFingerprint = "fp"
	linkPassword    = "pw"
)

// Link is a join link: parley://HOST:PORT[?fp=…&pw=…]. A link a person
// clicks, scans or pastes says where a chat is, and later how to check
// and enter it.
type Link struct {
	// Addr is HOST:PORT (IPv6 in brackets).
	Addr string
	// Fingerprint is the server's TLS certificate fingerprint (fp).
	Fingerprint string
	// NeedsPassword says the chat has a password (pw=1), so that the
	// window asks for it before connecting. A link never carries the
	// password itself: whatever else pw holds is read as "needed" and
	// dropped, never used or written back.
	NeedsPassword bool
	// Extra holds the query parameters this version does not know, so
	// that a link from a newer host survives being read and written.
	Extra url.Values
}

// IsLink reports whether s looks like a join link (its scheme is parley:),
// as opposed to an address.
func IsLink(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > len(LinkScheme) && strings.EqualFold(s[:len(LinkScheme)+1], LinkScheme+":")
}

// ParseLink reads a join link. The host and port are checked as
// ParseAddr checks an address (a missing port is wire.DefaultPort). Errors
// wrap ErrBadAddress.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	if !IsLink(s) {
		return Link{}, fmt.Errorf("%w: %q is not a parley:// link", ErrBadAddress, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return Link{}, fmt.Errorf("%w: %q: %v", ErrBadAddress, s, unwrapURLError(err))
	}
	if u.Opaque != "" || u.Host == "" {
		return Link{}, fmt.Errorf("%w: %q names no host (the form is parley://HOST:PORT)", ErrBadAddress, s)
	}
	if u.User != nil {
		return Link{}, fmt.Errorf("%w: %q has a user name, which join links do not take", ErrBadAddress, s)
	}
	if u.Path != "" && u.Path != "/" {
		return Link{}, fmt.Errorf("%w: %q has a path, which join links do not take", ErrBadAddress, s)
	}
	ws, err := ParseAddr(u.Host)
	if err != nil {
		return Link{}, err
	}
	l := Link{Addr: ws.Host}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Link{}, fmt.Errorf("%w: %q: the part after ? does not parse: %v", ErrBadAddress, s, err)
	}
	for k, v := range q {
		switch k {
		case linkFingerprint:
			l.Fingerprint = v[0]
		case linkPassword:
			l.NeedsPassword = v[0] != "" && v[0] != "0" && !strings.EqualFold(v[0], "false")
		default:
			if l.Extra == nil {
				l.Extra = url.Values{}
			}
			l.Extra[k] = v
		}
	}
	return l, nil
}

// String writes the link: parley://HOST:PORT, then the parameters that
// are set, in a stable order.
func (l Link) String() string {
	q := url.Values{}
	for k, v := range l.Extra {
		q[k] = v
	}
	if l.Fingerprint != "" {
		q.Set(linkFingerprint, l.Fingerprint)
	}
	if l.NeedsPassword {
		q.Set(linkPassword, "1")
	}
	u := url.URL{Scheme: LinkScheme, Host: l.Addr, RawQuery: q.Encode()}
	return u.String()
}

// WebAddress is the address a browser opens to join the chat at addr
// (HOST:PORT): the server's own page.
func WebAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
