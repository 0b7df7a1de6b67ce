package ui

import (
	"testing"
	"time"
)

// TestScrollingCountsAsActivity: reading back through history draws
// lines the window has not drawn lately, as a flood does, so memory is
// given back after the user stops scrolling, not while they scroll.
func TestScrollingCountsAsActivity(t *testing.T) {
	u, c := clockedUI(t)
	runs := 0
	u.relax = &quiet{wait: quietAfter, now: c.now, after: c.after, run: func() { runs++ }}
	for i := 0; i < 500; i++ {
		u.msgs.append(chat(i))
	}
	u.msgs.flush()
	c.advance(time.Minute)
	runs = 0

	// Scroll up a page a second for 30 s.
	for i := 0; i < 30; i++ {
		u.msgs.list.ScrollToOffset(u.msgs.list.GetScrollOffset() - u.msgs.list.Size().Height)
		c.advance(time.Second)
	}
	if runs != 0 {
		t.Fatalf("gave memory back %d times while the user scrolled", runs)
	}
	c.advance(quietAfter)
	if runs != 1 {
		t.Fatalf("gave memory back %d times once the scrolling stopped, want once", runs)
	}
	c.advance(time.Minute)
	if runs != 1 {
		t.Fatalf("gave memory back %d times, want once", runs)
	}
}
