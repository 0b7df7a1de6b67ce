package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/net/wire"
)

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
