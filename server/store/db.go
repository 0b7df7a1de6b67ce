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
	"math/bits"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/net/wire"
)

// FileName is the database's name inside the data folder.
const FileName = "parley.db"

// SentPerSession bounds the cids Load returns for one session: the
// server remembers no more than that many per session either.
const SentPerSession = 256

// DefaultCompactEvery is how often a DB with a retention limit deletes
// what is past it.
const DefaultCompactEvery = time.Hour

// Options configure a DB. The zero value keeps everything forever.
type Options struct {
	// Retain deletes messages older than this (0: no age limit).
	Retain time.Duration
	// RetainMessages keeps at most this many of the newest messages
	// (0: no count limit).
	RetainMessages int
	// CompactEvery is how often retention runs, the first time at Open;
	// DefaultCompactEvery if 0, never by itself if negative (Compact).
	CompactEvery time.Duration
	// Sync says when a commit reaches the disk: SyncFull (the default)
	// before Append returns, so that an acknowledged message survives a
	// power cut; SyncNormal leaves it to the next checkpoint, so that it
	// survives the server's crash but not the machine's.
	Sync SyncMode
	// MaxPages caps the database at this many pages (PRAGMA
	// max_page_count), so that a full disk can be tried without filling
	// one. 0: no cap.
	MaxPages int
	// Logger receives compaction reports; nil discards them.
	Logger *slog.Logger
}

// SyncMode is how hard a commit waits for the disk.
type SyncMode int

// Sync modes: see Options.Sync.
const (
	SyncFull SyncMode = iota
	SyncNormal
)

// DB is a room's history in an SQLite database in WAL mode. Its methods
// may be called from any goroutine; writes (Append and compaction) are
// serialised by the DB itself, so they never wait on SQLite's busy lock.
type DB struct {
	path     string
	db       *sql.DB
	readOnly bool
	opt      Options
	log      *slog.Logger

	lock    *os.File               // the data folder's lock, held while open read-write
	wmu     sync.Mutex             // serialises write transactions
	wconn   *sql.Conn              // Write's own connection, held open; nil when read-only
	inserts [insertSizes]*sql.Stmt // inserts[k] adds 1<<k rows, prepared on wconn; nil when read-only
	begin   *sql.Stmt              // BEGIN IMMEDIATE, on wconn: prepared once, not per commit
	commit  *sql.Stmt              // COMMIT, on wconn

	smu     sync.Mutex // guards wal and syncErr; held across Sync's fdatasync
	wal     *os.File   // the write-ahead log, opened by the first Sync
	syncErr error      // the first failed sync: nothing is written after it

	stop     chan struct{} // closed by Close: ends compaction and checkpoints
	done     chan struct{} // closed when compaction has ended
	ckpt     chan struct{} // wakes checkpointLoop; one pending wake-up is enough
	ckptDone chan struct{} // closed when checkpointLoop has ended
	unckpt   int           // guarded by wmu: bytes written to the log since the last wake-up
	once     sync.Once
}

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

// prepare checks the database and brings its schema up to date.
func (d *DB) prepare() error {
	ctx := context.Background()
	version, err := checkVersion(ctx, d.db, d.path)
	if err != nil {
		return err
	}
	switch {
	case version < len(migrations) && d.readOnly:
		return fmt.Errorf("store: %s has schema version %d and needs an upgrade to %d, but it is read-only: %w",
			d.path, version, len(migrations), ErrReadOnly)
	case version < len(migrations):
		if err := migrate(ctx, d.db, version, len(migrations)); err != nil {
			return err
		}
		// The migrations' commits did not wait for the disk (synchronous
		// is NORMAL): they must be there before anything is written on
		// top of them.
		if err := d.Sync(ctx); err != nil {
			return err
		}
	}
	if d.readOnly {
		return nil
	}
	// The writer keeps one connection for good: its statements stay
	// prepared on it, and an open connection keeps SQLite from deleting
	// the log that Sync holds open.
	if d.wconn, err = d.db.Conn(ctx); err != nil {
		return fmt.Errorf("store: %w", classify(err))
	}
	const head = "INSERT INTO messages(id, ts, nick, text, cid, sess) VALUES "
	const row = "(?, ?, ?, ?, ?, ?)"
	for k := range d.inserts {
		rows := strings.Repeat(row+", ", 1<<k-1) + row
		if d.inserts[k], err = d.wconn.PrepareContext(ctx, head+rows); err != nil {
			return fmt.Errorf("store: %w", classify(err))
		}
	}
	if d.begin, err = d.wconn.PrepareContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("store: %w", classify(err))
	}
	if d.commit, err = d.wconn.PrepareContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("store: %w", classify(err))
	}
	return nil
}

// insertRows is how many messages one INSERT statement of a group
// carries at most: one statement for many rows costs SQLite and
// database/sql far less than a statement each. Smaller statements of
// 16, 8, 4, 2 and 1 rows carry the rest, so that a group of any size
// takes at most insertSizes-1 statements beyond its full ones (a group
// of 31 took 31 statements when the rest went one row at a time).
const (
	insertSizes = 6
	insertRows  = 1 << (insertSizes - 1)
)

