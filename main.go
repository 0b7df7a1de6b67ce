// Parley is a group chat for a local network: a desktop app that joins a
// chat or hosts one in-process, and the same binary run headless as the
// chat server (parley -server).
//
// This file only reads flags, sets up logging and signals, and hands over
// to server.Run or to the window (gui.go; the nogui build has none).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"parley/net/client"
	"parley/server"
	"parley/server/store"
)

// fyneApp is the app's metadata, the one place its version lives.
//
//go:embed FyneApp.toml
var fyneApp []byte

// appInfo is the part of FyneApp.toml that main uses.
type appInfo struct {
	Details struct {
		ID      string
		Name    string
		Version string
		Build   int
	}
}

// readAppInfo parses the embedded FyneApp.toml.
func readAppInfo() (appInfo, error) {
	var info appInfo
	if _, err := toml.Decode(string(fyneApp), &info); err != nil {
		return info, fmt.Errorf("FyneApp.toml: %w", err)
	}
	if info.Details.Version == "" || info.Details.ID == "" {
		return info, errors.New("FyneApp.toml: [Details] needs ID and Version")
	}
	return info, nil
}

// guiOptions is what the window needs from the command line. It mirrors
// ui.Options so that this file does not import the ui package, which the
// nogui build leaves out.
type guiOptions struct {
	ID      string
	Version string
	Connect string
	Nick    string
	Host    bool
	Port    int
	Local   bool
	Room    string
	Logger  *slog.Logger
	// MaxMessages bounds the messages the window keeps (0: its default).
	MaxMessages int
	// NoDiscovery keeps the window from announcing hosted chats and from
	// searching the network for chats (-no-discovery).
	NoDiscovery bool
}

