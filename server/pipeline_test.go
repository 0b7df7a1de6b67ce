package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server"
	"parley/server/store"
)

// piped is a store that splits Append into Write and Sync, as store.DB
// does, around a memory store. Its Sync can be held and made to fail; it
// records what each Write and Sync saw.
type piped struct {
	*store.Memory
	mu       sync.Mutex
	hold     chan struct{} // while non-nil, Sync waits for it to close
	fail     error         // what Sync returns
	writes   []int         // the batch of each Write, by its first id
	syncs    int
	syncing  bool // a Sync is waiting on hold
	wrote    chan uint64
	syncedAt chan int // told how many writes came before each Sync
}

func newPiped() *piped {
	return &piped{Memory: store.NewMemory(100), wrote: make(chan uint64, 100), syncedAt: make(chan int, 100)}
}

func (p *piped) Append(context.Context, []store.Entry) error {
	panic("the server calls Write and Sync on a store that has them")
}

func (p *piped) Write(ctx context.Context, b []store.Entry) error {
	p.mu.Lock()
	p.writes = append(p.writes, len(b))
	p.mu.Unlock()
	p.wrote <- b[0].Msg.ID
	return p.Memory.Append(ctx, b)
}

func (p *piped) Sync(context.Context) error {
	p.mu.Lock()
	hold, fail := p.hold, p.fail
	p.syncs++
	p.syncing = hold != nil
	p.syncedAt <- len(p.writes)
	p.mu.Unlock()
	if hold != nil {
		<-hold
	}
	p.mu.Lock()
	p.syncing = false
	p.mu.Unlock()
	return fail
}

func (p *piped) SyncWaits() bool { return true }

func (p *piped) set(hold chan struct{}, fail error) {
	p.mu.Lock()
	p.hold, p.fail = hold, fail
	p.mu.Unlock()
}

// receive waits for a value on ch, failing the test after wait.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// A message is broadcast only once a Sync begun after its Write has
// returned, and the next group is written while that Sync is in flight:
// the disk's wait and the next group's work overlap.
func TestSyncBeforeBroadcast(t *testing.T) {
	p := newPiped()
	o := open(t, server.Config{}, p)
	obs, _ := rich(t, o.url, "observer")
	a, _ := rich(t, o.url, "alice")
	b, _ := rich(t, o.url, "bob")
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before the server stops, even if the test fails
	p.set(hold, nil)

	a.send(wire.Send{CID: "a1", Text: "first"})
	if id := receive(t, p.wrote, "the first write"); id != 1 {
		t.Fatalf("first write starts at id %d", id)
	}
	// Either the syncer waits for the disk, or (without the sync) the
	// message goes out at once: a welcome shows which.
	deadline := time.Now().Add(wait)
	for {
		p.mu.Lock()
		syncing := p.syncing
		p.mu.Unlock()
		if syncing {
			break
		}
		if last := o.srv.Stats().LastID; last != 0 {
			t.Fatalf("message %d was broadcast before a sync of it began", last)
		}
		if time.Now().After(deadline) {
			t.Fatal("no sync began after the first write")
		}
		time.Sleep(time.Millisecond)
	}
	// While the sync is held, bob's message is written: pipelined.
	b.send(wire.Send{CID: "b1", Text: "second"})
	if id := receive(t, p.wrote, "the second write while the first sync is held"); id != 2 {
		t.Fatalf("second write starts at id %d", id)
	}
	late, lw := rich(t, o.url, "late")
	if lw.LastID != 0 || len(lw.History) != 0 {
		t.Fatalf("welcome during the sync: last id %d, history %v: a message was broadcast before its sync returned",
			lw.LastID, lw.History)
	}
	p.set(nil, nil)
	release()
	for i, text := range []string{"first", "second"} {
		for _, c := range []*client{obs, late, a, b} {
			if m := next[wire.Msg](c); m.ID != uint64(i+1) || m.Text != text {
				t.Fatalf("%s got %+v, want message %d %q", c.name, m, i+1, text)
			}
		}
	}
	// The second message was broadcast after a sync that began after its
	// write: the first sync saw one write, a later one both.
	first := receive(t, p.syncedAt, "the first sync")
	second := receive(t, p.syncedAt, "a second sync")
	if first != 1 || second != 2 {
		t.Fatalf("syncs began after %d and %d writes, want 1 and 2", first, second)
	}
}

// A failed sync fails its messages like a failed write: the senders are
// told, nothing is broadcast, later posts are refused without a try, and
// history can still be read.
func TestSyncFailure(t *testing.T) {
	p := newPiped()
	o := open(t, server.Config{}, p)
	obs, _ := rich(t, o.url, "observer")
	a, _ := rich(t, o.url, "alice")
	a.send(wire.Send{CID: "ok", Text: "stored"})
	next[wire.Msg](a)
	next[wire.Msg](obs)

	p.set(nil, fmt.Errorf("fdatasync: %w", store.ErrSync))
	a.send(wire.Send{CID: "lost", Text: "not synced"})
	if e := next[wire.Error](a); e.Code != wire.CodeUnavailable || e.CID != "lost" || e.RetryMS <= 0 {
		t.Fatalf("sender got %+v, want unavailable for cid lost with retry_ms", e)
	}
	a.send(wire.Send{CID: "later", Text: "refused"})
	if e := next[wire.Error](a); e.Code != wire.CodeUnavailable || e.CID != "later" {
		t.Fatalf("sender got %+v, want unavailable for cid later", e)
	}
	p.mu.Lock()
	writes := len(p.writes)
	p.mu.Unlock()
	if writes != 2 {
		t.Fatalf("store written %d times, want 2 (the refusal does not try)", writes)
	}
	_, rw := rich(t, o.url, "reader")
	if rw.LastID != 1 || len(rw.History) != 1 || rw.History[0].Text != "stored" {
		t.Fatalf("welcome after the failed sync: %+v", rw)
	}
	if st := o.srv.Stats(); st.LastID != 1 {
		t.Fatalf("stats after the failed sync: %+v", st)
	}
}

// Groups written while a sync is in flight wait for the next sync
// together: one sync covers them all, however many there were.
func TestOneSyncForManyWrites(t *testing.T) {
	p := newPiped()
	o := open(t, server.Config{}, p)
	a, _ := rich(t, o.url, "alice")
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	p.set(hold, nil)
	a.send(wire.Send{CID: "c0", Text: "held"})
	receive(t, p.wrote, "the first write")
	if n := receive(t, p.syncedAt, "the first sync"); n != 1 {
		t.Fatalf("the first sync began after %d writes, want 1", n)
	}
	// One message at a time, each written before the next is sent: five
	// groups while the first sync is held.
	const more = 5
	for i := 1; i <= more; i++ {
		a.send(wire.Send{CID: fmt.Sprint("c", i), Text: fmt.Sprint("queued ", i)})
		receive(t, p.wrote, fmt.Sprint("write ", i+1))
	}
	p.set(nil, nil)
	release()
	for i := 0; i <= more; i++ {
		if m := next[wire.Msg](a); m.ID != uint64(i+1) {
			t.Fatalf("echo %+v, want id %d", m, i+1)
		}
	}
	// The last group may reach the syncer just after the second sync
	// began (the write is seen before it is handed over): then a third.
	if n := receive(t, p.syncedAt, "the second sync"); n < more {
		t.Fatalf("the second sync began after %d writes, want at least %d", n, more)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.syncs > 3 {
		t.Fatalf("%d syncs for %d groups, want 2 or 3: one sync for all the groups written meanwhile", p.syncs, 1+more)
	}
}
