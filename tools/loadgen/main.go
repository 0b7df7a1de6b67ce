// Command loadgen is Parley's load generator. It opens many WebSocket
// clients on loopback, makes some of them send timestamped, numbered
// messages, and measures what every client receives: deliveries per
// second, loss, reordering, one-way latency, and the server's memory per
// connection and CPU.
//
// One run against a server that is already listening:
//
//	loadgen -scenario chatroom -addr 127.0.0.1:2000 -pid $(pgrep -n parley)
//
// The side-by-side comparison that make bench runs (it starts each server
// itself, one after the other, over several rounds):
//
//	loadgen -compare -parley './parley-server -server -addr {addr} -rate 0' \
//	      -gorilla '/tmp/chat/chat -addr {addr}'
//
// Every run is bounded in time and stops by itself. The generator only
// ever connects to loopback addresses.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		scenarioName = fs.String("scenario", "chatroom", "scenario to run: "+scenarioNames())
		addr         = fs.String("addr", "127.0.0.1:2000", "server address (loopback only)")
		path         = fs.String("path", "/ws", "WebSocket path")
		proto        = fs.String("proto", "plain", "protocol: plain (no subprotocol) or rich (parley.v1)")
		pid          = fs.Int("pid", 0, "server process id, for RSS per connection and CPU (0: skip)")
		clients      = fs.Int("clients", 0, "override the scenario's client count")
		senders      = fs.Int("senders", -1, "override the scenario's sender count")
		rate         = fs.Float64("rate", -1, "override messages/s per sender (0: as fast as the window allows)")
		window       = fs.Int("window", -1, "override the in-flight window per sender")
		size         = fs.Int("size", 0, "override the payload size in bytes")
		pipeline     = fs.Int("pipeline", 0, "windowed senders write up to this many messages at once, each in its own frame (default 1)")
		duration     = fs.Duration("duration", 0, "override the sending time")
		settle       = fs.Duration("settle", -1, "override the pause before the RSS reading")
		sources      = fs.Int("sources", 0, "loopback source addresses to spread clients over (0: one per 5,000 clients)")
		dialConc     = fs.Int("dial-concurrency", 100, "connections opened at once")
		rampTimeout  = fs.Duration("ramp-timeout", 60*time.Second, "longest time to connect and join all clients")
		drain        = fs.Duration("drain", 5*time.Second, "longest wait for stragglers after the senders stop")
		hard         = fs.Duration("hard-deadline", 0, "exit with an error after this long, whatever happens (0: computed)")
		jsonOut      = fs.String("json", "", "also write the results as JSON to this file")
		verbose      = fs.Bool("v", false, "log progress")
		cpuProfile   = fs.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
		pprofURL     = fs.String("pprof-url", "", "the server's net/http/pprof base URL (tools/profserver): save its CPU profile of the sending window and its heap after the ramp")
		pprofDir     = fs.String("pprof-dir", ".", "directory for the profiles of -pprof-url")

		compare   = fs.Bool("compare", false, "compare Parley and gorilla's chat example side by side (starts both)")
		parleyCmd = fs.String("parley", "./parley-server -server -no-history -addr {addr}", "compare: Parley's command; {addr} is replaced")
		gorilla   = fs.String("gorilla", "", "compare: gorilla chat example's command; {addr} is replaced")
		rich      = fs.Bool("rich", false, "compare: also run Parley in rich mode (parley.v1)")
		rounds    = fs.Int("rounds", 3, "compare: rounds; each runs every scenario on every server")
		list      = fs.String("scenarios", "chatroom,burst,overload,fanout,bigroom,idle,large", "compare: scenarios to run")
		serverCPU = fs.String("server-cpu", "", "compare: pin servers to this CPU list with taskset (run loadgen itself under taskset on the others)")
		logDir    = fs.String("logdir", "", "compare: directory for the servers' logs (default: a temporary one)")
		quiet     = fs.Duration("quiet", 30*time.Second, "compare: before each run, wait up to this long for the machine to be idle (0: don't)")
		quietCPU  = fs.Float64("quiet-cpu", 10, "compare: idle means at most this % of one core busy")
		retries   = fs.Int("retries", 3, "compare: repeat a run that other work disturbed by more than -quiet-cpu up to this many times")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose || *compare {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := config{
		Addr: *addr, Path: *path, Proto: *proto, PID: *pid, Sources: *sources,
		RampTimeout: *rampTimeout, DialConc: *dialConc, Drain: *drain, Logger: log,
		ProfileURL: *pprofURL, ProfileDir: *pprofDir,
	}
	if cfg.ProfileURL != "" {
		u, err := url.Parse(cfg.ProfileURL)
		if err != nil {
			return fmt.Errorf("-pprof-url: %w", err)
		}
		if err := checkLoopback(u.Host); err != nil {
			return fmt.Errorf("-pprof-url: %w", err)
		}
	}
	if cfg.Proto != "plain" && cfg.Proto != "rich" {
		return fmt.Errorf("-proto %q: want plain or rich", cfg.Proto)
	}
	override := func(sc scenario) scenario {
		if *clients > 0 {
			sc.Clients = *clients
		}
		if *senders >= 0 {
			sc.Senders = *senders
		}
		if *rate >= 0 {
			sc.Rate = *rate
		}
		if *window >= 0 {
			sc.Window = *window
		}
		if *size > 0 {
			sc.Size = *size
		}
		if *pipeline > 0 {
			sc.Pipeline = *pipeline
		}
		if *duration > 0 {
			sc.Duration = *duration
		}
		if *settle >= 0 {
			sc.Settle = *settle
		}
		return sc
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *compare {
		var scs []scenario
		for _, name := range strings.Split(*list, ",") {
			sc, err := findScenario(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			scs = append(scs, override(sc))
		}
		if *gorilla == "" {
			return fmt.Errorf("-compare needs -gorilla (the peer's command)")
		}
		targets := []target{
			{Name: "parley", Cmd: strings.Fields(*parleyCmd), Proto: "plain"},
			{Name: "gorilla", Cmd: strings.Fields(*gorilla), Proto: "plain"},
		}
		if *rich {
			targets = append(targets, target{Name: "parley-rich", Cmd: strings.Fields(*parleyCmd), Proto: "rich"})
		}
		cmp := &comparison{
			Scenarios: scs, Targets: targets, Rounds: *rounds, ServerCPU: *serverCPU,
			LogDir: *logDir, QuietWait: *quiet, QuietCPU: *quietCPU, Retries: *retries, Base: cfg, Log: log,
		}
		budget := *hard
		if budget == 0 {
			budget = cmp.budget()
		}
		watchdog(budget, stderr)
		log.Info("comparison", "rounds", *rounds, "scenarios", len(scs), "targets", len(targets), "hard_deadline", budget)
		results, err := cmp.run(ctx)
		if err != nil {
			return err
		}
		printTable(stdout, cmp, results)
		if *jsonOut != "" {
			return writeJSON(*jsonOut, results)
		}
		return nil
	}

	sc, err := findScenario(*scenarioName)
	if err != nil {
		return err
	}
	sc = override(sc)
	budget := *hard
	if budget == 0 {
		budget = runBudget(sc, cfg)
	}
	watchdog(budget, stderr)
	ctx, cancel := context.WithTimeout(ctx, budget-time.Second)
	defer cancel()
	res, err := runScenario(ctx, sc, cfg)
	if res != nil {
		res.Target = cfg.Addr
		printResult(stdout, sc, res)
		if *jsonOut != "" {
			if werr := writeJSON(*jsonOut, []*result{res}); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}

func scenarioNames() string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// runBudget is the longest one run may take: every phase's own bound,
// plus slack.
func runBudget(sc scenario, cfg config) time.Duration {
	return 2*cfg.RampTimeout + sc.Settle + sc.Duration + stallTimeout + cfg.Drain + 20*time.Second
}

// watchdog ends the process after d whatever it is doing: the last line
// of defence behind the per-phase deadlines.
func watchdog(d time.Duration, stderr io.Writer) {
	time.AfterFunc(d, func() {
		fmt.Fprintf(stderr, "loadgen: hard deadline of %v reached, exiting\n", d)
		os.Exit(3)
	})
}

// printResult writes one run's figures for people.
func printResult(w io.Writer, sc scenario, r *result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s (%s)\n", sc.Name, sc.What)
	fmt.Fprintf(tw, "clients\t%d joined, %d held at the end, %d dial errors, ramp %.2fs\n", r.Clients, r.Held, r.DialErrs, r.RampSec)
	if sc.Senders > 0 {
		fmt.Fprintf(tw, "messages\t%d sent, %d deliveries expected, %d received, %d lost, %d reordered\n", r.Sent, r.Expected, r.Received, r.Lost, r.Reordered)
		fmt.Fprintf(tw, "rate\t%.0f deliveries/s\n", r.Rate)
		fmt.Fprintf(tw, "latency\tp50 %.3f ms, p99 %.3f ms, max %.3f ms (%d samples)\n", r.P50, r.P99, r.Max, r.Latency)
		fmt.Fprintf(tw, "frames\t%d with payloads, %d with more than one, at most %d in one\n", r.Frames, r.MultiFrames, r.MaxPerFrame)
		fmt.Fprintf(tw, "cpu\tserver %.0f%%, generator %.0f%%, softirq %.0f%%, everything else %.0f%% of one core\n", r.ServerCPU, r.GenCPU, r.SoftirqCPU, r.OtherCPU)
	}
	fmt.Fprintf(tw, "other\t%d non-payload lines, %d error frames, %d stalled senders, %d send errors\n", r.Other, r.ErrorFrames, r.Stalls, r.SendErrs)
	if r.RSSBeforeKB > 0 {
		fmt.Fprintf(tw, "memory\tRSS %d KB before, %d KB after: %.1f KB per connection\n", r.RSSBeforeKB, r.RSSAfterKB, r.RSSPerConn)
	}
	for k, n := range r.Closed {
		fmt.Fprintf(tw, "closed by server\t%d × %s\n", n, k)
	}
	tw.Flush()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
