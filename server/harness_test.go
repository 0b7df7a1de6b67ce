package server_test

// The harness of the security and fault tests (security_test.go,
// faults_test.go). Each case there asserts three things:
//
//  1. the offender gets the documented outcome;
//  2. two well-behaved clients, one rich and one plain (witnesses), keep
//     exchanging messages with low latency during the case and after it;
//  3. the server's memory stays bounded (memWatch).
//
// It also has a raw WebSocket client (rawConn) that writes frames byte by
// byte, for what no well-behaved library would send. The TCP relay that
// can fall silent without a FIN is chattest.Relay.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/wire"
	"parley/server"
)

// latencyBound is the most one witness round trip may take, during or
// after a case. It is far above what loopback needs (a few milliseconds)
// so that a busy 2-core machine under -race does not make it flaky: it
// checks that nobody is blocked, it is not a benchmark.
const latencyBound = 500 * time.Millisecond

// probeEvery is the pause between witness exchanges. Each exchange costs
// each witness one message, so they stay far below any rate limit the
// cases set (10/s at most, limits are 20/s and up).
const probeEvery = 100 * time.Millisecond

// Witness nicknames.
const (
	richWitness  = "wit-rich"
	plainWitness = "wit-plain"
)

// secConfig is the server configuration of the cases: short timeouts, so
// that the suite stays fast; a rate limit out of the way of cases that
// repeat their attack (TestSecRateLimit sets its own); and a log that
// keeps only warnings, so that floods do not fill the test's log (which
// lives in memory).
func secConfig(t testing.TB) server.Config {
	return server.Config{
		PingInterval:     250 * time.Millisecond,
		PongTimeout:      2 * time.Second,
		HandshakeTimeout: time.Second,
		HelloTimeout:     time.Second,
		Rate:             1000,
		Burst:            1000,
		Logger:           quietLogger(t),
	}
}

// serve runs a server for cfg on its own loopback listener, as Run and
// the app's Host do, so that the HTTP server's handshake timeouts apply
// (an httptest.Server has none). It returns the server and its ws:// URL.
// When the test ends the server must be empty (checkEmpty) and Serve must
// return ErrClosed after the shutdown.
func serve(t testing.TB, cfg server.Config) (*server.Server, string) {
	t.Helper()
	srv := server.New(cfg)
	l := chattest.Serve(t, srv, chattest.Options{Check: emptyCheck(srv), Closed: server.ErrClosed})
	return srv, l.URL
}

// quietLogger logs warnings and errors to the test's log.
func quietLogger(t testing.TB) *slog.Logger {
	return chattest.Logger(t, slog.LevelWarn)
}

// received is one frame a harness client got. Large frames are cut, so
// that a flood does not make the witnesses themselves a memory problem.
type received struct {
	raw string     // the frame, at most keepBytes of it
	f   wire.Frame // rich clients: the decoded frame, a Msg's text cut too
}

const keepBytes = 512

// cut returns at most keepBytes of s, in a copy of its own: a slice of
// a large string would keep all of it alive.
func cut(s string) string {
	if len(s) > keepBytes {
		return strings.Clone(s[:keepBytes])
	}
	return s
}

// inbox is what a client's reader goroutine received, in order.
type inbox struct {
	mu      sync.Mutex
	frames  []received
	changed chan struct{} // closed and replaced on every change
	err     error         // why the reader stopped, once it did
	done    chan struct{} // closed when the reader stopped
}

func newInbox() *inbox {
	return &inbox{changed: make(chan struct{}), done: make(chan struct{})}
}

func (in *inbox) add(r received) {
	in.mu.Lock()
	in.frames = append(in.frames, r)
	close(in.changed)
	in.changed = make(chan struct{})
	in.mu.Unlock()
}

func (in *inbox) stop(err error) {
	in.mu.Lock()
	in.err = err
	close(in.changed)
	in.changed = make(chan struct{})
	in.mu.Unlock()
	close(in.done)
}

