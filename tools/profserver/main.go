// Command profserver is Parley's headless server with net/http/pprof on a
// second listener, for profiling the server under the load generator:
//
//	go build -o /tmp/profserver ./tools/profserver
//	/tmp/profserver -addr 127.0.0.1:2000 -pprof 127.0.0.1:6060 &
//	go run ./tools/loadgen -scenario bigroom -addr 127.0.0.1:2000 -pid $! \
//	    -pprof-url http://127.0.0.1:6060 -pprof-dir /tmp/prof
//
// It runs the same server.Run as parley -server with the defaults, the
// rate limit off as make bench runs it; only the pprof listener is added.
// History is in memory unless -data names a folder, as parley -server
// -data does (-sync full or normal), so that the durable path can be
// profiled too.
// The shipped binary has no pprof endpoint at all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"parley/server"
	"parley/server/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2000", "chat server address")
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "pprof address (loopback only)")
	rate := flag.Float64("rate", 0, "messages per second per client; 0 for no limit")
	data := flag.String("data", "", "keep the history in SQLite in this folder (default: in memory)")
	syncMode := flag.String("sync", "full", "with -data: full (fdatasync before a message goes out) or normal")
	memRate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate: 1 records every allocation, for exact heap accounting per connection (0: Go's default, one sample per 512 KB)")
	flag.Parse()
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)) // info, as parley -server logs
	var db *store.DB
	if *data != "" {
		mode := map[string]store.SyncMode{"full": store.SyncFull, "normal": store.SyncNormal}
		m, ok := mode[*syncMode]
		if !ok {
			fmt.Fprintln(os.Stderr, "profserver: -sync is full or normal")
			os.Exit(2)
		}
		var err error
		if db, err = store.Open(*data, store.Options{Sync: m, Logger: log}); err != nil {
			fmt.Fprintln(os.Stderr, "profserver:", err)
			os.Exit(1)
		}
	}
	err := run(*addr, *pprofAddr, *rate, db, log)
	if db != nil {
		db.Close() // after the server: its committer has stopped
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run(addr, pprofAddr string, rate float64, db *store.DB, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(pprofAddr)
	if err != nil {
		return fmt.Errorf("-pprof: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-pprof %s: profiles are served on loopback only", pprofAddr)
	}
	ln, err := net.Listen("tcp", pprofAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)

	if rate <= 0 {
		rate = -1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := server.Config{Addr: addr, Rate: rate, Logger: log}
	if db != nil {
		cfg.Store = db
	}
	err = server.Run(ctx, cfg)
	if errors.Is(err, server.ErrClosed) {
		return nil
	}
	return err
}
