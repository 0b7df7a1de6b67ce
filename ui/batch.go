package ui

import (
	"sync"
	"time"
)

// frame is the shortest time between two batches: one display frame at
// 60 Hz. A burst of messages is drawn with one list refresh per frame,
// however many arrive in it.
const frame = 17 * time.Millisecond

// floodFrame replaces frame while values flood in (a batch of more than
// floodBatch): nobody reads 1,000 messages a second, and every list
// refresh repaints the window, which without a GPU costs the UI goroutine
// more than the messages do. Drawing at 10 Hz leaves it free to answer
// the user, and each frame of a flood shows new lines, each a new text
// texture that Fyne keeps for its cache duration. The rates were chosen
// by measuring the real window: docs/PERFORMANCE.md#what-changed-and-why.
const (
	floodFrame = 100 * time.Millisecond
	floodBatch = 16
)

// maxBatch bounds the values one batch holds (a few milliseconds of
// work), for when the window falls far behind, say after a stall.
const maxBatch = 2000

// loadEvery is how often a batcher reports its load while batches flow.
const loadEvery = 5 * time.Second

// batcher hands the values one goroutine produces to the UI goroutine in
// batches, at most one batch per frame (floodFrame during a flood), and
// measures how the UI goroutine keeps up. It is the seam between a
// connection's events and the widgets: add never touches the UI.
type batcher[T any] struct {
	// Set by newBatcher, then only read.
	do    func(func())                    // runs a function on the UI goroutine (fyne.Do)
	after func(d time.Duration, f func()) // runs f, on any goroutine, d from now
	now   func() time.Time
	// apply takes a batch on the UI goroutine and reports whether it was
	// used; a batch nobody wants (the user left the chat) is not measured.
	apply func(batch []T) bool
	// report is given the load of the last loadEvery on the UI goroutine.
	report func(batchLoad)

	mu        sync.Mutex    // guards the fields up to load
	queue     []T           // added, not yet in a batch
	scheduled bool          // a flush is scheduled, or queued on the UI goroutine
	last      time.Time     // when the last flush started
	due       time.Time     // when the scheduled flush should run
	interval  time.Duration // frame, or floodFrame during a flood

	load batchLoad // owned by the UI goroutine
}

// batchLoad is how the UI goroutine kept up with the batches over a few
// seconds: how many batches and values, the longest apply (the widget
// work of one batch), and the longest delay between when a flush was due
// and when it ran, which is what a user sees as a stall (it includes the
// frames Fyne draws meanwhile).
type batchLoad struct {
	flushes, values   int
	maxWork, maxDelay time.Duration
}

// newBatcher returns a batcher that runs flushes through do and hands
// each batch to apply.
func newBatcher[T any](do func(func()), apply func([]T) bool, report func(batchLoad)) *batcher[T] {
	return &batcher[T]{
		do:       do,
		after:    func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		now:      time.Now,
		apply:    apply,
		report:   report,
		interval: frame,
	}
}

// add queues v, and schedules a flush unless one is: now if the last
// flush is a frame ago, else when it will be. Any goroutine may call it.
func (b *batcher[T]) add(v T) {
	b.mu.Lock()
	b.queue = append(b.queue, v)
	schedule := !b.scheduled
	b.scheduled = true
	wait := max(b.interval-b.now().Sub(b.last), 0)
	if schedule {
		b.due = b.now().Add(wait)
	}
	b.mu.Unlock()
	if !schedule {
		return
	}
	if wait <= 0 {
		b.do(b.flush)
	} else {
		b.after(wait, func() { b.do(b.flush) })
	}
}

// flush hands the queued values to apply as one batch, on the UI
// goroutine. Far behind, it takes at most maxBatch and schedules the rest
// a frame later, so that no flush holds the UI goroutine for long.
func (b *batcher[T]) flush() {
	start := b.now()
	b.mu.Lock()
	batch := b.queue
	b.queue = nil
	if len(batch) > maxBatch {
		b.queue = append([]T(nil), batch[maxBatch:]...)
		batch = batch[:maxBatch]
	}
	b.last = start
	delay := start.Sub(b.due)
	b.interval = frame
	if len(batch) > floodBatch {
		b.interval = floodFrame
	}
	b.scheduled = len(b.queue) > 0
	if b.scheduled {
		b.due = start.Add(b.interval)
		b.after(b.interval, func() { b.do(b.flush) })
	}
	b.mu.Unlock()
	if b.apply(batch) {
		b.measure(start, delay, len(batch))
	}
}

// measure records one flush in the load. The first flush of a period
// schedules its report loadEvery later.
func (b *batcher[T]) measure(start time.Time, delay time.Duration, values int) {
	l := &b.load
	if l.flushes == 0 {
		b.after(loadEvery, func() { b.do(b.reportLoad) })
	}
	l.flushes++
	l.values += values
	l.maxWork = max(l.maxWork, b.now().Sub(start))
	l.maxDelay = max(l.maxDelay, delay)
}

// reportLoad reports and resets the load.
func (b *batcher[T]) reportLoad() {
	l := b.load
	b.load = batchLoad{}
	b.report(l)
}