// len returns how many frames arrived so far.
func (in *inbox) len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.frames)
}

// all returns a copy of everything received.
func (in *inbox) all() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.frames...)
}

// await waits up to d for a frame at index from or later that match
// accepts, and returns its index, or -1.
func (in *inbox) await(from int, d time.Duration, match func(received) bool) int {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		in.mu.Lock()
		for i := from; i < len(in.frames); i++ {
			if match(in.frames[i]) {
				in.mu.Unlock()
				return i
			}
		}
		from = len(in.frames)
		ch, stopped := in.changed, in.err != nil
		in.mu.Unlock()
		if stopped {
			return -1
		}
		select {
		case <-ch:
		case <-t.C:
			return -1
		}
	}
}

// peer is a harness client on gorilla/websocket whose reader goroutine
// runs all the time, so that it answers pings like any healthy client.
type peer struct {
	name string // the nickname others see
	rich bool
	ws   *websocket.Conn
	in   *inbox
	wmu  sync.Mutex
}

// dialPeer connects through d (nil: the default dialer) to url and joins:
// a rich peer sends a hello as nick, a plain one renames itself to nick
// (empty: it stays guest-N, and name is left empty).
func dialPeer(t testing.TB, d *websocket.Dialer, url, nick string, rich bool) *peer {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{}
	}
	dd := *d
	dd.HandshakeTimeout = wait
	dd.Subprotocols = nil
	if rich {
		dd.Subprotocols = []string{wire.Subprotocol}
	}
	ws, resp, err := dd.Dial(url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s as %q: %v (HTTP %d)", url, nick, err, status)
	}
	p := &peer{name: nick, rich: rich, ws: ws, in: newInbox()}
	if nick == "" {
		p.name = "a plain client" // in messages only: others see guest-N
	}
	// Until its reader runs, a failed step must not leave a cleanup
	// waiting for that reader to end.
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(time.Now().Add(wait))
	if rich {
		p.send(t, wire.Hello{V: wire.Version, Nick: nick})
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("%s: no welcome: %v", nick, err)
		}
		if f, err := wire.Decode(data); err != nil {
			t.Fatalf("%s: %q: %v", nick, data, err)
		} else if _, ok := f.(wire.Welcome); !ok {
			t.Fatalf("%s: got %s, want a welcome", nick, data)
		}
	} else {
		_, data, err := ws.ReadMessage()
		if err != nil || string(data) != wire.Greeting {
			t.Fatalf("plain %q: greeting %q, %v", nick, data, err)
		}
	}
	ws.SetReadDeadline(time.Time{})
	go p.read()
	t.Cleanup(func() { ws.Close(); <-p.in.done })
	if !rich && nick != "" {
		mark := p.in.len()
		p.say(t, "/nick "+nick)
		if p.in.await(mark, wait, func(r received) bool { return r.raw == "* you are now "+nick }) < 0 {
			t.Fatalf("plain %q: rename not confirmed: %q", nick, p.in.all())
		}
	}
	return p
}

// dialUnjoined connects a rich client that has not sent its hello yet.
func dialUnjoined(t testing.TB, url string) *peer {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wait, Subprotocols: []string{wire.Subprotocol}}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p := &peer{name: "a rich client before its hello", rich: true, ws: ws, in: newInbox()}
	t.Cleanup(func() { ws.Close(); <-p.in.done })
	go p.read()
	return p
}

func (p *peer) read() {
	for {
		typ, data, err := p.ws.ReadMessage()
		if err != nil {
			p.in.stop(err)
			return
		}
		r := received{raw: cut(string(data))}
		if typ == websocket.TextMessage && p.rich {
			if f, err := wire.Decode(data); err == nil {
				if m, ok := f.(wire.Msg); ok {
					m.Text = cut(m.Text)
					f = m
				}
				r.f = f
			}
		}
		p.in.add(r)
	}
}

func (p *peer) write(typ int, data []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.ws.SetWriteDeadline(time.Now().Add(wait))
	return p.ws.WriteMessage(typ, data)
}

