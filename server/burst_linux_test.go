package server

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A burst of broadcasts reaches each idle peer as one write carrying all
// its frames (the deferred flush), one message per frame, in order,
// however long the burst takes to arrive; and a lone message still goes
// out at once.
//
// The writes are counted with the process's own write system calls
// (syscw in /proc/self/io): nothing else in this test writes, apart from
// the odd wake-up of the runtime's poller, which the slack allows for.
func TestBurstOneWritePerPeer(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	s := New(Config{Rate: -1, MaxConns: -1, MaxConnsPerIP: -1})
	defer release(s)
	const peers, burst = 32, 8
	ps := make([]*peer, peers)
	readers := make([]*bufio.Reader, peers)
	for i := range ps {
		p, cli := tcpPeer(t, s)
		ps[i], readers[i] = p, bufio.NewReader(cli)
		cli.SetReadDeadline(time.Now().Add(20 * time.Second))
	}
	drain(t, s)

	// A lone message goes out without waiting for anything else.
	s.mu.Lock()
	s.broadcastLocked(nil, textFrame("lone"))
	s.mu.Unlock()
	readBurst(t, readers, "lone", 1)

	w0 := syscw(t)
	s.mu.Lock()
	s.broadcastLocked(nil, textFrame("B0"))
	// The rest of the burst comes in while the first message could
	// already be written: give a flush that does not wait for the lock
	// (as an eager one would) the time to write it.
	deadline := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(deadline) {
		if _, b := ps[0].queued(); b == 0 {
			break
		}
		runtime.Gosched()
	}
	for i := 1; i < burst; i++ {
		s.broadcastLocked(nil, textFrame("B"+strconv.Itoa(i)))
	}
	s.mu.Unlock()
	readBurst(t, readers, "B", burst)
	writes := syscw(t) - w0
	if writes > peers+peers/4 {
		t.Errorf("a burst of %d messages to %d idle peers took %d writes, want one per peer", burst, peers, writes)
	}
	drain(t, s)
}

// readBurst reads n frames from every reader (readInOrder) and checks
// that they are prefix+"0", prefix+"1", … (just prefix when n is 1).
func readBurst(t *testing.T, readers []*bufio.Reader, prefix string, n int) {
	t.Helper()
	readInOrder(t, readers, prefix, n, func(i int) string {
		if n == 1 {
			return prefix
		}
		return prefix + strconv.Itoa(i)
	})
}

// syscw returns how many write system calls this process has made.
func syscw(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatalf("no write count for this process: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("syscw %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}
