package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newAIOSyncT returns the kernel's asynchronous sync, failing the test on a
// kernel or sandbox that refuses it: Parley's Linux builds count on it
// (newLogSyncer), so CI must have it.
func newAIOSyncT(t *testing.T) *aioSync {
	t.Helper()
	a, err := newAIOSync()
	if err != nil {
		t.Fatalf("Linux AIO is not available here (%v): the sync would hold the processor again", err)
	}
	t.Cleanup(a.close)
	return a
}

// tempLog creates an empty file to sync, closed when the test ends.
func tempLog(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// The store syncs its log through Linux AIO.
func TestSyncUsesAIO(t *testing.T) {
	newAIOSyncT(t) // the probe: the kernel has it
	d := openDB(t, t.TempDir(), Options{})
	ctx := context.Background()
	for i := range 50 {
		if err := d.Append(ctx, []Entry{{Msg: msg(uint64(i+1), "durable")}}); err != nil {
			t.Fatal(err)
		}
	}
	wantAIO(t, d)
}

// wantAIO fails the test unless d's log was synced through Linux AIO.
func wantAIO(t *testing.T, d *DB) {
	t.Helper()
	d.smu.Lock()
	kind := d.syncer.kind()
	d.smu.Unlock()
	if kind != "aio" {
		t.Fatalf("the log is synced by %q, want aio", kind)
	}
}

// Closing the store frees its AIO context and eventfd: a window that
// hosts, stops and hosts again many times holds no more descriptors.
func TestSyncerFreedOnClose(t *testing.T) {
	newAIOSyncT(t)
	dir := t.TempDir()
	ctx := context.Background()
	cycle := func(i int) {
		d, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Append(ctx, []Entry{{Msg: msg(uint64(i+1), "synced")}}); err != nil {
			t.Fatal(err)
		}
		wantAIO(t, d)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cycle(0) // whatever the first open sets up for good (SQLite's, the runtime's)
	before := openFDs(t)
	for i := 1; i <= 20; i++ {
		cycle(i)
	}
	if after := openFDs(t); after > before {
		t.Fatalf("%d descriptors open after 20 more opens and closes, %d before: the syncer leaks", after, before)
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// Each asynchronous sync completes, with the data written before it, and
// many in a row leave no completion behind for the next to take.
func TestAIOSyncCompletes(t *testing.T) {
	a := newAIOSyncT(t)
	f := tempLog(t)
	page := make([]byte, 4096)
	for i := range 200 {
		page[0] = byte(i)
		if _, err := f.WriteAt(page, int64(i%8)*4096); err != nil {
			t.Fatal(err)
		}
		if err := a.sync(f); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	// Nothing is left on the eventfd: a stale count would let the next
	// sync return before its own completion.
	if err := a.event.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var count [8]byte
	if n, err := a.event.Read(count[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the eventfd holds a count after the syncs: n=%d err=%v", n, err)
	}
}

// The wait for a completion parks the goroutine in Go's poller instead of
// a blocking read, which would hold the processor as fdatasync did: the
// eventfd is non-blocking and pollable.
func TestAIOSyncWaitsInPoller(t *testing.T) {
	a := newAIOSyncT(t)
	f := tempLog(t)
	if err := a.sync(f); err != nil {
		t.Fatal(err)
	}
	if err := a.event.SetReadDeadline(time.Time{}); err != nil {
		t.Fatalf("after a sync the eventfd is not in the poller: %v", err)
	}
	flags, err := unix.FcntlInt(uintptr(a.efd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Fatal("after a sync the eventfd is blocking: its reads hold the processor")
	}
}

// A file the kernel cannot sync asynchronously is synced by the system
// call, and its error, if any, is returned: a pipe has no fsync at all
// (EINVAL both ways), a closed log a bad descriptor.
func TestAIOSyncErrors(t *testing.T) {
	a := newAIOSyncT(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := a.sync(w); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("sync of a pipe: %v, want EINVAL", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := a.sync(f); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("sync of a closed file: %v, want EBADF", err)
	}
	// The context still works after the failures.
	if err := a.sync(tempLog(t)); err != nil {
		t.Fatalf("sync after the failures: %v", err)
	}
}
