package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"parley/net/wire"
)

// stamped appends messages 1..len(ts) with the given times, each with a
// cid of session s1.
func stamped(t *testing.T, d *DB, ts []int64) {
	t.Helper()
	var batch []Entry
	for i, at := range ts {
		id := uint64(i + 1)
		batch = append(batch, Entry{Msg: wire.Msg{ID: id, Time: at, From: "a", Text: "t", CID: "c" + string(rune('a'+i))}, Session: "s1"})
	}
	if err := d.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// With no index on the time, Load and Compact find the rows by time in
// id order: Load takes the cids sent since its cut-off, Compact deletes
// what is older than the limit up to the first message young enough. A
// message stamped earlier than one before it (the clock set back) is not
// taken by Load and not yet deleted by Compact.
func TestQueriesByTime(t *testing.T) {
	d := openDB(t, t.TempDir(), Options{Retain: time.Hour, CompactEvery: -1})
	now := time.Now()
	old, young := now.Add(-2*time.Hour).UnixMilli(), now.Add(-time.Minute).UnixMilli()
	//               1    2    3    4      5    6      7      8
	stamped(t, d, []int64{old, old, old, young, old, young, young, young})

	st, err := d.Load(context.Background(), 10, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var sent []uint64
	for _, s := range st.Sent {
		sent = append(sent, s.ID)
	}
	if !slices.Equal(sent, []uint64{6, 7, 8}) {
		t.Fatalf("Load's cids since the cut-off: messages %v, want [6 7 8] (from the newest back to the first older one)", sent)
	}

	n, err := d.Compact(context.Background(), now)
	if err != nil || n != 3 {
		t.Fatalf("Compact deleted %d, %v; want 3 (the old ones before the first young one)", n, err)
	}
	kept, _ := d.Before(context.Background(), 1<<62, 10)
	if !slices.Equal(ids(kept), []uint64{4, 5, 6, 7, 8}) {
		t.Fatalf("kept %v, want [4 5 6 7 8]", ids(kept))
	}
	// All old: everything but the newest goes.
	if n, err := d.Compact(context.Background(), now.Add(3*time.Hour)); err != nil || n != 4 {
		t.Fatalf("Compact of an all-old history deleted %d, %v; want 4", n, err)
	}
}
