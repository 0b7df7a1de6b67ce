package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The output queued to all clients together stays within twice
// MaxQueuedBytes: once it is spent, clients holding more than their share
// (those that read nothing) are dropped, whatever each one's own queue
// bound would allow, and the clients who read, holding little, are not.
func TestSecQueuedOutputBound(t *testing.T) {
	const (
		budget  = 512 << 10
		stucks  = 6
		size    = 8 << 10
		total   = 400
		maxConn = stucks + 4
	)
	cfg := secConfig(t)
	cfg.Rate = -1
	cfg.QueueBytes = 4 << 20 // alone, each stuck client could hold 4 MiB
	cfg.MaxQueuedBytes = budget
	cfg.PingInterval, cfg.PongTimeout = time.Minute, 2*time.Minute
	// The budget goes to the clients that read nothing until it is spent;
	// the last of them to hold it is cut when its write times out.
	cfg.WriteTimeout = time.Second
	srv, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")
	w := newWitnesses(t, url)
	w.talk()
	for range stucks {
		mustRawOpts(t, addr, rawOpts{rcvbuf: 4 << 10}) // never reads
	}
	waitFor(t, "the stuck clients to join", func() bool { return srv.Stats().Plain == stucks+1 })
	sender := dialPeer(t, nil, url, "sender", false)

	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if q := int64(srv.Stats().QueuedBytes); q > peak.Load() {
				peak.Store(q)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	pad := strings.Repeat("q", size)
	echoes := 0
	for i := 0; i < total; i++ {
		if err := sender.write(websocket.TextMessage, fmt.Appendf(nil, "QUEUED %04d %s", i, pad)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		echo := fmt.Sprintf("sender: QUEUED %04d ", i)
		if echoes = sender.in.await(echoes, wait, func(r received) bool { return strings.HasPrefix(r.raw, echo) }); echoes < 0 {
			t.Fatalf("the sender's echo %d did not come", i)
		}
		echoes++
	}
	close(stop)
	wg.Wait()
	if limit := int64(2 * budget); peak.Load() > limit {
		t.Errorf("the server queued %d bytes at its peak, over twice the bound of %d", peak.Load(), budget)
	}
	if st := srv.Stats(); st.Evictions < stucks-1 {
		t.Errorf("%d clients dropped once the budget was spent, want all but one of the %d that read nothing: %+v", st.Evictions, stucks, st)
	}
	settle(t, srv, 3) // the witnesses and the sender
	w.checkTalk(t)
	w.checkAfter(t)
	t.Logf("%d messages of %d bytes to %d clients that read nothing: the queues peaked at %d bytes (bound %d)",
		total, size, stucks, peak.Load(), budget)
}
