package discovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brutella/dnssd"
	dnslog "github.com/brutella/dnssd/log"
	"golang.org/x/text/unicode/norm"

	"parley/net/hosting"
)

// Defaults of AnnounceConfig.
const (
	// DefaultMinInterval is the shortest time between two TXT updates:
	// people coming and going faster than that are announced together.
	DefaultMinInterval = 3 * time.Second
	// pollEvery is how often the people count is read; reading it is one
	// atomic load.
	pollEvery = 500 * time.Millisecond
	// closeTimeout bounds sending the goodbye.
	closeTimeout = 3 * time.Second
	// settle is how long after starting the first TXT update waits: the
	// responder probes the name (about a second, under its lock) and
	// sends its two announcements a second apart; an update before they
	// went out would be overtaken by the second one's older record.
	settle = 2500 * time.Millisecond
)

// ErrNoInterface means no interface is fit to announce on.
var ErrNoInterface = errors.New("discovery: no network interface to announce on")

// AnnounceConfig says what to announce.
type AnnounceConfig struct {
	// Instance is the name shown in listings (at most 63 bytes; longer is
	// cut). Default: "ROOM on HOSTNAME".
	Instance string
	// Port is the chat server's TCP port.
	Port int
	// Info is the TXT record's content; its People is the count until
	// People first answers.
	Info Info
	// People, if set, is read every half second; a change is announced
	// at most once per MinInterval.
	People func() int
	// MinInterval is the shortest time between two TXT updates. Default
	// DefaultMinInterval.
	MinInterval time.Duration
	// Ifaces names the interfaces to announce on. Default: those
	// hosting.AnnounceOn picks (ordinary adapters with multicast; not
	// loopback, VPN, docker or virtual machine bridges).
	Ifaces []string
	// Logger receives which interfaces are used and skipped. Default:
	// discard.
	Logger *slog.Logger
}

// Announcer is a chat being announced. Close it to send the goodbye.
type Announcer struct {
	cfg    AnnounceConfig
	log    *slog.Logger
	resp   dnssd.Responder
	handle dnssd.ServiceHandle
	cancel context.CancelFunc
	done   chan struct{} // closed when the responder and updater returned
	once   sync.Once

	mu   sync.Mutex // guards info
	info Info       // the info last announced
}

var quietLibrary sync.Once

// quiet turns off dnssd's own logger, which writes to stdout by default:
// the server's output is its slog log on stderr.
func quiet() {
	quietLibrary.Do(func() { dnslog.Info.SetOutput(io.Discard) })
}

// Announce starts announcing a chat on the local network. It returns once
// the responder runs; the name is probed and announced in the background
// (about a second). Cancelling ctx or calling Close ends the announcement
// with a goodbye.
func Announce(ctx context.Context, cfg AnnounceConfig) (*Announcer, error) {
	quiet()
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("discovery: port %d", cfg.Port)
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ifaces := cfg.Ifaces
	if len(ifaces) == 0 {
		all, err := hosting.Interfaces()
		if err != nil {
			return nil, fmt.Errorf("discovery: listing interfaces: %w", err)
		}
		use, skipped := hosting.AnnounceOn(all)
		for name, why := range skipped {
			log.Info("not announcing on", "iface", name, "why", why)
		}
		for _, i := range use {
			ifaces = append(ifaces, i.Name)
		}
	}
	if len(ifaces) == 0 {
		return nil, ErrNoInterface
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	instance := cfg.Instance
	if instance == "" {
		instance = cfg.Info.Room
		if host != "" {
			instance += " on " + host
		}
	}
	instance = cutInstance(instance)
	svc, err := dnssd.NewService(dnssd.Config{
		Name:   instance,
		Type:   ServiceType,
		Port:   cfg.Port,
		Text:   cfg.Info.TXT(),
		Ifaces: ifaces,
	})
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	resp, err := dnssd.NewResponder()
	if err != nil {
		return nil, fmt.Errorf("discovery: opening multicast DNS: %w", err)
	}
	handle, err := resp.Add(svc)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &Announcer{cfg: cfg, log: log, resp: resp, handle: handle, cancel: cancel,
		done: make(chan struct{}), info: cfg.Info}
	log.Info("announcing on the local network", "service", ServiceType, "name", instance,
		"port", cfg.Port, "ifaces", strings.Join(ifaces, ","))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// Respond probes the name, announces, answers queries, and on
		// cancellation sends the goodbye (TTL 0) on every interface.
		if err := resp.Respond(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("announcing stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		a.follow(ctx)
	}()
	go func() {
		wg.Wait()
		close(a.done)
	}()
	return a, nil
}

// cutInstance makes a DNS label of at most 63 bytes, in ASCII: accents
// are dropped ("Café" becomes "Cafe") and other letters left out. The
// instance name only tells listings apart; the room's own name, in any
// script, travels in the TXT record. ASCII because dnssd's browser cache
// keys services by names that miekg/dns prints with \DDD escapes for
// other bytes, and then loses them.
func cutInstance(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(s))
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > 63 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	if s == "" {
		s = "Parley"
	}
	return s
}

// follow announces changes of the people count (see limiter).
func (a *Announcer) follow(ctx context.Context) {
	if a.cfg.People == nil {
		return
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	lim := newLimiter(a.cfg.MinInterval, time.Now(), a.cfg.Info.People)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if n, ok := lim.next(now, a.cfg.People()); ok {
				a.setPeople(n)
			}
		}
	}
}

// limiter decides when a new people count is announced: at most once per
// interval, the first time settle after the start; a change within the
// interval waits, and the changes meanwhile are coalesced into the count
// read when the interval is over. Owned by follow's goroutine.
type limiter struct {
	interval  time.Duration
	last      time.Time // when the last update went out
	announced int       // the count last announced
}

func newLimiter(interval time.Duration, start time.Time, people int) *limiter {
	return &limiter{interval: interval, last: start.Add(settle - interval), announced: people}
}

// next reports whether to announce n, read at now.
func (l *limiter) next(now time.Time, n int) (int, bool) {
	if n == l.announced || now.Sub(l.last) < l.interval {
		return 0, false
	}
	l.last, l.announced = now, n
	return n, true
}

// noHandle is a handle the responder never holds: removing it only takes
// and releases the responder's lock (see setPeople).
type noHandle struct{}

func (noHandle) UpdateText(map[string]string, dnssd.Responder) {}
func (noHandle) Service() dnssd.Service                        { return dnssd.Service{} }

// setPeople announces a new TXT record with n people.
func (a *Announcer) setPeople(n int) {
	a.mu.Lock()
	a.info.People = n
	txt := a.info.TXT()
	a.mu.Unlock()
	// dnssd's UpdateText replaces the service's text without the lock
	// its responder reads it under. Removing a handle the responder does
	// not hold takes and releases that lock, before and after, so the
	// change is ordered with the answers to queries (docs/DISCOVERY.md).
	a.resp.Remove(noHandle{})
	a.handle.UpdateText(txt, a.resp)
	a.resp.Remove(noHandle{})
	a.log.Debug("announced people", "people", n)
}

// Info returns what the announcement says now.
func (a *Announcer) Info() Info {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.info
}

// Close ends the announcement with a goodbye packet on every interface,
// so that listings drop the chat at once, and waits (a second at most)
// until it is sent. Closing twice does nothing.
func (a *Announcer) Close() error {
	a.once.Do(a.cancel)
	select {
	case <-a.done:
	case <-time.After(closeTimeout):
		return errors.New("discovery: the goodbye was not sent in time")
	}
	return nil
}
