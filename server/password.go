package server

import (
	"crypto/tls"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/net/password"
	"parley/net/wire"
)

// The room password (docs/PROTOCOL.md, "Room password"; SECURITY.md).
//
// A connection to a room with a password starts gated: its peer's auth
// is set, and it is not in the room. A rich client's hello is held and
// answered with a challenge; a right auth sends auth_ok and the welcome
// of the held hello. A plain client gets the greeting and one notice,
// and joins on a right /pass. Until then a gated connection receives
// nothing from the room and is not counted in it.
//
// Guesses are counted per address, not per connection (guesses), and
// counted before they are checked, so that parallel connections from one
// address get no more tries than one. A rich client's proof costs the
// server one HMAC; a plain client's /pass costs an argon2id derivation,
// and at most deriveSlots of those run at once.

// Defaults of the password settings.
const (
	// DefaultPasswordTries is how many wrong passwords an address may
	// send before it is locked out.
	DefaultPasswordTries = 5
	// DefaultPasswordLockout is the first lock-out; it doubles with each
	// wrong password after it, up to maxLockout.
	DefaultPasswordLockout = 30 * time.Second
)

const (
	// maxLockout caps a lock-out.
	maxLockout = 15 * time.Minute
	// guessMemory is how long an address's wrong passwords are
	// remembered after its last one, once any lock-out is over.
	guessMemory = time.Hour
	// maxGuessAddrs bounds the addresses whose wrong passwords are
	// counted. Past it, new addresses share one count (guesses.full).
	maxGuessAddrs = 4096
	// deriveWait is how long a /pass waits for a derivation slot before
	// it is told the server is busy.
	deriveWait = 2 * time.Second
	// passTimeout is how long a gated plain client has to send the right
	// /pass: a person is typing it.
	passTimeout = 2 * time.Minute
)

// gatekeeper is a server's room password: the verifier, the counts of
// wrong guesses and the slots for derivations. Nil when the room has no
// password.
type gatekeeper struct {
	v       *password.Verifier
	guesses *guesses
	derive  chan struct{} // a token per derivation running (plain /pass)

	mu         sync.Mutex
	challenged map[*peer]challenged // gated rich clients with a challenge outstanding; guarded by mu
}

// newGatekeeper returns the gatekeeper of cfg, or nil.
func newGatekeeper(cfg Config) *gatekeeper {
	if cfg.Password == nil {
		return nil
	}
	return &gatekeeper{
		v:       cfg.Password,
		guesses: newGuesses(cfg.PasswordTries, cfg.PasswordLockout, time.Now),
		// Half the cores: a flood of /pass from many addresses slows
		// plain joins, not the room.
		derive: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),

		challenged: make(map[*peer]challenged),
	}
}

// challenged is a gated rich client's outstanding challenge: the hello
// it answers, held, and the server's nonce. It lives in the gatekeeper,
// not the peer, so that a peer stays small in rooms without a password.
type challenged struct {
	hello  wire.Hello
	snonce []byte
	bind   []byte // the TLS channel binding the proofs cover, or nil
}

// gated reports whether p must still pass the password. Only p's reader
// (and register, before the reader starts) may ask.
func (p *peer) gated() bool { return p.gate }

// take removes p's outstanding challenge and returns it: one answer per
// challenge.
func (g *gatekeeper) take(p *peer) (c challenged, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok = g.challenged[p]
	delete(g.challenged, p)
	return c, ok
}

// forget drops what is kept for a finished connection.
func (g *gatekeeper) forget(p *peer) {
	if g != nil {
		g.take(p)
	}
}

// guessKey is the address whose count a connection's guesses go to: the
// IP address, or its /64 for IPv6, as one host usually holds a whole
// /64. Loopback is not exempt.
func guessKey(remote net.Addr) string {
	s := remote.String()
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		pfx, _ := ip.Prefix(64)
		return pfx.String()
	}
	return ip.String()
}

// passNotice is what a gated plain client is told, at once and after
// every line that is not a right /pass.
func passNotice(p *peer) []byte {
	text := "This chat needs a password: send /pass PASSWORD"
	if _, ok := p.raw.(*tls.Conn); !ok {
		text += " (this connection is not encrypted: anyone on the network can read the password; use wss:// if you can)"
	}
	return textFrame(wire.PlainNotice(text))
}

