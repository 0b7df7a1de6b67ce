package chattest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Relay is a TCP relay on loopback between clients and a server, so that
// a test can break a link the ways networks do: cut it, refuse new
// connections, hold them unanswered, or lose what goes one way or both
// (a link that falls silent: no bytes and no FIN pass).
type Relay struct {
	// Reject closes new connections at once.
	Reject atomic.Bool
	// Hold accepts new connections and relays nothing on them; Cut or
	// the test's end closes them.
	Hold atomic.Bool
	// MuteUp and MuteDown drop what goes client→server and server→client,
	// the end of the connection included: a muted direction passes
	// nothing at all.
	MuteUp, MuteDown atomic.Bool
	// Accepted counts the connections accepted.
	Accepted atomic.Int64

	ln     net.Listener
	target atomic.Value // string: where new connections go
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
	once   sync.Once
}

// NewRelay relays a loopback port to target until the test ends.
func NewRelay(t testing.TB, target string) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{ln: ln, conns: map[net.Conn]bool{}}
	r.target.Store(target)
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

// Addr is the relay's address, for clients.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// SetTarget sends new connections to addr.
func (r *Relay) SetTarget(addr string) { r.target.Store(addr) }

// Silence mutes both directions, or gives the link back: the link of a
// peer that lost power or network, or came back.
func (r *Relay) Silence(on bool) {
	r.MuteUp.Store(on)
	r.MuteDown.Store(on)
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.Accepted.Add(1)
		if r.Reject.Load() {
			c.Close()
			continue
		}
		r.track(c)
		if r.Hold.Load() {
			continue // held open, never answered
		}
		s, err := net.Dial("tcp", r.target.Load().(string))
		if err != nil {
			c.Close()
			continue
		}
		r.track(s)
		r.wg.Add(2)
		go r.pipe(s, c, &r.MuteUp)
		go r.pipe(c, s, &r.MuteDown)
	}
}

func (r *Relay) track(c net.Conn) {
	r.mu.Lock()
	r.conns[c] = true
	r.mu.Unlock()
}

// pipe copies src to dst, dropping what comes while mute is set. When
// either side ends, both are closed, unless this direction is muted: then
// the end does not pass either.
func (r *Relay) pipe(dst, src net.Conn, mute *atomic.Bool) {
	defer r.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if mute.Load() {
			if err != nil {
				return
			}
			continue
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil { // EOF or a cut: either way this link is over
			break
		}
	}
	src.Close()
	dst.Close()
}

// Cut closes every relayed connection, both sides, as a broken link that
// both ends notice.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		c.Close()
	}
	r.conns = map[net.Conn]bool{}
}

func (r *Relay) close() {
	r.once.Do(func() {
		r.ln.Close()
		r.Cut()
		r.wg.Wait()
	})
}
