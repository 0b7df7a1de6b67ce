package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"parley/net/client"
	"parley/server"
	"parley/server/store"
)

// options is the command line, parsed and checked.
type options struct {
	headless bool
	version  bool
	logLevel slog.Level

	// The window's.
	connect   string
	nick      string
	host      bool
	port      int
	localOnly bool
	maxMsgs   int
	noDisc    bool

	// The server's (some, such as room and noHistory, the window's too).
	addr      string
	room      string
	backlog   int
	maxText   int
	rate      float64
	burst     int
	maxConns  int
	maxPerIP  int
	limitLo   bool
	origins   listFlag
	announce  bool
	dataDir   string
	noHistory bool
	retain    time.Duration
	retainStr string // -retain as given, for the log
	retainN   int
	sync      store.SyncMode
	syncStr   string // -sync as given, for the log
	backupTo  string
	restore   string
	useTLS    bool
	tlsCert   string
	tlsKey    string
	alsoPlain bool
	pwFile    string // the room password's file (password.go)
	hashPw    bool
}

// guiOptions is what the window needs from the command line. It mirrors
// ui.Options so that the files built without the window do not import
// the ui package, which the nogui build leaves out.
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
	// NoHistory hosts (-host) without keeping history on disk
	// (-no-history).
	NoHistory bool
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

