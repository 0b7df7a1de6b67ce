package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Sanctions saved survive a reopen exactly; the ones that ended are
// deleted on load; a save replaces the whole set.
func TestSanctionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.UnixMilli(1764090000000)
	all := []Sanction{
		{Kind: "ban", Nick: "mallory", Session: "abc", Until: now.Add(time.Hour), Reason: "spam", By: "alice"},
		{Kind: "mute", Addr: "192.0.2.7", Until: now.Add(time.Minute), By: "alice"},
		{Kind: "ban", Nick: "old", Until: now.Add(-time.Second), By: "alice"},
	}
	d := openDB(t, dir, Options{})
	if got, err := d.LoadSanctions(ctx, now); err != nil || len(got) != 0 {
		t.Fatalf("new database: %v, %v", got, err)
	}
	if err := d.SaveSanctions(ctx, all); err != nil {
		t.Fatalf("SaveSanctions: %v", err)
	}
	d.Close()

	d = openDB(t, dir, Options{})
	got, err := d.LoadSanctions(ctx, now)
	if err != nil || !slices.EqualFunc(got, all[:2], sameSanction) {
		t.Fatalf("after reopen: %+v, %v; want %+v", got, err, all[:2])
	}
	// The expired one was deleted, not only skipped.
	var n int
	if err := d.db.QueryRow("SELECT count(*) FROM sanctions").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after load: %d, %v; want 2", n, err)
	}
	if err := d.SaveSanctions(ctx, all[1:2]); err != nil {
		t.Fatalf("SaveSanctions: %v", err)
	}
	if got, err := d.LoadSanctions(ctx, now); err != nil || !slices.EqualFunc(got, all[1:2], sameSanction) {
		t.Fatalf("after replacing: %+v, %v", got, err)
	}
}

func sameSanction(a, b Sanction) bool {
	return a.Kind == b.Kind && a.Nick == b.Nick && a.Session == b.Session && a.Addr == b.Addr &&
		a.Until.Equal(b.Until) && a.Reason == b.Reason && a.By == b.By
}
