package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"parley/server"
	"parley/server/store"
)

// runServer is parley -server: the chat server alone, until ctx ends. It
// returns the exit status.
func runServer(ctx context.Context, o options, info appInfo, log *slog.Logger, stdout, stderr io.Writer) int {
	historyDir := o.dataDir // -data holds the -tls certificate too
	if o.noHistory {
		historyDir = ""
	}
	if o.backupTo != "" || o.restore != "" {
		return history(ctx, historyDir, o.backupTo, o.restore, stdout, stderr)
	}
	if o.hashPw {
		return hashPassword(os.Stdin, stdout, stderr)
	}

	cfg := server.Config{
		Addr:           o.addr,
		Room:           o.room,
		Version:        info.Details.Version,
		Backlog:        o.backlog,
		MaxText:        o.maxText,
		Rate:           o.rate,
		Burst:          o.burst,
		MaxConns:       o.maxConns,
		MaxConnsPerIP:  o.maxPerIP,
		LimitLoopback:  o.limitLo,
		AllowedOrigins: o.origins,
		Logger:         log,
		OnListen:       onListen(log, o.announce, o.alsoPlain, stdout),
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
	if status := setupTLS(&cfg, o.dataDir, o.useTLS, o.tlsCert, o.tlsKey, o.alsoPlain, stderr); status != 0 {
		return status
	}
	if o.dataDir != "" {
		key, path, err := server.LoadHostKey(o.dataDir)
		if err != nil {
			log.Error("no host key: nobody can moderate", "err", err)
		} else {
			cfg.HostKey = key
			log.Info("host key: type /host KEY in the chat to moderate it", "file", path)
		}
	}
	if o.pwFile != "" {
		v, err := readPasswordFile(o.pwFile)
		if err != nil {
			fmt.Fprintf(stderr, "parley: -password-file: %v\n", err)
			return 2
		}
		cfg.Password = v
		log.Info("the room has a password", "file", o.pwFile)
	}
	if historyDir != "" {
		db, err := store.Open(historyDir, store.Options{Retain: o.retain, RetainMessages: o.retainN, Sync: o.sync, Logger: log})
		if err != nil {
			log.Error("cannot open the history; not starting", "data", o.dataDir, "err", err,
				"help", "fix or move the folder, restore a backup (-restore), or run with -no-history")
			return 1
		}
		defer db.Close()
		if db.ReadOnly() {
			log.Error("the history folder cannot be written: serving its history read-only and refusing new messages",
				"data", o.dataDir)
		}
		log.Info("history", "db", db.Path(), "sync", o.syncStr, "retain", o.retainStr, "retain_messages", o.retainN)
		cfg.Store = db
	} else if o.noHistory {
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
