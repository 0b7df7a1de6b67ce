package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"parley/net/wire"
)

// BenchmarkAppend measures one group commit of 64 messages of 64 bytes,
// as a busy room's committer makes them; ns/op divided by 64 is the cost
// of storing one message.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []SyncMode{SyncFull, SyncNormal} {
		b.Run(fmt.Sprint("sync=", []string{"full", "normal"}[sync]), func(b *testing.B) {
			d, err := Open(b.TempDir(), Options{Sync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			text := strings.Repeat("word ", 13)[:64]
			batch := make([]Entry, 64)
			id := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				for i := range batch {
					id++
					batch[i] = Entry{Msg: wire.Msg{ID: id, Time: 1764090000000, From: "sender", Text: text, CID: fmt.Sprint("c", id)}, Session: "0123456789abcdef0123456789abcdef"}
				}
				if err := d.Append(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/msg")
		})
	}
}
