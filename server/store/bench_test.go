package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
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
			batch := make([]Entry, 64)
			id := uint64(0)
			start := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				id = fillBatch(batch, id)
				if err := d.Append(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/msg")
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N*len(batch)), "cpu-ns/msg")
		})
	}
}

// BenchmarkIndex measures bringing the search index up to date with
// indexChunk new messages of 64 bytes in one transaction, as the
// background step does; ns/msg is the cost of indexing one message. It
// runs on the index of schema 3 (with per-row sizes) and on today's.
func BenchmarkIndex(b *testing.B) {
	for _, schema := range []int{3, len(migrations)} {
		b.Run(fmt.Sprint("schema=", schema), func(b *testing.B) { benchIndex(b, schema) })
	}
}

func benchIndex(b *testing.B, schema int) {
	raw, err := sql.Open("sqlite", "file:"+b.TempDir()+"/"+FileName+"?_journal_mode=WAL&_synchronous=NORMAL")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	if err := migrate(ctx, raw, 0, schema); err != nil {
		b.Fatal(err)
	}
	words := strings.Fields("the quick brown fox jumps over lazy dogs while seven wizards quietly hex jolly")
	id := 0
	var cpu time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tx, err := raw.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for range indexChunk {
			id++
			text := words[id%len(words)] + " " + words[(id/3)%len(words)] + " " + strings.Repeat("word ", 13)
			if _, err := tx.Exec("INSERT INTO messages(id, ts, nick, text) VALUES (?, ?, 'sender', ?)", id, id, text[:64]); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := cpuTime()
		if _, err := raw.ExecContext(ctx, `INSERT INTO messages_fts(rowid, text)
			SELECT id, text FROM messages WHERE id > ? ORDER BY id`, id-indexChunk); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*indexChunk), "ns/msg")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*indexChunk), "cpu-ns/msg")
}
