package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"parley/net/discovery"
	"parley/net/hosting"
	"parley/net/wire"
	"parley/server"
)

// onListen returns the server's start-up hook for -server: it prints the
// addresses to share on stdout, logs what the connection checker finds
// (interfaces, the address to share, whether the port answers there,
// firewall advice), and with -announce announces the chat on the local
// network (stopped with a goodbye before the server shuts down).
func onListen(log *slog.Logger, announce, plainToo bool, stdout io.Writer) func(*server.Server, net.Addr) func() {
	return func(s *server.Server, addr net.Addr) func() {
		tcp, ok := addr.(*net.TCPAddr)
		if !ok {
			return nil
		}
		writeShare(stdout, shareInfo{Room: s.Room(), Addrs: shareAddrs(tcp), Local: tcp.IP.IsLoopback(),
			FP: s.Fingerprint(), Plain: plainToo})
		if !tcp.IP.IsLoopback() {
			go logCheck(log.With("part", "checker"), tcp.Port)
		}
		if !announce {
			return nil
		}
		if tcp.IP.IsLoopback() {
			log.Warn("not announcing: the server listens on loopback only, so nobody else could join", "addr", addr)
			return nil
		}
		a, err := discovery.Announce(context.Background(), discovery.AnnounceConfig{
			Port:   tcp.Port,
			Info:   discovery.Info{Room: s.Room(), Version: wire.Version, Fingerprint: fingerprint(s), Password: s.HasPassword()},
			People: s.People,
			Logger: log.With("part", "discovery"),
		})
		if err != nil {
			log.Warn("not announcing on the local network", "err", err)
			return nil
		}
		return func() {
			if err := a.Close(); err != nil {
				log.Warn("announcement", "err", err)
			}
		}
	}
}

// logCheck logs the connection checker's findings, one a line.
func logCheck(log *slog.Logger, port int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, line := range hosting.Check(ctx, port).Lines() {
		log.Info(line)
	}
}

// fingerprint is s's key as a join link carries it, "" if s is not
// encrypted: announced, it lets a join from the list check the key from
// the first connection.
func fingerprint(s *server.Server) string {
	if fp := s.Fingerprint(); !fp.IsZero() {
		return fp.String()
	}
	return ""
}
