package discovery

import (
	"testing"
	"time"
)

// TestLimiterCoalesces: a count that changes on every poll (people
// joining and leaving fast) is announced at most once per interval, the
// first time not before the responder settled, and the last count is
// announced in the end: nothing floods the network, nothing is lost.
func TestLimiterCoalesces(t *testing.T) {
	start := time.Unix(1000, 0)
	const interval = 3 * time.Second
	l := newLimiter(interval, start, 0)
	var sent []time.Time
	var last int
	now := start
	for i := 1; i <= 100; i++ { // 50 s of polls, a new count at each
		now = now.Add(pollEvery)
		if n, ok := l.next(now, i); ok {
			sent = append(sent, now)
			last = n
		}
	}
	final := 100
	for i := 0; i < 10; i++ { // the count stops changing
		now = now.Add(pollEvery)
		if n, ok := l.next(now, final); ok {
			sent = append(sent, now)
			last = n
		}
	}
	if len(sent) == 0 || sent[0].Sub(start) < settle {
		t.Fatalf("first update at %v after the start, want at least %v", sent[0].Sub(start), settle)
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < interval {
			t.Fatalf("updates %d and %d only %v apart, want at least %v", i-1, i, gap, interval)
		}
	}
	if max := int(now.Sub(start)/interval) + 1; len(sent) > max {
		t.Fatalf("%d updates in %v, want at most %d", len(sent), now.Sub(start), max)
	}
	if last != final {
		t.Fatalf("last count announced %d, want %d", last, final)
	}
	// No change, no update.
	if _, ok := l.next(now.Add(time.Minute), final); ok {
		t.Fatal("an update without a change")
	}
}
