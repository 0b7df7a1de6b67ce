// Package drawcache sets how long Fyne keeps what it drew for objects that
// are no longer on screen: the texture of every distinct line of text,
// and the renderers of hidden widgets. Fyne's default is a minute, read
// from FYNE_CACHE once, when its own cache package is initialised.
//
// A chat window draws a stream of new lines. Under a flood of 1,000
// messages a second, a minute of text textures (drawn in software, they
// live in the process's memory) is most of the window's memory, and 15 s
// of them far less (measured in docs/PERFORMANCE.md#gui-under-load).
// Fyne walks an idle window's widgets every FYNE_CACHE − 10 s to keep
// their renderers alive, and on every frame when FYNE_CACHE is under
// 10 s, so 15 s is about as low as it should go.
//
// Importing this package for its side effect sets FYNE_CACHE before Fyne
// reads it, unless the user set it. Go initialises the first package, in
// import-path order, whose imports are all initialised; this one imports
// only syscall, so it is ready long before Fyne's cache package, which
// needs much of the standard library first. TestDrawCacheFirst in package
// ui checks the order in a real test binary.
package drawcache

import "syscall"

// Duration is the value given to FYNE_CACHE when it is not set.
const Duration = "15s"

func init() {
	if _, ok := syscall.Getenv("FYNE_CACHE"); !ok {
		syscall.Setenv("FYNE_CACHE", Duration)
	}
}