func (p *peer) send(t testing.TB, f wire.Frame) {
	t.Helper()
	data, err := wire.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.write(websocket.TextMessage, data); err != nil {
		t.Fatalf("%s: write: %v", p.name, err)
	}
}

func (p *peer) say(t testing.TB, text string) {
	t.Helper()
	if err := p.write(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("%s: write: %v", p.name, err)
	}
}

// closeError waits for the reader to stop and returns the close frame it
// got, failing the test if the connection ended without one.
func (p *peer) closeError(t testing.TB, d time.Duration) *websocket.CloseError {
	t.Helper()
	select {
	case <-p.in.done:
	case <-time.After(d):
		t.Fatalf("%s: still connected after %v", p.name, d)
	}
	var ce *websocket.CloseError
	if !errors.As(p.in.err, &ce) {
		t.Fatalf("%s: connection ended without a close frame: %v", p.name, p.in.err)
	}
	return ce
}

// witnesses are the two well-behaved clients of a case.
type witnesses struct {
	rich, plain *peer
	seq         atomic.Int64
	talked      atomic.Int64 // exchanges completed since talk began

	mu      sync.Mutex
	stopped chan struct{} // non-nil while talk runs
	done    chan probeStats
}

// probeStats sums up the exchanges of one talk.
type probeStats struct {
	n    int           // exchanges completed
	max  time.Duration // slowest round trip
	errs []string      // exchanges that failed
}

func newWitnesses(t testing.TB, url string) *witnesses {
	t.Helper()
	w := &witnesses{
		rich:  dialPeer(t, nil, url, richWitness, true),
		plain: dialPeer(t, nil, url, plainWitness, false),
	}
	t.Cleanup(func() { w.stopTalking() })
	// Once the rich witness saw the plain one's rename, everything about
	// the witnesses' arrival is in its inbox: a case's marks come after.
	if w.rich.in.await(0, wait, func(r received) bool {
		rn, ok := r.f.(wire.Rename)
		return ok && rn.To == plainWitness
	}) < 0 {
		t.Fatal("the rich witness did not see the plain one's rename")
	}
	return w
}

// exchange sends one message from each witness to the other and returns
// the slower of the two round trips. Each message must reach both
// witnesses: the sender sees its echo.
func (w *witnesses) exchange() (time.Duration, error) {
	n := w.seq.Add(1)
	tok := fmt.Sprintf("probe %d rich", n)
	rm, pm := w.rich.in.len(), w.plain.in.len()
	isMsg := func(from, text string) func(received) bool {
		return func(r received) bool {
			m, ok := r.f.(wire.Msg)
			return ok && m.From == from && m.Text == text
		}
	}
	isLine := func(from, text string) func(received) bool {
		line := from + ": " + text
		return func(r received) bool { return r.raw == line }
	}

	start := time.Now()
	data, _ := wire.Encode(wire.Send{CID: tok, Text: tok})
	if err := w.rich.write(websocket.TextMessage, data); err != nil {
		return 0, fmt.Errorf("rich witness: write: %w", err)
	}
	if w.plain.in.await(pm, latencyBound*4, isLine(richWitness, tok)) < 0 {
		return 0, fmt.Errorf("the plain witness did not get %q", tok)
	}
	if w.rich.in.await(rm, latencyBound*4, isMsg(richWitness, tok)) < 0 {
		return 0, fmt.Errorf("the rich witness did not get its echo %q", tok)
	}
	first := time.Since(start)

	tok = fmt.Sprintf("probe %d plain", n)
	rm, pm = w.rich.in.len(), w.plain.in.len()
	start = time.Now()
	if err := w.plain.write(websocket.TextMessage, []byte(tok)); err != nil {
		return 0, fmt.Errorf("plain witness: write: %w", err)
	}
	if w.rich.in.await(rm, latencyBound*4, isMsg(plainWitness, tok)) < 0 {
		return 0, fmt.Errorf("the rich witness did not get %q", tok)
	}
	if w.plain.in.await(pm, latencyBound*4, isLine(plainWitness, tok)) < 0 {
		return 0, fmt.Errorf("the plain witness did not get its echo %q", tok)
	}
	return max(first, time.Since(start)), nil
}

