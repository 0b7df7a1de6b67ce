// Command schedgaps reads a Go execution trace of a server pinned to one
// core and says where the core's time went: a goroutine running, a
// goroutine in some other system call, or only goroutines in a system
// call whose stack names -call, split by whether others were runnable
// meanwhile (they wait for the processor that call holds) or not.
//
//	curl -o /tmp/full.trace 'http://127.0.0.1:6060/debug/pprof/trace?seconds=1'
//	go run ./tools/schedgaps -call store.datasync /tmp/full.trace
//
// It is its own module (golang.org/x/exp/trace) so that Parley's go.mod
// does not carry it. docs/PERFORMANCE.md ("The sync no longer holds the
// processor") has what it found.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	call := flag.String("call", "store.datasync", "a function name in the stacks of the system calls to single out")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: schedgaps [-call NAME] TRACE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *call); err != nil {
		fmt.Fprintln(os.Stderr, "schedgaps:", err)
		os.Exit(1)
	}
}

func run(file, call string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return err
	}
	state := map[trace.GoID]trace.GoState{}
	count := map[trace.GoState]int{}
	inCall := map[trace.GoID]trace.Time{} // goroutines in the singled-out call, since when
	var first, last trace.Time
	var running, otherCalls, callRunnable, callAlone, idle, callTime time.Duration
	calls := 0
	for {
		ev, err := r.ReadEvent()
		if err != nil {
			break // io.EOF, or a trace cut short: report what was read
		}
		t := ev.Time()
		if first == 0 {
			first, last = t, t
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		// The time since the last transition goes to the state the
		// goroutines were in during it.
		dt := t.Sub(last)
		last = t
		switch c := len(inCall); {
		case count[trace.GoRunning] > 0:
			running += dt
		case count[trace.GoSyscall] > c:
			otherCalls += dt
		case c > 0 && count[trace.GoRunnable] > 0:
			callRunnable += dt
		case c > 0:
			callAlone += dt
		default:
			idle += dt
		}
		g := st.Resource.Goroutine()
		_, to := st.Goroutine()
		if old, ok := state[g]; ok {
			count[old]--
		}
		state[g] = to
		count[to]++
		if since, ok := inCall[g]; ok {
			callTime += t.Sub(since)
			calls++
			delete(inCall, g)
		}
		if to == trace.GoSyscall && stackHas(st.Stack, call) {
			inCall[g] = t
		}
	}
	total := last.Sub(first)
	if total <= 0 {
		return fmt.Errorf("%s: no goroutine transitions", file)
	}
	line := func(what string, d time.Duration) {
		fmt.Printf("%-44s %12v %5.1f%%\n", what, d.Round(time.Microsecond), 100*float64(d)/float64(total))
	}
	fmt.Printf("trace of %v\n", total.Round(time.Millisecond))
	line("a goroutine running", running)
	line("in other system calls", otherCalls)
	line("only in "+call+", others runnable", callRunnable)
	line("only in "+call+", none runnable", callAlone)
	line("idle", idle)
	if calls > 0 {
		fmt.Printf("%d system calls under %s, %v each on average\n", calls, call, (callTime / time.Duration(calls)).Round(time.Microsecond))
	}
	return nil
}

func stackHas(s trace.Stack, name string) bool {
	for fr := range s.Frames() {
		if strings.Contains(fr.Func, name) {
			return true
		}
	}
	return false
}
