package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// config is how to reach the server under test.
type config struct {
	Addr  string // host:port, loopback only
	Path  string // the WebSocket path
	Proto string // "plain" or "rich"
	// PID is the server's process id, for RSS and CPU; 0 skips them.
	PID int
	// Sources is how many loopback source addresses (127.0.0.1, .2, …) the
	// clients spread over; 0 picks one per 5,000 clients.
	Sources     int
	RampTimeout time.Duration // bounds connecting and joining
	DialConc    int           // connections being opened at once
	Drain       time.Duration // longest wait for stragglers after sending
	// ProfileURL, when set, is the server's net/http/pprof base URL: the
	// run saves a CPU profile of the sending window and a heap profile
	// after the ramp into ProfileDir.
	ProfileURL string
	ProfileDir string
	Logger     *slog.Logger
}

// result is what one run measured.
type result struct {
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	Proto    string `json:"proto"`
	Clients  int    `json:"clients"` // connected and joined
	Held     int    `json:"held"`    // still connected at the end
	DialErrs int    `json:"dial_errors"`
	RampSec  float64

	Sent      uint64 `json:"sent"`
	Expected  uint64 `json:"expected"`
	Received  uint64 `json:"received"`
	Lost      int64  `json:"lost"`
	Reordered uint64 `json:"reordered"`
	Stalls    int    `json:"stalls"` // senders whose window never reopened
	SendErrs  int    `json:"send_errors"`

	Frames      uint64 `json:"frames"`       // text frames that carried payloads
	MultiFrames uint64 `json:"multi_frames"` // of them, frames with more than one
	MaxPerFrame int    `json:"max_per_frame"`
	Other       uint64 `json:"other_lines"` // greetings, notices, joins…
	ErrorFrames uint64 `json:"error_frames"`

	Rate    float64 `json:"deliveries_per_s"` // over the sending window
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	Latency uint64  `json:"latency_samples"`

	RSSBeforeKB int64   `json:"rss_before_kb"`
	RSSAfterKB  int64   `json:"rss_after_kb"`
	RSSPerConn  float64 `json:"rss_per_conn_kb"`
	ServerCPU   float64 `json:"server_cpu_pct"` // of one core, over the sending window
	// Writes is how many write system calls the server made from the
	// start of the sending window to the end of the drain (syscw in
	// /proc/PID/io: write, writev, sendmsg…): Frames/Writes is how many
	// frames a write carried.
	Writes uint64  `json:"server_writes"`
	GenCPU float64 `json:"generator_cpu_pct"`
	// SoftirqCPU is the machine's softirq time over the sending window, in
	// % of one core: mostly the loopback TCP traffic of the test itself.
	SoftirqCPU float64 `json:"softirq_cpu_pct"`
	// OtherCPU is the CPU time everything else on the machine used over
	// the sending window, in % of one core: noise in the measurement.
	OtherCPU float64 `json:"other_cpu_pct"`

	// Closed counts connections the server closed during the run, by
	// close code or error: evictions.
	Closed map[string]int `json:"closed,omitempty"`
}

// evicted is how many connections the server closed during the run.
func (r *result) evicted() int {
	n := 0
	for _, c := range r.Closed {
		n += c
	}
	return n
}

// client is one connection of the load.
type client struct {
	id     int
	ws     *wsConn
	joined atomic.Bool // rich: welcome received; plain: connected
	// The reader goroutine owns the rest until it returns.
	last        []uint64 // last sequence number seen per sender
	probed      bool
	received    uint64
	reordered   uint64
	frames      uint64
	multi       uint64
	maxPer      int
	other       uint64
	errorFrames uint64
}

// sender is the sending side of one of the first Senders clients.
type sender struct {
	idx  int
	c    *client
	sent atomic.Uint64
	// slots[seq%len] counts the clients that have received seq; the one
	// that completes it hands the sender a token on done.
	slots   []atomic.Int32
	first   atomic.Uint64 // Fastest: the highest sequence number any client has received
	done    chan struct{}
	stalled bool
	err     error
}

// runner carries one run's shared state.
type runner struct {
	sc      scenario
	cfg     config
	log     *slog.Logger
	base    time.Time
	clients []*client
	senders []*sender
	nrecv   atomic.Int32 // clients that must receive each message
	hist    hist

	delivered atomic.Uint64
	probed    atomic.Int64
	closing   atomic.Bool
	readers   sync.WaitGroup

	mu     sync.Mutex
	closed map[string]int
}

