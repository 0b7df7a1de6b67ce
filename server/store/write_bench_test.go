package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"parley/net/wire"
)

// BenchmarkWrite measures Write alone (the commit, no disk wait) for
// groups of several sizes: a busy room's groups are seldom a multiple of
// the multi-row INSERT's size, so the rows left over matter as much as
// the full statements. cpu-ns/msg is the CPU one message's storing costs.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{1, 7, 24, 45, 64} {
		b.Run(fmt.Sprint("group=", size), func(b *testing.B) {
			d, err := Open(b.TempDir(), Options{Sync: SyncNormal, CompactEvery: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			batch := make([]Entry, size)
			id := uint64(0)
			start := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				id = fillBatch(batch, id)
				if err := d.Write(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N*len(batch)), "cpu-ns/msg")
		})
	}
}

// benchText is a benchmark message's text: 64 bytes of words.
var benchText = strings.Repeat("word ", 13)[:64]

// fillBatch fills batch with messages numbered after id, as a rich
// client with a session sends them, and returns the last id.
func fillBatch(batch []Entry, id uint64) uint64 {
	for i := range batch {
		id++
		batch[i] = Entry{Msg: wire.Msg{ID: id, Time: 1764090000000, From: "sender", Text: benchText,
			CID: fmt.Sprint("c", id)}, Session: "0123456789abcdef0123456789abcdef"}
	}
	return id
}
