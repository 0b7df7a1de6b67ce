package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Open opens the database in dir, creating the folder and the database
// if need be, and brings its schema up to date. It never deletes or
// replaces anything it cannot read; the errors say what is wrong:
//
//   - ErrCorrupt: the file is not a database or is damaged;
//   - ErrFutureSchema: a newer Parley wrote it;
//   - ErrInUse: another server has the folder open;
//   - a permission or I/O error: the folder or the file cannot be read.
//
// A database whose folder or file can be read but not written is opened
// read-only (ReadOnly reports it): history can be read, Append fails with
// ErrReadOnly.
func Open(dir string, opt Options) (*DB, error) {
	if opt.CompactEvery == 0 {
		opt.CompactEvery = DefaultCompactEvery
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if dir == "" {
		return nil, errors.New("store: no data folder")
	}
	path := filepath.Join(dir, FileName)
	if err := os.MkdirAll(dir, 0o700); err != nil && !exists(dir) {
		return nil, fmt.Errorf("store: creating the data folder: %w", err)
	}
	existed, err := checkHeader(path)
	if err != nil {
		return nil, err
	}
	readOnly := !writable(dir, path)
	if readOnly && !existed {
		return nil, fmt.Errorf("store: the data folder %s cannot be written and holds no database: %w",
			dir, fs.ErrPermission)
	}

	var lock *os.File
	if !readOnly {
		if lock, err = lockDir(dir); err != nil {
			return nil, err
		}
	}
	fail := func(err error) (*DB, error) {
		if lock != nil {
			lock.Close()
		}
		return nil, err
	}
	if existed && !readOnly {
		// Check the file through a read-only connection first, so that a
		// database this version refuses is not touched at all.
		if err := check(path, readOnly); err != nil {
			return fail(err)
		}
	}
	q := url.Values{}
	if readOnly {
		q.Set("mode", "ro")
		if !exists(path + "-wal") {
			// No write-ahead log to read: the file is all there is, and
			// SQLite need not create the shared-memory file it cannot.
			q.Set("immutable", "1")
		}
	} else {
		q.Set("_txlock", "immediate")
		q.Set("_busy_timeout", "10000")
		q.Set("_auto_vacuum", "INCREMENTAL") // takes effect on a new file only
		q.Set("_journal_mode", "WAL")
		// NORMAL: SQLite's commit does not wait for the disk; Sync does,
		// with SyncFull, so that the server can write the next group
		// while the last one's sync is in flight. Checkpoints still sync
		// the log and the file in this mode, so the database stays whole
		// across a power cut.
		q.Set("_synchronous", "NORMAL")
		// Checkpoints run in the background (checkpointLoop), not inside the
		// commit that crosses the log's size limit: that commit would wait
		// for the copy and for two syncs.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		if opt.MaxPages > 0 {
			q.Add("_pragma", "max_page_count("+strconv.Itoa(opt.MaxPages)+")")
		}
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fail(fmt.Errorf("store: opening %s: %w", path, err))
	}
	d := &DB{path: path, db: db, readOnly: readOnly, opt: opt, log: opt.Logger, lock: lock,
		stop: make(chan struct{}), done: make(chan struct{}),
		ckpt: make(chan struct{}, 1), ckptDone: make(chan struct{})}
	if err := d.prepare(); err != nil {
		db.Close()
		return fail(err)
	}
	compact := !readOnly && (opt.Retain > 0 || opt.RetainMessages > 0) && opt.CompactEvery > 0
	if !readOnly {
		go d.indexLoop(compact)
		go d.checkpointLoop()
	} else {
		close(d.done)
		close(d.ckptDone)
	}
	return d, nil
}

// exists reports whether path names something that can be stat'ed.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkHeader reports whether the database file exists, refusing one that
// is not an SQLite database (a truncated or overwritten file) before
// SQLite sees it.
func checkHeader(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: cannot read the database: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF) {
		return true, nil // an empty file is an empty database
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("store: cannot read the database: %w", err)
	}
	if !bytes.Equal(head[:n], sqliteMagic) {
		return false, fmt.Errorf("%w: %s is not an SQLite database (restore a backup, or move the file away)",
			ErrCorrupt, path)
	}
	return true, nil
}

// writable reports whether the database can be written: SQLite in WAL mode
// must write the file and create its log and shared-memory files beside it.
func writable(dir, path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	t, err := os.CreateTemp(dir, ".parley-probe-*")
	if err != nil {
		return false
	}
	t.Close()
	os.Remove(t.Name())
	return true
}

// check opens the database at path read-only and refuses it if it is
// damaged or from a newer version.
func check(path string, readOnly bool) error {
	q := "mode=ro"
	if readOnly && !exists(path+"-wal") {
		q += "&immutable=1"
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q)
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", path, err)
	}
	defer db.Close()
	_, err = checkVersion(context.Background(), db, path)
	return err
}

// checkVersion runs SQLite's quick check and returns the schema version,
// refusing a damaged database and one from a newer version.
func checkVersion(ctx context.Context, db *sql.DB, path string) (int, error) {
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&check); err != nil {
		return 0, fmt.Errorf("store: checking %s: %w", path, classify(err))
	}
	if check != "ok" {
		return 0, fmt.Errorf("%w: %s: %s (restore a backup, or move the file away)", ErrCorrupt, path, check)
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("store: reading the schema version: %w", classify(err))
	}
	if version > len(migrations) {
		return 0, fmt.Errorf("%w: %s has schema version %d and this Parley knows up to %d: run a newer Parley, or use another data folder",
			ErrFutureSchema, path, version, len(migrations))
	}
	return version, nil
}

// classify wraps SQLite's errors in this package's, where one fits.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %w", ErrFull, err)
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		case sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", ErrReadOnly, err)
		}
	}
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w", ErrFull, err)
	}
	return err
}
