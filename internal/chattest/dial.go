package chattest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
)

// Killable is a listener whose server can be killed like a process.
type Killable struct {
	net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	killed bool
}

// NewKillable wraps ln.
func NewKillable(ln net.Listener) *Killable {
	return &Killable{Listener: ln}
}

// Accept accepts a connection and keeps it for Kill.
func (k *Killable) Accept() (net.Conn, error) {
	c, err := k.Listener.Accept()
	if err == nil {
		k.mu.Lock()
		k.conns = append(k.conns, c)
		if k.killed { // accepted as Kill ran
			reset(c)
		}
		k.mu.Unlock()
	}
	return c, err
}

// Kill closes the listener and resets every connection it accepted: no
// close frame and no FIN reach the other side.
func (k *Killable) Kill() {
	k.Listener.Close()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.killed = true
	for _, c := range k.conns {
		reset(c)
	}
}

func (k *Killable) isKilled() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.killed
}

// reset closes c with a TCP reset where it can.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// Dialer is a client's NetDial that counts its dials and keeps the
// connections, so that a test can see how often a client reconnects and
// reset its link as a crashed network would. The zero value is ready.
type Dialer struct {
	// N counts the dials, failed ones too.
	N     atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
}

// Dial dials as net.Dialer does; it fits client.Config.NetDial.
func (d *Dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.N.Add(1)
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, nc)
		d.mu.Unlock()
	}
	return nc, err
}

// Reset closes every connection dialled so far with a TCP reset.
func (d *Dialer) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, nc := range d.conns {
		reset(nc)
	}
	d.conns = nil
}
