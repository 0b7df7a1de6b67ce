package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Sanction is a ban or a mute in force, as the server keeps it. The
// server matches a connection against every key that is set.
type Sanction struct {
	Kind    string    // "ban" or "mute"
	Nick    string    // the folded nickname, or ""
	Session string    // SessionKey of the person's session, or ""
	Addr    string    // the IP address, or ""
	Until   time.Time // when it ends
	Reason  string
	By      string // the moderator's nickname
}

// LoadSanctions deletes the sanctions that ended before now and returns
// the others. A read-only database returns them all and deletes nothing:
// the server ignores the expired ones anyway.
func (d *DB) LoadSanctions(ctx context.Context, now time.Time) ([]Sanction, error) {
	if !d.readOnly {
		d.wmu.Lock()
		_, err := d.wconn.ExecContext(ctx, "DELETE FROM sanctions WHERE until <= ?", now.UnixMilli())
		d.wmu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("store: pruning sanctions: %w", classify(err))
		}
	}
	rows, err := d.db.QueryContext(ctx, "SELECT kind, nick, sess, addr, until, reason, by FROM sanctions ORDER BY rowid")
	if err != nil {
		return nil, fmt.Errorf("store: loading sanctions: %w", classify(err))
	}
	defer rows.Close()
	var out []Sanction
	for rows.Next() {
		var s Sanction
		var nick, sess, addr sql.NullString
		var until int64
		if err := rows.Scan(&s.Kind, &nick, &sess, &addr, &until, &s.Reason, &s.By); err != nil {
			return nil, fmt.Errorf("store: loading sanctions: %w", classify(err))
		}
		s.Nick, s.Session, s.Addr, s.Until = nick.String, sess.String, addr.String, time.UnixMilli(until)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: loading sanctions: %w", classify(err))
	}
	return out, nil
}

// SaveSanctions replaces the stored sanctions with all, in one
// transaction, and syncs it: after a nil return a restart finds exactly
// all. The set is small (the server keeps at most about a thousand), and
// changes only when a moderator acts.
func (d *DB) SaveSanctions(ctx context.Context, all []Sanction) error {
	if d.readOnly {
		return fmt.Errorf("store: %s: %w", d.path, ErrReadOnly)
	}
	d.smu.Lock()
	err := d.syncErr
	d.smu.Unlock()
	if err != nil {
		return err
	}
	if err := d.replaceSanctions(ctx, all); err != nil {
		return err
	}
	return d.Sync(ctx)
}

func (d *DB) replaceSanctions(ctx context.Context, all []Sanction) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, err := d.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("store: saving sanctions: %w", classify(err))
	}
	fail := func(err error) error {
		// A failed statement may have ended the transaction already.
		d.wconn.ExecContext(context.Background(), "ROLLBACK")
		return fmt.Errorf("store: saving sanctions: %w", classify(err))
	}
	if _, err := d.wconn.ExecContext(ctx, "DELETE FROM sanctions"); err != nil {
		return fail(err)
	}
	for _, s := range all {
		if _, err := d.wconn.ExecContext(ctx,
			"INSERT INTO sanctions(kind, nick, sess, addr, until, reason, by) VALUES (?, ?, ?, ?, ?, ?, ?)",
			s.Kind, nullable(s.Nick), nullable(s.Session), nullable(s.Addr), s.Until.UnixMilli(), s.Reason, s.By); err != nil {
			return fail(err)
		}
	}
	if _, err := d.commit.ExecContext(ctx); err != nil {
		return fail(err)
	}
	return nil
}
