package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server"
)

// With the rate limit off, a sender that floods faster than the readers
// drain is slowed down; the readers, who keep reading, are not dropped,
// and nobody loses a message.
func TestOverloadSlowsSenders(t *testing.T) {
	const (
		total   = 2000
		readers = 4
	)
	srv, url := start(t, server.Config{Rate: -1, QueueBytes: 64 << 10, QueueFrames: 256})
	var rs []*client
	for range readers {
		rs = append(rs, plain(t, url))
	}
	sender := plain(t, url)
	sender.name = "sender"
	pad := strings.Repeat("o", 1000)

	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A steady reader, slower than the flood: it keeps reading.
			for n := 0; n < total; n++ {
				r.ws.SetReadDeadline(time.Now().Add(wait))
				_, data, err := r.ws.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("reader %d after %d messages: %v", i, n, err)
					return
				}
				if want := fmt.Sprintf("guest-%d: OVERLOAD %05d ", readers+1, n); !strings.HasPrefix(string(data), want) {
					errs <- fmt.Errorf("reader %d: message %d is %.40q, want %q…", i, n, data, want)
					return
				}
				if n%4 == 0 {
					time.Sleep(200 * time.Microsecond)
				}
			}
		}()
	}
	// The sender writes as fast as the server reads from it, and reads
	// its own echoes alongside, so that its queue is not the one that
	// fills.
	echoes := make(chan error, 1)
	go func() {
		for n := 0; n < total; n++ {
			sender.ws.SetReadDeadline(time.Now().Add(wait))
			if _, _, err := sender.ws.ReadMessage(); err != nil {
				echoes <- fmt.Errorf("sender's echo %d: %v", n, err)
				return
			}
		}
		echoes <- nil
	}()
	for n := 0; n < total; n++ {
		if err := sender.ws.WriteMessage(1, fmt.Appendf(nil, "OVERLOAD %05d %s", n, pad)); err != nil {
			t.Fatalf("send %d: %v", n, err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-echoes; err != nil {
		t.Error(err)
	}
	st := srv.Stats()
	if st.Evictions != 0 {
		t.Errorf("%d readers that kept reading were dropped", st.Evictions)
	}
	if st.Throttled == 0 || st.Congestions == 0 {
		t.Errorf("the flood never congested a reader (%d) or held the sender (%d): the test proves nothing", st.Congestions, st.Throttled)
	}
	t.Logf("%d messages to %d readers: %d congestions, the sender held %d times", total, readers, st.Congestions, st.Throttled)
}
