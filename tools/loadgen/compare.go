package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// target is a server to start and load.
type target struct {
	Name  string
	Cmd   []string // argv; "{addr}" in any argument becomes host:port
	Proto string
}

// comparison runs every scenario on every target, interleaved: within a
// round each scenario runs on one server and then straight away on the
// other, and the order of the servers flips every round, so that a slow
// drift of the machine (thermal, page cache, a neighbour) hits both alike.
type comparison struct {
	Scenarios []scenario
	Targets   []target
	Rounds    int
	ServerCPU string // taskset CPU list for the servers; "" leaves them free
	LogDir    string
	// QuietWait is the longest wait before each run for the machine to
	// fall below QuietCPU (% of one core, all CPUs together); 0 skips it.
	QuietWait time.Duration
	QuietCPU  float64
	// Retries is how many times a run is repeated when other work took
	// more than QuietCPU during its sending window; the least disturbed
	// attempt is kept.
	Retries int
	Base    config
	Log     *slog.Logger
}

// budget bounds the whole comparison.
func (c *comparison) budget() time.Duration {
	var d time.Duration
	for _, sc := range c.Scenarios {
		d += (runBudget(sc, c.Base) + 15*time.Second + c.QuietWait) * time.Duration(1+c.Retries)
	}
	return d * time.Duration(c.Rounds*len(c.Targets))
}

// results maps scenario, then target name, to one result per round.
type results map[string]map[string][]*result

func (c *comparison) run(ctx context.Context) (results, error) {
	if c.LogDir == "" {
		dir, err := os.MkdirTemp("", "parley-bench-")
		if err != nil {
			return nil, err
		}
		c.LogDir = dir
	}
	c.Log.Info("server logs", "dir", c.LogDir)
	out := results{}
	for round := 1; round <= c.Rounds; round++ {
		for _, sc := range c.Scenarios {
			order := slices.Clone(c.Targets)
			if round%2 == 0 {
				slices.Reverse(order)
			}
			for _, t := range order {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				res, err := c.runQuiet(ctx, round, sc, t)
				if err != nil {
					c.Log.Error("run failed", "round", round, "scenario", sc.Name, "target", t.Name, "err", err)
				}
				if res != nil {
					res.Target = t.Name
					if out[sc.Name] == nil {
						out[sc.Name] = map[string][]*result{}
					}
					out[sc.Name][t.Name] = append(out[sc.Name][t.Name], res)
					c.Log.Info("run done", "round", round, "scenario", sc.Name, "target", t.Name,
						"rate", int(res.Rate), "p99_ms", res.P99, "lost", res.Lost, "held", res.Held,
						"rss_kb_per_conn", fmt.Sprintf("%.1f", res.RSSPerConn), "server_cpu", int(res.ServerCPU), "gen_cpu", int(res.GenCPU))
				}
			}
		}
	}
	return out, nil
}

// runQuiet waits for a quiet machine, runs, and repeats a run that other
// work disturbed (up to Retries times), keeping the least disturbed one.
func (c *comparison) runQuiet(ctx context.Context, round int, sc scenario, t target) (*result, error) {
	var best *result
	var bestErr error
	for attempt := 0; attempt <= c.Retries; attempt++ {
		if c.QuietWait > 0 {
			if busy := waitQuiet(ctx, c.QuietWait, c.QuietCPU); busy > c.QuietCPU {
				c.Log.Warn("machine still busy; running anyway", "busy_pct_of_one_core", int(busy))
			}
		}
		res, err := c.runOne(ctx, round, sc, t)
		if best == nil || (res != nil && err == nil && (bestErr != nil || res.OtherCPU < best.OtherCPU)) {
			best, bestErr = res, err
		}
		if err != nil || res == nil || res.OtherCPU <= c.QuietCPU || ctx.Err() != nil || attempt == c.Retries {
			break
		}
		c.Log.Warn("other work disturbed the run; repeating it", "scenario", sc.Name, "target", t.Name,
			"other_cpu_pct", int(res.OtherCPU), "attempt", attempt+1)
	}
	return best, bestErr
}

