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

// runGUI opens the chat window and returns when it closes. A signal ends
// it as the Quit menu item does: the chat is left and hosting stopped
// cleanly, on the main goroutine, once the window's loop has ended.
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
	opts.Keyring = ui.SystemKeyring()
	if !o.NoDiscovery {
		opts.Announce = func(port int, room, fp string, pw bool, people func() int) (func(), error) {
			a, err := discovery.Announce(context.Background(), discovery.AnnounceConfig{
				Port: port, Info: discovery.Info{Room: room, Version: wire.Version, Fingerprint: fp, Password: pw},
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
	// Fyne's driver ends its loop on SIGINT and SIGTERM by itself, with
	// fyne.Do(driver.Quit), but only once ShowAndRun has started; ctx
	// ends it the same way, for a signal that comes earlier. Only the
	// driver's Quit, not the app's: app.Quit closes the windows, which
	// Fyne allows on the main goroutine only, and once the loop has ended
	// (Fyne's own handler may win the race) fyne.Do runs its function on
	// the calling goroutine. app.Quit there logged "Error in Fyne call
	// thread" and could panic in GLFW during shutdown.
	stop := context.AfterFunc(ctx, func() {
		o.Logger.Info("signal: closing the window")
		u.End()
		fyne.Do(a.Driver().Quit)
	})
	defer stop()
	u.ShowAndRun()
	// Leave the chat and stop hosting here, on the main goroutine, however
	// the loop ended (after the Quit menu item, Close does nothing).
	u.Close()
	return 0
}
