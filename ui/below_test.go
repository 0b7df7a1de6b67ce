package ui

import (
	"fmt"
	"testing"
	"time"
)

// TestListBelowViewIsDeferred: while the user reads older lines, a flood
// of new ones (below the view) refreshes the list at most every
// belowEvery, the last batch is shown even when nothing follows it, the
// view does not move, and at the bottom every flush still shows the new
// lines at once.
func TestListBelowViewIsDeferred(t *testing.T) {
	m, c := clockedList(t, 100000, 100)
	m.list.ScrollToOffset(40)
	m.append(chat(100))
	m.flush()
	if m.jump.Text != "1 new message" {
		t.Fatalf("jump %q after the first message below the view, want it shown at once", m.jump.Text)
	}

	// 1,000 messages a second, flushed every 100 ms, for a second.
	refreshes, last := 0, m.jump.Text
	for i := 0; i < 10; i++ {
		for j := 0; j < 100; j++ {
			m.append(chat(101 + 100*i + j))
		}
		m.flush()
		if len(c.timers) > 1 {
			t.Fatalf("%d refreshes scheduled: one is enough", len(c.timers))
		}
		c.advance(100 * time.Millisecond)
		if m.jump.Text != last {
			refreshes++
			last = m.jump.Text
		}
		if got := m.list.GetScrollOffset(); got != 40 {
			t.Fatalf("offset %v during the flood, want the view to stay at 40", got)
		}
	}
	if limit := 3; refreshes > limit || refreshes == 0 { // 1 s / 500 ms, and the first
		t.Fatalf("%d refreshes in a second of flood below the view, want 1 to %d", refreshes, limit)
	}
	c.advance(belowEvery)
	if want := "1001 new messages"; m.jump.Text != want {
		t.Fatalf("jump %q once the flood stopped, want %q", m.jump.Text, want)
	}
	if m.list.Length() != 1101 {
		t.Fatalf("list length %d after the flood, want 1101", m.list.Length())
	}

	// At the bottom nothing waits.
	m.scrollToBottom()
	for i := 0; i < 3; i++ {
		n := 1101 + i
		m.append(chat(n))
		m.flush()
		rows := shownRows(m)
		if len(rows) == 0 || rows[len(rows)-1] != fmt.Sprintf("message %d", n) {
			t.Fatalf("at the bottom, message %d is not shown at once: %q", n, rows)
		}
	}
}
