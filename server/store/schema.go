package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations bring a database from schema version i (PRAGMA user_version)
// to i+1. They are applied in order, each in its own transaction, and are
// never edited once released: a change is a new migration at the end.
var migrations = []string{
	// 1: messages and the server's identity.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE messages (
		id   INTEGER PRIMARY KEY, -- the message id, as broadcast
		ts   INTEGER NOT NULL,    -- server time, Unix milliseconds
		nick TEXT NOT NULL,
		text TEXT NOT NULL,
		cid  TEXT,                -- the sender's client message id
		sess TEXT                 -- SessionKey of the sender's session
	);
	CREATE INDEX messages_ts ON messages(ts);`,

	// 2: full-text search over the text, kept in step by triggers.
	`CREATE VIRTUAL TABLE messages_fts USING fts5(
		text, content='messages', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2');
	CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
		INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
	END;
	CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	END;
	INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');`,

	// 3: the index is brought up to date in batches (DB.index), off the
	// commit's path, instead of by a trigger per message; meta's
	// 'indexed' is the last id indexed.
	`DROP TRIGGER messages_ai;
	INSERT INTO meta(key, value) SELECT 'indexed', coalesce(max(id), 0) FROM messages WHERE true
		ON CONFLICT(key) DO UPDATE SET value = excluded.value;`,

	// 4: the index without its per-row sizes (columnsize=0): they serve
	// ranking (bm25), and results are listed newest first, not ranked;
	// writing them was a third of indexing. The new index is empty:
	// DB.index fills it again from the messages in the background.
	`DROP TRIGGER messages_ad;
	DROP TABLE messages_fts;
	CREATE VIRTUAL TABLE messages_fts USING fts5(
		text, content='messages', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2', columnsize=0);
	CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	END;
	UPDATE meta SET value = '0' WHERE key = 'indexed';`,

	// 5: no index on the time. Ids grow with time, so the queries by time
	// walk the rows in id order from the end that matters and stop at the
	// first row past the limit (DB.Load, DB.Compact); keeping the index
	// cost every message a second b-tree insert and every commit a page.
	`DROP INDEX messages_ts;`,

	// 6: the bans and mutes in force, so that a restart does not
	// lift them (sanctions.go). The server writes the whole set again on
	// each change; expired rows are deleted on load.
	`CREATE TABLE sanctions (
		kind   TEXT NOT NULL,    -- 'ban' or 'mute'
		nick   TEXT,             -- the folded nickname
		sess   TEXT,             -- SessionKey of the person's session
		addr   TEXT,             -- the IP address
		until  INTEGER NOT NULL, -- Unix milliseconds
		reason TEXT NOT NULL,
		by     TEXT NOT NULL
	);`,
}

// SchemaVersion is the schema version this package writes.
var SchemaVersion = len(migrations)

// migrate applies migrations from version from up to version to.
func migrate(ctx context.Context, db *sql.DB, from, to int) error {
	for v := from; v < to; v++ {
		if err := migrateOne(ctx, db, v); err != nil {
			return fmt.Errorf("store: upgrading the schema from version %d to %d: %w", v, v+1, classify(err))
		}
	}
	return nil
}

func migrateOne(ctx context.Context, db *sql.DB, v int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return err
	}
	// PRAGMA takes no parameters; v is an int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	return tx.Commit()
}