// talk starts the witnesses exchanging messages every probeEvery until
// stopTalking.
func (w *witnesses) talk() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped != nil {
		panic("witnesses already talking")
	}
	stop := make(chan struct{})
	done := make(chan probeStats, 1)
	w.stopped, w.done = stop, done
	w.talked.Store(0)
	go func() {
		var st probeStats
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		for {
			d, err := w.exchange()
			if err != nil {
				st.errs = append(st.errs, err.Error())
			} else {
				st.n++
				st.max = max(st.max, d)
				w.talked.Add(1)
			}
			select {
			case <-stop:
				done <- st
				return
			case <-t.C:
			}
		}
	}()
}

// minDuring is how many witness exchanges a case must overlap.
const minDuring = 3

// repeat runs a case's attack over and over until the witnesses completed
// minDuring exchanges while it ran, so that "during the case" means during
// an attack. The witnesses talk every probeEvery, so a fast attack runs
// many rounds: the bound is in time (repeatFor) and, for safety, in
// rounds, never a round count alone that a fast machine would exhaust
// before the witnesses had their turns.
func (w *witnesses) repeat(t *testing.T, attack func(t *testing.T, round int)) {
	t.Helper()
	start := w.talked.Load()
	deadline := time.Now().Add(repeatFor)
	for round := 0; round < maxRounds; round++ {
		attack(t, round)
		if t.Failed() || w.talked.Load()-start >= minDuring || time.Now().After(deadline) {
			return
		}
	}
}

// repeatFor and maxRounds bound repeat: minDuring exchanges take about
// minDuring × probeEvery.
const (
	repeatFor = 10 * time.Second
	maxRounds = 100_000
)

// stopTalking ends talk and returns what it measured.
func (w *witnesses) stopTalking() probeStats {
	w.mu.Lock()
	stop, done := w.stopped, w.done
	w.stopped = nil
	w.mu.Unlock()
	if stop == nil {
		return probeStats{}
	}
	close(stop)
	return <-done
}

// checkTalk stops talk and fails the test unless every exchange during
// the case went through within latencyBound.
func (w *witnesses) checkTalk(t testing.TB) {
	t.Helper()
	st := w.stopTalking()
	if len(st.errs) > 0 {
		t.Fatalf("during the case, %d witness exchanges failed (%d went through): %q", len(st.errs), st.n, st.errs)
	}
	if st.n < minDuring {
		t.Fatalf("the witnesses made %d exchanges during the case, want at least %d", st.n, minDuring)
	}
	if st.max > latencyBound {
		t.Fatalf("during the case the slowest witness round trip took %v (bound %v)", st.max, latencyBound)
	}
	t.Logf("during the case: %d witness exchanges, slowest round trip %v", st.n, st.max.Round(time.Microsecond))
}

// checkAfter makes one exchange after the case and fails the test unless
// it goes through within latencyBound.
func (w *witnesses) checkAfter(t testing.TB) {
	t.Helper()
	d, err := w.exchange()
	if err != nil {
		t.Fatalf("after the case: %v", err)
	}
	if d > latencyBound {
		t.Fatalf("after the case a witness round trip took %v (bound %v)", d, latencyBound)
	}
}

// never fails the test if either witness ever received a frame that
// holds marker: what an offender sent must not be relayed.
func (w *witnesses) never(t testing.TB, marker string) {
	t.Helper()
	for _, p := range []*peer{w.rich, w.plain} {
		for _, r := range p.in.all() {
			if strings.Contains(r.raw, marker) {
				t.Fatalf("%s received %q, which must never be relayed", p.name, r.raw)
			}
		}
	}
}

