package netnstest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"parley/net/discovery"
	"parley/net/wire"
	"parley/server"
)

// Host is the hosting part of a namespace test, run as a role (Main): it
// serves a room named by PARLEY_ROOM on every address of the namespace,
// announces it with its people count, prints "HOSTING port" and waits
// until stdin closes; then it ends the announcement, prints "CLOSED", and
// ends the chat (bye ended). inside, if set, runs once the server
// listens, with its port, before the announcement; the func it returns
// runs before the chat ends. log (nil: none) is the announcer's. Host
// returns the role's exit code.
func Host(log *slog.Logger, inside func(port int) (func(), error)) int {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := server.New(server.Config{Room: os.Getenv("PARLEY_ROOM")})
	go srv.Serve(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := func() {}
	if inside != nil {
		if done, err = inside(port); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	a, err := discovery.Announce(ctx, discovery.AnnounceConfig{
		Port:        port,
		Info:        discovery.Info{Room: srv.Room(), Version: wire.Version, People: srv.People()},
		People:      srv.People,
		MinInterval: time.Second,
		Logger:      log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("HOSTING %d\n", port)
	WaitStdin(ctx)
	if err := a.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("CLOSED")
	done()
	srv.Shutdown(ctx, wire.ByeEnded, "bye")
	return 0
}
