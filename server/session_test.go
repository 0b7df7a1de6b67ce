package server

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"parley/net/wire"
)

// A session remembers exactly its last recentCIDs sends.
func TestSessionRecentCIDs(t *testing.T) {
	var ss session
	for i := range recentCIDs + 10 {
		ss.remember(fmt.Sprint("c", i), uint64(100+i))
	}
	for i := range recentCIDs + 10 {
		id, ok := ss.seen(fmt.Sprint("c", i))
		switch {
		case i < 10 && ok:
			t.Errorf("c%d is still remembered, %d sends later", i, recentCIDs+10-i)
		case i >= 10 && (!ok || id != uint64(100+i)):
			t.Errorf("c%d: seen = %d, %v; want %d", i, id, ok, 100+i)
		}
	}
	if _, ok := ss.seen("never"); ok {
		t.Error("a cid never sent is seen")
	}
}

// The most memory one session can hold, once it sent the longest cids
// recentCIDs times: with maxSessions detached sessions and every
// connection's own, this is what the cid memory costs at worst.
func TestSessionMemory(t *testing.T) {
	const n = 256
	cid := strings.Repeat("c", wire.MaxClientID-4)
	// The heap is shared with whatever else the test binary still runs
	// (servers of earlier tests winding down), so one reading can be off
	// either way: take the smallest of a few.
	best := int64(-1)
	for range 5 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sessions := make([]*session, n)
		for i := range sessions {
			ss := &session{token: newToken()}
			for j := range recentCIDs + 1 {
				ss.remember(fmt.Sprintf("%s%04d", cid, j), uint64(j))
			}
			sessions[i] = ss
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(sessions)
		per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
		if per > 0 && (best < 0 || per < best) {
			best = per
		}
	}
	if best < 0 {
		t.Fatal("the heap shrank in every reading: no measurement")
	}
	t.Logf("a full session holds %d bytes; %d detached sessions, %d MiB", best, maxSessions, best*maxSessions>>20)
	if best > 6<<10 {
		t.Errorf("a full session holds %d bytes, budget 6 KiB", best)
	}
}