// parseFlags reads and checks the command line. When it returns ok false,
// the program ends with status, having said why on stderr (status 0: -h
// asked for the usage).
func parseFlags(args []string, version string, stderr io.Writer) (o options, status int, ok bool) {
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var logLevel, retain, syncMode string
	fs.BoolVar(&o.headless, "server", false, "run only the chat server, without a window (needs no display)")
	fs.StringVar(&o.addr, "addr", server.DefaultAddr(), "`address` the server listens on, with -server")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.room, "room", server.DefaultRoom, "the room's `name`, shown to everyone who joins")
	fs.IntVar(&o.backlog, "backlog", server.DefaultBacklog, "how many recent `messages` new and returning clients get")
	fs.IntVar(&o.maxText, "max-text", 0, "longest chat message in `bytes` (default 16384)")
	fs.Float64Var(&o.rate, "rate", server.DefaultRate, "messages per second a client may send; 0 for no limit")
	fs.IntVar(&o.burst, "burst", server.DefaultBurst, "messages a client may send at once, over the rate")
	fs.IntVar(&o.maxConns, "max-conns", server.DefaultMaxConns, "most connections at once; 0 for no limit")
	fs.IntVar(&o.maxPerIP, "max-conns-per-ip", server.DefaultMaxConnsPerIP, "most connections from one address; 0 for no limit")
	fs.BoolVar(&o.limitLo, "limit-loopback", false, "apply -max-conns-per-ip to connections from this computer too")
	fs.StringVar(&logLevel, "log-level", "info", "`level` of the logs on stderr: debug, info, warn or error")
	fs.StringVar(&o.connect, "connect", "", "join the chat at `address` (host or host:port) at once")
	fs.StringVar(&o.nick, "nick", "", "your `nickname`, for -connect and -host")
	fs.BoolVar(&o.host, "host", false, "host a chat at once, in the window")
	fs.IntVar(&o.port, "port", 0, "`port` to host on with -host (default 2000)")
	fs.BoolVar(&o.localOnly, "local", false, "with -host, let only this computer join")
	fs.IntVar(&o.maxMsgs, "max-messages", 0, "most `messages` the window keeps in memory (default 10000)")
	fs.StringVar(&o.dataDir, "data", defaultDataDir(), "with -server, the `folder` that keeps the room's history across restarts and the -tls certificate")
	fs.BoolVar(&o.noHistory, "no-history", false, "with -server or -host, keep no history on disk: only the backlog, in memory")
	fs.StringVar(&retain, "retain", "0", "with -server, delete messages older than this `age` (30d, 12h; 0 keeps them)")
	fs.IntVar(&o.retainN, "retain-messages", 0, "with -server, keep at most this many `messages` (0: no limit)")
	fs.StringVar(&syncMode, "sync", "full", "with -server, `when` a message is on disk before it is sent: full (survives a power cut) or normal (survives a crash of the server)")
	fs.StringVar(&o.backupTo, "backup", "", "with -server, copy the history in -data to `file` (the server may be running) and exit")
	fs.StringVar(&o.restore, "restore", "", "with -server, make the backup in `file` the history in -data (the server must be stopped) and exit")
	fs.BoolVar(&o.useTLS, "tls", false, "encrypt: serve wss:// and https:// with a self-signed certificate kept under -data")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "a PEM certificate `file` to serve wss:// and https:// with (implies -tls)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the PEM key `file` of -tls-cert")
	fs.BoolVar(&o.alsoPlain, "plain", false, "with -tls, also serve unencrypted ws:// and http:// on the same port")
	fs.StringVar(&o.pwFile, "password-file", "", "with -server, a `file` holding the room password, or its hash from -hash-password: people must give it to join")
	fs.BoolVar(&o.hashPw, "hash-password", false, "with -server, read a room password on standard input, print its salted argon2id hash for -password-file, and exit")
	fs.BoolVar(&o.announce, "announce", false, "with -server, announce the chat on the local network (mDNS, _parley._tcp) so others find it")
	fs.BoolVar(&o.noDisc, "no-discovery", false, "in the window, neither announce hosted chats on the network nor look for chats there (scripts, tests)")
	fs.Var(&o.origins, "allow-origin", "a browser `origin` allowed besides the server's own (repeat, or a comma list; * for any)")
	fs.Usage = func() { usage(fs, version, stderr) }

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, 0, false
		}
		return o, 2, false
	}
	// A join link (parley://HOST:PORT), as a desktop's URL handler
	// passes it, joins that chat.
	if fs.NArg() == 1 && client.IsLink(fs.Arg(0)) && !o.headless {
		link, err := client.ParseLink(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "parley: %v\n", err)
			return o, 2, false
		}
		o.connect = link.Addr
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley: unexpected argument %q (see parley -h)\n", fs.Arg(0))
		return o, 2, false
	}
	if o.version {
		return o, 0, true
	}
	if err := o.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintf(stderr, "parley: -log-level %q: want debug, info, warn or error\n", logLevel)
		return o, 2, false
	}
	if o.port < 0 || o.port > 65535 {
		fmt.Fprintf(stderr, "parley: -port %d is not a port\n", o.port)
		return o, 2, false
	}
	if !o.headless {
		return o, 0, true
	}
	age, err := parseAge(retain)
	if err != nil || o.retainN < 0 {
		fmt.Fprintf(stderr, "parley: -retain %q: want an age such as 30d, 12h or 0\n", retain)
		return o, 2, false
	}
	o.retain, o.retainStr = age, retain
	switch syncMode {
	case "full":
		o.sync = store.SyncFull
	case "normal":
		o.sync = store.SyncNormal
	default:
		fmt.Fprintf(stderr, "parley: -sync %q: want full or normal\n", syncMode)
		return o, 2, false
	}
	o.syncStr = syncMode
	return o, 0, true
}

// usage prints -h.
func usage(fs *flag.FlagSet, version string, stderr io.Writer) {
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
`, version)
	fs.PrintDefaults()
	fmt.Fprint(stderr, `
The server speaks plain text to any WebSocket client (ws://HOST:2000/) and
JSON to Parley apps; see docs/PROTOCOL.md. It is not encrypted unless
-tls or -tls-cert is given: see docs/SECURITY.md for why. SIGINT or SIGTERM
stops it gracefully: every client is told, and closed with code 1001. The
headless server keeps the room's history in -data (an SQLite database)
unless -no-history is given; see docs/ARCHITECTURE.md, "History". At
start-up it prints the addresses others join at.
`)
}

// gui is what the window needs of the options.
func (o options) gui(info appInfo, log *slog.Logger) guiOptions {
	return guiOptions{
		ID: info.Details.ID, Version: info.Details.Version,
		Connect: o.connect, Nick: o.nick, Host: o.host, Port: o.port, Local: o.localOnly,
		Room: o.room, Logger: log, MaxMessages: o.maxMsgs, NoDiscovery: o.noDisc, NoHistory: o.noHistory,
	}
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
