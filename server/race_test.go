//go:build race

package server_test

// raceEnabled reports whether the race detector is on: it makes goroutine
// stacks and timings much larger, so memory bounds are not checked then.
const raceEnabled = true