// memWatch samples the heap and the server's queues while a case runs.
type memWatch struct {
	srv        *server.Server
	base       uint64 // HeapInuse after a collection, before the case
	peakHeap   atomic.Uint64
	peakQueued atomic.Int64
	stop, done chan struct{}
}

// watchMemory starts sampling every 10ms until check.
func watchMemory(t testing.TB, srv *server.Server) *memWatch {
	m := &memWatch{srv: srv, base: heapInuse(true), stop: make(chan struct{}), done: make(chan struct{})}
	m.peakHeap.Store(m.base)
	go func() {
		defer close(m.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(m.halt)
	return m
}

func (m *memWatch) sample() {
	if h := heapInuse(false); h > m.peakHeap.Load() {
		m.peakHeap.Store(h)
	}
	if q := int64(m.srv.Stats().QueuedBytes); q > m.peakQueued.Load() {
		m.peakQueued.Store(q)
	}
}

func (m *memWatch) halt() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// heapInuse returns the bytes in in-use heap spans, after a collection if
// gc is set.
func heapInuse(gc bool) uint64 {
	if gc {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// check stops sampling and fails the test if the heap grew by more than
// peak at any time during the case, or by more than retained once it was
// over and collected, or if the server's queues ever held more than
// queued bytes in all.
func (m *memWatch) check(t testing.TB, peak, retained uint64, queued int) {
	t.Helper()
	m.halt()
	m.sample()
	after := heapInuse(true)
	grew := func(v uint64) uint64 {
		if v < m.base {
			return 0
		}
		return v - m.base
	}
	t.Logf("memory: heap in use %d KiB before, peak +%d KiB, +%d KiB after; queues peaked at %d KiB",
		m.base>>10, grew(m.peakHeap.Load())>>10, grew(after)>>10, m.peakQueued.Load()>>10)
	if g := grew(m.peakHeap.Load()); g > peak {
		t.Errorf("the heap grew by %d KiB during the case (bound %d KiB)", g>>10, peak>>10)
	}
	if g := grew(after); g > retained {
		t.Errorf("the heap stayed %d KiB larger after the case (bound %d KiB)", g>>10, retained>>10)
	}
	if q := m.peakQueued.Load(); q > int64(queued) {
		t.Errorf("the server's queues held %d KiB (bound %d KiB)", q>>10, queued>>10)
	}
}

// Default memory bounds of a case: generous, since the test's own clients
// share the heap, but far below what an unbounded buffer would take.
const (
	peakGrowth     = 32 << 20
	retainedGrowth = 8 << 20
	queuedBound    = 1 << 20
)

// settle waits until the server holds only n connections: an offender's
// connection must not linger.
func settle(t testing.TB, srv *server.Server, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("the server to hold %d connections", n), func() bool { return srv.Stats().Conns == n })
}

// WebSocket opcodes and header bits, for raw frames.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xa
	bitFin   = 0x80
	bitRsv1  = 0x40
	bitRsv2  = 0x20
	bitRsv3  = 0x10
	bitMask  = 0x80
)

// rawFrame builds a frame from its first header byte (FIN, RSV and
// opcode), masked with a random key if mask is set.
func rawFrame(b0 byte, mask bool, payload []byte) []byte {
	var f bytes.Buffer
	f.WriteByte(b0)
	var m byte
	if mask {
		m = bitMask
	}
	switch n := len(payload); {
	case n < 126:
		f.WriteByte(m | byte(n))
	case n <= 0xffff:
		f.WriteByte(m | 126)
		binary.Write(&f, binary.BigEndian, uint16(n))
	default:
		f.WriteByte(m | 127)
		binary.Write(&f, binary.BigEndian, uint64(n))
	}
	if !mask {
		f.Write(payload)
		return f.Bytes()
	}
	var key [4]byte
	rand.Read(key[:])
	f.Write(key[:])
	for i, b := range payload {
		f.WriteByte(b ^ key[i%4])
	}
	return f.Bytes()
}

// closePayload is a close frame's payload.
func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// rawConn is a WebSocket connection driven byte by byte.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

// rawOpts are the options of rawDial.
type rawOpts struct {
	rich   bool        // offer parley.v1
	local  net.IP      // connect from this address (nil: any)
	header http.Header // more request headers
	rcvbuf int         // the socket's receive buffer, before connecting (0: the system's)
}

// rawDial does a real handshake over TCP and, for a plain connection,
// reads the greeting. It returns the HTTP response (without its body)
// also when the server refuses.
func rawDial(addr string, o rawOpts) (*rawConn, *http.Response, error) {
	rich, header := o.rich, o.header
	d := net.Dialer{Timeout: wait}
	if o.local != nil {
		d.LocalAddr = &net.TCPAddr{IP: o.local}
	}
	if o.rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = setRcvbuf(fd, o.rcvbuf)
			})
			return errors.Join(err, serr)
		}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	var key [16]byte
	rand.Read(key[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", addr, base64.StdEncoding.EncodeToString(key[:]))
	if rich {
		req.WriteString("Sec-WebSocket-Protocol: " + wire.Subprotocol + "\r\n")
	}
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, req.String()); err != nil {
		c.Close()
		return nil, nil, err
	}
	r := &rawConn{c: c, br: bufio.NewReader(c)}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, resp, fmt.Errorf("HTTP %s", resp.Status)
	}
	if !rich {
		op, data, err := r.readFrame()
		if err != nil || op != opText || string(data) != wire.Greeting {
			c.Close()
			return nil, resp, fmt.Errorf("greeting: op %d %q %v", op, data, err)
		}
	}
	c.SetDeadline(time.Time{})
	return r, resp, nil
}

