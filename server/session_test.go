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
	per := (after.HeapAlloc - before.HeapAlloc) / n
	t.Logf("a full session holds %d bytes; %d detached sessions, %d MiB", per, maxSessions, per*maxSessions>>20)
	if per > 6<<10 {
		t.Errorf("a full session holds %d bytes, budget 6 KiB", per)
	}
	runtime.KeepAlive(sessions)
}
