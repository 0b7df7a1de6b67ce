package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
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

	smu     sync.Mutex // guards wal, syncer and syncErr; held across Sync's fdatasync
	wal     *os.File   // the write-ahead log, opened by the first Sync
	syncer  logSyncer  // how Sync waits for the disk, made with wal
	syncErr error      // the first failed sync: nothing is written after it

	stop     chan struct{} // closed by Close: ends compaction and checkpoints
	done     chan struct{} // closed when compaction has ended
	ckpt     chan struct{} // wakes checkpointLoop; one pending wake-up is enough
	ckptDone chan struct{} // closed when checkpointLoop has ended
	unckpt   int           // guarded by wmu: bytes written to the log since the last wake-up
	once     sync.Once
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
		if d.syncer != nil {
			d.syncer.close()
		}
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
