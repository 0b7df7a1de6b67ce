package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brutella/dnssd"
	"github.com/miekg/dns"
)

// Service is a chat found on the network.
type Service struct {
	// Instance is the announced name, unique on the network.
	Instance string
	// Host is the announcing computer's name, without ".local.".
	Host string
	// Port is the chat server's port.
	Port int
	// Addrs are the host's addresses, IPv4 first.
	Addrs []netip.Addr
	// Iface is the interface the announcement arrived on.
	Iface string
	// Info is the TXT record.
	Info Info
}

// Addr is the address to join: the first IPv4 address (else the first
// IPv6 one that is not link-local) with the port. Empty if there is none.
func (s Service) Addr() string {
	for _, a := range s.Addrs {
		if a.Is4() || !a.IsLinkLocalUnicast() {
			return net.JoinHostPort(a.String(), strconv.Itoa(s.Port))
		}
	}
	return ""
}

// equal reports whether two listings show the same.
func (s Service) equal(t Service) bool {
	return s.Instance == t.Instance && s.Host == t.Host && s.Port == t.Port &&
		slices.Equal(s.Addrs, t.Addrs) && s.Iface == t.Iface && s.Info.equal(t.Info)
}

// Timing of the queries a browser sends: the first at once, then after 1,
// 2, 4, … seconds up to once a minute (RFC 6762 §5.2). Announcements and
// TXT updates arrive without asking.
const (
	firstRequery = time.Second
	maxRequery   = time.Minute
	// queryWindow is how long each query's own socket stays open to send
	// on every interface.
	queryWindow = 500 * time.Millisecond
	// sweepEvery is how often entries past their TTL are dropped (a host
	// that vanished without a goodbye).
	sweepEvery = 5 * time.Second
)

// Browse lists the chats announced on the local network until ctx ends.
// onChange is called with the whole listing, sorted by room, each time it
// changes (a chat appears, leaves, or its TXT record changes), from
// Browse's goroutine; it must not block for long.
func Browse(ctx context.Context, log *slog.Logger, onChange func([]Service)) error {
	quiet()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := dnssd.NewMDNSConn()
	if err != nil {
		return fmt.Errorf("discovery: opening multicast DNS: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reqs := conn.Read(ctx)
	go query(ctx, log)

	b := &browser{cache: dnssd.NewCache(), expires: map[string]time.Time{}, iface: map[string]string{}}
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	var shown []Service
	for {
		select {
		case <-ctx.Done():
			return nil
		case req := <-reqs:
			if req == nil {
				continue
			}
			b.update(req)
		case now := <-sweep.C:
			b.sweep(now)
		}
		list := b.list()
		if !slices.EqualFunc(list, shown, Service.equal) {
			shown = list
			onChange(slices.Clone(list))
		}
	}
}

// query sends the PTR question for _parley._tcp on every multicast
// interface, with dnssd's LookupType, at growing intervals. Its answers
// reach Browse's socket too (they are multicast), which is where they are
// read.
func query(ctx context.Context, log *slog.Logger) {
	wait := firstRequery
	for {
		qctx, cancel := context.WithTimeout(ctx, queryWindow)
		err := dnssd.LookupType(qctx, ServiceType+".local.", func(dnssd.BrowseEntry) {}, func(dnssd.BrowseEntry) {})
		cancel()
		if err != nil && ctx.Err() == nil && qctx.Err() == nil {
			log.Debug("discovery query", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, maxRequery)
	}
}

// browser is Browse's state, owned by its goroutine.
type browser struct {
	cache   *dnssd.Cache
	expires map[string]time.Time // escaped instance name: when its records expire
	iface   map[string]string    // escaped instance name: interface last heard on
}

var suffix = "." + ServiceType + ".local."

// update folds one received message into the cache.
func (b *browser) update(req *dnssd.Request) {
	now := time.Now()
	msg := req.Raw()
	if msg == nil {
		return
	}
	for _, rrs := range [][]dns.RR{msg.Answer, msg.Ns, msg.Extra} {
		for _, rr := range rrs {
			h := rr.Header()
			name := h.Name
			if p, ok := rr.(*dns.PTR); ok {
				name = p.Ptr
			}
			if !strings.HasSuffix(strings.ToLower(name), suffix) || h.Rrtype == dns.TypeNSEC {
				continue
			}
			if h.Ttl == 0 {
				delete(b.expires, name)
				continue
			}
			b.expires[name] = now.Add(time.Duration(h.Ttl) * time.Second)
			b.iface[name] = req.IfaceName()
		}
	}
	_, rmvs := b.cache.UpdateFrom(req)
	for _, s := range rmvs {
		delete(b.expires, s.EscapedServiceInstanceName())
	}
}

// sweep forgets entries whose records expired without a goodbye.
func (b *browser) sweep(now time.Time) {
	for name, t := range b.expires {
		if now.After(t) {
			delete(b.expires, name)
		}
	}
}

// list is the current listing: complete entries (port and an address)
// still within their TTL.
func (b *browser) list() []Service {
	var out []Service
	for _, s := range b.cache.Services() {
		name := s.EscapedServiceInstanceName()
		if s.Type != ServiceType || s.Port == 0 || len(s.IPs) == 0 {
			continue
		}
		if _, ok := b.expires[name]; !ok {
			continue
		}
		out = append(out, Service{
			Instance: s.Name,
			Host:     strings.TrimSuffix(strings.TrimSuffix(s.Hostname(), "."), ".local"),
			Port:     s.Port,
			Addrs:    addrs(s.IPs),
			Iface:    b.iface[name],
			Info:     ParseTXT(unescapeAll(s.Text)),
		})
	}
	sortServices(out)
	return out
}

// addrs dedupes and orders a host's addresses: IPv4 first, link-local last.
func addrs(ips []net.IP) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	rank := func(a netip.Addr) int {
		r := 0
		if a.Is6() {
			r += 2
		}
		if a.IsLinkLocalUnicast() {
			r++
		}
		return r
	}
	slices.SortStableFunc(out, func(x, y netip.Addr) int { return rank(x) - rank(y) })
	return out
}

// unescapeAll undoes miekg/dns's presentation escapes in TXT values.
func unescapeAll(txt map[string]string) map[string]string {
	out := make(map[string]string, len(txt))
	for k, v := range txt {
		out[unescape(k)] = unescape(v)
	}
	return out
}

// unescape turns miekg/dns's presentation form of a character string back
// into its bytes: \DDD is a byte in decimal, \X is X. Valid UTF-8 comes
// back as it was sent; anything else is replaced when shown.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if n < 256 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
