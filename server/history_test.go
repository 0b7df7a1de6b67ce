package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server"
	"parley/server/store"
)

// opened is a server on a store, served on loopback.
type opened struct {
	srv *server.Server
	ts  *httptest.Server
	url string
}

// open starts a server on st; stop (or the test's end) shuts it down.
func open(t testing.TB, cfg server.Config, st server.Store) *opened {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	cfg.Store = st
	srv, err := server.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	o := &opened{srv: srv, ts: httptest.NewServer(srv)}
	o.url = "ws" + strings.TrimPrefix(o.ts.URL, "http")
	t.Cleanup(o.stop)
	return o
}

func (o *opened) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	o.srv.Shutdown(ctx, wire.ByeShutdown, "restarting")
	o.ts.Close()
}

// openDB opens a data folder's database, closed when the test ends.
func openDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A server restarted on the same data folder keeps its epoch, its ids and
// its sessions: a client resumes with exactly what it missed, and a
// message it sends again (its echo lost in the restart) is recognised.
func TestRestartKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	first := open(t, server.Config{}, db)
	a, w := rich(t, first.url, "alice")
	for i := 1; i <= 5; i++ {
		a.send(wire.Send{CID: fmt.Sprint("c", i), Text: fmt.Sprint("before ", i)})
		if m := next[wire.Msg](a); m.ID != uint64(i) {
			t.Fatalf("echo %+v, want id %d", m, i)
		}
	}
	first.stop()
	db.Close()

	second := open(t, server.Config{}, openDB(t, dir))
	obs, ow := rich(t, second.url, "observer")
	if ow.Epoch != w.Epoch || ow.LastID != 5 || len(ow.History) != 5 || ow.History[4].Text != "before 5" {
		t.Fatalf("after restart: epoch %q (was %q), last %d, history %v", ow.Epoch, w.Epoch, ow.LastID, ow.History)
	}
	// alice saw up to 3: she gets 4 and 5, resumed, no gap.
	b := dial(t, second.url, true)
	b.name = "alice again"
	after := uint64(3)
	b.send(wire.Hello{V: wire.Version, Nick: "alice", Session: w.Session, Epoch: w.Epoch, After: &after})
	bw := b.welcome()
	if !bw.Resumed || bw.Gap || len(bw.History) != 2 || bw.History[0].ID != 4 || bw.Session != w.Session {
		t.Fatalf("resume after restart: %+v", bw)
	}
	// She sends c5 again: she gets the original, nobody else anything.
	b.send(wire.Send{CID: "c5", Text: "before 5"})
	if m := next[wire.Msg](b); m.ID != 5 || m.CID != "c5" {
		t.Fatalf("repeat after restart: %+v, want the original id 5", m)
	}
	b.send(wire.Send{CID: "c6", Text: "after"})
	if m := next[wire.Msg](obs); m.ID != 6 || m.Text != "after" {
		t.Fatalf("observer got %+v, want only message 6", m)
	}
	if st := second.srv.Stats(); st.Duplicates != 1 || st.LastID != 6 {
		t.Fatalf("stats %+v", st)
	}
}

// gate is a store whose Append can be held and made to fail, around a
// memory store, and which records the size of each batch.
type gate struct {
	*store.Memory
	mu      sync.Mutex
	hold    chan struct{} // while non-nil, Append waits for it to close
	entered chan struct{} // told when an Append starts
	fail    error
	batches []int
}

func newGate() *gate {
	return &gate{Memory: store.NewMemory(100), entered: make(chan struct{}, 100)}
}

func (g *gate) Append(ctx context.Context, b []store.Entry) error {
	g.mu.Lock()
	hold, fail := g.hold, g.fail
	g.batches = append(g.batches, len(b))
	g.mu.Unlock()
	g.entered <- struct{}{}
	if hold != nil {
		<-hold
	}
	if fail != nil {
		return fail
	}
	return g.Memory.Append(ctx, b)
}

func (g *gate) set(hold chan struct{}, fail error) {
	g.mu.Lock()
	g.hold, g.fail = hold, fail
	g.mu.Unlock()
}

