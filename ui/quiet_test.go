package ui

import (
	"testing"
	"time"
)

// fakeTimers is a clock the test moves by hand, with the timers quiet
// schedules on it.
type fakeTimers struct {
	t      time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func (c *fakeTimers) now() time.Time { return c.t }

func (c *fakeTimers) after(d time.Duration, f func()) {
	c.timers = append(c.timers, fakeTimer{c.t.Add(d), f})
}

// advance moves the clock by d, firing the timers that fall due in order.
func (c *fakeTimers) advance(d time.Duration) {
	end := c.t.Add(d)
	for {
		next := -1
		for i, tm := range c.timers {
			if !tm.at.After(end) && (next < 0 || tm.at.Before(c.timers[next].at)) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		tm := c.timers[next]
		c.timers = append(c.timers[:next], c.timers[next+1:]...)
		if tm.at.After(c.t) {
			c.t = tm.at
		}
		tm.f()
	}
	c.t = end
}

// TestQuietFiresOnceAfterActivity: a flood (activity every millisecond
// for 30 s) never triggers the function; once it stops, the function runs
// once, wait later, and not again while nothing happens; new activity
// arms it again. Throughout, at most one timer is pending.
func TestQuietFiresOnceAfterActivity(t *testing.T) {
	c := &fakeTimers{t: time.Unix(1000, 0)}
	var runs []time.Time
	q := &quiet{wait: 20 * time.Second, now: c.now, after: c.after, run: func() { runs = append(runs, c.t) }}

	start := c.t
	for i := 0; i < 30000; i++ {
		q.touch()
		if len(c.timers) > 1 {
			t.Fatalf("%d timers pending after %d touches: one is enough", len(c.timers), i+1)
		}
		c.advance(time.Millisecond)
	}
	if len(runs) != 0 {
		t.Fatalf("ran %d times during the flood (first at +%v)", len(runs), runs[0].Sub(start))
	}
	end := c.t.Add(-time.Millisecond) // the last touch
	c.advance(19 * time.Second)
	if len(runs) != 0 {
		t.Fatalf("ran %v after the last activity, before the quiet period of 20 s", runs[0].Sub(end))
	}
	c.advance(2 * time.Second)
	if len(runs) != 1 {
		t.Fatalf("ran %d times in the 21 s after the flood, want once", len(runs))
	}
	if got := runs[0].Sub(end); got != 20*time.Second {
		t.Errorf("ran %v after the last activity, want 20s", got)
	}
	c.advance(10 * time.Minute)
	if len(runs) != 1 || len(c.timers) != 0 {
		t.Fatalf("after 10 quiet minutes: %d runs (want 1), %d timers pending (want 0)", len(runs), len(c.timers))
	}

	q.touch()
	c.advance(20 * time.Second)
	if len(runs) != 2 {
		t.Fatalf("one message after the quiet: %d runs, want 2", len(runs))
	}
}
