package ui

import "testing"

// TestNothingRunsAfterEnd: once the window is told that Fyne's loop is
// ending, what its goroutines hand to fyne.Do is dropped. After the loop
// has stopped, fyne.Do runs a function on the calling goroutine, and a
// window update there calls GLFW off its thread after it was terminated.
func TestNothingRunsAfterEnd(t *testing.T) {
	var q doQueue
	u := newUI(rememberingApp(t, "x:1", "me"), Options{}, q.do)
	t.Cleanup(u.Close)
	q.run() // what opening the window queued

	ran := 0
	u.do(func() { ran++ })
	q.run()
	if ran != 1 {
		t.Fatalf("before End: ran %d times, want 1", ran)
	}

	u.do(func() { ran++ }) // queued before End, run after it: dropped too
	u.End()
	u.do(func() { ran++ })
	q.run()
	if ran != 1 {
		t.Fatalf("after End: %d more ran, want none", ran-1)
	}
}

// TestCloseEnds: Close, which quitting and a signal call, ends the window
// too, so that nothing the closing connection reports is shown.
func TestCloseEnds(t *testing.T) {
	var q doQueue
	u := newUI(rememberingApp(t, "x:1", "me"), Options{}, q.do)
	q.run()
	u.Close()
	ran := false
	u.do(func() { ran = true })
	q.run()
	if ran {
		t.Fatal("a function handed to fyne.Do after Close ran")
	}
}
