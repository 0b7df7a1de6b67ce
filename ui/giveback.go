package ui

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// gcPercent is the Go collector's target (GOGC) for the window, unless the
// user set GOGC. Under a flood most of the Go heap's growth is garbage:
// Fyne's two images per new line of text, dropped once uploaded
// (docs/FYNE-UPSTREAM.md, 3). At 50 the heap grows to 1.5 times its live
// size rather than twice between collections; the live heap is small, so
// the extra collections cost no CPU that could be measured, and the peak
// fell (docs/PERFORMANCE.md#what-changed-and-why).
const gcPercent = 50

// tuneMemory sets the process-wide allocator settings the window wants:
// the Go collector's target and glibc's mmap threshold (mallocTune). It
// is called once, by New.
func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	mallocTune()
}

// quietAfter is how long the chat must be quiet before the window gives
// memory back (see giveBack). Fyne frees a line's text texture once it
// has gone undrawn for its cache duration (ui/drawcache: 15 s), so by
// then every line that scrolled past during a flood can go.
const quietAfter = 20 * time.Second

// trimDelay separates giveBack's frame from the trim: a few frames at
// 60 Hz, so that Fyne has drawn and freed before the allocators are
// asked for their free pages.
const trimDelay = time.Second

// giveBack runs on the UI goroutine once the chat has been quiet for
// quietAfter after some activity. Most of what a flood leaves behind is
// not live any more but is not returned to the system either:
//   - the textures of lines drawn during the flood: Fyne frees expired
//     ones only while it draws a frame, and a window in the background,
//     whose cursor does not blink, draws none, so one frame is asked for;
//   - Mesa's copies of those textures, freed to glibc's malloc, which
//     gives memory back only from the top of its heap: malloc_trim;
//   - Go's heap, which grew with the flood's garbage and which the
//     runtime returns to the system only slowly: debug.FreeOSMemory.
func (u *UI) giveBack() {
	if u.closed {
		return
	}
	u.win.Canvas().Refresh(u.status)
	time.AfterFunc(trimDelay, u.trim)
}

// trim returns the free memory of Go's heap and of the C allocator to
// the system and logs the effect at debug level. It runs off the UI
// goroutine: a full collection and a walk of the C heap take some
// milliseconds, and both are safe from any goroutine.
func (u *UI) trim() {
	before := readMemory()
	start := time.Now()
	debug.FreeOSMemory()
	mallocTrim()
	took := time.Since(start)
	after := readMemory()
	u.logger.Debug("memory", "trim", took.Round(time.Microsecond),
		"rss_mib", after.rss>>20, "rss_before_mib", before.rss>>20,
		"go_heap_mib", after.goHeap>>20, "go_held_mib", after.goHeld>>20, "go_held_before_mib", before.goHeld>>20,
		"c_used_mib", after.cUsed>>20, "c_held_mib", after.cHeld>>20, "c_held_before_mib", before.cHeld>>20)
}

// memory is where the process's memory is, in bytes.
type memory struct {
	rss    uint64 // resident set size (0 where /proc is missing)
	goHeap uint64 // Go heap in live and not yet swept objects
	goHeld uint64 // all of Go's memory not returned to the system
	// cHeld is what glibc's allocator has taken from the system (its
	// arenas' extent and the blocks mapped alone); malloc_trim returns
	// free pages inside the arenas without shrinking their extent, so
	// RSS tells what the trim gave back. cUsed is the part in use.
	cHeld, cUsed uint64
	gcs          uint32 // Go collections so far
}

func readMemory() memory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{goHeap: ms.HeapAlloc, goHeld: ms.Sys - ms.HeapReleased, gcs: ms.NumGC}
	m.cHeld, m.cUsed = mallocInfo()
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			m.rss = pages * uint64(os.Getpagesize())
		}
	}
	return m
}
