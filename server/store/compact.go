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

// compactLoop applies retention at start and every CompactEvery.
func (d *DB) compactLoop() {
	defer close(d.done)
	t := time.NewTicker(d.opt.CompactEvery)
	defer t.Stop()
	for {
		n, err := d.Compact(context.Background(), time.Now())
		if err != nil {
			d.log.Error("history compaction failed", "err", err)
		} else if n > 0 {
			d.log.Info("history compacted", "deleted", n)
		}
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
	}
}

// Compact deletes the messages past the retention limits as of now, then
// tidies the search index and gives free pages back to the file system.
// It returns how many messages it deleted. The newest message is kept
// whatever the limits: meta's last_id keeps the ids going either way.
func (d *DB) Compact(ctx context.Context, now time.Time) (int, error) {
	if d.readOnly {
		return 0, fmt.Errorf("store: compact: %w", ErrReadOnly)
	}
	total := 0
	if d.opt.Retain > 0 {
		cut := now.Add(-d.opt.Retain).UnixMilli()
		n, err := d.deleteChunks(ctx, `DELETE FROM messages WHERE id IN (
			SELECT id FROM messages WHERE ts < ? AND id < (SELECT max(id) FROM messages) ORDER BY id LIMIT ?)`, cut)
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
