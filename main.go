// Parley is a group chat for a local network: a desktop app that joins a
// chat or hosts one in-process, and the same binary run headless as the
// chat server (parley -server).
//
// This file only parses the command line, sets up logging and signals,
// and hands over to the server (headless.go) or to the window (gui.go;
// the nogui build has none). The flags and their checks are in flags.go.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/BurntSushi/toml"
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
	o, status, ok := parseFlags(args, info.Details.Version, stderr)
	if !ok {
		return status
	}
	if o.version {
		gui := ""
		if !hasGUI {
			gui = ", server only (no GUI)"
		}
		fmt.Fprintf(stdout, "parley %s (build %d), %s %s/%s%s\n", info.Details.Version, info.Details.Build,
			runtime.Version(), runtime.GOOS, runtime.GOARCH, gui)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !o.headless {
		return runGUI(ctx, o.gui(info, log), stderr)
	}
	return runServer(ctx, o, info, log, stdout, stderr)
}
