package server_test

import (
	"strings"
	"testing"

	"parley/server"
)

// secCase is a case of the security table under way (security_test.go,
// flood_test.go): its server, with the witnesses talking and the memory
// watched since the case opened.
type secCase struct {
	srv  *server.Server
	url  string // ws://host:port
	addr string // host:port, for raw connections
	w    *witnesses
	mem  *memWatch
}

// openCase takes the opening steps of every case: it serves cfg, brings
// in the two witnesses, starts watching memory and sets the witnesses
// talking.
func openCase(t testing.TB, cfg server.Config) *secCase {
	t.Helper()
	srv, url := serve(t, cfg)
	c := &secCase{srv: srv, url: url, addr: strings.TrimPrefix(url, "ws://")}
	c.w = newWitnesses(t, url)
	c.mem = watchMemory(t, srv)
	c.w.talk()
	return c
}

// close takes the closing steps of a case, with the default memory
// bounds (closeWithin), and then fails the test if either witness ever
// received one of the markers: what an offender sent must not be relayed.
func (c *secCase) close(t testing.TB, conns int, markers ...string) {
	t.Helper()
	c.closeWithin(t, conns, peakGrowth, retainedGrowth, queuedBound)
	for _, m := range markers {
		c.w.never(t, m)
	}
}

// closeWithin takes the closing steps of a case: every witness exchange
// during the case and one after it went through within latencyBound; the
// server is back to conns connections (an offender's must not linger);
// the heap grew by at most peak during the case and retained after it,
// and the server's queues never held more than queued bytes.
func (c *secCase) closeWithin(t testing.TB, conns int, peak, retained uint64, queued int) {
	t.Helper()
	c.w.checkTalk(t)
	c.w.checkAfter(t)
	settle(t, c.srv, conns)
	c.mem.check(t, peak, retained, queued)
}