// ReadOnly reports whether the database was opened read-only.
func (d *DB) ReadOnly() bool { return d.readOnly }

// Path returns the database file's path.
func (d *DB) Path() string { return d.path }

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

// Load returns the epoch (made and stored on the first start), the last
// id, the newest recent messages and the cids sessions used since since.
func (d *DB) Load(ctx context.Context, recent int, since time.Time) (State, error) {
	var st State
	meta, err := d.meta(ctx)
	if err != nil {
		return st, err
	}
	st.Epoch = meta["epoch"]
	// Messages carry the last id: compaction always keeps the newest. A
	// database of schema 3 or older also has it in meta.
	st.LastID, _ = strconv.ParseUint(meta["last_id"], 10, 64)
	var newest int64
	if err := d.db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM messages").Scan(&newest); err != nil {
		return st, fmt.Errorf("store: reading the last id: %w", classify(err))
	}
	st.LastID = max(st.LastID, uint64(newest))
	if st.Epoch == "" {
		st.Epoch = NewEpoch()
		if !d.readOnly {
			if _, err := d.db.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES ('epoch', ?)", st.Epoch); err != nil {
				return st, fmt.Errorf("store: saving the epoch: %w", classify(err))
			}
			if err := d.Sync(ctx); err != nil {
				return st, err
			}
		}
	}
	if st.Recent, err = d.Before(ctx, st.LastID+1, recent); err != nil {
		return st, err
	}
	if n := len(st.Recent); n > 0 {
		st.LastID = max(st.LastID, st.Recent[n-1].ID)
	}
	// The rows since since: from the newest back to the first older one
	// (there is no index on the time; ids grow with it).
	rows, err := d.db.QueryContext(ctx, `
		SELECT sess, cid, id FROM (
			SELECT sess, cid, id, row_number() OVER (PARTITION BY sess ORDER BY id DESC) AS r
			FROM messages
			WHERE id > coalesce((SELECT id FROM messages WHERE ts < ?1 ORDER BY id DESC LIMIT 1), 0)
				AND sess IS NOT NULL AND cid IS NOT NULL AND ts >= ?1)
		WHERE r <= ?2 ORDER BY id`, since.UnixMilli(), SentPerSession)
	if err != nil {
		return st, fmt.Errorf("store: loading sessions: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var s Sent
		if err := rows.Scan(&s.Session, &s.CID, &s.ID); err != nil {
			return st, fmt.Errorf("store: loading sessions: %w", classify(err))
		}
		st.Sent = append(st.Sent, s)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("store: loading sessions: %w", classify(err))
	}
	return st, nil
}

func (d *DB) meta(ctx context.Context) (map[string]string, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return nil, fmt.Errorf("store: reading meta: %w", classify(err))
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: reading meta: %w", classify(err))
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reading meta: %w", classify(err))
	}
	return m, nil
}

// Append stores the batch in one transaction and syncs it (Write, then
// Sync): when it returns nil, every message of it is on disk, and none is
// if it fails.
func (d *DB) Append(ctx context.Context, batch []Entry) error {
	if err := d.Write(ctx, batch); err != nil {
		return err
	}
	return d.Sync(ctx)
}

