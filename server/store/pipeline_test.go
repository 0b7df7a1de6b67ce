package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Write stores a batch that Before reads at once; Sync then returns nil,
// and a later Write and Sync go on: the split Append.
func TestWriteThenSync(t *testing.T) {
	d := openDB(t, t.TempDir(), Options{})
	ctx := context.Background()
	for i := uint64(1); i <= 3; i++ {
		if err := d.Write(ctx, []Entry{{Msg: msg(i, fmt.Sprint("text ", i)), Session: "s1"}}); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if err := d.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	got, err := d.Before(ctx, 1<<62, 10)
	if err != nil || !slices.Equal(ids(got), []uint64{1, 2, 3}) {
		t.Fatalf("after Write and Sync: %v, %v", ids(got), err)
	}
}

// A sync the disk refuses is final: every later Write and Sync fails with
// ErrSync, so that nothing is acknowledged on top of writes that may be
// lost. Opening the folder again writes again, and keeps what reached the
// file.
func TestSyncFailureIsFinal(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Append(ctx, []Entry{{Msg: msg(1, "synced")}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(ctx, []Entry{{Msg: msg(2, "written")}}); err != nil {
		t.Fatal(err)
	}
	// The log's descriptor goes bad, as a failing disk makes fdatasync fail.
	d.smu.Lock()
	d.wal.Close()
	d.smu.Unlock()
	if err := d.Sync(ctx); !errors.Is(err, ErrSync) {
		t.Fatalf("Sync on a failing disk: %v, want ErrSync", err)
	}
	if err := d.Write(ctx, []Entry{{Msg: msg(3, "after")}}); !errors.Is(err, ErrSync) {
		t.Fatalf("Write after a failed sync: %v, want ErrSync", err)
	}
	if err := d.Sync(ctx); !errors.Is(err, ErrSync) {
		t.Fatalf("Sync after a failed sync: %v, want ErrSync", err)
	}
	d.wal = nil // closed above: Close must not close it twice
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d2 := openDB(t, dir, Options{})
	st, err := d2.Load(ctx, 10, time.Time{})
	if err != nil || st.LastID != 2 {
		t.Fatalf("reopened: last id %d, %v; want 2", st.LastID, err)
	}
	if err := d2.Append(ctx, []Entry{{Msg: msg(3, "again")}}); err != nil {
		t.Fatalf("Append after reopening: %v", err)
	}
}

// Commits never checkpoint (wal_autocheckpoint is off): the background
// step copies the log into the database file while it stays open.
func TestCheckpointInBackground(t *testing.T) {
	dir := t.TempDir()
	d := openDB(t, dir, Options{Sync: SyncNormal})
	ctx := context.Background()
	var auto int
	if err := d.wconn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	before, err := os.Stat(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("x", 1000)
	id := uint64(0)
	for range 2 * ckptAfter / (len(text) * 64) {
		batch := make([]Entry, 64)
		for i := range batch {
			id++
			batch[i] = Entry{Msg: msg(id, text)}
		}
		if err := d.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, err := os.Stat(d.Path())
		if err != nil {
			t.Fatal(err)
		}
		if after.Size() > before.Size()+int64(ckptAfter)/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after writing %d messages of %d bytes: no checkpoint",
				after.Size(), id, len(text))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
