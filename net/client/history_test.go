package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/wire"
	"parley/server"
	"parley/server/store"
)

// A client pages back beyond the backlog and searches, on a server that
// keeps its history in SQLite.
func TestHistoryAndSearch(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "127.0.0.1:0", server.Config{Backlog: 5, Rate: -1, Store: db})
	t.Cleanup(func() { srv.Stop(t, wire.ByeShutdown); db.Close() })
	alice, ra := chattest.Dial(t, fastConfig(t, srv.Addr, "alice"))
	for i := 1; i <= 20; i++ {
		text := fmt.Sprint("number ", i)
		if i == 7 || i == 17 {
			text = fmt.Sprint("seven-ish ", i)
		}
		if _, err := alice.Send(text); err != nil {
			t.Fatal(err)
		}
		chattest.Next(t, ra, isMsg(text))
	}

	bob, rb := chattest.Dial(t, fastConfig(t, srv.Addr, "bob"))
	c := chattest.Next[client.Connected](t, rb, nil)
	if c.Backlog != 5 {
		t.Fatalf("backlog %d, want 5", c.Backlog)
	}
	ref, err := bob.History(16, 10)
	if err != nil {
		t.Fatal(err)
	}
	pg := chattest.Next(t, rb, func(p client.Page) bool { return p.Ref == ref })
	var ids []uint64
	for _, m := range pg.Msgs {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []uint64{6, 7, 8, 9, 10, 11, 12, 13, 14, 15}) || !pg.More {
		t.Fatalf("page %v more %v, want 6..15 and more", ids, pg.More)
	}
	ref, err = bob.Search("SEVEN", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	res := chattest.Next(t, rb, func(r client.Results) bool { return r.Ref == ref })
	if len(res.Msgs) != 2 || res.Msgs[0].ID != 17 || res.Msgs[1].ID != 7 || res.More {
		t.Fatalf("results %+v, want 17 then 7", res.Msgs)
	}
	// A query over the limit is refused before it is sent.
	if _, err := bob.Search(string(make([]byte, wire.MaxQuery+1)), 0, 0); !errors.Is(err, wire.ErrTextLong) {
		t.Fatalf("long query: %v", err)
	}
}

// A server without the capability (a plain one here) offers no history.
func TestHistoryNeedsCapability(t *testing.T) {
	ps := newPlainServer(t, false)
	c, _ := chattest.Dial(t, fastConfig(t, ps.addr(), "alice"))
	if _, err := c.History(0, 10); !errors.Is(err, client.ErrNoHistory) {
		t.Fatalf("History on a plain server: %v, want ErrNoHistory", err)
	}
	if _, err := c.Search("x", 0, 10); !errors.Is(err, client.ErrNoHistory) {
		t.Fatalf("Search on a plain server: %v, want ErrNoHistory", err)
	}
}

// flaky is a store whose appends fail while down is set.
type flaky struct {
	*store.Memory
	down  atomic.Bool
	tries atomic.Int32
}

func (f *flaky) Append(ctx context.Context, b []store.Entry) error {
	f.tries.Add(1)
	if f.down.Load() {
		return store.ErrFull
	}
	return f.Memory.Append(ctx, b)
}

// A message the server cannot store (error unavailable) stays in the
// outbox and goes again when the server says: once the disk has room, it
// is delivered, once, and nothing is reported failed.
func TestUnavailableIsRetried(t *testing.T) {
	st := &flaky{Memory: store.NewMemory(100)}
	st.down.Store(true)
	srv := startServer(t, "127.0.0.1:0", server.Config{Rate: -1, Store: st})
	alice, ra := chattest.Dial(t, fastConfig(t, srv.Addr, "alice"))
	cid, err := alice.Send("kept for later")
	if err != nil {
		t.Fatal(err)
	}
	chattest.WaitFor(t, "the store to refuse the message", 5*time.Second, func() bool { return st.tries.Load() > 0 })
	if p := alice.Pending(); len(p) != 1 || p[0].CID != cid || srv.Stats().LastID != 0 {
		t.Fatalf("after the refusal: pending %+v, last id %d", p, srv.Stats().LastID)
	}
	st.down.Store(false)
	m := chattest.Next(t, ra, func(m client.Message) bool { return m.Own && m.Msg.CID == cid })
	if m.Msg.ID != 1 || len(alice.Pending()) != 0 {
		t.Fatalf("delivered as %+v with %d pending, want id 1 and none", m.Msg, len(alice.Pending()))
	}
	for _, ev := range ra.Events() {
		if f, ok := ev.(client.Failed); ok {
			t.Fatalf("reported failed: %+v", f)
		}
	}
	if st := srv.Stats(); st.LastID != 1 {
		t.Fatalf("the room holds %d messages, want 1", st.LastID)
	}
}
