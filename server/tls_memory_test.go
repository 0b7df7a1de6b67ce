package server_test

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

// idleTLSConnBudget bounds what an idle wss:// connection costs the
// process, the test's own TLS client included. A TLS connection is not
// parked (it is no bare socket): it keeps a reader goroutine and
// crypto/tls's buffers, so it costs several times a plain one. The figure
// goes in docs/PERFORMANCE.md.
const idleTLSConnBudget = 32 << 10

// TestIdleMemoryTLS opens 500 idle wss:// connections and measures their
// cost in heap and goroutine stacks, server and client together.
func TestIdleMemoryTLS(t *testing.T) {
	const n = 500
	skipMemory(t, n, "TLS ")
	cfg, _ := tlsConfig(t, false)
	cfg.MaxConns = -1
	srv, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")
	// The figure includes the test's own TLS clients.
	checkIdleCost(t, srv, n, func() (net.Conn, error) { return rawTLSHandshake(addr) }, 2*n+50, idleTLSConnBudget, "TLS ")
}

// rawTLSHandshake is rawHandshake over TLS.
func rawTLSHandshake(addr string) (net.Conn, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	return handshakeOn(c, addr)
}