// gateRich handles a frame from a gated rich client.
func (s *Server) gateRich(p *peer, f wire.Frame) {
	g := s.gate
	switch f := f.(type) {
	case wire.Hello:
		if ok, retry := g.guesses.locked(guessKey(p.raw.RemoteAddr())); !ok {
			s.refuse(p, lockedOut(retry))
			return
		}
		p.accepted()
		c := challenged{hello: f, snonce: password.Nonce()}
		var bind string
		if tc, ok := p.raw.(*tls.Conn); ok {
			// Terminating TLS here: a proof made on the other side of
			// a man in the middle's TLS does not pass. Without the
			// extended master secret (old TLS 1.2 clients) there is
			// nothing to bind to.
			if b, err := password.Binding(tc.ConnectionState()); err == nil {
				c.bind, bind = b, password.BindTLS
			}
		}
		g.mu.Lock()
		g.challenged[p] = c
		g.mu.Unlock()
		params := g.v.Params()
		p.enqueue(mustJSONFrame(wire.Challenge{Alg: password.Alg, Salt: password.Encode(g.v.Salt()),
			T: params.Time, M: params.Memory, P: params.Threads, Nonce: password.Encode(c.snonce), Bind: bind}))
	case wire.Auth:
		c, ok := g.take(p)
		if !ok {
			s.refuse(p, wire.Error{Code: wire.CodeNotJoined, Text: "send a hello first"})
			return
		}
		h, snonce, bind := c.hello, c.snonce, c.bind
		cnonce, err1 := password.Decode(f.Nonce, password.NonceSize)
		proof, err2 := password.Decode(f.Proof, password.KeySize)
		if err1 != nil || err2 != nil {
			s.refuse(p, wire.Error{Code: wire.CodeBadRequest, Text: "auth: nonce or proof malformed"})
			return
		}
		p.accepted()
		key := guessKey(p.raw.RemoteAddr())
		left, retry, ok := g.guesses.try(key)
		if !ok {
			s.refuse(p, lockedOut(retry))
			return
		}
		if !g.v.CheckProof(snonce, cnonce, bind, proof) {
			s.log.Info("wrong room password", "conn", p.id, "addr", p.raw.RemoteAddr(), "tries_left", left)
			s.refuse(p, wrongPassword(left, retry))
			return
		}
		g.guesses.right(key)
		p.gate = false
		s.hello(p, h, mustJSONFrame(wire.AuthOK{Proof: password.Encode(g.v.ServerProof(snonce, cnonce, bind))}))
	default:
		s.refuse(p, wire.Error{Code: wire.CodePasswordNeeded, Text: "this chat needs a password: send a hello, then answer its challenge"})
	}
}

// lockedOut is the error of a locked-out address.
func lockedOut(retry time.Duration) wire.Error {
	return wire.Error{Code: wire.CodeLockedOut, RetryMS: max(1, retry.Milliseconds()),
		Text: "too many wrong passwords from your address: try again in " + wait(retry)}
}

// wrongPassword is the error of a wrong password; retry is the lock-out
// it started, if any.
func wrongPassword(left int, retry time.Duration) wire.Error {
	e := wire.Error{Code: wire.CodePasswordWrong, Text: "wrong password"}
	if retry > 0 {
		e.Text += "; too many wrong passwords from your address: try again in " + wait(retry)
		e.RetryMS = retry.Milliseconds()
	} else {
		e.Text += "; " + strconv.Itoa(left) + " more tries before a lock-out"
	}
	return e
}

// wait says a duration for people, rounded up to the second.
func wait(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs >= 120 {
		return strconv.Itoa((secs+59)/60) + " min"
	}
	return strconv.Itoa(max(1, secs)) + " s"
}

// gatePlain handles a line from a gated plain client: only /pass is
// heard; anything else is answered with the notice and goes nowhere.
func (s *Server) gatePlain(p *peer, line string) {
	notice := func(text string) { p.enqueue(textFrame(wire.PlainNotice(text))) }
	name, pw, _ := strings.Cut(line, " ")
	if !strings.EqualFold(name, "/pass") {
		p.enqueue(passNotice(p))
		return
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		notice("usage: /pass PASSWORD")
		return
	}
	g := s.gate
	key := guessKey(p.raw.RemoteAddr())
	if ok, retry := g.guesses.locked(key); !ok {
		notice(lockedOut(retry).Text)
		return
	}
	// A slot first, then the count: a client told the server is busy
	// has not used a try.
	select {
	case g.derive <- struct{}{}:
	case <-time.After(deriveWait):
		notice("the server is busy checking passwords: try again in a moment")
		return
	}
	left, retry, ok := g.guesses.try(key)
	right := ok && g.v.CheckPassword(pw)
	<-g.derive
	switch {
	case !ok:
		notice(lockedOut(retry).Text)
		return
	case !right:
		s.log.Info("wrong room password", "conn", p.id, "addr", p.raw.RemoteAddr(), "tries_left", left)
		notice(wrongPassword(left, retry).Text)
		return
	}
	g.guesses.right(key)
	p.gate = false
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || p.joined {
		return
	}
	s.joinPlainLocked(p)
	notice("password accepted: you are " + p.nick)
}

