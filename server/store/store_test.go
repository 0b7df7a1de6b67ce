package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"parley/net/wire"
)

// engine is what the server needs of a store, for tests that hold for both.
type engine interface {
	Load(ctx context.Context, recent int, since time.Time) (State, error)
	Append(ctx context.Context, batch []Entry) error
	Before(ctx context.Context, before uint64, limit int) ([]wire.Msg, error)
	Search(ctx context.Context, q string, before uint64, limit int) ([]wire.Msg, error)
	Close() error
}

func openDB(t *testing.T, dir string, opt Options) *DB {
	t.Helper()
	d, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func msg(id uint64, text string) wire.Msg {
	return wire.Msg{ID: id, Time: 1764090000000 + int64(id), From: "alice", Text: text, CID: fmt.Sprintf("c%d", id)}
}

// fill appends n messages with ids from 1, in batches of 7.
func fill(t *testing.T, e engine, n int, text func(i int) string) {
	t.Helper()
	var batch []Entry
	for i := 1; i <= n; i++ {
		batch = append(batch, Entry{Msg: msg(uint64(i), text(i)), Session: "s1"})
		if len(batch) == 7 || i == n {
			if err := e.Append(context.Background(), batch); err != nil {
				t.Fatalf("Append: %v", err)
			}
			batch = nil
		}
	}
}

func ids(msgs []wire.Msg) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func TestPagesAndSearch(t *testing.T) {
	engines := map[string]func(t *testing.T) engine{
		"memory": func(t *testing.T) engine { return NewMemory(100) },
		"sqlite": func(t *testing.T) engine { return openDB(t, t.TempDir(), Options{}) },
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			ctx := context.Background()
			fill(t, e, 50, func(i int) string {
				switch {
				case i%10 == 0:
					return fmt.Sprintf("see https://example.com/%d Café", i)
				case i%7 == 0:
					return "Hello, World"
				}
				return fmt.Sprintf("message %d", i)
			})
			page, err := e.Before(ctx, 21, 5)
			if err != nil || !slices.Equal(ids(page), []uint64{16, 17, 18, 19, 20}) {
				t.Fatalf("Before(21, 5) = %v, %v; want 16..20 oldest first", ids(page), err)
			}
			page, _ = e.Before(ctx, 3, 5)
			if !slices.Equal(ids(page), []uint64{1, 2}) {
				t.Fatalf("Before(3, 5) = %v, want [1 2]", ids(page))
			}
			found, err := e.Search(ctx, "exam caf", 1<<63, 3)
			if err != nil || !slices.Equal(ids(found), []uint64{50, 40, 30}) {
				t.Fatalf("Search = %v, %v; want [50 40 30], newest first", ids(found), err)
			}
			found, _ = e.Search(ctx, "hello world", 35, 10)
			if !slices.Equal(ids(found), []uint64{28, 21, 14, 7}) {
				t.Fatalf("Search before 35 = %v, want [28 21 14 7]", ids(found))
			}
			// Operators and quotes are words to search for, never syntax.
			for _, q := range []string{`"`, `text:hello OR *`, `NEAR(a b)`, `-`, ``} {
				if _, err := e.Search(ctx, q, 1<<63, 10); err != nil {
					t.Errorf("Search(%q): %v", q, err)
				}
			}
			if found, _ := e.Search(ctx, "hello OR nothing", 1<<63, 10); len(found) != 0 {
				t.Errorf("OR was taken as an operator: %v", ids(found))
			}
			st, err := e.Load(ctx, 3, time.Time{})
			if err != nil || st.LastID != 50 || !slices.Equal(ids(st.Recent), []uint64{48, 49, 50}) || st.Epoch == "" {
				t.Fatalf("Load = %+v, %v", st, err)
			}
		})
	}
}

func TestIdentitySurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	d := openDB(t, dir, Options{})
	ctx := context.Background()
	st, err := d.Load(ctx, 10, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, d, 300, func(i int) string { return "m" })
	other := Entry{Msg: wire.Msg{ID: 301, Time: time.Now().UnixMilli(), From: "bob", Text: "x", CID: "b1"}, Session: "s2"}
	plain := Entry{Msg: wire.Msg{ID: 302, Time: time.Now().UnixMilli(), From: "guest-1", Text: "y"}}
	if err := d.Append(ctx, []Entry{other, plain}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d2 := openDB(t, dir, Options{})
	st2, err := d2.Load(ctx, 10, time.UnixMilli(1764090000000+1))
	if err != nil {
		t.Fatal(err)
	}
	if st2.Epoch != st.Epoch || st2.LastID != 302 || len(st2.Recent) != 10 || st2.Recent[9].ID != 302 {
		t.Fatalf("after reopen: epoch %q (was %q), last %d, recent %v", st2.Epoch, st.Epoch, st2.LastID, ids(st2.Recent))
	}
	// s1 sent 300 since the cut-off's 50: the newest SentPerSession of
	// them come back, then s2's one; the plain message has no session.
	var s1 []Sent
	for _, s := range st2.Sent {
		if s.Session == "s1" {
			s1 = append(s1, s)
		}
	}
	if len(s1) != SentPerSession || s1[0].ID != 300-SentPerSession+1 || s1[len(s1)-1].CID != "c300" {
		t.Fatalf("s1's cids: %d, from %+v", len(s1), s1[0])
	}
	if last := st2.Sent[len(st2.Sent)-1]; last != (Sent{Session: "s2", CID: "b1", ID: 301}) {
		t.Fatalf("last sent %+v", last)
	}
}