// runOne starts a fresh server, runs one scenario against it, stops it.
// A fresh server per run keeps one run's garbage out of the next run's
// memory figures.
func (c *comparison) runOne(ctx context.Context, round int, sc scenario, t target) (*result, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := make([]string, 0, len(t.Cmd)+3)
	if c.ServerCPU != "" {
		// taskset execs the server, so the PID is the server's.
		argv = append(argv, "taskset", "-c", c.ServerCPU)
	}
	for _, a := range t.Cmd {
		argv = append(argv, strings.ReplaceAll(a, "{addr}", addr))
	}
	logPath := filepath.Join(c.LogDir, fmt.Sprintf("r%d-%s-%s.log", round, sc.Name, t.Name))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server's working directory is the log directory: gorilla's
	// example serves home.html from its working directory, unused here.
	cmd.Dir = c.LogDir
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", t.Name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stopServer(cmd, exited, c.Log)

	if err := waitListening(ctx, addr, exited, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%s did not come up (log %s): %w", t.Name, logPath, err)
	}
	// Let the server finish starting up before the baseline RSS.
	sleepCtx(ctx, 300*time.Millisecond)

	cfg := c.Base
	cfg.Addr, cfg.Proto, cfg.PID = addr, t.Proto, cmd.Process.Pid
	rctx, cancel := context.WithTimeout(ctx, runBudget(sc, cfg))
	defer cancel()
	res, err := runScenario(rctx, sc, cfg)
	select {
	case err := <-exited:
		exited <- err
		return res, fmt.Errorf("%s exited during the run (%v); see %s", t.Name, err, logPath)
	default:
	}
	return res, err
}

