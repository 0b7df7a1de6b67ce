package ui

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// batchRig drives a batcher by hand: a fake clock, timers that fire when
// the test says, and a UI goroutine that is the test's.
type batchRig struct {
	b       *batcher[int]
	clock   time.Time
	ui      []func()    // handed to do, not yet run
	timers  []batchTime // set with after, not yet fired
	batches [][]int     // what apply was given, in order
	loads   []batchLoad // what report was given
}

type batchTime struct {
	at time.Time
	f  func()
}

func newBatchRig() *batchRig {
	r := &batchRig{clock: time.Unix(1_000_000, 0)}
	r.b = newBatcher(func(f func()) { r.ui = append(r.ui, f) },
		func(batch []int) bool {
			r.batches = append(r.batches, slices.Clone(batch))
			r.clock = r.clock.Add(time.Millisecond) // the widget work
			return true
		},
		func(l batchLoad) { r.loads = append(r.loads, l) })
	r.b.now = func() time.Time { return r.clock }
	r.b.after = func(d time.Duration, f func()) { r.timers = append(r.timers, batchTime{r.clock.Add(d), f}) }
	return r
}

// addN adds the next n values, counting on from the last one added.
func (r *batchRig) addN(next *int, n int) {
	for range n {
		*next++
		r.b.add(*next)
	}
}

// runUI runs what was handed to the UI goroutine.
func (r *batchRig) runUI() {
	for len(r.ui) > 0 {
		f := r.ui[0]
		r.ui = r.ui[1:]
		f()
	}
}

// advance moves the clock on by d, firing the timers due by then in
// order, and running the UI work they hand over.
func (r *batchRig) advance(d time.Duration) {
	end := r.clock.Add(d)
	for {
		slices.SortStableFunc(r.timers, func(a, b batchTime) int { return a.at.Compare(b.at) })
		if len(r.timers) == 0 || r.timers[0].at.After(end) {
			break
		}
		t := r.timers[0]
		r.timers = r.timers[1:]
		if t.at.After(r.clock) {
			r.clock = t.at
		}
		t.f()
		r.runUI()
	}
	r.clock = end
}

func (r *batchRig) sizes() []int {
	var n []int
	for _, b := range r.batches {
		n = append(n, len(b))
	}
	return n
}

// TestBatcher: values come out in order, in as few batches as the frame
// allows, never more than one per frame (floodFrame once a flood is
// seen), and never more than maxBatch at once.
func TestBatcher(t *testing.T) {
	tests := []struct {
		name string
		run  func(r *batchRig, next *int)
		want []int // batch sizes
	}{
		{"a burst is one batch", func(r *batchRig, next *int) {
			r.addN(next, 10)
			r.runUI()
		}, []int{10}},
		{"within a frame of the last batch, the next waits for the frame", func(r *batchRig, next *int) {
			r.addN(next, 1)
			r.runUI()
			r.advance(5 * time.Millisecond)
			r.addN(next, 3)
			if len(r.ui) != 0 {
				t.Errorf("a flush was handed over %v after the last one", 6*time.Millisecond)
			}
			r.advance(frame - 7*time.Millisecond) // not yet a frame since the last flush began
			if len(r.batches) != 1 {
				t.Errorf("a second batch before a frame had passed")
			}
			r.advance(time.Millisecond)
		}, []int{1, 3}},
		{"a frame after the last batch, the next is at once", func(r *batchRig, next *int) {
			r.addN(next, 1)
			r.runUI()
			r.advance(frame)
			r.addN(next, 2)
			r.runUI()
		}, []int{1, 2}},
		{"a flood slows to floodFrame, then back", func(r *batchRig, next *int) {
			r.addN(next, floodBatch+1)
			r.runUI()
			r.advance(frame)
			r.addN(next, 1)
			r.runUI()
			if len(r.batches) != 1 {
				t.Errorf("a batch %v after a flood's", frame)
			}
			r.advance(floodFrame - frame)
			r.advance(frame)
			r.addN(next, 1)
			r.runUI()
		}, []int{floodBatch + 1, 1, 1}},
		{"far behind, bites of maxBatch", func(r *batchRig, next *int) {
			r.addN(next, 2*maxBatch+5)
			r.runUI()
			r.advance(3 * floodFrame)
		}, []int{maxBatch, maxBatch, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBatchRig()
			next := 0
			tt.run(r, &next)
			if got := r.sizes(); !slices.Equal(got, tt.want) {
				t.Fatalf("batches of %v, want %v", got, tt.want)
			}
			var all []int
			for _, b := range r.batches {
				all = append(all, b...)
			}
			for i, v := range all {
				if v != i+1 {
					t.Fatalf("value %d is %d: out of order or lost", i+1, v)
				}
			}
		})
	}
}

// TestBatcherLoad: the load is reported loadEvery after the first batch of
// a period, with the flushes, the values, the longest apply and the
// longest delay of a flush past when it was due.
func TestBatcherLoad(t *testing.T) {
	r := newBatchRig()
	next := 0
	r.addN(&next, 3)
	r.clock = r.clock.Add(40 * time.Millisecond) // the UI goroutine was busy
	r.runUI()
	first := r.clock // when the first batch was measured
	r.advance(time.Second)
	r.addN(&next, 2)
	r.runUI()
	r.advance(first.Add(loadEvery).Sub(r.clock) - time.Millisecond)
	if len(r.loads) != 0 {
		t.Fatalf("load reported before %v: %+v", loadEvery, r.loads)
	}
	r.advance(time.Millisecond)
	want := batchLoad{flushes: 2, values: 5, maxWork: time.Millisecond, maxDelay: 40 * time.Millisecond}
	if len(r.loads) != 1 || r.loads[0] != want {
		t.Fatalf("loads %+v, want one of %+v", r.loads, want)
	}
	// The next period starts afresh with the next batch.
	r.addN(&next, 1)
	r.runUI()
	r.advance(loadEvery)
	if want := (batchLoad{flushes: 1, values: 1, maxWork: time.Millisecond}); len(r.loads) != 2 || r.loads[1] != want {
		t.Fatalf("loads %+v, want a second of %+v", r.loads, want)
	}
}

// TestBatcherDropped: a batch apply does not want (the user left the
// chat) is not measured, and nothing is reported for it.
func TestBatcherDropped(t *testing.T) {
	r := newBatchRig()
	r.b.apply = func([]int) bool { return false }
	next := 0
	r.addN(&next, 3)
	r.runUI()
	r.advance(2 * loadEvery)
	if len(r.loads) != 0 || len(r.timers) != 0 {
		t.Fatalf("dropped batches reported %+v, timers left %d", r.loads, len(r.timers))
	}
}

// TestBatcherConcurrent adds values from another goroutine while this one
// takes the batches, on the real clock and timers, as a session does:
// every value arrives once, in order (run it with -race).
func TestBatcherConcurrent(t *testing.T) {
	const n = 5000
	uiq := make(chan func(), 16)
	var got []int
	batches := 0
	b := newBatcher(func(f func()) { uiq <- f },
		func(batch []int) bool {
			got = append(got, batch...)
			batches++
			return true
		},
		func(batchLoad) {})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			b.add(i)
		}
	}()
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case f := <-uiq:
			f()
		case <-deadline:
			t.Fatalf("only %d of %d values after 20 s", len(got), n)
		}
	}
	wg.Wait()
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("value %d is %d: out of order or lost", i+1, v)
		}
	}
	if len(got) != n {
		t.Fatalf("%d values, want %d", len(got), n)
	}
	t.Logf("%d values in %d batches", n, batches)
}
