package ui

import (
	"time"
)

// quiet runs a function once after each stretch of activity, when the
// activity has stopped for a while: the window gives memory back after a
// flood of messages, not during it (when it would only be taken again)
// and not over and over while nothing happens.
//
// All its methods run on one goroutine (the UI goroutine); after must
// call f on that goroutine too. It keeps at most one timer, re-armed only
// when it fires, so that touch costs a clock reading per call however
// many messages arrive.
type quiet struct {
	wait  time.Duration
	now   func() time.Time
	after func(d time.Duration, f func())
	run   func()

	last  time.Time // the last activity
	busy  bool      // activity since run last ran
	armed bool      // a check is scheduled
}

// touch records activity.
func (q *quiet) touch() {
	q.last = q.now()
	q.busy = true
	if !q.armed {
		q.armed = true
		q.after(q.wait, q.check)
	}
}

// check runs q.run if the window has been quiet for q.wait, or looks
// again when it will have been.
func (q *quiet) check() {
	q.armed = false
	if !q.busy {
		return
	}
	if left := q.wait - q.now().Sub(q.last); left > 0 {
		q.armed = true
		q.after(left, q.check)
		return
	}
	q.busy = false
	q.run()
}
