//go:build !nogui

package main

import (
	"context"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"parley/net/discovery"
	"parley/net/wire"
	"parley/ui"
)

// hasGUI tells -version whether this build has the window.
const hasGUI = true

// runGUI opens the chat window and returns when it closes. A signal closes
// it as the Quit menu item does: the chat is left and hosting stopped
// cleanly first.
func runGUI(ctx context.Context, o guiOptions, stderr io.Writer) int {
	a := app.NewWithID(o.ID)
	opts := ui.Options{
		Connect: o.Connect,
		Nick:    o.Nick,
		Host:    o.Host,
		Port:    o.Port,
		Local:   o.Local,
		Room:    o.Room,
		Logger:  o.Logger,
		Version: o.Version,

		MaxMessages: o.MaxMessages,
		NoHistory:   o.NoHistory,
	}
	if !o.NoDiscovery {
		opts.Announce = func(port int, room, fp string, people func() int) (func(), error) {
			a, err := discovery.Announce(context.Background(), discovery.AnnounceConfig{
				Port: port, Info: discovery.Info{Room: room, Version: wire.Version, Fingerprint: fp},
				People: people, Logger: o.Logger.With("part", "discovery"),
			})
			if err != nil {
				return nil, err
			}
			return func() { a.Close() }, nil
		}
		opts.Browse = func(ctx context.Context, onChange func([]discovery.Service)) error {
			return discovery.Browse(ctx, o.Logger.With("part", "browse"), onChange)
		}
	}
	u := ui.New(a, opts)
	stop := context.AfterFunc(ctx, func() {
		o.Logger.Info("signal: closing the window")
		fyne.Do(func() {
			u.Close()
			a.Quit()
		})
	})
	defer stop()
	u.ShowAndRun()
	// Fyne's driver also quits on SIGINT and SIGTERM, possibly before the
	// function above runs: leave the chat and stop hosting here too (Close
	// does nothing the second time).
	u.Close()
	return 0
}