// now is the time since the run's base, from the monotonic clock.
func (r *runner) now() int64 { return int64(time.Since(r.base)) }

// runScenario carries out one scenario against one server and returns
// what it measured. It returns within the scenario's time budget whatever
// the server does: every phase has a deadline.
func runScenario(ctx context.Context, sc scenario, cfg config) (*result, error) {
	if err := sc.validate(); err != nil {
		return nil, err
	}
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, err
	}
	raiseNoFile(sc.Clients + 256)
	r := &runner{sc: sc, cfg: cfg, log: cfg.Logger, base: time.Now(), closed: map[string]int{}}
	res := &result{Scenario: sc.Name, Proto: cfg.Proto}
	defer r.shutdown()

	res.RSSBeforeKB = readRSS(cfg.PID)
	r.makeSenders()

	rampStart := time.Now()
	if err := r.connect(ctx, res); err != nil {
		return res, err
	}
	if err := r.barrier(ctx); err != nil {
		return res, err
	}
	res.RampSec = time.Since(rampStart).Seconds()
	res.Clients = len(r.clients)
	r.log.Info("clients ready", "scenario", sc.Name, "clients", res.Clients, "ramp", time.Since(rampStart).Round(time.Millisecond))

	if sc.Settle > 0 {
		sleepCtx(ctx, sc.Settle)
	}
	res.RSSAfterKB = readRSS(cfg.PID)
	if cfg.ProfileURL != "" {
		r.saveProfile(ctx, "/debug/pprof/heap?gc=1", "heap.pprof")
		r.saveProfile(ctx, "/debug/pprof/heap?debug=1", "memstats.txt")
	}
	if cfg.PID > 0 && res.Clients > 0 {
		res.RSSPerConn = float64(res.RSSAfterKB-res.RSSBeforeKB) / float64(res.Clients)
	}

	if sc.Senders > 0 {
		r.load(ctx, res)
	}

	res.Held = r.live()
	r.shutdown()
	r.collect(res)
	return res, ctx.Err()
}

// connect opens and joins every client, at most DialConc at a time.
func (r *runner) connect(ctx context.Context, res *result) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RampTimeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(r.cfg.Addr)
	sources := r.cfg.Sources
	if sources <= 0 {
		sources = 1 + (r.sc.Clients-1)/5000
	}
	ip4 := net.ParseIP(host).To4() != nil
	proto := ""
	if r.cfg.Proto == "rich" {
		proto = "parley.v1"
	}
	rbuf := 32 << 10
	if r.sc.Clients > 1000 {
		// Thousands of mostly idle readers: keep the generator's own
		// memory modest; frames over the buffer are still handled.
		rbuf = 4 << 10
	}

	r.clients = make([]*client, r.sc.Clients)
	sem := make(chan struct{}, max(r.cfg.DialConc, 1))
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	var failed atomic.Int64
	for i := range r.clients {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d := &net.Dialer{}
			if ip4 && sources > 1 {
				d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%sources))}
			}
			ws, err := dialWS(ctx, d, r.cfg.Addr, r.cfg.Path, proto, rbuf, r.base)
			if err == nil && proto != "" && ws.proto != proto {
				ws.c.Close()
				err = fmt.Errorf("server did not select subprotocol %s", proto)
			}
			if err == nil && proto != "" {
				hello := `{"type":"hello","v":1,"nick":"b` + strconv.Itoa(i) + `","agent":"parley-bench"}`
				err = ws.writeText([]byte(hello))
			}
			if err != nil {
				failed.Add(1)
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				return
			}
			c := &client{id: i, ws: ws, last: make([]uint64, r.sc.Senders)}
			c.joined.Store(proto == "")
			r.clients[i] = c
			r.readers.Add(1)
			go r.read(c)
		}()
	}
	wg.Wait()
	res.DialErrs = int(failed.Load())
	// Keep the clients that connected, in index order, so that the
	// senders are still the first ones.
	kept := r.clients[:0]
	for _, c := range r.clients {
		if c != nil {
			kept = append(kept, c)
		}
	}
	r.clients = kept
	if failed.Load() > 0 {
		r.log.Warn("some connections failed", "failed", failed.Load(), "first", firstErr)
	}
	if len(r.clients) < max(r.sc.Senders, 1) {
		return fmt.Errorf("only %d of %d clients connected: %w", len(r.clients), r.sc.Clients, firstErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("connecting %d clients: %w", r.sc.Clients, ctx.Err())
	}
	// Rich clients are in the room once welcomed.
	for !r.allJoined() {
		if !sleepCtx(ctx, 10*time.Millisecond) {
			return fmt.Errorf("waiting for welcomes: %w", ctx.Err())
		}
	}
	return nil
}