// guesses counts wrong passwords per address (guessKey) and locks an
// address out once it has sent tries of them: for lockout, doubling with
// each further wrong one, up to maxLockout. At most maxGuessAddrs
// addresses are counted; past that, new addresses share one count, so
// that many addresses cannot grow the table, nor reset their own counts
// by pushing them out.
type guesses struct {
	tries   int
	lockout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	addrs map[string]*guessCount // guarded by mu
	full  guessCount             // the shared count of addresses past maxGuessAddrs; guarded by mu
	limit int                    // maxGuessAddrs, lower in tests
}

// guessCount is one address's wrong passwords.
type guessCount struct {
	wrong int
	last  time.Time // the last wrong one
	until time.Time // locked out until then
}

func newGuesses(tries int, lockout time.Duration, now func() time.Time) *guesses {
	return &guesses{tries: tries, lockout: lockout, now: now, addrs: make(map[string]*guessCount), limit: maxGuessAddrs}
}

// countLocked returns key's count, making one if it has none.
func (g *guesses) countLocked(key string, now time.Time) *guessCount {
	if c := g.addrs[key]; c != nil {
		return c
	}
	if len(g.addrs) >= g.limit {
		for k, c := range g.addrs {
			if c.stale(now) {
				delete(g.addrs, k)
			}
		}
	}
	if len(g.addrs) >= g.limit {
		return &g.full
	}
	c := &guessCount{}
	g.addrs[key] = c
	return c
}

// stale reports whether c may be forgotten.
func (c *guessCount) stale(now time.Time) bool {
	return now.After(c.until) && now.Sub(c.last) > guessMemory
}

// locked reports whether key may guess now, and if not, for how long it
// may not. It does not count a guess.
func (g *guesses) locked(key string) (ok bool, retry time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	c := g.addrs[key]
	if c == nil && len(g.addrs) >= g.limit {
		c = &g.full
	}
	if c != nil && now.Before(c.until) {
		return false, c.until.Sub(now)
	}
	return true, 0
}

// try counts one guess from key as wrong before it is checked (right
// takes it back). It reports the tries left before a lock-out, the
// lock-out this guess starts if it is wrong, or ok false and the wait
// if key is locked out.
func (g *guesses) try(key string) (left int, lockout time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	c := g.countLocked(key, now)
	if now.Before(c.until) {
		return 0, c.until.Sub(now), false
	}
	if c.stale(now) {
		*c = guessCount{}
	}
	c.wrong++
	c.last = now
	if c.wrong >= g.tries {
		d := g.lockout << min(c.wrong-g.tries, 16)
		d = min(d, maxLockout)
		c.until = now.Add(d)
		return 0, d, true
	}
	return g.tries - c.wrong, 0, true
}

// right takes back the guess try counted: key knows the password, so
// its wrong guesses are forgotten (or, for an address sharing the count
// of the overflow, this one is taken off it).
func (g *guesses) right(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.addrs[key]; ok {
		delete(g.addrs, key)
	} else if g.full.wrong > 0 {
		g.full.wrong--
	}
}

// size is how many addresses are counted, for tests.
func (g *guesses) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.addrs)
}

// caps is what the server lists in every welcome: caps, and
// wire.CapPassword when the room has a password.
func (s *Server) caps() []string {
	if s.gate == nil {
		return caps
	}
	return append(caps[:len(caps):len(caps)], wire.CapPassword)
}

// HasPassword reports whether the room has a password, for the discovery
// announcement's pw flag.
func (s *Server) HasPassword() bool { return s.gate != nil }

// awaitPass gives a gated plain client passTimeout to send the right
// /pass (a person is typing it), as a rich one has HelloTimeout for its
// hello; helloTimedOut ends it if it has not joined by then.
func (s *Server) awaitPass(p *peer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closing {
		p.helloWait = time.AfterFunc(passTimeout, func() { s.helloTimedOut(p) })
	}
}
