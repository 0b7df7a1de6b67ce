package client_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a TCP relay on loopback between a client and a server, so that
// a test can break the connection the ways networks do: cut it, let it
// fall silent without a FIN, or lose one direction.
type proxy struct {
	ln     net.Listener
	target atomic.Value // string: where new connections go

	reject     atomic.Bool // close new connections at once
	silent     atomic.Bool // accept new connections and relay nothing
	muteUp     atomic.Bool // drop client→server bytes
	muteDown   atomic.Bool // drop server→client bytes
	accepted   atomic.Int64
	mu         sync.Mutex
	conns      map[net.Conn]bool
	wg         sync.WaitGroup
	closedOnce sync.Once
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, conns: map[net.Conn]bool{}}
	p.target.Store(target)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.reject.Load() {
			c.Close()
			continue
		}
		p.track(c)
		if p.silent.Load() {
			continue // held open, never answered, closed by cut or close
		}
		s, err := net.Dial("tcp", p.target.Load().(string))
		if err != nil {
			c.Close()
			continue
		}
		p.track(s)
		p.wg.Add(2)
		go p.pipe(s, c, &p.muteUp)
		go p.pipe(c, s, &p.muteDown)
	}
}

func (p *proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = true
	p.mu.Unlock()
}

// pipe copies src to dst, dropping the bytes while mute is set; when
// either side ends, both are closed.
func (p *proxy) pipe(dst, src net.Conn, mute *atomic.Bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !mute.Load() {
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

// cut closes every relayed connection, both sides, as a broken link that
// both ends notice.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) close() {
	p.closedOnce.Do(func() {
		p.ln.Close()
		p.cut()
		p.wg.Wait()
	})
}
