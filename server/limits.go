package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// bucket is a token bucket owned by one goroutine (a peer's reader), so it
// needs no lock.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64 // capacity
	tokens float64
	last   int64 // monotonic nanoseconds since clockBase
}

// clockBase anchors the buckets' monotonic clock; an int64 offset from it
// is a third of the size of a time.Time, in every connection.
var clockBase = time.Now()

func newBucket(rate, burst float64, now time.Time) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst, last: int64(now.Sub(clockBase))}
}

// take spends one token if there is one. Otherwise it reports how long
// until there will be.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	t := int64(now.Sub(clockBase))
	if d := t - b.last; d > 0 {
		b.tokens = min(b.burst, b.tokens+time.Duration(d).Seconds()*b.rate)
		b.last = t
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
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
