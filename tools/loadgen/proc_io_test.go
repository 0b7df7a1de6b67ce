package main

import (
	"os"
	"testing"
	"time"
)

func TestParseSyscw(t *testing.T) {
	for _, c := range []struct {
		io   string
		want uint64
	}{
		{"rchar: 6976\nwchar: 10\nsyscr: 10\nsyscw: 4321\nread_bytes: 0\n", 4321},
		{"rchar: 1\n", 0},
		{"syscw:\n", 0},
	} {
		if got := parseSyscw([]byte(c.io)); got != c.want {
			t.Errorf("parseSyscw(%q) = %d, want %d", c.io, got, c.want)
		}
	}
}

// The server's CPU time comes from its threads' schedstat, to the
// nanosecond: it must be there and move while this process works.
func TestThreadsCPU(t *testing.T) {
	before, ok := threadsCPU(os.Getpid())
	if !ok {
		t.Fatal("no schedstat for this process's threads")
	}
	deadline := time.Now().Add(5 * time.Second)
	x := 0
	for time.Now().Before(deadline) {
		for i := range 100000 {
			x += i
		}
		if now, _ := threadsCPU(os.Getpid()); now > before {
			return
		}
	}
	t.Fatalf("threads' CPU time did not move in 5 s of work (%d)", x)
}