// Nothing is broadcast before it is committed; what arrives during a
// commit goes into the next one, together; and the room's lock is not
// held while the store works: others join meanwhile.
func TestGroupCommit(t *testing.T) {
	g := newGate()
	o := open(t, server.Config{}, g)
	obs, _ := rich(t, o.url, "observer")
	senders := make([]*client, 4)
	for i := range senders {
		senders[i], _ = rich(t, o.url, fmt.Sprint("s", i))
	}
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before the server stops, even if the test fails
	g.set(hold, nil)
	senders[0].send(wire.Send{CID: "first", Text: "first"})
	<-g.entered
	for i, c := range senders[1:] {
		c.send(wire.Send{CID: "x", Text: fmt.Sprint("queued ", i)})
	}
	// A client joins while the commit is held: the lock is free.
	late, lw := rich(t, o.url, "late")
	if lw.LastID != 0 {
		t.Fatalf("welcome during the commit says last id %d: a message was published before it was stored", lw.LastID)
	}
	// The three queued sends reach the server before the commit ends.
	deadline := time.Now().Add(wait)
	for o.srv.Stats().Pending < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("sends not queued: %+v", o.srv.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	g.set(nil, nil)
	release()
	for i := 1; i <= 4; i++ {
		for _, c := range []*client{obs, late} {
			if m := next[wire.Msg](c); m.ID != uint64(i) {
				t.Fatalf("%s got %+v, want id %d", c.name, m, i)
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.batches) != 2 || g.batches[0] != 1 || g.batches[1] != 3 {
		t.Fatalf("batches %v, want [1 3]", g.batches)
	}
}

// When the store fails, the senders are told with error unavailable (a
// plain sender with a line), nothing is broadcast, ids stay consecutive,
// history can still be read, and posting works again once the store does.
func TestStorageFailure(t *testing.T) {
	g := newGate()
	o := open(t, server.Config{}, g)
	obs, _ := rich(t, o.url, "observer")
	a, _ := rich(t, o.url, "alice")
	p := plain(t, o.url)
	a.send(wire.Send{CID: "ok", Text: "stored"})
	next[wire.Msg](a)
	next[wire.Msg](obs)
	if p.text() != "alice: stored" {
		t.Fatal("plain client missed the stored message")
	}

	g.set(nil, fmt.Errorf("disk: %w", store.ErrFull))
	a.send(wire.Send{CID: "lost", Text: "not stored"})
	e := next[wire.Error](a)
	if e.Code != wire.CodeUnavailable || e.CID != "lost" || e.RetryMS <= 0 {
		t.Fatalf("sender got %+v, want unavailable for cid lost with retry_ms", e)
	}
	// Refused at once while the store is down, without trying it.
	p.say("from plain")
	if got := p.text(); !strings.Contains(got, "cannot store messages") {
		t.Fatalf("plain sender got %q", got)
	}
	// Reading works: a new client gets the history.
	r, rw := rich(t, o.url, "reader")
	if len(rw.History) != 1 || rw.LastID != 1 {
		t.Fatalf("welcome while the store is down: %+v", rw)
	}
	g.mu.Lock()
	tries := len(g.batches)
	g.mu.Unlock()
	if tries != 2 {
		t.Fatalf("store tried %d times, want 2 (the refusal does not try)", tries)
	}

	// The store is back; after storageRetry, the same cid is a new message.
	g.set(nil, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.send(wire.Send{CID: "lost", Text: "not stored"})
		f := a.frame()
		for isPresence(f) {
			f = a.frame()
		}
		if m, ok := f.(wire.Msg); ok {
			if m.ID != 2 {
				t.Fatalf("first message after the failure has id %d, want 2", m.ID)
			}
			break
		}
		if e, ok := f.(wire.Error); !ok || e.Code != wire.CodeUnavailable || time.Now().After(deadline) {
			t.Fatalf("while waiting for the store: %#v", f)
		}
		time.Sleep(time.Duration(e.RetryMS) * time.Millisecond)
	}
	for _, c := range []*client{obs, r} {
		if m := next[wire.Msg](c); m.ID != 2 || m.Text != "not stored" {
			t.Fatalf("%s got %+v, want message 2", c.name, m)
		}
	}
	if got := p.text(); got != "alice: not stored" {
		t.Fatalf("plain got %q", got)
	}
}

// A store that cannot load stops Open with its error.
func TestOpenFailsOnLoad(t *testing.T) {
	_, err := server.Open(server.Config{Store: failingLoad{newGate()}})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Open: %v, want the store's error", err)
	}
}

type failingLoad struct{ *gate }

func (failingLoad) Load(context.Context, int, time.Time) (store.State, error) {
	return store.State{}, store.ErrCorrupt
}

func isPresence(f wire.Frame) bool {
	switch f.(type) {
	case wire.Join, wire.Leave, wire.Rename, wire.Status:
		return true
	}
	return false
}
