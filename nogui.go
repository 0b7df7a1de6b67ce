//go:build nogui

package main

import (
	"context"
	"fmt"
	"io"
)

// hasGUI tells -version whether this build has the window.
const hasGUI = false

// runGUI explains that this build is the server alone: it was built with
// the nogui tag, for machines without a display or graphics libraries.
func runGUI(_ context.Context, _ guiOptions, stderr io.Writer) int {
	fmt.Fprintln(stderr, "parley: this build has no GUI: it is the server alone (built with -tags nogui).")
	fmt.Fprintln(stderr, "Run it as:  parley -server [-addr :2000]   (see parley -h)")
	return 2
}
