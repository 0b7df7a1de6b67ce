package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
)

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
		d.wal, d.syncer = f, newLogSyncer()
	}
	if err := d.syncer.sync(d.wal); err != nil {
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
