package ui_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"parley/ui/drawcache"
)

// The drawing cache's duration must be in the environment before Fyne's
// cache package reads it at initialisation: run this test binary again
// with the runtime's init trace and compare the order.
func TestDrawCacheFirst(t *testing.T) {
	if os.Getenv("PARLEY_INITTRACE_CHILD") != "" {
		// Started below without FYNE_CACHE: drawcache set it.
		if got := os.Getenv("FYNE_CACHE"); got != drawcache.Duration {
			t.Fatalf("FYNE_CACHE = %q, want %q", got, drawcache.Duration)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDrawCacheFirst$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FYNE_CACHE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1", "PARLEY_INITTRACE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ours, fyne := -1, -1
	for i, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "init parley/ui/drawcache "):
			ours = i
		case strings.HasPrefix(line, "init fyne.io/fyne/v2/internal/cache "):
			fyne = i
		}
	}
	if ours < 0 || fyne < 0 {
		t.Fatalf("init trace without both packages (drawcache at %d, Fyne's cache at %d):\n%.2000s", ours, fyne, out)
	}
	if ours > fyne {
		t.Fatalf("Fyne's cache package is initialised (line %d) before drawcache (line %d): FYNE_CACHE comes too late", fyne, ours)
	}
}
