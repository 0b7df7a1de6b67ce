package store

import (
	"context"
	"fmt"
	"testing"
)

// Every group size, from one row to three full INSERTs less one, is
// stored whole and in order: the rows left over after the full
// statements go in the smaller ones (16, 8, 4, 2, 1 rows), and none is
// dropped or stored twice.
func TestWriteEverySize(t *testing.T) {
	d := openDB(t, t.TempDir(), Options{Sync: SyncNormal})
	ctx := context.Background()
	var all []Entry
	id := uint64(0)
	for size := 1; size < 3*insertRows; size++ {
		batch := make([]Entry, size)
		for i := range batch {
			id++
			batch[i] = Entry{Msg: msg(id, fmt.Sprint("group ", size, " row ", i)), Session: fmt.Sprint("s", id%4)}
		}
		if err := d.Write(ctx, batch); err != nil {
			t.Fatalf("group of %d: %v", size, err)
		}
		all = append(all, batch...)
	}
	got, err := d.Before(ctx, 1<<62, len(all)+1)
	if err != nil || len(got) != len(all) {
		t.Fatalf("stored %d, %v; want %d", len(got), err, len(all))
	}
	for i, m := range got {
		if m != all[i].Msg {
			t.Fatalf("message %d stored as %+v, want %+v", i, m, all[i].Msg)
		}
	}
}
