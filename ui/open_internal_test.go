package ui

import (
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// rememberingApp returns a test app that remembers the server addr and
// the nickname nick, so that a window opens without the connect dialog.
func rememberingApp(t *testing.T, addr, nick string) fyne.App {
	t.Helper()
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefAddr, addr)
	a.Preferences().SetString(prefNick, nick)
	return a
}

// clockedUI opens a window whose timers run on a clock the test moves by
// hand. What the window hands to fyne.Do is dropped: the fake timers call
// back directly, so these tests never need it run.
func clockedUI(t *testing.T) (*UI, *fakeTimers) {
	t.Helper()
	u := newUI(rememberingApp(t, "x:1", "me"), Options{}, func(func()) {})
	t.Cleanup(u.Close)
	c := &fakeTimers{t: time.Unix(1000, 0)}
	u.after, u.now = c.after, c.now
	return u, c
}

// doQueue stands in for fyne.Do: the window's goroutines queue work on it
// and the test runs it on its own goroutine, as Fyne's main loop would.
type doQueue struct {
	mu     sync.Mutex
	queued []func() // guarded by mu
}

// do queues f; safe from any goroutine.
func (d *doQueue) do(f func()) {
	d.mu.Lock()
	d.queued = append(d.queued, f)
	d.mu.Unlock()
}

// run runs what is queued, in order, and says how many it ran.
func (d *doQueue) run() int {
	d.mu.Lock()
	q := d.queued
	d.queued = nil
	d.mu.Unlock()
	for _, f := range q {
		f()
	}
	return len(q)
}

// clockedList returns a message list of 500×300 whose timers run on a
// clock the test moves by hand, holding at most max entries, with n chat
// lines appended and flushed.
func clockedList(t *testing.T, max, n int) (*messageList, *fakeTimers) {
	t.Helper()
	m, _ := newTestList(t, max, fyne.NewSize(500, 300))
	c := &fakeTimers{t: time.Unix(1000, 0)}
	m.now, m.after = c.now, c.after
	for i := 0; i < n; i++ {
		m.append(chat(i))
	}
	m.flush()
	return m, c
}
