package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// compactChunk is how many messages one compaction transaction deletes,
// so that a post never waits long behind compaction.
const compactChunk = 500

// indexEvery is how often the search index catches up with the messages.
const indexEvery = time.Second

// indexChunk is the most messages one indexing transaction takes.
const indexChunk = 5000

// indexLoop keeps the search index up to date every indexEvery and, if
// compact, applies retention at start and every CompactEvery.
func (d *DB) indexLoop(compact bool) {
	defer close(d.done)
	tick := time.NewTicker(indexEvery)
	defer tick.Stop()
	var next time.Time // the next compaction; zero: now
	for {
		if err := d.index(context.Background()); err != nil {
			d.log.Error("updating the search index failed", "err", err)
		}
		if now := time.Now(); compact && !now.Before(next) {
			next = now.Add(d.opt.CompactEvery)
			n, err := d.Compact(context.Background(), now)
			if err != nil {
				d.log.Error("history compaction failed", "err", err)
			} else if n > 0 {
				d.log.Info("history compacted", "deleted", n)
			}
		}
		select {
		case <-d.stop:
			return
		case <-tick.C:
		}
	}
}

// checkpointLoop copies the log into the database file when Write says
// it has grown, and every indexEvery: commits never do it themselves
// (wal_autocheckpoint is off), so none waits for the copy and its syncs.
// A passive checkpoint runs beside Write; it copies what no reader still
// needs, and the next Write starts the log over once all of it is copied.
func (d *DB) checkpointLoop() {
	defer close(d.ckptDone)
	tick := time.NewTicker(indexEvery)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-d.ckpt:
		case <-tick.C:
		}
		if _, err := d.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			d.log.Error("checkpoint failed", "err", classify(err))
		}
	}
}

// index adds the messages stored since the last call to the search index,
// in transactions of up to indexChunk: one segment for many messages costs
// the index far less than one per commit.
func (d *DB) index(ctx context.Context) error {
	if d.readOnly {
		return nil // searched as it is
	}
	var behind bool
	if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) > (SELECT CAST(value AS INTEGER)
		FROM meta WHERE key = 'indexed') FROM messages`).Scan(&behind); err != nil {
		return fmt.Errorf("store: indexing: %w", classify(err))
	}
	if !behind {
		return nil // nothing new: no write transaction
	}
	for {
		d.wmu.Lock()
		n, err := d.indexChunk(ctx)
		d.wmu.Unlock()
		if err != nil {
			return fmt.Errorf("store: indexing: %w", classify(err))
		}
		if n < indexChunk {
			return nil
		}
	}
}

// indexChunk indexes up to indexChunk messages; the caller holds wmu.
func (d *DB) indexChunk(ctx context.Context) (int64, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var from int64
	if err := tx.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'indexed'").Scan(&from); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid, text)
		SELECT id, text FROM messages WHERE id > ? ORDER BY id LIMIT ?`, from, indexChunk)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = (SELECT max(rowid) FROM
		(SELECT id AS rowid FROM messages WHERE id > ? ORDER BY id LIMIT ?)) WHERE key = 'indexed'`, from, indexChunk); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// Compact deletes the messages past the retention limits as of now, then
// tidies the search index and gives free pages back to the file system.
// It returns how many messages it deleted. The newest message is kept
// whatever the limits: meta's last_id keeps the ids going either way.
func (d *DB) Compact(ctx context.Context, now time.Time) (int, error) {
	if d.readOnly {
		return 0, fmt.Errorf("store: compact: %w", ErrReadOnly)
	}
	// The delete trigger takes rows out of the index: they must be in it.
	if err := d.index(ctx); err != nil {
		return 0, err
	}
	total := 0
	if d.opt.Retain > 0 {
		// Everything before the first message young enough goes, the
		// newest always stays. There is no index on the time: the first
		// young message is found walking from the oldest, once, and the
		// chunks then go by id. A message stamped earlier than one before
		// it (the clock was set back) waits for a later compaction.
		cut := now.Add(-d.opt.Retain).UnixMilli()
		var keep int64
		if err := d.db.QueryRowContext(ctx, `SELECT coalesce(
			(SELECT id FROM messages WHERE ts >= ? ORDER BY id LIMIT 1),
			(SELECT max(id) FROM messages), 0)`, cut).Scan(&keep); err != nil {
			return 0, fmt.Errorf("store: compact: %w", classify(err))
		}
		n, err := d.deleteChunks(ctx, `DELETE FROM messages WHERE id IN (
			SELECT id FROM messages WHERE id < ? ORDER BY id LIMIT ?)`, keep)
		total += n
		if err != nil {
			return total, err
		}
	}
	if d.opt.RetainMessages > 0 {
		n, err := d.deleteChunks(ctx, `DELETE FROM messages WHERE id IN (
			SELECT id FROM messages WHERE id <= (SELECT max(id) FROM messages) - ? ORDER BY id LIMIT ?)`,
			d.opt.RetainMessages)
		total += n
		if err != nil {
			return total, err
		}
	}
	if total == 0 {
		return 0, nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	for _, q := range []string{
		"INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
		"PRAGMA incremental_vacuum",
		"PRAGMA wal_checkpoint(TRUNCATE)",
	} {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			return total, fmt.Errorf("store: compact: %s: %w", q, classify(err))
		}
	}
	return total, nil
}

// deleteChunks runs a chunked delete (its last parameter is the chunk
// size) until it deletes less than a chunk.
func (d *DB) deleteChunks(ctx context.Context, q string, arg any) (int, error) {
	total := 0
	for {
		d.wmu.Lock()
		res, err := d.db.ExecContext(ctx, q, arg, compactChunk)
		d.wmu.Unlock()
		if err != nil {
			return total, fmt.Errorf("store: compact: %w", classify(err))
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < compactChunk {
			return total, nil
		}
		select {
		case <-d.stop:
			return total, nil
		default:
		}
	}
}

// Backup writes a consistent copy of the database to file, which must not
// exist, while the database stays in use. The copy is a plain database
// (not in WAL mode until opened): restoring is copying it into a data
// folder as FileName while no server runs there.
func (d *DB) Backup(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("store: backup: %s already exists: %w", file, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := d.db.ExecContext(ctx, "VACUUM INTO ?", file); err != nil {
		return fmt.Errorf("store: backup to %s: %w", file, classify(err))
	}
	return nil
}
