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
	"runtime"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"

	"parley/net/client"
	"parley/server"
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
		dataDir   = fs.String("data", "", "`folder` the server keeps its state in (the -tls certificate)")
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

Flags:
`, info.Details.Version)
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
The server speaks plain text to any WebSocket client (ws://HOST:2000/) and
JSON to Parley apps; see docs/PROTOCOL.md. It is not encrypted unless
-tls or -tls-cert is given: see docs/SECURITY.md for why. SIGINT or SIGTERM stops it
gracefully: every client is told, and closed with code 1001.
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