// waitQuiet waits up to limit for the machine to be nearly idle (at most
// threshold % of one core busy, all CPUs together, over half a second):
// on a 2-core machine another engineer's compiler would otherwise decide
// the result. It returns the last busy figure.
func waitQuiet(ctx context.Context, limit time.Duration, threshold float64) float64 {
	deadline := time.Now().Add(limit)
	for {
		b0, t0 := readSysTimes(), time.Now()
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return 0
		}
		b1 := readSysTimes()
		busy := 100 * (b1.Busy + b1.Softirq - b0.Busy - b0.Softirq).Seconds() / time.Since(t0).Seconds()
		if busy <= threshold || time.Now().After(deadline) {
			return busy
		}
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitListening polls addr until it accepts a connection.
func waitListening(ctx context.Context, addr string, exited chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	return errors.New("not listening after " + limit.String())
}

// stopServer asks the server to stop (SIGTERM) and kills it after 5s.
func stopServer(cmd *exec.Cmd, exited chan error, log *slog.Logger) {
	select {
	case err := <-exited:
		exited <- err
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		log.Warn("server ignored SIGTERM for 5s; killing it", "pid", cmd.Process.Pid)
		cmd.Process.Kill()
		<-exited
	}
}

// metric is one row of the comparison table.
type metric struct {
	Name string
	Fmt  string
	Get  func(*result) float64
	// Target, when set, judges Parley's median (and the ratio to the
	// peer's median) against issue 5's targets.
	Target func(parley, ratio float64) (string, bool)
}

// tableRows lists the rows shown for each scenario.
func tableRows(sc string) []metric {
	rate := metric{Name: "deliveries/s", Fmt: "%.0f", Get: func(r *result) float64 { return r.Rate }}
	p50 := metric{Name: "latency p50 ms", Fmt: "%.3f", Get: func(r *result) float64 { return r.P50 }}
	p99 := metric{Name: "latency p99 ms", Fmt: "%.3f", Get: func(r *result) float64 { return r.P99 }}
	maxl := metric{Name: "latency max ms", Fmt: "%.2f", Get: func(r *result) float64 { return r.Max }}
	lost := metric{Name: "lost", Fmt: "%.0f", Get: func(r *result) float64 { return float64(r.Lost) }}
	reord := metric{Name: "reordered", Fmt: "%.0f", Get: func(r *result) float64 { return float64(r.Reordered) }}
	evict := metric{Name: "evicted", Fmt: "%.0f", Get: func(r *result) float64 { return float64(r.evicted()) }}
	perFrame := metric{Name: "max msgs/frame", Fmt: "%.0f", Get: func(r *result) float64 { return float64(r.MaxPerFrame) }}
	scpu := metric{Name: "server CPU %", Fmt: "%.0f", Get: func(r *result) float64 { return r.ServerCPU }}
	gcpu := metric{Name: "generator CPU %", Fmt: "%.0f", Get: func(r *result) float64 { return r.GenCPU }}
	ocpu := metric{Name: "other CPU %", Fmt: "%.0f", Get: func(r *result) float64 { return r.OtherCPU }}
	eff := metric{Name: "deliveries/server CPU-s", Fmt: "%.0f", Get: func(r *result) float64 {
		if r.ServerCPU <= 0 {
			return 0
		}
		return r.Rate / (r.ServerCPU / 100)
	}}
	usPer := metric{Name: "server µs/delivery", Fmt: "%.2f", Get: func(r *result) float64 {
		if r.Rate <= 0 {
			return 0
		}
		return 1e4 * r.ServerCPU / r.Rate
	}}
	perWrite := metric{Name: "frames/write", Fmt: "%.2f", Get: func(r *result) float64 {
		if r.Writes == 0 {
			return 0
		}
		return float64(r.Frames) / float64(r.Writes)
	}}
	msgsPerWrite := metric{Name: "msgs/write", Fmt: "%.2f", Get: func(r *result) float64 {
		if r.Writes == 0 {
			return 0
		}
		return float64(r.Received) / float64(r.Writes)
	}}
	icpu := metric{Name: "softirq CPU %", Fmt: "%.0f", Get: func(r *result) float64 { return r.SoftirqCPU }}
	held := metric{Name: "conns held", Fmt: "%.0f", Get: func(r *result) float64 { return float64(r.Held) }}
	rss := metric{Name: "RSS KB/conn", Fmt: "%.1f", Get: func(r *result) float64 { return r.RSSPerConn }}
	ramp := metric{Name: "ramp s", Fmt: "%.1f", Get: func(r *result) float64 { return r.RampSec }}

	atMost := func(limit float64, unit string) func(p, _ float64) (string, bool) {
		return func(p, _ float64) (string, bool) { return fmt.Sprintf("≤ %g%s", limit, unit), p <= limit }
	}
	zero := func(p, _ float64) (string, bool) { return "0", p == 0 }
	atMostPeer := func(_, ratio float64) (string, bool) { return "≤ gorilla", ratio <= 1 }
	switch sc {
	case "burst":
		p99.Target, usPer.Target = atMostPeer, atMostPeer
		perFrame.Target = func(p, _ float64) (string, bool) { return "1", p == 1 }
		return []metric{rate, p50, p99, maxl, lost, reord, evict, usPer, perWrite, msgsPerWrite, perFrame, scpu, gcpu, icpu, ocpu}
	case "overload":
		lost.Target, evict.Target = zero, zero
		return []metric{rate, eff, usPer, p50, p99, lost, reord, evict, perWrite, msgsPerWrite, perFrame, scpu, gcpu, icpu, ocpu}
	case "chatroom":
		p99.Target = atMost(5, " ms")
		return []metric{rate, p50, p99, maxl, lost, reord, evict, usPer, perWrite, scpu, gcpu, icpu, ocpu}
	case "fanout":
		rate.Target = func(_, ratio float64) (string, bool) { return "≥ 2× gorilla", ratio >= 2 }
		lost.Target, evict.Target = zero, zero
		perFrame.Target = func(p, _ float64) (string, bool) { return "1", p == 1 }
		return []metric{rate, eff, usPer, p50, p99, lost, reord, evict, perFrame, perWrite, msgsPerWrite, scpu, gcpu, icpu, ocpu}
	case "bigroom":
		p99.Target = atMost(10, " ms")
		return []metric{rate, eff, usPer, p50, p99, maxl, lost, evict, perWrite, scpu, gcpu, icpu, ocpu}
	case "idle":
		rss.Target = atMost(6, " KB")
		return []metric{held, rss, ramp}
	case "large":
		held.Target = func(p, _ float64) (string, bool) { return "10000", p >= 10000 }
		return []metric{held, rss, ramp, p50, p99, lost, evict, scpu, eff}
	}
	return []metric{rate, p50, p99, lost, evict}
}

// median of the metric over the rounds; NaN-free: 0 when there are none.
func median(rs []*result, get func(*result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// printTable writes the side-by-side table: one row per scenario and
// metric, the median over the rounds for each server, Parley's median
// over the peer's, and issue 5's target when the row has one.
func printTable(w io.Writer, c *comparison, res results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := []string{"scenario", "metric"}
	for _, t := range c.Targets {
		hdr = append(hdr, t.Name)
	}
	hdr = append(hdr, "ratio", "target", "met")
	fmt.Fprintln(tw, strings.Join(hdr, "\t")+"\t")
	for _, sc := range c.Scenarios {
		byTarget := res[sc.Name]
		for _, m := range tableRows(sc.Name) {
			row := []string{sc.Name, m.Name}
			meds := map[string]float64{}
			for _, t := range c.Targets {
				rs := byTarget[t.Name]
				if len(rs) == 0 {
					row = append(row, "-")
					continue
				}
				meds[t.Name] = median(rs, m.Get)
				row = append(row, fmt.Sprintf(m.Fmt, meds[t.Name]))
			}
			p, g := meds["parley"], meds["gorilla"]
			ratio := 0.0
			switch {
			case g != 0:
				ratio = p / g
				row = append(row, fmt.Sprintf("%.2f", ratio))
			case p == 0:
				row = append(row, "=")
			default:
				row = append(row, "-")
			}
			if m.Target != nil && len(byTarget["parley"]) > 0 {
				goal, ok := m.Target(p, ratio)
				verdict := "yes"
				if !ok {
					verdict = "NO"
				}
				row = append(row, goal, verdict)
			} else {
				row = append(row, "", "")
			}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmedians of %d rounds; ratio = parley / gorilla; latency is one-way, send to receipt, on this machine's monotonic clock\n", c.Rounds)
}