// mustRaw is rawDial that fails the test on error and closes the
// connection when the test ends.
func mustRaw(t testing.TB, addr string, rich bool) *rawConn {
	t.Helper()
	return mustRawOpts(t, addr, rawOpts{rich: rich})
}

func mustRawOpts(t testing.TB, addr string, o rawOpts) *rawConn {
	t.Helper()
	r, _, err := rawDial(addr, o)
	if err != nil {
		t.Fatalf("raw dial %s: %v", addr, err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r
}

func (r *rawConn) write(b []byte) error {
	r.c.SetWriteDeadline(time.Now().Add(wait))
	_, err := r.c.Write(b)
	return err
}

// readFrame reads one server frame. Server frames are never masked.
func (r *rawConn) readFrame() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&bitMask != 0 {
		return 0, nil, errors.New("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<24 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r.br, payload); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0f, payload, nil
}

// rawEnd is how a raw connection ended.
type rawEnd struct {
	code   int      // close code, 0 if no close frame came
	reason string   // close reason
	texts  []string // text frames before the close
	pongs  []string // pong payloads before the close
	eof    bool     // the server closed the TCP connection after its close frame
}

// end reads until the server's close frame and the end of the
// connection, at most d. A close frame with no code reports 1005.
func (r *rawConn) end(d time.Duration) (rawEnd, error) {
	var e rawEnd
	r.c.SetReadDeadline(time.Now().Add(d))
	for {
		op, data, err := r.readFrame()
		if err != nil {
			if e.code != 0 && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)) {
				e.eof = true
				return e, nil
			}
			return e, fmt.Errorf("after close code %d and %d text frames: %w", e.code, len(e.texts), err)
		}
		switch op {
		case opText:
			e.texts = append(e.texts, cut(string(data)))
		case opPong:
			e.pongs = append(e.pongs, string(data))
		case opClose:
			e.code = 1005
			if len(data) >= 2 {
				e.code, e.reason = int(binary.BigEndian.Uint16(data)), string(data[2:])
			}
			// Answer, as a client should, so the server closes at once.
			r.write(rawFrame(bitFin|opClose, true, data[:min(2, len(data))]))
		}
	}
}

// isReset reports a connection reset by the server.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