// listFlag is a flag that may be repeated or given a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs explicit; it returns the exit
// status: 0 done, 1 failed, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	info, err := readAppInfo()
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		headless  = fs.Bool("server", false, "run only the chat server, without a window (needs no display)")
		addr      = fs.String("addr", server.DefaultAddr, "`address` the server listens on, with -server")
		version   = fs.Bool("version", false, "print the version and exit")
		room      = fs.String("room", server.DefaultRoom, "the room's `name`, shown to everyone who joins")
		backlog   = fs.Int("backlog", server.DefaultBacklog, "how many recent `messages` new and returning clients get")
		maxText   = fs.Int("max-text", 0, "longest chat message in `bytes` (default 16384)")
		rate      = fs.Float64("rate", server.DefaultRate, "messages per second a client may send; 0 for no limit")
		burst     = fs.Int("burst", server.DefaultBurst, "messages a client may send at once, over the rate")
		maxConns  = fs.Int("max-conns", server.DefaultMaxConns, "most connections at once; 0 for no limit")
		maxPerIP  = fs.Int("max-conns-per-ip", server.DefaultMaxConnsPerIP, "most connections from one address; 0 for no limit")
		limitLo   = fs.Bool("limit-loopback", false, "apply -max-conns-per-ip to connections from this computer too")
		logLevel  = fs.String("log-level", "info", "`level` of the logs on stderr: debug, info, warn or error")
		connect   = fs.String("connect", "", "join the chat at `address` (host or host:port) at once")
		nick      = fs.String("nick", "", "your `nickname`, for -connect and -host")
		host      = fs.Bool("host", false, "host a chat at once, in the window")
		port      = fs.Int("port", 0, "`port` to host on with -host (default 2000)")
		localOnly = fs.Bool("local", false, "with -host, let only this computer join")
		maxMsgs   = fs.Int("max-messages", 0, "most `messages` the window keeps in memory (default 10000)")
		dataDir   = fs.String("data", defaultDataDir(), "with -server, the `folder` that keeps the room's history across restarts and the -tls certificate")
		noHistory = fs.Bool("no-history", false, "with -server, keep no history on disk: only the backlog, in memory")
		retain    = fs.String("retain", "0", "with -server, delete messages older than this `age` (30d, 12h; 0 keeps them)")
		retainN   = fs.Int("retain-messages", 0, "with -server, keep at most this many `messages` (0: no limit)")
		syncMode  = fs.String("sync", "full", "with -server, `when` a message is on disk before it is sent: full (survives a power cut) or normal (survives a crash of the server)")
		backupTo  = fs.String("backup", "", "with -server, copy the history in -data to `file` (the server may be running) and exit")
		restore   = fs.String("restore", "", "with -server, make the backup in `file` the history in -data (the server must be stopped) and exit")
		useTLS    = fs.Bool("tls", false, "encrypt: serve wss:// and https:// with a self-signed certificate kept under -data")
		tlsCert   = fs.String("tls-cert", "", "a PEM certificate `file` to serve wss:// and https:// with (implies -tls)")
		tlsKey    = fs.String("tls-key", "", "the PEM key `file` of -tls-cert")
		alsoPlain = fs.Bool("plain", false, "with -tls, also serve unencrypted ws:// and http:// on the same port")
		announce  = fs.Bool("announce", false, "with -server, announce the chat on the local network (mDNS, _parley._tcp) so others find it")
		noDisc    = fs.Bool("no-discovery", false, "in the window, neither announce hosted chats on the network nor look for chats there (scripts, tests)")
		origins   listFlag
	)
	fs.Var(&origins, "allow-origin", "a browser `origin` allowed besides the server's own (repeat, or a comma list; * for any)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Parley %s: group chat for your network.

Usage:
  parley                        open the chat window
  parley -connect HOST -nick N  open the window and join a chat
  parley parley://HOST:PORT     join the chat a join link names
  parley -host                  open the window and host a chat
  parley -server [-addr :2000]  run only the chat server (headless)
  parley -server -announce      ... and announce it on the local network
  parley -server -data DIR -backup FILE    back up the server's history
  parley -server -data DIR -restore FILE   restore it (server stopped)

Flags:
`, info.Details.Version)
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
The server speaks plain text to any WebSocket client (ws://HOST:2000/) and
JSON to Parley apps; see docs/PROTOCOL.md. It is not encrypted unless
-tls or -tls-cert is given: see docs/SECURITY.md for why. SIGINT or SIGTERM
stops it gracefully: every client is told, and closed with code 1001. The
headless server keeps the room's history in -data (an SQLite database)
unless -no-history is given; see docs/ARCHITECTURE.md, "History".
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// A join link (parley://HOST:PORT), as a desktop's URL handler
	// passes it, joins that chat.
	if fs.NArg() == 1 && client.IsLink(fs.Arg(0)) && !*headless {
		link, err := client.ParseLink(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "parley: %v\n", err)
			return 2
		}
		*connect = link.Addr
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley: unexpected argument %q (see parley -h)\n", fs.Arg(0))
		return 2
	}
	if *version {
		gui := ""
		if !hasGUI {
			gui = ", server only (no GUI)"
		}
		fmt.Fprintf(stdout, "parley %s (build %d), %s %s/%s%s\n", info.Details.Version, info.Details.Build,
			runtime.Version(), runtime.GOOS, runtime.GOARCH, gui)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "parley: -log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	if *port < 0 || *port > 65535 {
		fmt.Fprintf(stderr, "parley: -port %d is not a port\n", *port)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if !*headless {
		return runGUI(ctx, guiOptions{
			ID: info.Details.ID, Version: info.Details.Version,
			Connect: *connect, Nick: *nick, Host: *host, Port: *port, Local: *localOnly,
			Room: *room, Logger: log, MaxMessages: *maxMsgs, NoDiscovery: *noDisc,
		}, stderr)
	}

	age, err := parseAge(*retain)
	if err != nil || *retainN < 0 {
		fmt.Fprintf(stderr, "parley: -retain %q: want an age such as 30d, 12h or 0\n", *retain)
		return 2
	}
	historyDir := *dataDir // -data holds the -tls certificate too
	if *noHistory {
		historyDir = ""
	}
	sync := store.SyncFull
	switch *syncMode {
	case "full":
	case "normal":
		sync = store.SyncNormal
	default:
		fmt.Fprintf(stderr, "parley: -sync %q: want full or normal\n", *syncMode)
		return 2
	}
	if *backupTo != "" || *restore != "" {
		return history(ctx, historyDir, *backupTo, *restore, stdout, stderr)
	}

	cfg := server.Config{
		Addr:           *addr,
		Room:           *room,
		Version:        info.Details.Version,
		Backlog:        *backlog,
		MaxText:        *maxText,
		Rate:           *rate,
		Burst:          *burst,
		MaxConns:       *maxConns,
		MaxConnsPerIP:  *maxPerIP,
		LimitLoopback:  *limitLo,
		AllowedOrigins: origins,
		Logger:         log,
		OnListen:       onListen(log, *announce),
	}
	// On the command line 0 means "no limit"; in Config, a negative value.
	if cfg.Rate <= 0 {
		cfg.Rate = -1
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = -1
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = -1
	}
	if status := setupTLS(&cfg, *dataDir, *useTLS, *tlsCert, *tlsKey, *alsoPlain, stderr); status != 0 {
		return status
	}
	if *dataDir != "" {
		key, path, err := server.LoadHostKey(*dataDir)
		if err != nil {
			log.Error("no host key: nobody can moderate", "err", err)
		} else {
			cfg.HostKey = key
			log.Info("host key: type /host KEY in the chat to moderate it", "file", path)
		}
	}
	if historyDir != "" {
		db, err := store.Open(historyDir, store.Options{Retain: age, RetainMessages: *retainN, Sync: sync, Logger: log})
		if err != nil {
			log.Error("cannot open the history; not starting", "data", *dataDir, "err", err,
				"help", "fix or move the folder, restore a backup (-restore), or run with -no-history")
			return 1
		}
		defer db.Close()
		if db.ReadOnly() {
			log.Error("the history folder cannot be written: serving its history read-only and refusing new messages",
				"data", *dataDir)
		}
		log.Info("history", "db", db.Path(), "sync", *syncMode, "retain", *retain, "retain_messages", *retainN)
		cfg.Store = db
	} else if *noHistory {
		log.Info("history off: only the backlog, in memory")
	} else {
		log.Warn("no data folder (no home folder was found): history off; give -data DIR to keep it")
	}
	if err := server.Run(ctx, cfg); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	return 0
}

// setupTLS fills in cfg's TLS settings from the flags, and returns a
// non-zero exit status, having said why, if they do not fit together or
// the certificate cannot be had.
func setupTLS(cfg *server.Config, dataDir string, useTLS bool, certFile, keyFile string, alsoPlain bool, stderr io.Writer) int {
	cfg.DataDir = dataDir
	useTLS = useTLS || certFile != "" || keyFile != ""
	switch {
	case !useTLS && alsoPlain:
		fmt.Fprintln(stderr, "parley: -plain only matters with -tls or -tls-cert: without them the server is plain already")
		return 2
	case !useTLS:
		return 0
	case certFile == "" && keyFile == "" && dataDir == "":
		fmt.Fprintln(stderr, "parley: -tls needs -data DIR, to keep its certificate in (or give -tls-cert and -tls-key)")
		return 2
	}
	cert, err := server.LoadCertificate(dataDir, certFile, keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	cfg.TLS = server.NewTLSConfig(cert)
	cfg.AllowPlain = alsoPlain
	return 0
}

// defaultDataDir is where the headless server keeps its history unless
// told otherwise: $XDG_DATA_HOME/parley or ~/.local/share/parley on Unix,
// the user's configuration folder's Parley elsewhere; "" when there is no
// home folder (then -data or -no-history must be given).
func defaultDataDir() string {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		if x := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
			return filepath.Join(x, "parley")
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share", "parley")
		}
		return ""
	}
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "Parley")
	}
	return ""
}

// parseAge reads a retention age: a Go duration, or a number of days (d)
// or weeks (w); "0" means no limit.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("bad age %q", s)
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad age %q", s)
	}
	return d, nil
}

// history runs -backup or -restore on the data folder dir.
func history(ctx context.Context, dir, backupTo, restoreFrom string, stdout, stderr io.Writer) int {
	switch {
	case dir == "":
		fmt.Fprintln(stderr, "parley: -backup and -restore need -data DIR")
		return 2
	case backupTo != "" && restoreFrom != "":
		fmt.Fprintln(stderr, "parley: -backup and -restore cannot be given together")
		return 2
	case backupTo != "":
		if err := store.Backup(ctx, dir, backupTo); err != nil {
			fmt.Fprintln(stderr, "parley: backup failed:", err)
			return 1
		}
		fmt.Fprintf(stdout, "parley: the history in %s is backed up to %s\n", dir, backupTo)
		return 0
	}
	replaced, err := store.Restore(dir, restoreFrom)
	if err != nil {
		fmt.Fprintln(stderr, "parley: restore failed, nothing changed:", err)
		return 1
	}
	fmt.Fprintf(stdout, "parley: %s restored into %s\n", restoreFrom, dir)
	if replaced != "" {
		fmt.Fprintf(stdout, "parley: the history it replaced is kept as %s\n", replaced)
	}
	return 0
}