func (r *runner) allJoined() bool {
	for _, c := range r.clients {
		if !c.joined.Load() {
			return false
		}
	}
	return true
}

// barrier makes sure every client is in the room before the load starts:
// client 0 sends probes (sequence 0) until every client has received one.
// A server may register a connection after answering its handshake, and
// it may send greetings or join notices first; the probe comes after all
// of them.
func (r *runner) barrier(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RampTimeout)
	defer cancel()
	r.nrecv.Store(int32(len(r.clients)))
	for i, s := range r.senders {
		s.c = r.clients[i]
	}
	var buf, pay []byte
	for ctx.Err() == nil {
		pay = appendPayload(pay[:0], 0, 0, r.now(), r.sc.Size)
		buf = r.frame(buf[:0], 0, pay)
		if err := r.clients[0].ws.writeText(buf); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		deadline := time.Now().Add(time.Second + time.Duration(len(r.clients))*100*time.Microsecond)
		for time.Now().Before(deadline) {
			if r.probed.Load() >= int64(len(r.clients)) {
				return nil
			}
			if !sleepCtx(ctx, 5*time.Millisecond) {
				break
			}
		}
	}
	return fmt.Errorf("only %d of %d clients got the probe: %w", r.probed.Load(), len(r.clients), ctx.Err())
}

// makeSenders sets up the senders' shared state before any reader runs.
// There is always sender 0: it sends the probes.
func (r *runner) makeSenders() {
	for i := range max(r.sc.Senders, 1) {
		s := &sender{idx: i}
		if r.sc.Window > 0 {
			s.slots = make([]atomic.Int32, 2*r.sc.Window)
			s.done = make(chan struct{}, r.sc.Window)
		}
		r.senders = append(r.senders, s)
	}
}

// frame wraps a payload for the protocol in use.
func (r *runner) frame(dst []byte, seq uint64, payload []byte) []byte {
	if r.cfg.Proto == "rich" {
		return appendRichSend(dst, seq, payload)
	}
	return append(dst, payload...)
}

// load runs the senders for the scenario's duration, then waits for the
// stragglers, and fills in rate, loss and CPU figures.
func (r *runner) load(ctx context.Context, res *result) {
	sendCtx, stop := context.WithTimeout(ctx, r.sc.Duration)
	defer stop()
	cpu0, gen0, sys0 := readCPU(r.cfg.PID), selfCPU(), readSysTimes()
	w0 := readWrites(r.cfg.PID)
	d0, t0 := r.delivered.Load(), time.Now()
	var wg sync.WaitGroup
	if r.cfg.ProfileURL != "" {
		secs := max(1, int(r.sc.Duration.Seconds())-1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.saveProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "cpu.pprof")
		}()
	}
	for _, s := range r.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.send(sendCtx, s)
		}()
	}
	<-sendCtx.Done()
	d1, t1 := r.delivered.Load(), time.Now()
	cpu1, gen1, sys1 := readCPU(r.cfg.PID), selfCPU(), readSysTimes()
	wg.Wait()
	secs := t1.Sub(t0).Seconds()
	res.Rate = float64(d1-d0) / secs
	if r.cfg.PID > 0 {
		res.ServerCPU = 100 * (cpu1 - cpu0).Seconds() / secs
	}
	res.GenCPU = 100 * (gen1 - gen0).Seconds() / secs
	res.SoftirqCPU = 100 * (sys1.Softirq - sys0.Softirq).Seconds() / secs
	if r.cfg.PID > 0 {
		res.OtherCPU = max(0, 100*(sys1.Busy-sys0.Busy-(cpu1-cpu0)-(gen1-gen0)).Seconds()/secs)
	}

	for _, s := range r.senders {
		res.Sent += s.sent.Load()
		if s.stalled {
			res.Stalls++
		}
		if s.err != nil {
			res.SendErrs++
			r.log.Warn("sender failed", "sender", s.idx, "err", s.err)
		}
	}
	res.Expected = res.Sent * uint64(r.nrecv.Load())

	// Drain: wait for every expected delivery, giving up after Drain or
	// after a second without progress.
	drainEnd := time.Now().Add(r.cfg.Drain)
	last, lastMove := r.delivered.Load(), time.Now()
	for time.Now().Before(drainEnd) && ctx.Err() == nil {
		got := r.delivered.Load()
		if got >= res.Expected {
			break
		}
		if got != last {
			last, lastMove = got, time.Now()
		} else if time.Since(lastMove) > time.Second {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if w1 := readWrites(r.cfg.PID); w1 > w0 {
		res.Writes = w1 - w0
	}
}

// saveProfile fetches one pprof endpoint into ProfileDir, named after the
// scenario; a failure is logged, not fatal.
func (r *runner) saveProfile(ctx context.Context, path, name string) {
	ctx, cancel := context.WithTimeout(ctx, r.sc.Duration+30*time.Second)
	defer cancel()
	file := filepath.Join(r.cfg.ProfileDir, r.sc.Name+"-"+name)
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.cfg.ProfileURL, "/")+path, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", path, resp.Status)
		}
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, resp.Body); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}()
	if err != nil {
		r.log.Warn("profile not saved", "path", path, "err", err)
		return
	}
	r.log.Info("profile saved", "file", file)
}

