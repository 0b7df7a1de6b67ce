package pin

import (
	"net"
	"strings"
	"sync"
)

// Store is a client's known hosts: the fingerprint it pinned for each
// server, by address. The window keeps one in the app's preferences;
// tests and programs that keep nothing use Memory.
type Store interface {
	// Lookup returns the fingerprint pinned for hostport, if any.
	Lookup(hostport string) (Fingerprint, bool)
	// Pin records fp for hostport, replacing any earlier pin.
	Pin(hostport string, fp Fingerprint) error
}

// Key returns the form of hostport that stores index by: the host in
// lower case (IPv6 addresses in brackets, as JoinHostPort writes them), so that
// "Host:2000" and "host:2000" share a pin. An address that does not split
// is returned lower-cased.
func Key(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.ToLower(hostport)
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// Memory is a Store held in memory, safe for concurrent use. The zero
// value is empty and ready.
type Memory struct {
	mu   sync.Mutex
	pins map[string]Fingerprint // guarded by mu
}

// Lookup implements Store.
func (m *Memory) Lookup(hostport string) (Fingerprint, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fp, ok := m.pins[Key(hostport)]
	return fp, ok
}

// Pin implements Store.
func (m *Memory) Pin(hostport string, fp Fingerprint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pins == nil {
		m.pins = make(map[string]Fingerprint)
	}
	m.pins[Key(hostport)] = fp
	return nil
}