func TestLastIDOutlivesRetention(t *testing.T) {
	d := openDB(t, t.TempDir(), Options{RetainMessages: 10, CompactEvery: -1})
	fill(t, d, 1200, func(i int) string { return fmt.Sprintf("word%d", i) })
	n, err := d.Compact(context.Background(), time.Now())
	if err != nil || n != 1190 {
		t.Fatalf("Compact = %d, %v; want 1190 deleted", n, err)
	}
	page, _ := d.Before(context.Background(), 1<<62, 100)
	if len(page) != 10 || page[0].ID != 1191 {
		t.Fatalf("kept %v", ids(page))
	}
	if found, _ := d.Search(context.Background(), "word5", 1<<62, 10); len(found) != 0 {
		t.Fatalf("the index still finds deleted messages: %v", ids(found))
	}
	var fts int
	d.db.QueryRow("SELECT count(*) FROM messages_fts").Scan(&fts)
	if fts != 10 {
		t.Fatalf("index holds %d rows, want 10", fts)
	}

	d2 := openDB(t, t.TempDir(), Options{Retain: time.Hour, CompactEvery: -1})
	old := time.Now().Add(-2 * time.Hour).UnixMilli()
	var batch []Entry
	for i := uint64(1); i <= 5; i++ {
		batch = append(batch, Entry{Msg: wire.Msg{ID: i, Time: old, From: "a", Text: "t"}})
	}
	batch = append(batch, Entry{Msg: wire.Msg{ID: 6, Time: time.Now().UnixMilli(), From: "a", Text: "t"}})
	d2.Append(context.Background(), batch)
	if n, err := d2.Compact(context.Background(), time.Now()); n != 5 || err != nil {
		t.Fatalf("age retention deleted %d, %v; want 5", n, err)
	}
	// Everything old, the newest included: the newest stays.
	if n, _ := d2.Compact(context.Background(), time.Now().Add(48*time.Hour)); n != 0 {
		t.Fatalf("deleted the newest message")
	}
	st, _ := d2.Load(context.Background(), 10, time.Time{})
	if st.LastID != 6 {
		t.Fatalf("last id %d", st.LastID)
	}
}

func TestMigrateFromFirstSchema(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/" + FileName
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), raw, 0, 1); err != nil {
		t.Fatal(err)
	}
	// A version 1 database as a server of that version left it.
	for _, q := range []string{
		`INSERT INTO meta VALUES ('epoch', 'e1'), ('last_id', '3')`,
		`INSERT INTO messages VALUES (1, 1, 'alice', 'the old link', 'c1', 's1'), (2, 2, 'bob', 'two', NULL, NULL),
			(3, 3, 'alice', 'another link', 'c2', 's1')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	d := openDB(t, dir, Options{})
	var v int
	d.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion {
		t.Fatalf("schema version %d, want %d", v, SchemaVersion)
	}
	st, err := d.Load(context.Background(), 10, time.Time{})
	if err != nil || st.Epoch != "e1" || st.LastID != 3 || len(st.Recent) != 3 {
		t.Fatalf("Load after migration: %+v, %v", st, err)
	}
	found, err := d.Search(context.Background(), "link", 1<<62, 10)
	if err != nil || !slices.Equal(ids(found), []uint64{3, 1}) {
		t.Fatalf("old messages not indexed: %v, %v", ids(found), err)
	}
	if err := d.Append(context.Background(), []Entry{{Msg: msg(4, "new link")}}); err != nil {
		t.Fatal(err)
	}
	if found, _ := d.Search(context.Background(), "link", 1<<62, 10); len(found) != 3 {
		t.Fatalf("new message not indexed: %v", ids(found))
	}
}

func TestBackupRestores(t *testing.T) {
	dir := t.TempDir()
	d := openDB(t, dir, Options{})
	st, _ := d.Load(context.Background(), 1, time.Time{})
	fill(t, d, 20, func(i int) string { return "kept" })
	file := t.TempDir() + "/backup.db"
	if err := d.Backup(context.Background(), file); err != nil {
		t.Fatal(err)
	}
	if err := d.Backup(context.Background(), file); err == nil {
		t.Fatal("a second backup overwrote the first")
	}
	restored := t.TempDir()
	cp(t, file, restored+"/"+FileName)
	d2 := openDB(t, restored, Options{})
	st2, err := d2.Load(context.Background(), 100, time.Time{})
	if err != nil || st2.Epoch != st.Epoch || st2.LastID != 20 || len(st2.Recent) != 20 {
		t.Fatalf("restored: %+v, %v", st2, err)
	}
}

// A group larger than one INSERT statement's rows is stored whole, in
// order, with every column.
func TestAppendLargeGroup(t *testing.T) {
	d := openDB(t, t.TempDir(), Options{})
	ctx := context.Background()
	var batch []Entry
	for i := uint64(1); i <= 2*insertRows+7; i++ {
		e := Entry{Msg: msg(i, fmt.Sprint("text ", i)), Session: fmt.Sprint("s", i%3)}
		if i%5 == 0 {
			e.Msg.CID, e.Session = "", ""
		}
		batch = append(batch, e)
	}
	if err := d.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := d.Before(ctx, 1<<62, 1000)
	if err != nil || len(got) != len(batch) {
		t.Fatalf("stored %d, %v; want %d", len(got), err, len(batch))
	}
	for i, m := range got {
		if m != batch[i].Msg {
			t.Fatalf("message %d stored as %+v, want %+v", i, m, batch[i].Msg)
		}
	}
	st, _ := d.Load(ctx, 1, time.Time{})
	if st.LastID != uint64(len(batch)) || len(st.Sent) != len(batch)-len(batch)/5 {
		t.Fatalf("last id %d, %d cids; want %d and %d", st.LastID, len(st.Sent), len(batch), len(batch)-len(batch)/5)
	}
}