// stallTimeout is how long a sender waits for its window to reopen before
// it concludes that a message will never reach every client.
const stallTimeout = 3 * time.Second

// send is one sender's loop.
func (r *runner) send(ctx context.Context, s *sender) {
	var tick <-chan time.Time
	if r.sc.Rate > 0 {
		period := time.Duration(float64(time.Second) / r.sc.Rate)
		// Stagger the senders over one period, as people do not all type
		// at the same instant; in phase, they all send at once.
		if !r.sc.Phase && !sleepCtx(ctx, period*time.Duration(s.idx)/time.Duration(len(r.senders))) {
			return
		}
		t := time.NewTicker(period)
		defer t.Stop()
		tick = t.C
	}
	stall := time.NewTimer(stallTimeout)
	defer stall.Stop()
	var buf, pay []byte
	var batch [][]byte // windowed: the frames sent in one write
	var ends []int
	inflight := 0
	for seq := uint64(1); ; {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		n := 1
		if r.sc.Window > 0 {
			// Take back completed messages without waiting, then wait
			// while the window is full.
			for drained := false; !drained; {
				select {
				case <-s.done:
					inflight--
				default:
					drained = true
				}
			}
			if inflight >= r.sc.Window {
				stall.Reset(stallTimeout)
				select {
				case <-s.done:
					inflight--
				case <-ctx.Done():
					return
				case <-stall.C:
					s.stalled = true
					return
				}
			}
			// Send what the window allows, up to Pipeline messages in one
			// write, each in its own frame.
			n = max(1, min(r.sc.Window-inflight, r.sc.Pipeline))
		}
		buf, ends = buf[:0], ends[:0]
		now := r.now()
		for i := range n {
			pay = appendPayload(pay[:0], s.idx, seq+uint64(i), now, r.sc.Size)
			buf = r.frame(buf, seq+uint64(i), pay)
			ends = append(ends, len(buf))
		}
		batch = batch[:0]
		for i, end := range ends {
			start := 0
			if i > 0 {
				start = ends[i-1]
			}
			batch = append(batch, buf[start:end])
		}
		var err error
		if n == 1 {
			err = s.c.ws.writeText(batch[0])
		} else {
			err = s.c.ws.writeTexts(batch)
		}
		if err != nil {
			if ctx.Err() == nil && !r.closing.Load() {
				s.err = err
			}
			return
		}
		seq += uint64(n)
		s.sent.Store(seq - 1)
		inflight += n
	}
}

// welcomePrefix starts a rich-mode welcome frame.
var welcomePrefix = []byte(`{"type":"welcome"`)

