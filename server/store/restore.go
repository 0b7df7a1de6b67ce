package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// lockName is the lock file in the data folder.
const lockName = "parley.lock"

// Backup writes a consistent copy of the database in dir to file, which
// must not exist. It reads through its own read-only connection, so it
// works while a server uses the folder.
func Backup(ctx context.Context, dir, file string) error {
	path := filepath.Join(dir, FileName)
	if _, err := checkHeader(path); err != nil {
		return err
	}
	if !exists(path) {
		return fmt.Errorf("store: backup: %s: %w", path, fs.ErrNotExist)
	}
	if err := check(path, false); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	d := &DB{path: path, db: db, readOnly: true}
	return d.Backup(ctx, file)
}

// Restore makes the backup in file the database of dir. The server must
// not be running there (ErrInUse). The database it replaces is not
// deleted: it is renamed, with its write-ahead log, to
// parley-replaced-TIME.db, whose path Restore returns ("" if there was
// none). A file that is not a Parley database this version can read is
// refused before anything changes.
func Restore(dir, file string) (replaced string, err error) {
	if _, err := checkHeader(file); err != nil {
		return "", fmt.Errorf("store: restore: %s: %w", file, err)
	}
	if !exists(file) {
		return "", fmt.Errorf("store: restore: %s: %w", file, fs.ErrNotExist)
	}
	// Check a copy: opening the backup itself could leave files beside it.
	tmpDir, err := os.MkdirTemp("", "parley-restore-*")
	if err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	probe := filepath.Join(tmpDir, FileName)
	if err := copyFile(file, probe); err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	if err := check(probe, false); err != nil {
		return "", fmt.Errorf("store: restore: %s: %w", file, err)
	}
	var meta string
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: probe}).EscapedPath()+"?mode=ro")
	if err == nil {
		err = db.QueryRow("SELECT value FROM meta WHERE key = 'epoch'").Scan(&meta)
		db.Close()
	}
	if err != nil {
		return "", fmt.Errorf("store: restore: %s is not a Parley history: %w", file, err)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	path := filepath.Join(dir, FileName)
	if exists(path) {
		replaced = filepath.Join(dir, "parley-replaced-"+time.Now().UTC().Format("20060102T150405")+".db")
		// The log goes with its database, under the same new name, so the
		// replaced database stays whole.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, replaced+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("store: restore: keeping the old database: %w", err)
			}
		}
	}
	if err := copyFile(file, path+".restoring"); err != nil {
		return replaced, fmt.Errorf("store: restore: %w", err)
	}
	if err := os.Rename(path+".restoring", path); err != nil {
		return replaced, fmt.Errorf("store: restore: %w", err)
	}
	return replaced, nil
}

// copyFile copies from to a new file to, synced to disk.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
