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

// Dialer is a client's NetDial that counts its dials, for tests of how
// often a client tries to reconnect. The zero value is ready.
type Dialer struct {
	// N counts the dials, failed ones too.
	N atomic.Int64
}

// Dial dials as net.Dialer does; it fits client.Config.NetDial.
func (d *Dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.N.Add(1)
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}
