package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// rule is the rate and burst of one kind of token bucket, shared by every
// peer's bucket of that kind.
type rule struct {
	rate  float64 // tokens per second
	burst float64 // capacity
}

// bucket is a token bucket owned by one goroutine (a peer's reader), so it
// needs no lock. Its rule is passed in, not stored: a bucket is 16 bytes
// of every connection. It counts the tokens spent rather than those left,
// so that the zero bucket is full.
//
// golang.org/x/time/rate's Limiter does the same with a mutex, its rate and
// burst and a time.Time in every instance (over 70 bytes); a peer holds
// three buckets, each touched by its reader alone.
type bucket struct {
	spent float64 // tokens spent and not yet back
	last  int64   // monotonic nanoseconds since clockBase
}

// clockBase anchors the buckets' monotonic clock; an int64 offset from it
// is a third of the size of a time.Time, in every connection.
var clockBase = time.Now()

// take spends one token if there is one. Otherwise it reports how long
// until there will be.
func (b *bucket) take(r rule, now time.Time) (bool, time.Duration) {
	t := int64(now.Sub(clockBase))
	if d := t - b.last; d > 0 {
		b.spent = max(0, b.spent-time.Duration(d).Seconds()*r.rate)
		b.last = t
	}
	if b.spent+1 <= r.burst {
		b.spent++
		return true, 0
	}
	return false, time.Duration((b.spent + 1 - r.burst) / r.rate * float64(time.Second))
}

// checkOrigin decides whether a browser page may connect. Requests without
// an Origin header come from programs, not pages, and are allowed: the
// policy exists to stop a web page the user visits from talking to the
// chat on the user's behalf.
func (s *Server) checkOrigin(r *http.Request) bool {
	if s.originAllowed(r) {
		return true
	}
	s.log.Info("origin refused", "origin", r.Header.Get("Origin"), "host", r.Host, "addr", r.RemoteAddr)
	return false
}

// originAllowed is checkOrigin without the log.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	sameHost := err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
	if sameHost {
		return true
	}
	for _, a := range s.cfg.AllowedOrigins {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		switch {
		case a == "*":
			return true
		case strings.EqualFold(a, origin):
			return true
		case err == nil && u.Host != "" && strings.EqualFold(a, u.Host):
			return true
		}
	}
	return false
}
