package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
)

func cp(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedDB returns a data folder holding a database of n messages, closed.
func closedDB(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Load(context.Background(), 1, time.Time{})
	fill(t, d, n, func(i int) string { return strings.Repeat(fmt.Sprintf("text %d ", i), 20) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCorruptDatabaseRefused(t *testing.T) {
	cases := map[string]func(b []byte) []byte{
		"not a database": func(b []byte) []byte { return []byte("hello, I am a text file\n") },
		"header overwritten": func(b []byte) []byte {
			copy(b, "SQLite format 2\x00")
			return b
		},
		"pages overwritten": func(b []byte) []byte {
			for i := 4096 * 2; i < len(b)-4096; i++ {
				b[i] = byte(i * 7)
			}
			return b
		},
		"truncated": func(b []byte) []byte { return b[:10] },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir := closedDB(t, 400)
			path := dir + "/" + FileName
			b, _ := os.ReadFile(path)
			bad := damage(b)
			os.WriteFile(path, bad, 0o600)
			_, err := Open(dir, Options{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open of a damaged database: %v, want ErrCorrupt", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
				t.Fatal("Open changed the damaged file")
			}
		})
	}
}

func TestFutureSchemaRefused(t *testing.T) {
	dir := closedDB(t, 3)
	d, _ := Open(dir, Options{})
	d.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	d.Close()
	before, _ := os.ReadFile(dir + "/" + FileName)
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrFutureSchema) || !strings.Contains(err.Error(), "newer Parley") {
		t.Fatalf("Open: %v, want ErrFutureSchema saying to run a newer Parley", err)
	}
	if after, _ := os.ReadFile(dir + "/" + FileName); !bytes.Equal(before, after) {
		t.Fatal("Open changed a database from the future")
	}
}

// readOnlyDir makes dir read-only for this process: a read-only bind
// mount when running as root (whom permissions do not stop), chmod
// otherwise.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		os.Chmod(dir+"/"+FileName, 0o400)
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return
	}
	for _, args := range [][]string{
		{"mount", "--bind", dir, dir},
		{"mount", "-o", "remount,bind,ro", dir},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			exec.Command("umount", dir).Run()
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

func TestReadOnlyFolderServesHistory(t *testing.T) {
	dir := closedDB(t, 30)
	readOnlyDir(t, dir)
	if f, err := os.Create(dir + "/probe"); err == nil {
		f.Close()
		t.Fatal("the folder is still writable")
	}
	d, err := Open(dir, Options{Retain: time.Hour})
	if err != nil {
		t.Fatalf("Open of a read-only folder: %v", err)
	}
	defer d.Close()
	if !d.ReadOnly() {
		t.Fatal("not reported read-only")
	}
	st, err := d.Load(context.Background(), 100, time.Time{})
	if err != nil || st.LastID != 30 || len(st.Recent) != 30 || st.Epoch == "" {
		t.Fatalf("Load: %+v, %v", st, err)
	}
	if found, err := d.Search(context.Background(), "text", 1<<62, 5); err != nil || len(found) != 5 {
		t.Fatalf("Search: %d, %v", len(found), err)
	}
	err = d.Append(context.Background(), []Entry{{Msg: msg(31, "x")}})
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Append: %v, want ErrReadOnly", err)
	}
}

func TestReadOnlyEmptyFolderRefused(t *testing.T) {
	dir := t.TempDir()
	readOnlyDir(t, dir)
	_, err := Open(dir, Options{})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "cannot be written") {
		t.Fatalf("Open: %v, want a permission error", err)
	}
}

func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	d := openDB(t, dir, Options{MaxPages: 64})
	ctx := context.Background()
	d.Load(ctx, 1, time.Time{})
	last, err := fillUntilFull(d, 2000)
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Append on a full database: %v, want ErrFull", err)
	}
	if last == 0 {
		t.Fatal("nothing fitted")
	}
	// What was committed is intact, and reads still work.
	page, err := d.Before(ctx, 1<<62, 1000)
	if err != nil || uint64(len(page)) != last {
		t.Fatalf("after the disk filled: %d messages, %v; want %d", len(page), err, last)
	}
}

func TestFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestFullDisk covers the error path")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	d.Load(ctx, 1, time.Time{})
	last, err := fillUntilFull(d, 4000)
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Append on a full tmpfs: %v, want ErrFull", err)
	}
	if page, err := d.Before(ctx, 1<<62, 1000); err != nil || uint64(len(page)) != last {
		t.Fatalf("after the disk filled: %d messages, %v; want %d", len(page), err, last)
	}
}

// fillUntilFull appends messages of size bytes until an append fails (at
// most 1000), and returns the id of the last one stored and the error.
func fillUntilFull(d *DB, size int) (last uint64, err error) {
	big := strings.Repeat("x", size)
	for id := uint64(1); id < 1000; id++ {
		if err = d.Append(context.Background(), []Entry{{Msg: wire.Msg{ID: id, Time: 1, From: "a", Text: big}}}); err != nil {
			return last, err
		}
		last = id
	}
	return last, nil
}

func TestSecondServerRefused(t *testing.T) {
	dir := t.TempDir()
	d := openDB(t, dir, Options{})
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	// A backup reads beside the running server.
	if err := Backup(context.Background(), dir, t.TempDir()+"/b.db"); err != nil {
		t.Fatalf("Backup while open: %v", err)
	}
	d.Close()
	d2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	d2.Close()
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	src := closedDB(t, 10)
	backup := t.TempDir() + "/backup.db"
	if err := Backup(ctx, src, backup); err != nil {
		t.Fatal(err)
	}
	dst := closedDB(t, 3)
	junk := t.TempDir() + "/junk.db"
	os.WriteFile(junk, []byte("not a database at all"), 0o600)
	running := openDB(t, dst, Options{})
	if _, err := Restore(dst, backup); !errors.Is(err, ErrInUse) {
		t.Fatalf("Restore under a running server: %v, want ErrInUse", err)
	}
	running.Close()
	before, _ := os.ReadFile(dst + "/" + FileName)
	if _, err := Restore(dst, junk); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Restore of junk: %v, want ErrCorrupt", err)
	}
	if after, _ := os.ReadFile(dst + "/" + FileName); !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the database")
	}
	replaced, err := Restore(dst, backup)
	if err != nil {
		t.Fatal(err)
	}
	d := openDB(t, dst, Options{})
	if st, _ := d.Load(ctx, 100, time.Time{}); st.LastID != 10 {
		t.Fatalf("restored database has last id %d, want 10", st.LastID)
	}
	// The replaced database is kept, whole.
	keep := t.TempDir()
	cp(t, replaced, keep+"/"+FileName)
	k := openDB(t, keep, Options{})
	if st, _ := k.Load(ctx, 100, time.Time{}); st.LastID != 3 {
		t.Fatalf("replaced database has last id %d, want 3", st.LastID)
	}
}