// read is a client's reader goroutine.
func (r *runner) read(c *client) {
	defer r.readers.Done()
	rich := r.cfg.Proto == "rich"
	for {
		op, p, err := c.ws.readMessage()
		if err != nil {
			if !r.closing.Load() {
				r.noteClosed(err)
			}
			return
		}
		now := c.ws.receivedAt()
		if op != opText {
			c.other++
			continue
		}
		n := 0
		if rich {
			d, kind := parseRich(p)
			switch kind {
			case richMsg:
				if r.deliver(c, d, now) {
					n++
				}
			case richError:
				c.errorFrames++
			default:
				if !c.joined.Load() && bytes.HasPrefix(p, welcomePrefix) {
					c.joined.Store(true)
				}
				c.other++
			}
		} else {
			c.other += uint64(eachPlain(p, func(d delivery) {
				if r.deliver(c, d, now) {
					n++
				}
			}))
		}
		if n > 0 {
			c.frames++
			if n > 1 {
				c.multi++
			}
			c.maxPer = max(c.maxPer, n)
		}
	}
}

// deliver accounts for one payload received by c at now; it reports
// whether it was a load message (not a probe, not foreign).
func (r *runner) deliver(c *client, d delivery, now int64) bool {
	if d.sender >= len(r.senders) {
		return false
	}
	if d.seq == 0 {
		if !c.probed {
			c.probed = true
			r.probed.Add(1)
		}
		return false
	}
	r.hist.record(c.id, time.Duration(now-d.sent))
	if d.seq <= c.last[d.sender] {
		c.reordered++
	} else {
		c.last[d.sender] = d.seq
	}
	c.received++
	r.delivered.Add(1)
	if s := r.senders[d.sender]; s.slots != nil && r.sc.Fastest {
		// The first client to receive a message completes it, and every
		// one before it (a client receives a sender's messages in order).
		for {
			m := s.first.Load()
			if d.seq <= m {
				break
			}
			if s.first.CompareAndSwap(m, d.seq) {
				for range d.seq - m {
					s.done <- struct{}{}
				}
				break
			}
		}
	} else if s != nil && s.slots != nil {
		slot := &s.slots[d.seq%uint64(len(s.slots))]
		if slot.Add(1) == r.nrecv.Load() {
			slot.Store(0)
			s.done <- struct{}{}
		}
	}
	return true
}

// noteClosed records why the server ended a connection.
func (r *runner) noteClosed(err error) {
	var ce *closeError
	key := "error"
	switch {
	case errors.As(err, &ce):
		key = fmt.Sprintf("close %d", ce.Code)
		if ce.Reason != "" {
			key += " " + ce.Reason
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		key = "eof without close frame"
	case errors.Is(err, syscall.ECONNRESET):
		key = "reset"
	case errors.Is(err, errProtocol):
		key = "protocol error"
	}
	r.mu.Lock()
	r.closed[key]++
	r.mu.Unlock()
}

// live counts the clients the server has not closed.
func (r *runner) live() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.clients)
	for _, c := range r.closed {
		n -= c
	}
	return n
}

// shutdown closes every client and waits for the readers (bounded).
func (r *runner) shutdown() {
	if r.closing.Swap(true) {
		return
	}
	for _, c := range r.clients {
		if c != nil {
			c.ws.close()
		}
	}
	done := make(chan struct{})
	go func() { r.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.log.Warn("readers did not stop within 5s")
	}
}

// collect adds the per-client counters up; the readers have stopped.
func (r *runner) collect(res *result) {
	for _, c := range r.clients {
		res.Received += c.received
		res.Reordered += c.reordered
		res.Frames += c.frames
		res.MultiFrames += c.multi
		res.MaxPerFrame = max(res.MaxPerFrame, c.maxPer)
		res.Other += c.other
		res.ErrorFrames += c.errorFrames
	}
	res.Lost = int64(res.Expected) - int64(res.Received)
	s := r.hist.snapshot()
	res.Latency = s.n
	res.P50 = ms(s.quantile(0.50))
	res.P99 = ms(s.quantile(0.99))
	res.Max = ms(time.Duration(s.max))
	r.mu.Lock()
	if len(r.closed) > 0 {
		res.Closed = r.closed
	}
	r.mu.Unlock()
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// sleepCtx sleeps for d unless ctx ends first; it reports whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// checkLoopback refuses to load anything but this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: the load generator only targets loopback (127.0.0.0/8, ::1)", addr)
	}
	return nil
}

// raiseNoFile lifts the open-file soft limit to at least want (up to the
// hard limit): each client is a file descriptor.
func raiseNoFile(want int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur >= uint64(want) {
		return
	}
	lim.Cur = min(max(uint64(want), lim.Cur), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: raising the open-file limit: %v\n", err)
	}
}