// Write stores the batch in one transaction, all or nothing, without
// waiting for the disk: the batch survives a crash of the process once
// Write returns, and a power cut once a Sync that began after it has
// returned. A caller that writes the next batch while the last one's Sync
// is in flight pays for the disk once per Sync rather than per batch.
func (d *DB) Write(ctx context.Context, batch []Entry) error {
	if d.readOnly {
		return fmt.Errorf("store: %s: %w", d.path, ErrReadOnly)
	}
	if len(batch) == 0 {
		return nil
	}
	d.smu.Lock()
	err := d.syncErr
	d.smu.Unlock()
	if err != nil {
		return err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, err := d.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("store: append: %w", classify(err))
	}
	if err := d.insertAll(ctx, batch); err != nil {
		// A failed statement may have ended the transaction already.
		d.wconn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if _, err := d.commit.ExecContext(ctx); err != nil {
		d.wconn.ExecContext(context.Background(), "ROLLBACK")
		return fmt.Errorf("store: commit: %w", classify(err))
	}
	d.unckpt += commitPages * pageSize
	for _, e := range batch {
		d.unckpt += rowOverhead + len(e.Msg.Text) + len(e.Msg.From) + len(e.Msg.CID) + len(e.Session)
	}
	if d.unckpt >= ckptAfter {
		d.unckpt = 0
		select {
		case d.ckpt <- struct{}{}:
		default:
		}
	}
	return nil
}

// A checkpoint is due once Write has added about ckptAfter bytes to the
// log: 1,000 pages, SQLite's own default. The log's growth is estimated
// from the rows' sizes, plus commitPages pages rewritten whole by every
// commit (the last leaf of the table and of its index). A short log is
// rewritten in place, and checkpoints copy less at a time.
const (
	pageSize    = 4096 // SQLite's default, which Open keeps
	ckptAfter   = 1000 * pageSize
	commitPages = 2
	rowOverhead = 24 // the row's header, id and time
)

// insertAll inserts the batch insertRows at a time, then the rest in the
// largest statements that fit; the caller holds wmu in a transaction on
// wconn.
func (d *DB) insertAll(ctx context.Context, batch []Entry) error {
	args := make([]any, 0, 6*insertRows)
	for rest := batch; len(rest) > 0; {
		k := min(bits.Len(uint(len(rest)))-1, insertSizes-1)
		n, ins := 1<<k, d.inserts[k]
		args = args[:0]
		for _, e := range rest[:n] {
			m := e.Msg
			args = append(args, int64(m.ID), m.Time, m.From, m.Text, nullable(m.CID), nullable(e.Session))
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("store: append messages from %d: %w", rest[0].Msg.ID, classify(err))
		}
		rest = rest[n:]
	}
	return nil
}

// SyncWaits reports whether Sync waits for the disk: with SyncFull on a
// database opened read-write.
func (d *DB) SyncWaits() bool { return !d.readOnly && d.opt.Sync == SyncFull }

// Sync returns once everything written before it is on the disk (with
// SyncNormal at once: the next checkpoint syncs it). The first failed
// sync is final: the kernel may have dropped the pages it could not
// write, so the store refuses every later Write and Sync with ErrSync,
// and only a restart, which reads what reached the disk, writes again.
func (d *DB) Sync(ctx context.Context) error {
	if d.readOnly || d.opt.Sync == SyncNormal {
		return nil
	}
	d.smu.Lock()
	defer d.smu.Unlock()
	if d.syncErr != nil {
		return d.syncErr
	}
	if d.wal == nil {
		f, err := os.OpenFile(d.path+"-wal", os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing written yet: no log
		}
		if err != nil {
			return fmt.Errorf("store: opening the log to sync it: %w", err)
		}
		d.wal = f
	}
	if err := datasync(d.wal); err != nil {
		d.syncErr = fmt.Errorf("%w: %s: %w", ErrSync, d.wal.Name(), classify(err))
		return d.syncErr
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Before returns up to limit messages with ids below before, the newest
// of them, oldest first.
func (d *DB) Before(ctx context.Context, before uint64, limit int) ([]wire.Msg, error) {
	if limit <= 0 {
		return nil, nil
	}
	msgs, err := d.query(ctx, `SELECT id, ts, nick, text, cid FROM messages WHERE id < ? ORDER BY id DESC LIMIT ?`,
		clampID(before), limit)
	slices.Reverse(msgs)
	return msgs, err
}

// Search returns up to limit messages with ids below before that contain
// every term of q (Terms) as a word prefix, newest first, from the FTS5
// index, which it first brings up to date.
func (d *DB) Search(ctx context.Context, q string, before uint64, limit int) ([]wire.Msg, error) {
	terms := Terms(q)
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	if err := d.index(ctx); err != nil {
		return nil, err
	}
	// Each term is a quoted string with a prefix star: whatever the user
	// typed, FTS5 sees no operators or column filters.
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"*`)
	}
	return d.query(ctx, `SELECT m.id, m.ts, m.nick, m.text, m.cid FROM messages_fts f
		JOIN messages m ON m.id = f.rowid
		WHERE messages_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC LIMIT ?`,
		b.String(), clampID(before), limit)
}

// clampID keeps an id within SQLite's signed integers.
func clampID(id uint64) int64 {
	if id > 1<<62 {
		return 1 << 62
	}
	return int64(id)
}

func (d *DB) query(ctx context.Context, q string, args ...any) ([]wire.Msg, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query: %w", classify(err))
	}
	defer rows.Close()
	var msgs []wire.Msg
	for rows.Next() {
		var m wire.Msg
		var id int64
		var cid sql.NullString
		if err := rows.Scan(&id, &m.Time, &m.From, &m.Text, &cid); err != nil {
			return nil, fmt.Errorf("store: query: %w", classify(err))
		}
		m.ID, m.CID = uint64(id), cid.String
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query: %w", classify(err))
	}
	return msgs, nil
}

// Close ends compaction and closes the database.
func (d *DB) Close() error {
	var err error
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		<-d.ckptDone
		if err := d.index(context.Background()); err != nil {
			d.log.Error("updating the search index failed", "err", err)
		}
		for _, st := range append(d.inserts[:], d.begin, d.commit) {
			if st != nil {
				st.Close()
			}
		}
		if d.wconn != nil {
			d.wconn.Close()
		}
		err = d.db.Close() // the last connection checkpoints and syncs
		d.smu.Lock()
		if d.wal != nil {
			d.wal.Close()
		}
		d.smu.Unlock()
		if d.lock != nil {
			d.lock.Close() // after the database: its last writes are done
		}
	})
	return err
}
