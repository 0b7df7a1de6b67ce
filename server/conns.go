package server

import (
	"bufio"
	"net"
	"net/http"
	"net/netip"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// A connection's way in and out: ServeHTTP's upgrades, the counts against
// MaxConns and MaxConnsPerIP (reserve, unreserve), and registering and
// unregistering the peer an upgrade makes.

// ServeHTTP upgrades WebSocket requests on "/" and "/ws"; a plain GET of
// "/" gets a page that says what this is.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch status, why := upgradeStatus(r); status {
	case 0:
		s.servePage(w, r)
		return
	case http.StatusSwitchingProtocols:
	default:
		s.log.Debug("handshake refused", "addr", r.RemoteAddr, "status", status, "why", why)
		http.Error(w, why, status)
		return
	}
	// A connection Serve handed over is counted already; behind another
	// http.Server only upgrades are, from here on.
	rc := replayConnOf(r)
	var key string
	if rc == nil {
		var ok bool
		if key, ok = s.admit(w, r); !ok {
			return
		}
	}
	h := &hijacker{ResponseWriter: w}
	ws, err := s.up.Upgrade(h, r, nil)
	if err != nil {
		switch {
		case rc == nil:
			s.unreserve(key)
		case h.conn != nil:
			// Hijacked, then closed by gorilla: the HTTP server no
			// longer sees the connection close.
			rc.release(s)
		}
		s.log.Debug("upgrade failed", "addr", r.RemoteAddr, "err", err)
		return
	}
	if rc != nil {
		key = rc.take()
	}
	s.start(h.conn, ws, h.br, key)
}

// start registers an upgraded connection and starts its reader. c is
// the connection gorilla was given, br the read buffer it adopted (nil if
// it brought its own), key the reservation made by reserve.
func (s *Server) start(c *conn, ws *websocket.Conn, br *bufio.Reader, key string) {
	if s.hooks != nil && s.hooks.upgraded != nil {
		s.hooks.upgraded(c, ws, br)
	}
	p := &peer{
		s:    s,
		raw:  c.Conn,
		ws:   ws,
		br:   br,
		sock: newSocket(c.Conn),
		rich: ws.Subprotocol() == wire.Subprotocol,
		ip:   key,
	}
	p.gate = s.gate != nil
	c.p = p // from now on gorilla's own writes go through the queue
	s.register(p)
	go p.startReading()
}

// admit applies the connection limits before the upgrade and reserves a
// slot. It answers the request itself when it refuses.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (ipKey string, ok bool) {
	ipKey, status, why := s.reserve(r.RemoteAddr)
	if status != 0 {
		s.refused.Add(1)
		s.log.Debug("connection refused", "addr", r.RemoteAddr, "why", why)
		w.Header().Set("Retry-After", "5")
		http.Error(w, why, status)
		return "", false
	}
	return ipKey, true
}

// reserve reserves a connection slot for a client at remote, or returns
// the HTTP status and the reason for refusing it, having changed nothing.
func (s *Server) reserve(remote string) (ipKey string, status int, why string) {
	ipKey = s.limitKey(remote)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return "", http.StatusServiceUnavailable, "server is shutting down"
	case s.cfg.MaxConns > 0 && len(s.conns)+s.pending >= s.cfg.MaxConns:
		return "", http.StatusServiceUnavailable, "too many connections"
	case ipKey != "" && s.cfg.MaxConnsPerIP > 0 && s.perIP[ipKey] >= s.cfg.MaxConnsPerIP:
		return "", http.StatusTooManyRequests, "too many connections from your address"
	}
	s.pending++
	s.admitted++
	if ipKey != "" {
		s.perIP[ipKey]++
	}
	return ipKey, 0, ""
}

// unreserve gives back a slot reserve took for an upgrade that failed.
func (s *Server) unreserve(ipKey string) {
	s.mu.Lock()
	s.pending--
	s.released++
	s.releaseIPLocked(ipKey)
	s.checkDrainedLocked()
	s.mu.Unlock()
}

// limitKey returns the address a connection from remote counts against
// for MaxConnsPerIP, or "" when it is exempt.
func (s *Server) limitKey(remote string) string {
	if s.cfg.MaxConnsPerIP < 0 {
		return ""
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() && !s.cfg.LimitLoopback {
		return ""
	}
	return ip.String()
}

func (s *Server) releaseIPLocked(key string) {
	if key == "" {
		return
	}
	if s.perIP[key] <= 1 {
		delete(s.perIP, key)
	} else {
		s.perIP[key]--
	}
}

// handshakeError answers a failed upgrade.
func (s *Server) handshakeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	s.log.Debug("handshake refused", "addr", r.RemoteAddr, "status", status, "err", reason)
	w.Header().Set("Sec-Websocket-Version", "13")
	http.Error(w, http.StatusText(status), status)
}

// register adds an upgraded connection. A plain client joins the room at
// once; a rich one has HelloTimeout to send its hello.
func (s *Server) register(p *peer) {
	s.mu.Lock()
	s.pending--
	s.nextConn++
	p.id = s.nextConn
	if s.closing {
		// Upgraded while Shutdown was sending its farewells: this one
		// gets the same, and Shutdown waits for it too.
		s.conns[p] = struct{}{}
		e := s.farewell
		s.mu.Unlock()
		p.end(e)
		return
	}
	s.conns[p] = struct{}{}
	if !p.rich {
		if e, banned := s.bannedOnArrivalLocked(p); banned {
			s.mu.Unlock()
			p.end(e)
			return
		}
		// The greeting goes first, and, once it is out, the client is in
		// the room (or told it needs the password): s.mu is held, so no
		// broadcast comes between the join and the greeting.
		if p.gated() {
			p.enqueue(greetingFrame)
			p.enqueue(passNotice(p))
		} else {
			s.joinPlainLocked(p)
			p.enqueue(greetingFrame)
		}
	}
	s.mu.Unlock()
	s.log.Debug("connected", "conn", p.id, "addr", p.raw.RemoteAddr(), "rich", p.rich)
	p.startPings()
	if p.rich {
		p.awaitHello(s.cfg.HelloTimeout)
	} else if p.gated() {
		s.awaitPass(p)
	}
}

// unregister forgets a finished connection.
func (s *Server) unregister(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[p]; !ok {
		return
	}
	delete(s.conns, p)
	s.gate.forget(p)
	s.released++
	s.releaseIPLocked(p.ip)
	s.checkDrainedLocked()
}

// checkDrainedLocked closes drained once Shutdown has begun and no
// connection is left: none upgraded, none still in its handshake or held
// by the HTTP server. A connection in its handshake when Shutdown began
// would otherwise be upgraded after Shutdown returned.
func (s *Server) checkDrainedLocked() {
	if !s.closing || s.drained == nil || len(s.conns)+s.pending != 0 {
		return
	}
	select {
	case <-s.drained:
	default:
		close(s.drained)
	}
}

func (s *Server) helloTimedOut(p *peer) {
	s.mu.Lock()
	joined := p.joined
	s.mu.Unlock()
	if !joined {
		s.log.Debug("no hello in time", "conn", p.id, "addr", p.raw.RemoteAddr())
		p.end(endNoHello)
	}
}
